"""Small vectorised statistics shared by the analysis modules (each tested against scipy).

They exist because the analysis computes thousands of cells at once (every agent x skill);
calling a scipy function per cell would take seconds. The t and normal distributions come from
`scipy.special` (the functions `scipy.stats.t` and `scipy.stats.norm` call): importing
`scipy.stats` takes about 0.4 s, a fifth of the whole `qagrader analyze` budget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special


def t_ppf(q: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Quantile of Student's t (`scipy.stats.t.ppf(q, df)`)."""
    return special.stdtrit(df, q)


def t_sf(t: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Upper tail of Student's t (`scipy.stats.t.sf(t, df)`)."""
    return special.stdtr(df, -np.asarray(t, dtype="float64"))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q), as
    `scipy.stats.false_discovery_control(p, method="bh")`: p * m / rank, made monotone from the
    largest p down, capped at 1."""
    p = np.asarray(p, dtype="float64")
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = q
    return out


Z95 = float(special.ndtri(0.975))


class RankCodes:
    """Each variable's values as sorted-value codes, computed once and reused for several
    groupings by `centred_ranks`. One variable per row of `variables`; NaN is missing.

    Skill and CSAT values take few distinct values, so ranks come from counts per
    (group, value) — linear time — instead of sorting.
    """

    def __init__(self, variables: np.ndarray):
        self.codes: list[np.ndarray] = []
        self.n_values: list[int] = []
        for row in np.asarray(variables, dtype="float64"):
            codes, uniques = pd.factorize(row, use_na_sentinel=True)
            position = np.empty(len(uniques) + 1, dtype=np.int64)
            position[np.argsort(uniques)] = np.arange(len(uniques))
            position[-1] = len(uniques)  # missing (code -1) gets an extra last slot
            self.codes.append(position[codes])
            self.n_values.append(len(uniques))

    def centred_ranks(self, groups: np.ndarray, n_groups: int, *, centre: bool = True,
                      percentile: bool = False) -> np.ndarray:
        """Average ranks (1-based, ties averaged, as `scipy.stats.rankdata`) of each variable
        within each group of observations. With `centre`, minus the group's mean rank (m+1)/2
        (m = the group's number of values) and 0 where missing; with `percentile` also divided
        by m. Without `centre`, plain ranks with NaN where missing."""
        out = np.empty((len(self.codes), len(groups)))
        for j, (codes, n_values) in enumerate(zip(self.codes, self.n_values)):
            width = n_values + 1
            if n_groups * width > 4 * len(groups) + 4096:  # many distinct values: sort instead
                out[j] = self._sorted_ranks(codes, n_values, groups, centre, percentile)
                continue
            key = groups * width + codes
            counts = np.bincount(key, minlength=n_groups * width).reshape(n_groups, width)
            counts[:, -1] = 0
            table = np.cumsum(counts, axis=1) - (counts - 1) / 2.0
            if centre:
                size = counts.sum(axis=1, keepdims=True).astype("float64")
                table -= (size + 1) / 2
                if percentile:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        table /= size
                table[:, -1] = 0.0
            else:
                table[:, -1] = np.nan
            out[j] = table.ravel()[key]
        return out

    @staticmethod
    def _sorted_ranks(codes: np.ndarray, n_values: int, groups: np.ndarray, centre: bool,
                      percentile: bool) -> np.ndarray:
        keyed = pd.Series(np.where(codes < n_values, codes, np.nan)).groupby(groups)
        ranks = keyed.rank(method="average").to_numpy()
        if not centre:
            return ranks
        size = keyed.transform("count").to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            centred = ranks - (size + 1) / 2
            if percentile:
                centred /= size
        return np.nan_to_num(centred, nan=0.0)


def group_ranks(variables: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Average ranks of each variable (row) within each group of observations; NaN stays NaN."""
    return RankCodes(variables).centred_ranks(groups, n_groups, centre=False)


def fisher_ci(rho: np.ndarray, n: np.ndarray, se_factor: float = 1.06) -> tuple[np.ndarray, np.ndarray]:
    """95% CI for a Spearman rho by Fisher's z with SE = sqrt(1.06 / (n - 3))
    (Fieller, Hartley & Pearson 1957: the 1/sqrt(n-3) of Pearson is too narrow for Spearman)."""
    rho = np.asarray(rho, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
        half = Z95 * np.sqrt(se_factor / (n - 3))
    return np.tanh(z - half), np.tanh(z + half)


def spearman_p(rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a Spearman rho by the t approximation (what `scipy.stats.spearmanr`
    reports)."""
    rho = np.asarray(rho, dtype="float64")
    dof = np.asarray(n, dtype="float64") - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = rho * np.sqrt((dof / ((rho + 1.0) * (1.0 - rho))).clip(0))
    return 2 * t_sf(np.abs(t), dof)


def wilson_ci(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval for k successes out of n (equals
    `scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`); NaN where n == 0."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + Z95**2 / n
        centre = (p + Z95**2 / (2 * n)) / denom
        half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def mean_ci(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Student-t interval for a mean from its sample SD (ddof=1) and n; NaN where n < 2."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t_ppf(0.975, n - 1) * np.asarray(sd) / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return np.asarray(mean) - half, np.asarray(mean) + half


def newcombe_difference(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float, float]:
    """p1 - p2 (p = k / n) and its 95% interval by Newcombe's hybrid score method (method 10 of
    Newcombe 1998, no continuity correction): d - sqrt((p1 - l1)^2 + (u2 - p2)^2) to
    d + sqrt((u1 - p1)^2 + (p2 - l2)^2), with (l, u) the Wilson intervals of each proportion.
    NaN when either n is 0."""
    if not (n1 > 0 and n2 > 0):
        return np.nan, np.nan, np.nan
    low, high = wilson_ci(np.array([k1, k2]), np.array([n1, n2]))
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    return d, d - float(np.hypot(p1 - low[0], high[1] - p2)), d + float(np.hypot(high[0] - p1, p2 - low[1]))


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Interval of mean(a) - mean(b) by Welch's t (unequal variances, Welch-Satterthwaite df):
    `scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(level)`. Needs at least 2
    values on each side and some variation."""
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(t_ppf(0.5 + level / 2, df)) * float(np.sqrt(va + vb))
    d = float(a.mean() - b.mean())
    return d - half, d + half
