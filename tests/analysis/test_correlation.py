"""Correlation table: exact Spearman (scipy), agent-clustered intervals (a brute-force jackknife
with scipy), recovers planted relations, flags Simpson and non-flipping confounders, hides n<30."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qagrader.analysis._stats import group_ranks
from qagrader.analysis.correlation import CORRELATION_COLUMNS, skill_correlations
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

PLANTED = SyntheticDesign(
    skills=(
        SkillSpec("strong", {"phone": 0.55, "email": 0.35}, (SCALE5, YES_NO)),
        SkillSpec("weak", 0.10, (SCALE5,)),
        SkillSpec("negative", -0.30, (YES_NO,), fail_rate=0.3),
        SkillSpec("phone only", {"phone": 0.40, "email": 0.0}, (SCALE5,)),
    ),
    channels=("phone", "email"),
    n_agents=20,
)


def _cell(table: pd.DataFrame, skill: str, channel: str) -> pd.Series:
    return table[(table["skill"] == skill) & (table["channel"] == channel)].iloc[0]


def test_leading_columns_are_the_documented_ones():
    table = skill_correlations(make_skill_frame(500, PLANTED))
    assert tuple(table.columns[: len(CORRELATION_COLUMNS)]) == CORRELATION_COLUMNS
    assert list(table["channel"].unique()) == ["all", "phone", "email"]
    assert len(table) == 4 * 3


def test_matches_direct_scipy_calls_with_missing_values_and_ties():
    frame = make_skill_frame(3000, PLANTED, seed=11)
    frame.loc[frame.sample(frac=0.2, random_state=1).index, "weak"] = np.nan  # N/A answers
    table = skill_correlations(frame)
    for _, row in table.iterrows():
        subset = frame if row["channel"] == "all" else frame[frame["channel"] == row["channel"]]
        pairs = subset[[row["skill"], "csat", "agent"]].dropna()
        expected = stats.spearmanr(pairs[row["skill"]], pairs["csat"])
        assert row["n"] == len(pairs) and row["n_agents"] == pairs["agent"].nunique()
        assert row["rho"] == pytest.approx(expected.statistic, abs=1e-12)
        assert row["ci_low"] < row["rho"] < row["ci_high"]
    assert table["q_value"].to_numpy() == pytest.approx(
        stats.false_discovery_control(table["p_value"].to_numpy(), method="bh"))


def test_interval_and_p_value_come_from_deleting_each_agent():
    """The 95% CI is tanh(atanh(rho) +- t(G-1) * SE / (1 - rho^2)) with SE the delete-one-agent
    jackknife, here recomputed by brute force with scipy; p is the matching two-sided t test."""
    frame = make_skill_frame(2000, PLANTED, seed=12)
    row = _cell(skill_correlations(frame), "strong", "phone")
    phone = frame[frame["channel"] == "phone"][["strong", "csat", "agent"]].dropna()
    agents = phone["agent"].unique()
    replicates = np.array([stats.spearmanr(*phone[phone["agent"] != a][["strong", "csat"]].T.to_numpy()).statistic
                           for a in agents])
    g = len(agents)
    se = np.sqrt((g - 1) / g * ((replicates - replicates.mean()) ** 2).sum())
    t = stats.t.ppf(0.975, g - 1)
    z, se_z = np.arctanh(row["rho"]), se / (1 - row["rho"] ** 2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((np.tanh(z - t * se_z), np.tanh(z + t * se_z)))
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(z / se_z), g - 1))
    assert row["interval"] == "agent clusters"


def test_whiskers_and_colours_tell_the_same_story():
    table = skill_correlations(make_skill_frame(3000, PLANTED, seed=13))
    tested = table["q_value"].notna()
    clear = (table["adj_ci_low"] > 0) | (table["adj_ci_high"] < 0)
    assert ((table["q_value"] < 0.05) == clear)[tested].all()
    assert (table.loc[tested, "adj_ci_low"] <= table.loc[tested, "ci_low"]).all()  # wider


def test_matches_the_pandas_baseline_per_channel():
    frame = make_skill_frame(4000, PLANTED, seed=5)
    skills = ["strong", "weak", "negative", "phone only"]
    baseline = frame.groupby("channel")[["csat", *skills]].corr(method="spearman")
    table = skill_correlations(frame)
    for channel in ("phone", "email"):
        for skill in skills:
            assert _cell(table, skill, channel)["rho"] == pytest.approx(
                baseline.loc[(channel, "csat"), skill], abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.one_of(st.none(), st.sampled_from([0, 0.25, 0.5, 1.0]),
                                                        st.floats(-5, 5))), min_size=1, max_size=60))
def test_group_ranks_equal_scipy_rankdata_within_each_group(cells):
    groups = np.array([g for g, _ in cells], dtype=np.int64)
    values = np.array([np.nan if v is None else v for _, v in cells], dtype=float)
    ranks = group_ranks(values[None, :], groups, 3)[0]
    for g in range(3):
        known = (groups == g) & ~np.isnan(values)
        np.testing.assert_allclose(ranks[known], stats.rankdata(values[known]))
    assert np.isnan(ranks[np.isnan(values)]).all()


def test_group_ranks_with_many_distinct_values_and_groups():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, 3000))
    values[0, ::7] = np.nan
    groups = rng.integers(0, 500, 3000)
    ranks = group_ranks(values, groups, 500)
    for g in (0, 17, 499):
        for j in range(2):
            known = (groups == g) & ~np.isnan(values[j])
            np.testing.assert_allclose(ranks[j, known], stats.rankdata(values[j, known]))


def test_planted_values_recovered_across_seeds():
    """True rho = Spearman on a huge sample of the same design; the 95% CI of a modest sample
    must contain it in nearly every seed, and always have the right sign."""
    huge = skill_correlations(make_skill_frame(400_000, PLANTED, seed=999))
    cells = [("strong", "phone"), ("strong", "email"), ("negative", "all"), ("weak", "all"),
             ("phone only", "phone"), ("strong", "all")]
    truth = {c: _cell(huge, *c)["rho"] for c in cells}
    covered = {c: 0 for c in cells}
    seeds = range(40)
    for seed in seeds:
        table = skill_correlations(make_skill_frame(3000, PLANTED, seed=seed))
        for cell in cells:
            row = _cell(table, *cell)
            covered[cell] += row["ci_low"] <= truth[cell] <= row["ci_high"]
            assert np.sign(row["rho"]) == np.sign(truth[cell])
        assert _cell(table, "strong", "all")["rho"] > _cell(table, "weak", "all")["rho"] + 0.1
        assert _cell(table, "strong", "phone")["rho"] > _cell(table, "strong", "email")["rho"]
    for cell, hits in covered.items():
        assert hits >= 0.9 * len(seeds), (cell, hits)


def test_null_skill_is_rarely_significant():
    significant = 0
    for seed in range(20):
        table = skill_correlations(make_skill_frame(3000, PLANTED, seed=seed))
        significant += _cell(table, "phone only", "email")["q_value"] < 0.05
    assert significant <= 3


SIMPSON = SyntheticDesign(
    skills=(SkillSpec("empathy", 0.35, (SCALE5,)), SkillSpec("accuracy", 0.3, (SCALE5,))),
    channels=("phone", "email", "chat"),
    channel_shift={"phone": (1.2, -1.2), "email": (0.0, 0.0), "chat": (-1.2, 1.2)},
    n_agents=10,
)


def test_simpson_case_raises_the_flag():
    frame = make_skill_frame(6000, SIMPSON, seed=2)
    table = skill_correlations(frame)
    for skill in ("empathy", "accuracy"):
        pooled = _cell(table, skill, "all")
        channel_rhos = [_cell(table, skill, c)["rho"] for c in ("phone", "email", "chat")]
        assert all(r > 0 for r in channel_rhos)
        assert pooled["rho"] < 0                     # pooling flips the sign
        assert pooled["within_rho"] > 0.1            # the within estimate does not
        assert pooled["simpson_flag"]
    assert table.loc[table["channel"] != "all", "simpson_flag"].isna().all()


def test_no_flag_without_paradox():
    table = skill_correlations(make_skill_frame(6000, PLANTED, seed=2))
    assert not table.loc[table["channel"] == "all", "simpson_flag"].any()


CONFOUNDED = SyntheticDesign(
    skills=(SkillSpec("personalization", 0.0, (SCALE5,)), SkillSpec("empathy", 0.3, (SCALE5,))),
    channels=("phone", "email", "chat"),
    channel_shift={"phone": (0.5, 0.5), "email": (0.0, 0.0), "chat": (-0.5, -0.5)},
    n_agents=30,
)


def test_a_confounder_that_does_not_flip_the_sign_raises_the_flag():
    """Channels differ in both CSAT and skill levels: pooled, personalization looks associated
    with CSAT (about +0.1), within channels it is not (about 0): no sign flip, still flagged."""
    table = skill_correlations(make_skill_frame(20_000, CONFOUNDED, seed=3))
    row = _cell(table, "personalization", "all")
    assert row["rho"] > 0.08 and row["q_value"] < 0.05
    assert row["within_ci_low"] < 0 < row["within_ci_high"] or abs(row["within_rho"]) < 0.03
    assert not row["within_ci_low"] <= row["rho"] <= row["within_ci_high"]
    assert row["simpson_flag"] and row["pooled_vs_within"] == "differs"
    empathy = _cell(table, "empathy", "all")  # a real association: within agrees with pooled
    assert empathy["within_ci_low"] <= empathy["within_rho"] <= empathy["within_ci_high"]
    assert empathy["within_rho"] > 0.2


def test_within_rho_ignores_level_differences_between_strata():
    frame = make_skill_frame(3000, PLANTED, seed=4)
    shifted = frame.copy()
    phone = shifted["channel"] == "phone"
    shifted.loc[phone, "csat"] = shifted.loc[phone, "csat"] + 10     # ranks within strata unchanged
    shifted.loc[phone, "strong"] = shifted.loc[phone, "strong"] - 10
    before, after = skill_correlations(frame), skill_correlations(shifted)
    assert _cell(after, "strong", "all")["within_rho"] == pytest.approx(
        _cell(before, "strong", "all")["within_rho"])
    assert _cell(after, "strong", "all")["rho"] != pytest.approx(_cell(before, "strong", "all")["rho"])


def test_within_rho_with_one_stratum_is_the_pooled_rho():
    frame = make_skill_frame(2000, PLANTED, seed=8)
    frame["channel"], frame["brand"] = "phone", "Only brand"
    row = _cell(skill_correlations(frame), "strong", "all")
    assert row["within_rho"] == pytest.approx(row["rho"], abs=1e-12)


def test_too_few_pairs_give_no_numbers_and_unstable_is_flagged():
    frame = make_skill_frame(2000, PLANTED, seed=1)
    frame.loc[frame.index[60:], "weak"] = np.nan          # ~40 surveyed pairs pooled, <30 per channel
    table = skill_correlations(frame)
    for channel in ("phone", "email"):
        row = _cell(table, "weak", channel)
        assert row["n"] < 30
        assert row[["rho", "ci_low", "ci_high", "p_value", "q_value", "within_rho", "adj_ci_low"]].isna().all()
        assert row["too_few"] and row["note"] == "too few"
    pooled = _cell(table, "weak", "all")
    assert 30 <= pooled["n"] < 250
    assert pooled["unstable"] and not pooled["too_few"] and np.isfinite(pooled["rho"])
    assert not _cell(table, "strong", "all")["unstable"]


def test_empty_frame_gives_all_too_few():
    frame = make_skill_frame(100, PLANTED).iloc[:0]
    table = skill_correlations(frame)
    assert (table["n"] == 0).all() and table["rho"].isna().all()


def test_a_skill_that_never_varies_and_a_constant_csat_are_said_in_words(recwarn):
    frame = make_skill_frame(1000, PLANTED, seed=9)
    frame["weak"] = 1.0
    table = skill_correlations(frame)
    assert (table.loc[table["skill"] == "weak", "note"] == "no variation in the skill").all()
    assert table.loc[table["skill"] == "weak", ["rho", "ci_low", "ci_high"]].isna().all().all()
    frame["csat"] = frame["csat"].where(frame["csat"].isna(), 0.75)
    constant = skill_correlations(frame)
    assert (constant.loc[constant["skill"] == "strong", "note"] == "CSAT does not vary").all()
    assert constant[["ci_low", "ci_high", "p_value"]].isna().all().all()  # no [0, 0] interval
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_negative_polarity_keeps_the_studys_sign():
    design = SyntheticDesign(skills=(
        SkillSpec("negative tone", -0.3, (YES_NO,), fail_rate=0.1, polarity="negative"),
        SkillSpec("empathy", 0.3, (SCALE5,))), n_agents=20)
    frame = make_skill_frame(3000, design, seed=4)
    assert frame["negative tone"].mean() == pytest.approx(0.1, abs=0.03)  # occurrence, not pass rate
    row = _cell(skill_correlations(frame), "negative tone", "all")
    assert row["rho"] < -0.1 and row["ci_high"] < 0 and row["polarity"] == "negative"


def test_an_interaction_graded_three_times_counts_once():
    """300 interactions each graded by three graders (grades differ a little): one row per
    interaction, n counts interactions, and the interval is as wide as for single grades."""
    from qagrader.analysis.dataset import per_interaction

    frame = make_skill_frame(300, PLANTED, seed=21)
    rng = np.random.default_rng(22)
    grades = []
    for grader in range(3):
        copy = frame.copy()
        noise = rng.random(len(copy)) < 0.1
        copy.loc[noise, "negative"] = 1 - copy.loc[noise, "negative"]  # graders disagree now and then
        grades.append(copy.assign(grader=f"g{grader}"))
    stacked = pd.concat(grades, ignore_index=True)
    stacked.attrs = frame.attrs
    naive = _cell(skill_correlations(stacked), "negative", "all")
    once = per_interaction(stacked)
    assert len(once) == 300 and (once["n_grades"] == 3).all()
    row = _cell(skill_correlations(once), "negative", "all")
    single = _cell(skill_correlations(frame), "negative", "all")
    assert naive["n"] == 3 * row["n"] and row["n"] == single["n"]
    width = lambda r: r["ci_high"] - r["ci_low"]  # noqa: E731
    assert width(row) == pytest.approx(width(single), rel=0.25)
