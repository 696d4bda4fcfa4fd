"""Key drivers: LMG shares sum to R^2, equal brute force over orderings, rank planted drivers."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from qagrader.analysis.drivers import key_drivers, lmg_shares, relative_weights, subset_r2
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame


def _r2_ols(x: np.ndarray, y: np.ndarray) -> float:
    if x.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))


def _correlated_data(seed: int, k: int = 4, n: int = 500):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(k, k)) * 0.5 + np.eye(k)
    x = rng.normal(size=(n, k)) @ mixing
    y = x @ rng.normal(size=k) + rng.normal(size=n) * 2
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    return x, y, corr[:-1, :-1], corr[:-1, -1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lmg_equals_brute_force_over_all_orderings(seed):
    x, y, rxx, rxy = _correlated_data(seed)
    k = x.shape[1]
    brute = np.zeros(k)
    orders = list(permutations(range(k)))
    for order in orders:
        for position, j in enumerate(order):
            before = list(order[:position])
            brute[j] += _r2_ols(x[:, before + [j]], y) - _r2_ols(x[:, before], y)
    brute /= len(orders)
    np.testing.assert_allclose(lmg_shares(rxx, rxy), brute, atol=1e-10)


def test_every_subset_r2_equals_least_squares():
    x, y, rxx, rxy = _correlated_data(3, k=5)
    r2 = subset_r2(rxx, rxy)
    for mask in range(2**5):
        columns = [j for j in range(5) if mask >> j & 1]
        assert r2[mask] == pytest.approx(_r2_ols(x[:, columns], y), abs=1e-10)


def test_subset_r2_of_many_predictors_equals_least_squares():
    """At 11 predictors (every sweep level deep), random subsets against least squares."""
    x, y, rxx, rxy = _correlated_data(5, k=11, n=800)
    r2 = subset_r2(rxx, rxy)
    rng = np.random.default_rng(5)
    for mask in [0, 2**11 - 1, *rng.integers(1, 2**11 - 1, size=40)]:
        columns = [j for j in range(11) if int(mask) >> j & 1]
        assert r2[mask] == pytest.approx(_r2_ols(x[:, columns], y), abs=1e-10)


def test_shares_sum_to_r2_for_lmg_and_relative_weights():
    x, y, rxx, rxy = _correlated_data(7, k=6)
    r2 = _r2_ols(x, y)
    assert lmg_shares(rxx, rxy).sum() == pytest.approx(r2)
    weights = relative_weights(rxx, rxy)
    assert weights.sum() == pytest.approx(r2)
    np.testing.assert_allclose(weights, lmg_shares(rxx, rxy), atol=0.03)  # close, not equal


DESIGN = SyntheticDesign(skills=(
    SkillSpec("strong", 0.5, (SCALE5,)), SkillSpec("medium", 0.25, (SCALE5, YES_NO)),
    SkillSpec("none", 0.0, (YES_NO,)),
))


def test_key_drivers_table_ranks_planted_skills_and_sums_to_r2():
    frame = make_skill_frame(5000, DESIGN, seed=1)
    table = key_drivers(frame)
    pooled = table[table["channel"] == "all"].set_index("skill")
    complete = frame[["strong", "medium", "none", "csat"]].dropna().to_numpy()
    assert pooled["n"].iloc[0] == len(complete)
    assert pooled["r2"].iloc[0] == pytest.approx(_r2_ols(complete[:, :3], complete[:, 3]))
    assert pooled["share"].sum() == pytest.approx(pooled["r2"].iloc[0])
    assert pooled["share_of_r2"].sum() == pytest.approx(1.0)
    assert pooled.loc["strong", "share"] > pooled.loc["medium", "share"] > pooled.loc["none", "share"]
    assert set(table["channel"]) == {"all", "phone", "email", "chat"}


def test_many_skills_switch_to_relative_weights():
    skills = tuple(SkillSpec(f"s{i}", 0.05 * (i % 5), (SCALE5,)) for i in range(17))
    table = key_drivers(make_skill_frame(3000, SyntheticDesign(skills=skills), seed=2))
    pooled = table[table["channel"] == "all"]
    assert (pooled["method"] == "relative weights (Johnson)").all()
    assert pooled["share"].sum() == pytest.approx(pooled["r2"].iloc[0])


def test_sparse_skill_is_left_out_and_too_few_rows_reported():
    frame = make_skill_frame(3000, DESIGN, seed=3)
    frame.loc[frame.index[100:], "none"] = np.nan
    pooled = key_drivers(frame).query("channel == 'all'").set_index("skill")
    assert np.isnan(pooled.loc["none", "share"]) and pooled.loc["strong", "share"] > 0
    tiny = key_drivers(frame.iloc[:20]).query("channel == 'all'")
    assert tiny["share"].isna().all() and (tiny["method"] == "too few complete rows").all()


def test_jackknife_intervals_match_the_spread_between_samples():
    """A simulation with a known answer: the R^2 and shares of 30 independent samples vary as
    much as one sample's jackknife (leaving out groups of agents) says, and the intervals hold the
    large-sample values."""
    design = SyntheticDesign(skills=DESIGN.skills, n_agents=30, agent_csat_sd=0.3)
    truth = key_drivers(make_skill_frame(300_000, design, seed=999)).query("channel == 'all'").set_index("skill")
    r2, widths, held = [], [], 0
    for seed in range(30):
        pooled = key_drivers(make_skill_frame(1500, design, seed=seed)).query("channel == 'all'").set_index("skill")
        r2.append(pooled["r2"].iloc[0])
        widths.append((pooled["r2_ci_high"].iloc[0] - pooled["r2_ci_low"].iloc[0]) / (2 * 1.96))
        held += pooled.loc["strong", "share_ci_low"] <= truth.loc["strong", "share"] <= pooled.loc["strong", "share_ci_high"]
        assert pooled["replicates"].iloc[0] == 30 and pooled["interval"].iloc[0] == "agent clusters"
    assert np.mean(widths) / np.std(r2, ddof=1) == pytest.approx(1.0, abs=0.35)
    assert held >= 25


def test_a_skill_equal_to_another_adds_nothing_and_breaks_nothing():
    """Two skills graded identically (exactly collinear): every subset's R² is least squares'
    (the duplicate adds nothing), the shares are finite, equal for the pair and sum to R²."""
    x, y, _, _ = _correlated_data(5, k=4)
    x = np.column_stack([x, x[:, 1], x[:, 1] * 2 - x[:, 0]])  # a copy and a combination
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    with np.errstate(all="raise"):
        r2 = subset_r2(rxx, rxy)
        shares = lmg_shares(rxx, rxy)
    for mask in range(2**6):
        columns = [j for j in range(6) if mask >> j & 1]
        assert r2[mask] == pytest.approx(_r2_ols(x[:, columns], y), abs=1e-8)
    assert np.isfinite(shares).all() and shares.sum() == pytest.approx(_r2_ols(x, y), abs=1e-8)
    assert shares[1] == pytest.approx(shares[4], abs=1e-9)
