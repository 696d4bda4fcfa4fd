"""Key drivers: how much of CSAT's variance the skills explain together, and each one's share.

The share is the LMG / Shapley value of R^2 (Lindeman, Merenda & Gold 1980): a skill's gain in
R^2 when added to a regression, averaged over every order of adding the skills. It comes from
the Pearson correlation matrix of the complete rows (CSAT and every included skill known), and
the shares add up exactly to the model's R^2. Above `MAX_LMG_SKILLS` skills (2^k subsets get
slow) Johnson's (2000) relative weights are used instead; they also sum to R^2 and are
close to LMG in practice.

A skill is included when it is graded on at least half of the surveyed evaluations, so that a
skill used by one scorecard only does not empty the complete rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import numpy as np
import pandas as pd

from .correlation import ALL, MIN_N, channels_of
from .dataset import skills_of

MAX_LMG_SKILLS = 15
MIN_COVERAGE = 0.5
DRIVER_COLUMNS: tuple[str, ...] = ("skill", "channel", "share", "share_of_r2", "r2", "n", "method")


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every subset of predictors, indexed by bit mask (bit j = predictor j)."""
    k = len(rxy)
    r2 = np.zeros(2**k)
    for mask in range(1, 2**k):
        idx = [j for j in range(k) if mask >> j & 1]
        r = rxy[idx]
        try:
            r2[mask] = r @ np.linalg.solve(rxx[np.ix_(idx, idx)], r)
        except np.linalg.LinAlgError:  # collinear skills
            r2[mask] = r @ np.linalg.pinv(rxx[np.ix_(idx, idx)]) @ r
    return r2


def lmg_shares(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Shapley / LMG share of R^2 of each predictor, from the predictors' correlation matrix
    `rxx` and their correlations with the target `rxy`. The shares sum to the full R^2."""
    k = len(rxy)
    r2 = subset_r2(np.asarray(rxx, float), np.asarray(rxy, float))
    masks = np.arange(2**k)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])
    shares = np.empty(k)
    for j in range(k):
        without = masks[(masks >> j & 1) == 0]
        shares[j] = np.sum(weight[sizes[without]] * (r2[without | 1 << j] - r2[without]))
    return shares


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: regress the target on the orthogonal counterparts
    Z = X Rxx^(-1/2) and apportion each Z's R^2 back to the skills by their squared loadings."""
    values, vectors = np.linalg.eigh(np.asarray(rxx, float))
    loadings = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    beta = np.linalg.lstsq(loadings, np.asarray(rxy, float), rcond=None)[0]
    return (loadings**2) @ (beta**2)


def _drivers_for(frame: pd.DataFrame, skills: list[str], target: str, min_n: int,
                 max_lmg: int) -> tuple[dict[str, float], float, int, str]:
    """Shares by skill, R^2, number of complete rows and method for one group of rows."""
    surveyed = frame[frame[target].notna()]
    coverage = surveyed[skills].notna().mean()
    used = [s for s in skills if len(surveyed) and coverage[s] >= MIN_COVERAGE]
    data = surveyed[used + [target]].dropna().to_numpy(dtype="float64")
    varies = data.std(axis=0) > 0 if len(data) else np.zeros(len(used) + 1, dtype=bool)
    used = [s for s, v in zip(used, varies) if v]
    if len(data) < max(min_n, len(used) + 2) or not used or not varies[-1]:
        return {}, np.nan, len(data), "too few complete rows"
    corr = np.corrcoef(data[:, np.flatnonzero(varies)], rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    if len(used) <= max_lmg:
        shares, method = lmg_shares(rxx, rxy), "LMG (Shapley)"
    else:
        shares, method = relative_weights(rxx, rxy), "relative weights (Johnson)"
    r2 = float(rxy @ np.linalg.pinv(rxx) @ rxy)
    return dict(zip(used, shares)), r2, len(data), method


def key_drivers(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                target: str = "csat", min_n: int = MIN_N,
                max_lmg: int = MAX_LMG_SKILLS) -> pd.DataFrame:
    """Share of R^2 per skill, pooled (`all`) and per channel: columns `DRIVER_COLUMNS`.
    `share_of_r2` is share / R^2; excluded skills have empty shares."""
    skills = list(skills_of(frame) if skills is None else skills)
    surveyed = frame.loc[frame[target].notna(), ["channel", target, *skills]]
    parts = []
    for label in [ALL, *channels_of(frame)]:
        subset = surveyed if label == ALL else surveyed[surveyed["channel"] == label]
        shares, r2, n, method = _drivers_for(subset, skills, target, min_n, max_lmg)
        share = np.array([shares.get(s, np.nan) for s in skills])
        parts.append(pd.DataFrame({
            "skill": skills, "channel": label, "share": share,
            "share_of_r2": share / r2 if r2 > 0 else np.nan, "r2": r2, "n": n, "method": method,
        }))
    return pd.concat(parts, ignore_index=True)[list(DRIVER_COLUMNS)]
