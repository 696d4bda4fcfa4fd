"""Key drivers: how much of CSAT's variance the skills explain together, and each one's share.

The share is the LMG / Shapley value of R^2 (Lindeman, Merenda & Gold 1980): a skill's gain in
R^2 when added to a linear regression, averaged over every order of adding the skills. It comes
from the Pearson correlation matrix of the complete rows (CSAT and every included skill known),
and the shares add up exactly to the model's R^2. The R^2 of all 2^k subsets comes predictor by
predictor, each subset from the one without its largest member by a sweep (`subset_r2`). Above `MAX_LMG_SKILLS`
skills Johnson's (2000) relative weights are used instead; they also sum to R^2 and are close
to LMG in practice. `method` names the one used.

These are shares of an *association*: which skills go with CSAT, not what drives it.

Uncertainty: the delete-a-group jackknife over agents (their interactions go together; Kott
2001): the agents are dealt into at most `JACKKNIFE_GROUPS` groups, each group is left out in
turn, and the spread of the shares recomputed without it gives their standard error, from
per-group sums of the complete rows (a replicate costs a subtraction, not a pass over the
data, and 2^k regressions: a bootstrap's hundreds of replicates took a second per analysis of
11 skills). With fewer than 10 agents the groups are random groups of interactions instead.
`share_ci_low`/`share_ci_high` and `r2_ci_low`/`r2_ci_high` are 95% intervals, estimate +- t
(groups - 1 degrees of freedom) x SE; `replicates` says how many groups. The dealing uses a
fixed seed, so the same data give the same intervals.

A skill is included when it is graded on at least half of the surveyed interactions, so that a
skill used by one scorecard only does not empty the complete rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from math import factorial

import numpy as np
import pandas as pd


from ._stats import t_ppf
from .clustered import MIN_CLUSTERS
from .correlation import ALL, MIN_N, agent_clusters, channels_of
from .dataset import polarity_of, skills_of

MAX_LMG_SKILLS = 15
MIN_COVERAGE = 0.5
JACKKNIFE_GROUPS = 30
"""Most groups of agents left out in turn (each costs 2^k regressions)."""
SUBSET_BUDGET = 150_000
"""Replicates x 2^k subsets computed at once (bounded memory; 4 replicates at 15 skills stay in the CPU cache)."""
SEED = 20_250_101
LMG, RELATIVE_WEIGHTS = "LMG (Shapley)", "relative weights (Johnson)"
TOO_FEW_ROWS = "too few complete rows"
DRIVER_COLUMNS: tuple[str, ...] = ("skill", "channel", "share", "share_of_r2", "r2", "n", "method")
EXTRA_COLUMNS: tuple[str, ...] = (
    "share_ci_low", "share_ci_high", "r2_ci_low", "r2_ci_high", "replicates", "n_agents",
    "interval", "polarity",
)


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every subset of predictors, indexed by bit mask (bit j = predictor j)."""
    k = len(rxy)
    full = np.empty((1, k + 1, k + 1))
    full[0, :k, :k], full[0, :k, k], full[0, k, :k], full[0, k, k] = rxx, rxy, rxy, 1.0
    return subset_r2_batch(full)[0]


def subset_r2_batch(corr: np.ndarray) -> np.ndarray:
    """R^2 of every subset of the k predictors for a batch of correlation matrices (B, k+1,
    k+1), target last: (B, 2^k) by bit mask. Predictor by predictor (the sweep operator): the
    subsets whose largest member is m are those without m (masks below 2^m) with m added, so
    each keeps the residual covariances, given its members, of the predictors still to come and
    the target; adding m sweeps them on m (M - M[:, m] M[m, :] / M[m, m]), and R^2 is 1 minus the
    target's residual variance. Where M[m, m] <= 1e-12, m is collinear with the subset: it adds
    nothing and the subset with m keeps the residuals of the subset without it (the
    pseudo-inverse). About (k - m)^2 numbers per subset instead of a |S| x |S| inverse."""
    batch, p, _ = corr.shape
    k = p - 1
    r2 = np.zeros((batch, 2**k))
    residual = np.ascontiguousarray(corr, dtype="float64")[None]    # (subsets, B, q, q), q = k - m + 1
    for m in range(k):
        count, q = len(residual), p - m
        pivot = residual[:, :, 0, 0]
        collinear = ~(pivot > 1e-12)
        column = residual[:, :, 1:, 0]
        scaled = column * np.where(collinear, 0.0, 1.0 / np.where(collinear, 1.0, pivot))[..., None]
        rest = residual[:, :, 1:, 1:]
        grown = np.empty((2 * count, batch, q - 1, q - 1))
        grown[:count] = rest                                          # the subsets without m
        swept = grown[count:]                                         # ... and with m
        np.multiply(scaled[..., :, None], column[..., None, :], out=swept)
        np.subtract(rest, swept, out=swept)
        r2[:, 2**m:2**(m + 1)] = (1.0 - swept[:, :, -1, -1]).T
        residual = grown
    return r2


@lru_cache(maxsize=32)
def _shapley_matrix(k: int) -> np.ndarray:
    """(2^k, k): the LMG shares are R^2 by mask times it. Share j = sum over the subsets S
    without j of w(|S|) (R^2(S + j) - R^2(S)), w(s) = s! (k - s - 1)! / k!: the mask S + j
    weighs w(|S + j| - 1), the mask S weighs -w(|S|)."""
    masks = np.arange(2**k)
    sizes = np.zeros(2**k, dtype=np.int64)
    for j in range(k):
        sizes += masks >> j & 1
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)] + [0.0])
    has = (masks[:, None] >> np.arange(k)) & 1 == 1
    return np.where(has, weight[np.maximum(sizes - 1, 0)][:, None], -weight[sizes][:, None])


def lmg_batch(corr: np.ndarray) -> np.ndarray:
    """LMG shares (B, k) for a batch of correlation matrices (target last)."""
    k = corr.shape[1] - 1
    return subset_r2_batch(corr) @ _shapley_matrix(k)


def lmg_shares(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Shapley / LMG share of R^2 of each predictor, from the predictors' correlation matrix
    `rxx` and their correlations with the target `rxy`. The shares sum to the full R^2."""
    k = len(rxy)
    full = np.empty((1, k + 1, k + 1))
    full[0, :k, :k], full[0, :k, k], full[0, k, :k], full[0, k, k] = rxx, rxy, rxy, 1.0
    return lmg_batch(full)[0]


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: regress the target on the orthogonal counterparts
    Z = X Rxx^(-1/2) and apportion each Z's R^2 back to the skills by their squared loadings."""
    return relative_weights_batch(np.asarray(rxx, float)[None], np.asarray(rxy, float)[None])[0]


def relative_weights_batch(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """`relative_weights` for a batch (B, k, k), (B, k)."""
    values, vectors = np.linalg.eigh(rxx)
    loadings = vectors @ (np.sqrt(np.clip(values, 0, None))[..., None] * np.swapaxes(vectors, -1, -2))
    beta = np.einsum("bij,bj->bi", np.linalg.pinv(loadings), rxy)
    return np.einsum("bij,bj->bi", loadings**2, beta**2)


def _r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of the full model for a batch (pseudo-inverse: collinear skills add nothing)."""
    return np.einsum("bi,bi->b", rxy, np.einsum("bij,bj->bi", np.linalg.pinv(rxx), rxy))


def _correlations(n: np.ndarray, sums: np.ndarray, products: np.ndarray) -> np.ndarray:
    """Correlation matrices from (batches of) row counts, column sums and cross products."""
    mean = sums / n[:, None]
    cov = products / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 1e-300, None))
    return cov / sd[:, :, None] / sd[:, None, :]


def _fit(corr: np.ndarray, max_lmg: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Shares (B, k), R^2 (B,) and method for a batch of correlation matrices."""
    k = corr.shape[1] - 1
    rxx, rxy = corr[:, :k, :k], corr[:, :k, k]
    if k <= max_lmg:
        shares = lmg_batch(corr)
        return shares, shares.sum(axis=1), LMG
    return relative_weights_batch(rxx, rxy), _r2(rxx, rxy), RELATIVE_WEIGHTS


def _drivers_for(values: np.ndarray, skills: list[str], min_n: int, max_lmg: int, clusters: np.ndarray) -> dict:
    """Shares, R^2, intervals, rows, method for one group of surveyed rows: `values` holds the
    skills' columns, then the target's (float, NaN = not graded)."""
    graded = ~np.isnan(values[:, :-1])
    coverage = graded.mean(axis=0) if len(values) else np.zeros(len(skills))
    chosen = [j for j in range(len(skills)) if coverage[j] >= MIN_COVERAGE]
    used = [skills[j] for j in chosen]
    data = values[:, [*chosen, len(skills)]]
    complete = graded[:, chosen].all(axis=1)
    data, groups = data[complete], clusters[complete]
    varies = data.std(axis=0) > 0 if len(data) else np.zeros(len(used) + 1, dtype=bool)
    used = [s for s, v in zip(used, varies) if v]
    if len(data) < max(min_n, len(used) + 2) or not used or not varies[-1]:
        return {"shares": {}, "n": len(data), "method": TOO_FEW_ROWS}
    data = data[:, np.flatnonzero(varies)]
    corr = np.corrcoef(data, rowvar=False)[None]
    shares, r2, method = _fit(corr, max_lmg)
    point = np.append(shares[0], r2[0])
    low, high, replicates, n_agents, clustered = _jackknife(data, groups, len(used), max_lmg, point)
    return {"shares": dict(zip(used, shares[0])), "r2": float(r2[0]), "n": len(data),
            "method": method, "low": dict(zip(used, low[:-1])), "high": dict(zip(used, high[:-1])),
            "r2_low": low[-1], "r2_high": high[-1], "replicates": replicates,
            "n_agents": n_agents, "clustered": clustered}


def _jackknife(data: np.ndarray, groups: np.ndarray, k: int, max_lmg: int, point: np.ndarray):
    """Delete-a-group jackknife intervals of the shares and R^2 around `point` (the shares and
    R^2 of all of `data`, fitted already; see the module docstring): (low, high, number of
    groups, agents, clustered)."""
    present, cluster = np.unique(groups, return_inverse=True)
    n_agents = len(present)
    clustered = n_agents >= MIN_CLUSTERS
    rng = np.random.default_rng(SEED)
    if clustered:  # deal the agents into groups
        count = min(JACKKNIFE_GROUPS, n_agents)
        group = (rng.permutation(n_agents) % count)[cluster]
    else:  # independent rows: random groups of rows are independent too
        count = min(JACKKNIFE_GROUPS, len(data))
        group = rng.permutation(len(data)) % count
    p = data.shape[1]
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=count)
    pieces = np.split(data[order], np.cumsum(sizes)[:-1])
    sums = np.array([piece.sum(axis=0) for piece in pieces])
    products = np.array([piece.T @ piece for piece in pieces])
    n = sizes.sum() - sizes.astype("float64")
    corr = _correlations(n, sums.sum(axis=0) - sums, products.sum(axis=0) - products)
    usable = np.isfinite(corr).all(axis=(1, 2)) & (n > p + 1)
    corr = corr[usable]
    chunk = max(1, SUBSET_BUDGET // max(2**k if k <= max_lmg else k**3, 1))
    values = np.vstack([np.column_stack(_fit(corr[start:start + chunk], max_lmg)[:2])
                        for start in range(0, len(corr), chunk)]) if len(corr) else np.full((0, k + 1), np.nan)
    g = len(values)
    if g < 2:
        return np.full(k + 1, np.nan), np.full(k + 1, np.nan), g, n_agents, clustered
    se = np.sqrt((g - 1) / g * ((values - values.mean(axis=0)) ** 2).sum(axis=0))
    half = t_ppf(0.975, g - 1) * se
    return point - half, point + half, g, n_agents, clustered


def key_drivers(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                target: str = "csat", min_n: int = MIN_N,
                max_lmg: int = MAX_LMG_SKILLS) -> pd.DataFrame:
    """Share of R^2 per skill, pooled (`all`) and per channel: columns `DRIVER_COLUMNS`, then
    `EXTRA_COLUMNS`. `share_of_r2` is share / R^2; excluded skills have empty shares."""
    skills = list(skills_of(frame) if skills is None else skills)
    polarity = polarity_of(frame)
    surveyed = frame[target].notna().to_numpy()
    values = frame[[*skills, target]].to_numpy(dtype="float64")[surveyed]  # target last
    clusters = agent_clusters(frame).codes[surveyed]
    channel = frame["channel"].to_numpy()[surveyed]
    parts = []
    for label in [ALL, *channels_of(frame)]:
        mine = slice(None) if label == ALL else channel == label
        found = _drivers_for(values[mine], skills, min_n, max_lmg, clusters[mine])
        shares = found["shares"]
        r2 = found.get("r2", np.nan)
        share = np.array([shares.get(s, np.nan) for s in skills])
        parts.append(pd.DataFrame({
            "skill": skills, "channel": label, "share": share,
            "share_of_r2": share / r2 if r2 > 0 else np.nan, "r2": r2, "n": found["n"],
            "method": found["method"],
            "share_ci_low": [found.get("low", {}).get(s, np.nan) for s in skills],
            "share_ci_high": [found.get("high", {}).get(s, np.nan) for s in skills],
            "r2_ci_low": found.get("r2_low", np.nan), "r2_ci_high": found.get("r2_high", np.nan),
            "replicates": found.get("replicates", 0), "n_agents": found.get("n_agents", 0),
            "interval": "" if not shares else "agent clusters" if found["clustered"]
            else "independent (too few agents)",
            "polarity": [polarity.get(s, "positive") for s in skills],
        }))
    if not parts:
        return pd.DataFrame(columns=[*DRIVER_COLUMNS, *EXTRA_COLUMNS])
    return pd.concat(parts, ignore_index=True)[[*DRIVER_COLUMNS, *EXTRA_COLUMNS]]
