"""Intervals that respect how the data were made: interactions of one agent are not independent.

Every estimate here (a Spearman rho, a mean, a difference of two) is computed per *output
group* (a channel, a skill level, ...), and its uncertainty comes from the delete-one-agent
jackknife (Quenouille-Tukey; for clustered data e.g. Cameron & Miller 2015, section VI.B):
drop one agent's interactions, recompute, and take the spread of the G recomputed values,

    var = (G - 1) / G * sum over agents g of (estimate without g - mean of those)^2,

with a t distribution on G - 1 degrees of freedom. The recomputations come from sufficient
statistics (per-agent counts of each distinct (stratum, skill value, CSAT value) cell, or
per-agent sums), not from re-running the analysis. When agents x cells is too large for that
(thousands of agents), the same variance comes from its linearisation, the infinitesimal
jackknife: one *influence value* per interaction (Hampel 1974), summed per agent,

    var = G / (G - 1) * sum over agents g of (sum of influence values of g)^2 / n^2,

which agrees with the jackknife to first order and costs one pass over the data.

For Spearman's rho the influence values include how each interaction moves everybody else's
rank (the rank terms in `_RankCells.correlate`): the rho is Pearson's on mid-ranks, and the
mid-ranks are estimated from the same data. With a yes/no skill and a thumbs-up/down CSAT the
rho is the phi coefficient of the 2x2 table and the same formulas hold (no normal theory).

With fewer than `MIN_CLUSTERS` agents the spread between agents cannot be estimated: the
intervals then treat interactions as independent (each one its own cluster, the linearised
form) and the tables say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._stats import benjamini_hochberg, t_ppf, t_sf

MIN_CLUSTERS = 10
"""Fewest agents for agent-clustered intervals; below it interactions count as independent."""
JACKKNIFE_SIZE = 250_000
"""Largest agents x cells for the exact jackknife; above it, its linearisation."""
CLUSTERED = "agent clusters"
INDEPENDENT = "independent (too few agents)"


@dataclass(frozen=True)
class Clusters:
    """One cluster code per row (0..count-1). Rows without an agent are clusters of their own."""

    codes: np.ndarray
    count: int

    @classmethod
    def of(cls, labels: pd.Series | np.ndarray, missing: str | None = None) -> "Clusters":
        """Clusters from agent labels; rows labelled `missing` (or NaN) are each their own."""
        values = pd.Series(np.asarray(labels, dtype=object))
        unknown = values.isna().to_numpy().copy()
        if missing is not None:
            unknown |= (values == missing).to_numpy()
        codes, uniques = pd.factorize(values.where(~unknown), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        codes[unknown] = len(uniques) + np.arange(int(unknown.sum()))
        return cls(codes, len(uniques) + int(unknown.sum()))

    @classmethod
    def independent(cls, n: int) -> "Clusters":
        return cls(np.arange(n, dtype=np.int64), n)


def value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted-value codes 0..k-1 of a float array (ties share a code) and k; NaN gets code k."""
    codes, uniques = pd.factorize(np.asarray(values, dtype="float64"), use_na_sentinel=True)
    position = np.empty(len(uniques) + 1, dtype=np.int64)
    position[np.argsort(uniques)] = np.arange(len(uniques))
    position[-1] = len(uniques)
    return position[codes], len(uniques)


Replicates = Callable[[int, np.ndarray], np.ndarray]
"""(number of clusters present, each used row's index among them) -> the estimates without each
of them, shape (present clusters, output groups)."""


@dataclass(frozen=True)
class Estimate:
    """Estimates per output group, the rows behind them, and what their spread needs."""

    value: np.ndarray       # per output group
    n: np.ndarray           # rows used per output group
    rows: np.ndarray        # indices (into the caller's arrays) of the rows used
    out: np.ndarray         # output group of each row used
    influence: np.ndarray   # per row used: its influence value on its group's estimate
    replicates: Replicates | None = None   # exact delete-one-cluster estimates, if cheap
    size: int = 0           # cells per replicate (the jackknife costs clusters x size)


# ------------------------------------------------------------------ sums over cells

def _segments(groups: np.ndarray, n_groups: int) -> Callable[[np.ndarray], np.ndarray]:
    """Sums of per-cell weights by group, for a batch of weight vectors: (batch, cells) ->
    (batch, groups)."""
    def sums(weights: np.ndarray) -> np.ndarray:
        out = np.empty((len(weights), n_groups))
        for row, values in zip(out, weights):
            row[:] = np.bincount(groups, values, minlength=n_groups)
        return out

    return sums


class _UpperTail:
    """For each cell i: the sum of a weight over the cells l of i's stratum with a larger value,
    plus half of it over the cells with the same value: sum_l w_l (1[v_l > v_i] + 1[v_l = v_i]/2)."""

    def __init__(self, strata: np.ndarray, values: np.ndarray, width: int):
        keys, self.key_of_cell = np.unique(strata * width + values, return_inverse=True)
        stratum_of_key = keys // width
        self.stratum_end = np.searchsorted(stratum_of_key, stratum_of_key, side="right")
        self.after = np.arange(1, len(keys) + 1)
        self.by_key = _segments(self.key_of_cell, len(keys))

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        table = self.by_key(weights)                                        # (batch, keys)
        from_here = np.zeros((table.shape[0], table.shape[1] + 1))
        from_here[:, :-1] = np.cumsum(table[:, ::-1], axis=1)[:, ::-1]
        above = from_here[:, self.after] - from_here[:, self.stratum_end]
        return (above + 0.5 * table)[:, self.key_of_cell]


def _inverse(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="float64")
    return np.divide(1.0, values, out=np.zeros_like(values), where=values > 0)


class _RankCells:
    """The distinct (stratum, x, y) cells of the rows used, and the rank correlation computed
    from any weights of those cells (the rows' counts, or the counts without one agent)."""

    def __init__(self, xc: np.ndarray, x_width: int, yc: np.ndarray, y_width: int,
                 strata: np.ndarray, n_strata: int, stratum_out: np.ndarray, n_out: int):
        key = (strata * x_width + xc) * y_width + yc
        n_keys = n_strata * x_width * y_width
        if n_keys <= 4 * len(key) + 4096:
            counts = np.bincount(key, minlength=n_keys)
            keys = np.flatnonzero(counts)
            self.cell = (np.cumsum(counts > 0) - 1)[key]
            self.weight = counts[keys].astype("float64")
        else:
            keys, self.cell = np.unique(key, return_inverse=True)
            self.weight = np.bincount(self.cell, minlength=len(keys)).astype("float64")
        self.stratum = keys // (x_width * y_width)
        self.out = np.asarray(stratum_out, dtype=np.int64)[self.stratum]
        self.by_stratum = _segments(self.stratum, n_strata)
        self.by_out = _segments(self.out, n_out)
        self.x_tail = _UpperTail(self.stratum, (keys // y_width) % x_width, x_width)
        self.y_tail = _UpperTail(self.stratum, keys % y_width, y_width)

    def correlate(self, weight: np.ndarray) -> np.ndarray:
        """rho per output group for each row of `weight` (batch, cells)."""
        return self._moments(weight)[0]

    def influence(self) -> tuple[np.ndarray, np.ndarray]:
        """rho per output group on the full counts and each cell's influence value."""
        weight = self.weight[None, :]
        rho, a, b, inv_m, c, vx, vy = self._moments(weight)
        ab, aa, bb = a * b, a * a, b * b
        tb, ta = self.x_tail(weight * b) * inv_m, self.y_tail(weight * a) * inv_m
        ua, ub = self.x_tail(weight * a) * inv_m, self.y_tail(weight * b) * inv_m
        cs, vxs, vys = ((self.by_stratum(weight * v) * _inverse(self.by_stratum(weight)))[:, self.stratum]
                        for v in (ab, aa, bb))
        out = self.out
        with np.errstate(invalid="ignore", divide="ignore"):
            co, vxo, vyo, ro = c[:, out], vx[:, out], vy[:, out], rho[:, out]
            # influence of C = mean(a*b), Vx = mean(a^2), Vy = mean(b^2), rank terms included
            d_c = ab - co + tb + ta - 2 * cs
            d_vx = aa - vxo + 2 * (ua - vxs)
            d_vy = bb - vyo + 2 * (ub - vys)
            value = d_c / np.sqrt(vxo * vyo) - ro / 2 * (d_vx / vxo + d_vy / vyo)
        value[~np.isfinite(ro)] = 0.0
        return rho[0], value[0]

    def _moments(self, weight: np.ndarray):
        inv_m = _inverse(self.by_stratum(weight))[:, self.stratum]
        a = 0.5 - self.x_tail(weight) * inv_m     # centred percentile mid-ranks
        b = 0.5 - self.y_tail(weight) * inv_m
        inv_n = _inverse(self.by_out(weight))
        c, vx, vy = (self.by_out(weight * v) * inv_n for v in (a * b, a * a, b * b))
        varies = (vx > 1e-15) & (vy > 1e-15)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.where(varies, c / np.sqrt(vx * vy), np.nan)
        return rho, a, b, inv_m, c, vx, vy


# ------------------------------------------------------------------ estimates

def spearman(x: np.ndarray, y: np.ndarray, *, strata: np.ndarray, n_strata: int,
             stratum_out: np.ndarray | None = None, n_out: int | None = None) -> Estimate:
    """Spearman rho of x and y on the rows where both are known, with ranks taken within
    `strata`, one estimate per output group (`stratum_out[s]` is stratum s's output group;
    default: one output group per stratum). With one stratum per output group this is the plain
    Spearman rho of each group; with several strata in one output group it is the
    pooled-within-stratum rho: centred percentile ranks (rank - (m+1)/2) / m within each
    stratum of m rows, then sum(a*b) / sqrt(sum a^2 * sum b^2).

    Output groups where x or y does not vary get rho NaN (and no warning)."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    rows = np.flatnonzero(~np.isnan(x) & ~np.isnan(y))
    xc, x_width = value_codes(x[rows])
    yc, y_width = value_codes(y[rows])
    if stratum_out is None:
        stratum_out, n_out = np.arange(n_strata), n_strata
    return spearman_codes(xc, x_width + 1, yc, y_width + 1, rows, np.asarray(strata)[rows],
                          n_strata, np.asarray(stratum_out), int(n_out))


def spearman_codes(xc: np.ndarray, x_width: int, yc: np.ndarray, y_width: int, rows: np.ndarray,
                   strata: np.ndarray, n_strata: int, stratum_out: np.ndarray,
                   n_out: int) -> Estimate:
    """`spearman` of the rows `rows` (both values known), given the sorted-value codes of x and
    y on those rows (< x_width, < y_width) and the rows' strata.

    Everything is computed once per distinct (stratum, x, y) cell, weighted by its count: skill
    and CSAT values take few distinct values, so there are far fewer cells than rows."""
    rows = np.asarray(rows)
    cells = _RankCells(xc, x_width, yc, y_width, np.asarray(strata, dtype=np.int64), n_strata,
                       stratum_out, n_out)
    rho, influence = cells.influence()

    def replicates(count: int, cluster: np.ndarray) -> np.ndarray:
        n_cells = len(cells.weight)
        per_cluster = np.bincount(cluster * n_cells + cells.cell, minlength=count * n_cells)
        return cells.correlate(cells.weight[None, :] - per_cluster.reshape(count, n_cells))

    n = np.bincount(cells.out, cells.weight, minlength=n_out).astype(np.int64)
    return Estimate(rho, n, rows, cells.out[cells.cell], influence[cells.cell], replicates,
                    len(cells.weight))


@dataclass(frozen=True)
class ClusterSums:
    """What the spread of estimates per output group needs, per cluster present: the sum of the
    rows' influence values, whether the cluster has rows in the group, and the estimates without
    the cluster (when known); per group: the sum of squared influence values and the rows."""

    value: np.ndarray          # (groups,)
    n: np.ndarray              # (groups,) rows
    influence: np.ndarray      # (clusters, groups)
    member: np.ndarray         # (clusters, groups) bool
    squares: np.ndarray        # (groups,)
    replicates: np.ndarray | None = None   # (clusters, groups); the estimate itself where not a member


def cluster_sums(estimate: Estimate, clusters: Clusters, n_out: int,
                 membership: tuple[np.ndarray, np.ndarray] | None = None) -> ClusterSums:
    """The `ClusterSums` of `estimate` (exact delete-one-cluster replicates when agents x cells
    is at most `JACKKNIFE_SIZE`). `membership` = `present(clusters, estimate.rows)`, when several
    estimates share their rows."""
    rows, out, influence = estimate.rows, estimate.out, estimate.influence
    present_codes, cluster = membership or present(clusters, rows)
    count = len(present_codes)
    key = cluster * n_out + out
    size = count * n_out
    sums = np.bincount(key, influence, minlength=size).reshape(count, n_out)
    member = np.bincount(key, minlength=size).reshape(count, n_out) > 0
    squares = np.bincount(out, influence**2, minlength=n_out)
    replicates = None
    if estimate.replicates is not None and count * max(estimate.size, 1) <= JACKKNIFE_SIZE:
        replicates = np.where(member, estimate.replicates(count, cluster), estimate.value[None, :])
    return ClusterSums(estimate.value, estimate.n.astype("float64"), sums, member, squares, replicates)


def present(clusters: Clusters, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The clusters present among `rows` (sorted codes) and each row's index among them."""
    return _present(clusters.codes[rows], clusters.count)


def mean_sums(y: np.ndarray, groups: np.ndarray, n_groups: int, clusters: Clusters,
              combine: Sequence[Sequence[int]] = ()) -> ClusterSums:
    """The mean of y per group (rows with y known and a group >= 0) as `ClusterSums`, from
    per-cluster sums only (one pass over the rows). `combine` adds groups made of several
    groups (e.g. "all channels" from each channel's rows), after the `n_groups` ones."""
    y = np.asarray(y, dtype="float64")
    rows = ~np.isnan(y) & (np.asarray(groups) >= 0)
    present, cluster = _present(clusters.codes[rows], clusters.count)
    values, group = y[rows], np.asarray(groups)[rows].astype(np.int64)
    key = cluster * n_groups + group
    size = len(present) * n_groups
    counts = np.bincount(key, minlength=size).reshape(len(present), n_groups).astype("float64")
    totals = np.bincount(key, values, minlength=size).reshape(len(present), n_groups)
    squares = np.bincount(group, values**2, minlength=n_groups)
    if combine:
        counts = np.column_stack([counts] + [counts[:, list(c)].sum(axis=1) for c in combine])
        totals = np.column_stack([totals] + [totals[:, list(c)].sum(axis=1) for c in combine])
        squares = np.r_[squares, [squares[list(c)].sum() for c in combine]]
    n, total = counts.sum(axis=0), totals.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        replicates = (total - totals) / (n - counts)
        influence = totals - mean * counts          # sum over the cluster of (y - mean)
        centred = squares - total**2 / n            # sum over the group of (y - mean)^2
    member = counts > 0
    replicates = np.where(member, replicates, mean[None, :])
    return ClusterSums(mean, n, np.nan_to_num(influence), member, np.nan_to_num(centred), replicates)


def contrast(sums: ClusterSums, pairs: Sequence[tuple[int, int]]) -> ClusterSums:
    """Differences estimate[a] - estimate[b] for each pair (a, b) of groups, as `ClusterSums`
    whose groups are the pairs."""
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    n = sums.n[a] + sums.n[b]
    with np.errstate(invalid="ignore", divide="ignore"):  # each side's influence scaled to the pair's n
        scale_a = np.where(sums.n[a] > 0, n / sums.n[a], 0.0)
        scale_b = np.where(sums.n[b] > 0, n / sums.n[b], 0.0)
    replicates = None
    if sums.replicates is not None:
        replicates = sums.replicates[:, a] - sums.replicates[:, b]
    return ClusterSums(
        sums.value[a] - sums.value[b], n, scale_a * sums.influence[:, a] - scale_b * sums.influence[:, b],
        sums.member[:, a] | sums.member[:, b], scale_a**2 * sums.squares[a] + scale_b**2 * sums.squares[b],
        replicates)


# ------------------------------------------------------------------ spread and intervals

@dataclass(frozen=True)
class Spread:
    """Standard errors per output group and the t degrees of freedom behind them."""

    se: np.ndarray
    df: np.ndarray
    n_clusters: np.ndarray   # agents with at least one row in the group
    clustered: np.ndarray    # bool: agent clusters used (else independent rows)

    @property
    def method(self) -> np.ndarray:
        return np.where(self.clustered, CLUSTERED, INDEPENDENT)


def spread(estimate: Estimate, clusters: Clusters, n_out: int,
           min_clusters: int = MIN_CLUSTERS) -> Spread:
    """Standard errors of `estimate` by the delete-one-agent jackknife (exact when agents x
    cells <= `JACKKNIFE_SIZE`, else linearised; see the module docstring), with independent
    rows where an output group has fewer than `min_clusters` agents."""
    return spread_of(cluster_sums(estimate, clusters, n_out), min_clusters)


def spread_of(sums: ClusterSums, min_clusters: int = MIN_CLUSTERS) -> Spread:
    """`spread` from `ClusterSums`: the exact jackknife where every member cluster's replicate
    is defined, else its linearisation; independent rows with too few clusters."""
    n = sums.n
    g = sums.member.sum(axis=0).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (sums.influence**2).sum(axis=0) / n**2 * g / (g - 1)
        if sums.replicates is not None:
            replicate = np.where(sums.member, sums.replicates, np.nan)
            counted = np.isfinite(replicate).sum(axis=0)
            centre = np.nansum(replicate, axis=0) / counted
            jackknife = (g - 1) / g * np.nansum((replicate - centre) ** 2, axis=0)
            var = np.where(counted == g, jackknife, var)
        rows_var = sums.squares / n**2 * n / (n - 1)
    clustered = g >= min_clusters
    var = np.where(clustered, var, rows_var)
    df = np.where(clustered, g, n) - 1.0
    return Spread(np.sqrt(var), df, g.astype(np.int64), clustered)


def _present(codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes, sorted, and each row's index among them (`np.unique` with
    `return_inverse`, in linear time when the codes are dense)."""
    if count <= 4 * len(codes) + 4096:
        seen = np.bincount(codes, minlength=count) > 0
        return np.flatnonzero(seen), (np.cumsum(seen) - 1)[codes]
    return np.unique(codes, return_inverse=True)


def t_quantile(level: float | np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile for a confidence `level` (NaN where df < 1)."""
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.where(df >= 1, t_ppf(0.5 + np.asarray(level) / 2, np.maximum(df, 1)), np.nan)


def correlation_interval(rho: np.ndarray, se: np.ndarray, df: np.ndarray,
                         level: float | np.ndarray = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a correlation on Fisher's z scale: tanh(atanh(rho) +- t * se / (1 - rho^2))."""
    rho = np.clip(np.asarray(rho, dtype="float64"), -0.999999, 0.999999)
    with np.errstate(invalid="ignore", divide="ignore"):
        z, se_z = np.arctanh(rho), np.asarray(se) / (1 - rho**2)
        half = t_quantile(level, df) * se_z
    return np.tanh(z - half), np.tanh(z + half)


def correlation_p(rho: np.ndarray, se: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of rho = 0 from the same z-scale statistic as `correlation_interval`,
    so that the 1 - alpha interval excludes 0 exactly when p < alpha."""
    rho = np.clip(np.asarray(rho, dtype="float64"), -0.999999, 0.999999)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.arctanh(rho) * (1 - rho**2) / np.asarray(se)
    return _two_sided(t, df)


def difference_interval(diff: np.ndarray, se: np.ndarray, df: np.ndarray,
                        level: float | np.ndarray = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """diff +- t * se."""
    half = t_quantile(level, df) * np.asarray(se)
    return np.asarray(diff) - half, np.asarray(diff) + half


def difference_p(diff: np.ndarray, se: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of diff = 0 by t = diff / se."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.asarray(diff) / np.asarray(se)
    return _two_sided(t, df)


def _two_sided(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        p = 2 * t_sf(np.abs(t), np.maximum(df, 1))
    return np.where((df >= 1) & np.isfinite(t), p, np.nan)


def fcr_level(q_values: np.ndarray, alpha: float = 0.05) -> float:
    """Confidence level of Benjamini-Yekutieli (2005) false-coverage-rate intervals for a family
    tested with Benjamini-Hochberg: 1 - R * alpha / m, R = number of discoveries (q < alpha),
    m = number tested (with R = 0: 1 - alpha / m). Built from the same statistic as the p-values,
    such an interval excludes 0 exactly when q < alpha."""
    q = np.asarray(q_values, dtype="float64")
    tested = int(np.isfinite(q).sum())
    if tested == 0:
        return 1 - alpha
    found = int((q < alpha).sum())
    return 1 - max(found, 1) * alpha / tested


Interval = Callable[..., tuple[np.ndarray, np.ndarray]]


def family_columns(value: np.ndarray, se: np.ndarray, df: np.ndarray, interval: Interval,
                   p_value: Callable[..., np.ndarray], alpha: float = 0.05) -> dict[str, np.ndarray]:
    """The inference columns of one family of tests (one table): 95% interval, p,
    Benjamini-Hochberg q over the tested cells, and the Benjamini-Yekutieli intervals at the
    family's level (`fcr_level`), which exclude 0 exactly when q < alpha."""
    ci_low, ci_high = interval(value, se, df)
    p = p_value(value, se, df)
    q = np.full(len(p), np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = benjamini_hochberg(p[tested])
    level = fcr_level(q, alpha)
    adj_low, adj_high = interval(value, se, df, level)
    return {"ci_low": ci_low, "ci_high": ci_high, "p_value": p, "q_value": q, "adj_ci_low": adj_low,
            "adj_ci_high": adj_high, "adj_level": np.where(tested, level, np.nan)}
