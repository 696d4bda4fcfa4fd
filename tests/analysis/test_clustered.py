"""Agent-clustered intervals against outside truths: brute-force jackknives with scipy, Welch's
interval, scipy's bootstrap, and coverage of simulations with a known answer.

The coverage tests use fixed seeds and 1,000 replications: the binomial standard error of a
95% coverage is then 0.007, so a method whose true coverage is 0.95 lands in [0.93, 0.97] with
room to spare (and a method that under-covers by 5 points cannot).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

import qagrader.analysis.clustered as clustered
from qagrader.analysis.clustered import (Clusters, cluster_sums, contrast, correlation_interval,
                                         correlation_p, difference_interval, fcr_level, mean_sums,
                                         spearman, spread, spread_of)

REPLICATIONS = 1000


def _agents_data(rng, agents: int, per_agent: int, *, agent_sd: float = 0.7, rho: float = 0.35,
                 binary: bool = False):
    """A skill and a 1-5 CSAT (or yes/no and thumbs up/down) whose agents shift both."""
    n = agents * per_agent
    agent = np.repeat(np.arange(agents), per_agent)
    u, v = rng.normal(size=agents)[agent], rng.normal(size=agents)[agent]
    z = rng.normal(size=n)
    x = rho * z + np.sqrt(1 - rho**2) * rng.normal(size=n) + agent_sd * u
    y = z + agent_sd * (0.6 * u + 0.8 * v)
    if binary:
        return (x > np.quantile(x, 0.1)).astype(float), (y > np.quantile(y, 0.2)).astype(float), agent
    return np.round(np.clip(x * 1.2 + 2, 0, 4)), np.digitize(y, [-1.2, -0.5, 0.2, 0.9]).astype(float), agent


def _truth(**design) -> float:
    """The population rho: Spearman on two million interactions from 200,000 agents."""
    x, y, _ = _agents_data(np.random.default_rng(123), 200_000, 10, **design)
    return stats.spearmanr(x, y).statistic


def _pooled(x, y):
    return spearman(x, y, strata=np.zeros(len(x), dtype=np.int64), n_strata=1)


def test_rho_is_scipys_spearman_pooled_per_group_and_within_strata():
    rng = np.random.default_rng(0)
    x, y, agent = _agents_data(rng, 30, 40)
    x[::13] = np.nan
    group = rng.integers(0, 3, len(x))
    ok = ~np.isnan(x)
    assert _pooled(x, y).value[0] == pytest.approx(stats.spearmanr(x[ok], y[ok]).statistic, abs=1e-12)
    per_group = spearman(x, y, strata=group, n_strata=3)
    for g in range(3):
        mine = ok & (group == g)
        assert per_group.value[g] == pytest.approx(stats.spearmanr(x[mine], y[mine]).statistic, abs=1e-12)
        assert per_group.n[g] == mine.sum()
    one_stratum = spearman(x, y, strata=np.zeros(len(x), dtype=np.int64), n_strata=1,
                           stratum_out=np.zeros(1, dtype=np.int64), n_out=1)
    assert one_stratum.value[0] == pytest.approx(_pooled(x, y).value[0])


def _brute_jackknife(estimate, agent: np.ndarray) -> np.ndarray:
    agents = np.unique(agent)
    replicates = np.array([estimate(agent != a) for a in agents])
    g = len(agents)
    return np.sqrt((g - 1) / g * ((replicates - replicates.mean(axis=0)) ** 2).sum(axis=0))


def test_jackknife_equals_deleting_each_agent_and_recomputing_with_scipy():
    x, y, agent = _agents_data(np.random.default_rng(1), 25, 60)
    group = np.random.default_rng(2).integers(0, 2, len(x))
    se = spread(spearman(x, y, strata=group, n_strata=2), Clusters.of(agent), 2).se
    expected = _brute_jackknife(lambda keep: [stats.spearmanr(x[keep & (group == g)], y[keep & (group == g)]).statistic
                                              for g in range(2)], agent)
    np.testing.assert_allclose(se, expected, rtol=1e-9)


def test_the_linearised_jackknife_agrees_with_the_exact_one_with_many_agents(monkeypatch):
    x, y, agent = _agents_data(np.random.default_rng(3), 120, 30)
    exact = spread(_pooled(x, y), Clusters.of(agent), 1).se[0]
    monkeypatch.setattr(clustered, "JACKKNIFE_SIZE", 0)
    linear = spread(_pooled(x, y), Clusters.of(agent), 1).se[0]
    brute = _brute_jackknife(lambda keep: stats.spearmanr(x[keep], y[keep]).statistic, agent)
    assert exact == pytest.approx(brute, rel=1e-9)
    assert linear == pytest.approx(brute, rel=0.05)


def test_independent_interactions_match_scipys_bootstrap():
    rng = np.random.default_rng(4)
    x, y, _ = _agents_data(rng, 800, 1, agent_sd=0.0)
    se = spread(_pooled(x, y), Clusters.independent(len(x)), 1).se[0]
    boot = stats.bootstrap((x, y), lambda a, b: stats.spearmanr(a, b).statistic, paired=True,
                           vectorized=False, n_resamples=1500, random_state=5).standard_error
    assert se == pytest.approx(boot, rel=0.1)


def test_mean_differences_equal_welch_with_independent_interactions_and_brute_force_with_agents():
    rng = np.random.default_rng(6)
    y = rng.normal(size=400) + np.r_[np.zeros(150), np.ones(250) * 0.3]
    side = np.r_[np.zeros(150, dtype=np.int64), np.ones(250, dtype=np.int64)]
    independent = Clusters.independent(len(y))
    difference = contrast(mean_sums(y, side, 2, independent), [(1, 0)])
    found = spread_of(difference)
    welch = stats.ttest_ind(y[side == 1], y[side == 0], equal_var=False)
    assert difference.value[0] == pytest.approx(y[side == 1].mean() - y[side == 0].mean())
    # each interaction its own cluster: the jackknife of a mean difference is Welch's SE up to
    # the factor n / (n - 1) per group, and t has n - 1 df instead of Welch's
    assert found.se[0] == pytest.approx(difference.value[0] / welch.statistic, rel=5e-3)
    ci = welch.confidence_interval(0.95)
    low, high = difference_interval(difference.value, found.se, found.df)
    assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), rel=5e-3)
    agent = rng.integers(0, 15, len(y))
    clustered_se = spread_of(contrast(mean_sums(y, side, 2, Clusters.of(agent)), [(1, 0)])).se[0]
    brute = _brute_jackknife(lambda keep: y[keep & (side == 1)].mean() - y[keep & (side == 0)].mean(), agent)
    assert clustered_se == pytest.approx(brute, rel=1e-9)


def test_a_difference_of_rhos_is_the_jackknife_of_the_difference():
    x, y, agent = _agents_data(np.random.default_rng(8), 20, 60)
    channel = np.random.default_rng(9).integers(0, 2, len(x))
    found = spread_of(contrast(cluster_sums(spearman(x, y, strata=channel, n_strata=2), Clusters.of(agent), 2),
                               [(0, 1)]))
    brute = _brute_jackknife(lambda keep: stats.spearmanr(x[keep & (channel == 0)], y[keep & (channel == 0)]).statistic
                             - stats.spearmanr(x[keep & (channel == 1)], y[keep & (channel == 1)]).statistic, agent)
    assert found.se[0] == pytest.approx(brute, rel=1e-9)


def test_means_combined_over_groups_equal_the_means_of_the_union():
    rng = np.random.default_rng(10)
    y, group, agent = rng.normal(size=500), rng.integers(0, 3, 500), rng.integers(0, 12, 500)
    sums = mean_sums(y, group, 3, Clusters.of(agent), combine=[[0, 2]])
    union = (group == 0) | (group == 2)
    assert sums.value[3] == pytest.approx(y[union].mean()) and sums.n[3] == union.sum()
    brute = _brute_jackknife(lambda keep: y[keep & union].mean(), agent)
    assert spread_of(sums).se[3] == pytest.approx(brute, rel=1e-9)


def test_too_few_agents_fall_back_to_independent_interactions():
    x, y, agent = _agents_data(np.random.default_rng(7), 6, 100)
    found = spread(_pooled(x, y), Clusters.of(agent), 1)
    assert not found.clustered[0] and found.df[0] == len(x) - 1
    assert found.method[0] == clustered.INDEPENDENT
    independent = spread(_pooled(x, y), Clusters.independent(len(x)), 1)  # delete-one-row jackknife
    assert found.se[0] == pytest.approx(independent.se[0], rel=0.02)


def _coverage(truth: float, draw, replications: int = REPLICATIONS) -> tuple[float, float]:
    """Share of replications whose 95% interval holds `truth`: ours, and Fisher's z with
    SE sqrt(1.06 / (n - 3)) (the interval this replaced)."""
    rng = np.random.default_rng(2024)
    ours = fisher = 0
    for _ in range(replications):
        x, y, agent = draw(rng)
        estimate = _pooled(x, y)
        found = spread(estimate, Clusters.of(agent), 1)
        low, high = correlation_interval(estimate.value, found.se, found.df)
        ours += low[0] <= truth <= high[0]
        half = stats.norm.ppf(0.975) * np.sqrt(1.06 / (len(x) - 3))
        z = np.arctanh(estimate.value[0])
        fisher += np.tanh(z - half) <= truth <= np.tanh(z + half)
    return ours / replications, fisher / replications


def test_coverage_with_planted_agent_effects():
    truth = _truth()
    ours, fisher = _coverage(truth, lambda rng: _agents_data(rng, 24, 100))
    assert 0.93 <= ours <= 0.97, ours
    assert fisher < 0.8, fisher  # ignoring the agents: far too narrow


def test_coverage_with_a_yes_no_skill_and_thumbs_up_down_csat():
    design = {"binary": True, "rho": 0.5, "agent_sd": 0.4}
    truth = _truth(**design)
    ours, fisher = _coverage(truth, lambda rng: _agents_data(rng, 40, 15, **design))
    assert 0.93 <= ours <= 0.97, ours
    assert fisher < 0.92, fisher


def test_coverage_of_a_channel_difference_with_agents_in_both_channels():
    """phone rho 0.45 vs email 0.15, agents working both channels."""
    def draw(rng, agents: int = 30, per_agent: int = 80):
        n = agents * per_agent
        agent = np.repeat(np.arange(agents), per_agent)
        channel = rng.integers(0, 2, n)
        u = rng.normal(size=agents)[agent]
        z = rng.normal(size=n) + 0.5 * u
        rho = np.where(channel == 0, 0.45, 0.15)
        x = rho * z + np.sqrt(1 - rho**2) * rng.normal(size=n) + 0.5 * u
        return np.round(np.clip(x + 2, 0, 4)), np.digitize(z, [-1.2, -0.5, 0.2, 0.9]).astype(float), channel, agent

    x, y, channel, _ = draw(np.random.default_rng(99), 50_000, 40)
    truth = (stats.spearmanr(x[channel == 0], y[channel == 0]).statistic
             - stats.spearmanr(x[channel == 1], y[channel == 1]).statistic)
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(REPLICATIONS):
        x, y, channel, agent = draw(rng)
        difference = contrast(cluster_sums(spearman(x, y, strata=channel, n_strata=2), Clusters.of(agent), 2),
                              [(0, 1)])
        found = spread_of(difference)
        low, high = difference_interval(difference.value, found.se, found.df)
        hits += low[0] <= truth <= high[0]
    assert 0.93 <= hits / REPLICATIONS <= 0.97, hits / REPLICATIONS


def test_fcr_intervals_exclude_zero_exactly_when_bh_rejects():
    rng = np.random.default_rng(12)
    rho = rng.uniform(-0.3, 0.3, 60)
    se = rng.uniform(0.03, 0.2, 60)
    df = np.full(60, 40.0)
    p = correlation_p(rho, se, df)
    q = stats.false_discovery_control(p, method="bh")
    low, high = correlation_interval(rho, se, df, fcr_level(q))
    assert 0 < (q < 0.05).sum() < 60
    np.testing.assert_array_equal((low > 0) | (high < 0), q < 0.05)
    plain_low, plain_high = correlation_interval(rho, se, df)
    np.testing.assert_array_equal((plain_low > 0) | (plain_high < 0), p < 0.05)


def test_constant_values_give_no_rho_and_no_warning(recwarn):
    y = np.r_[np.ones(50), np.zeros(50)]
    estimate = _pooled(np.ones(100), y)
    found = spread(estimate, Clusters.of(np.arange(100) % 20), 1)
    assert np.isnan(estimate.value[0]) and np.isnan(correlation_interval(estimate.value, found.se, found.df)[0][0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_t_and_normal_from_scipy_special_equal_scipy_stats():
    """The analysis takes t and normal quantiles from scipy.special (scipy.stats is slow to
    import); they must be the very numbers scipy.stats gives."""
    from scipy import stats

    from qagrader.analysis._stats import Z95, t_ppf, t_sf

    rng = np.random.default_rng(4)
    df = np.concatenate([[1, 2, 3, 9, 29, 250, 1e6], rng.uniform(1, 500, 50)])
    q = rng.uniform(0.5, 0.9999, len(df))
    t = rng.normal(0, 4, len(df))
    np.testing.assert_allclose(t_ppf(q, df), stats.t.ppf(q, df), rtol=1e-12)
    np.testing.assert_allclose(t_sf(t, df), stats.t.sf(t, df), rtol=1e-12, atol=1e-300)
    assert Z95 == pytest.approx(stats.norm.ppf(0.975), rel=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_welch_interval_equals_scipy(seed):
    """QA-score comparisons take Welch's interval from `_stats` (no scipy.stats import)."""
    from scipy import stats

    from qagrader.analysis._stats import welch_interval

    rng = np.random.default_rng(seed)
    a = rng.normal(80, rng.uniform(1, 20), rng.integers(2, 60))
    b = rng.normal(75, rng.uniform(1, 20), rng.integers(2, 60))
    if seed == 0:
        b = np.full(5, 70.0)  # one side without variation
    with warnings.catch_warnings():  # scipy warns about the side without variation
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    np.testing.assert_allclose(welch_interval(a, b), (expected.low, expected.high), rtol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_benjamini_hochberg_equals_scipy(seed):
    from scipy import stats

    from qagrader.analysis._stats import benjamini_hochberg

    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 60))
    p = np.concatenate([rng.uniform(0, 1, m) ** 3, rng.choice([0.0, 0.01, 0.5, 1.0], size=m // 3)])  # ties
    rng.shuffle(p)
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"),
                               rtol=1e-14, atol=0)
    assert benjamini_hochberg(np.array([])).size == 0
