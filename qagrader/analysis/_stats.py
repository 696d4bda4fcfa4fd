"""Small vectorised statistics shared by the analysis modules (each tested against scipy).

They exist because the analysis computes thousands of cells at once (every agent x skill);
calling a scipy function per cell would take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def group_ranks(values: np.ndarray, groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks (1-based, ties averaged, as `scipy.stats.rankdata`) of each column of
    `values` within each group, ignoring NaN; also the number of non-NaN values of the row's
    group. Both are NaN / 0 where `values` is NaN.

    Skill and CSAT columns hold few distinct values, so the ranks come from counts per
    (group, value) — linear time — instead of sorting; columns with many distinct values fall
    back to pandas' grouped rank.
    """
    values = np.asarray(values, dtype="float64")
    n_rows, n_cols = values.shape
    ranks = np.full(values.shape, np.nan)
    sizes = np.zeros(values.shape)
    for j in range(n_cols):
        codes, uniques = pd.factorize(values[:, j], use_na_sentinel=True)
        valid = codes >= 0
        n_unique = len(uniques)
        if n_unique == 0:
            continue
        if n_unique * n_groups > 4 * n_rows + 1024:
            column = pd.Series(values[:, j])
            ranks[:, j] = column.groupby(groups).rank(method="average").to_numpy()
            sizes[:, j] = column.groupby(groups).transform("count").to_numpy()
            continue
        position = np.empty(n_unique, dtype=np.int64)
        position[np.argsort(uniques)] = np.arange(n_unique)
        key = groups[valid] * n_unique + position[codes[valid]]
        counts = np.bincount(key, minlength=n_groups * n_unique).reshape(n_groups, n_unique)
        average = np.cumsum(counts, axis=1) - (counts - 1) / 2.0
        ranks[valid, j] = average.ravel()[key]
        sizes[valid, j] = counts.sum(axis=1)[groups[valid]]
    return ranks, sizes


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
    return 2 * stats.t.sf(np.abs(t), dof)


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
        half = stats.t.ppf(0.975, n - 1) * np.asarray(sd) / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return np.asarray(mean) - half, np.asarray(mean) + half
