"""Spearman correlation of each skill with CSAT, pooled (`all`) and per channel.

Per cell (skill x channel): rho on the pairs where both the skill and CSAT are known (pairwise
deletion), n, a 95% CI by Fisher's z with SE = sqrt(1.06 / (n - 3)) (Fieller et al. 1957),
the p-value of `scipy.stats.spearmanr`, and the Benjamini-Hochberg q-value over every cell of
the table. Cells with n < 30 carry no numbers ("too few"); n < 250 is flagged unstable.

Pooled rows also carry `within_rho`, the correlation *within* channel x brand strata: in each
stratum, both variables are turned into centred percentile ranks (rank - (m+1)/2) / m, where m
is the stratum's number of pairs, and the rho is that of the pooled centred ranks
(sum a*b / sqrt(sum a^2 * sum b^2)). It is a pooled-within-stratum Spearman: differences in
level between channels or brands cannot create it, and every stratum weighs by its size.
`simpson_flag` marks pooled rows whose pooled and within signs disagree while both are at
least 0.05 in size (Simpson's paradox: the pooled number is then misleading).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._stats import RankCodes, fisher_ci, spearman_p
from .dataset import skills_of

ALL = "all"
MIN_N = 30
STABLE_N = 250
TRIVIAL_RHO = 0.05
TOO_FEW = "too few"
CORRELATION_COLUMNS: tuple[str, ...] = (
    "skill", "channel", "n", "rho", "ci_low", "ci_high", "p_value", "q_value", "unstable",
    "within_rho", "simpson_flag",
)


USUAL_CHANNELS = ("phone", "email", "chat")


def channels_of(frame: pd.DataFrame) -> list[str]:
    """Channels present: phone, email, chat first (in that order), then the others by
    frequency."""
    counts = frame["channel"].value_counts()
    return sorted(counts.index, key=lambda c: (
        USUAL_CHANNELS.index(c) if c in USUAL_CHANNELS else len(USUAL_CHANNELS), -counts[c], str(c)))


def _correlate(centred: np.ndarray, paired: np.ndarray, groups: np.ndarray,
               n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group and variable pair (x_j, y_j) of `centred` = [X; Y] (variables in rows): the
    number of pairs and sum(x*y) / sqrt(sum(x^2) * sum(y^2)); arrays of shape (groups, pairs)."""
    k = centred.shape[0] // 2
    x, y = centred[:k], centred[k:]

    def per_group(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if n_groups == 1:
            return np.einsum("ij,ij->i", a, b)[None, :]
        return np.stack([np.bincount(groups, u * v, minlength=n_groups) for u, v in zip(a, b)], axis=1)

    n = np.stack([np.bincount(groups, p, minlength=n_groups) for p in paired], axis=1).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = per_group(x, y) / np.sqrt(per_group(x, x) * per_group(y, y))
    return n, rho


def skill_correlations(
    frame: pd.DataFrame,
    skills: Sequence[str] | None = None,
    *,
    target: str = "csat",
    strata: Sequence[str] = ("channel", "brand"),
    min_n: int = MIN_N,
    stable_n: int = STABLE_N,
) -> pd.DataFrame:
    """One row per skill x channel (`all` first, then each channel present).

    Columns: `CORRELATION_COLUMNS`, then `too_few` (n < min_n) and `note`
    ("too few" / "unstable" / "").
    """
    skills = list(skills_of(frame) if skills is None else skills)
    channels = channels_of(frame)
    x = np.array([frame[s].to_numpy(dtype="float64") for s in skills]).reshape(len(skills), -1)
    y = frame[target].to_numpy(dtype="float64")
    paired = ~np.isnan(x) & ~np.isnan(y)
    values = np.vstack([np.where(paired, x, np.nan), np.where(paired, y, np.nan)])

    codes = RankCodes(values)
    one_group = np.zeros(len(frame), dtype=np.int64)
    n_all, rho_all = _correlate(codes.centred_ranks(one_group, 1), paired, one_group, 1)
    channel_codes = pd.Categorical(frame["channel"], categories=channels).codes.astype(np.int64)
    n_ch, rho_ch = _correlate(codes.centred_ranks(channel_codes, len(channels)),
                              paired, channel_codes, len(channels))
    stratum_codes = frame.groupby(list(strata), sort=False, dropna=False).ngroup().to_numpy()
    n_strata = int(stratum_codes.max()) + 1 if len(frame) else 0
    _, within = _correlate(codes.centred_ranks(stratum_codes, n_strata, percentile=True),
                           paired, one_group, 1)

    labels = [ALL, *channels]
    n = np.vstack([n_all, n_ch])                # (1 + channels) x skills
    rho = np.vstack([rho_all, rho_ch])
    table = pd.DataFrame({
        "skill": np.tile(skills, len(labels)),
        "channel": np.repeat(labels, len(skills)),
        "n": n.ravel(),
        "rho": rho.ravel(),
    })
    too_few = table["n"].to_numpy() < min_n
    table.loc[too_few, "rho"] = np.nan
    table["ci_low"], table["ci_high"] = fisher_ci(table["rho"], table["n"])
    table["p_value"] = spearman_p(table["rho"], table["n"])
    table["q_value"] = np.nan
    tested = table["p_value"].notna().to_numpy()
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(
            table.loc[tested, "p_value"].to_numpy(), method="bh")
    table["unstable"] = table["n"].to_numpy() < stable_n

    pooled = (table["channel"] == ALL).to_numpy()
    table["within_rho"] = np.nan
    table.loc[pooled, "within_rho"] = np.where(too_few[pooled], np.nan, within[0])
    disagree = (np.sign(table["rho"]) * np.sign(table["within_rho"]) < 0) & (
        table["rho"].abs() >= TRIVIAL_RHO) & (table["within_rho"].abs() >= TRIVIAL_RHO)
    table["simpson_flag"] = pd.array(np.where(pooled, disagree, False), dtype="boolean")
    table.loc[~pooled, "simpson_flag"] = pd.NA
    table["too_few"] = too_few
    table["note"] = np.where(too_few, TOO_FEW, np.where(table["unstable"], "unstable", ""))
    order = np.argsort(np.tile(np.arange(len(skills)), len(labels)), kind="stable")
    return table.iloc[order].reset_index(drop=True)
