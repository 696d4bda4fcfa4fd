"""Spearman correlation of each skill with CSAT, pooled (`all`) and per channel.

Per cell (skill x channel), on the interactions where both the skill and CSAT are known
(pairwise deletion): the exact Spearman rho, n (interactions), and a 95% CI and p-value that
account for interactions of one agent going together (delete-one-agent jackknife on Fisher's
z scale, t with agents - 1 degrees of freedom; see `clustered`). With fewer than 10 agents in
a cell the interval treats interactions as independent and `interval` says so. q-values are
Benjamini-Hochberg over every tested cell of the table; `adj_ci_low`/`adj_ci_high` are the
Benjamini-Yekutieli false-coverage-rate intervals of the same family (level in `adj_level`),
which exclude 0 exactly when q < 0.05: the charts draw those, so whiskers and colours agree.
Cells with n < 30 carry no numbers ("too few"); n < 250 is flagged unstable.

Pooled rows also carry `within_rho`, the correlation *within* channel x brand strata (centred
percentile ranks within each stratum, pooled; differences in level between channels or
brands cannot create it), with its own interval. `simpson_flag` marks pooled rows where the
two disagree beyond noise: the within interval excludes the pooled rho, or the signs differ
with both at least 0.05 in size; `pooled_vs_within` says which ("opposite signs" or
"differs").

A skill that names a behaviour to avoid (polarity "negative") is analysed as the behaviour's
occurrence (see `dataset.polarity_of`): its rho is negative when avoiding it goes with higher
CSAT, as in the study.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .clustered import (
    Clusters,
    Estimate,
    Spread,
    cluster_sums,
    correlation_interval,
    correlation_p,
    family_columns,
    present,
    spearman_codes,
    spread_of,
    value_codes,
)
from .dataset import NO_AGENT, polarity_of, skills_of

ALL = "all"
MIN_N = 30
STABLE_N = 250
TRIVIAL_RHO = 0.05
ALPHA = 0.05
TOO_FEW = "too few"
NO_VARIATION = "no variation in the skill"
CONSTANT_CSAT = "CSAT does not vary"
OPPOSITE = "opposite signs"
DIFFERS = "differs"
CORRELATION_COLUMNS: tuple[str, ...] = (
    "skill", "channel", "n", "rho", "ci_low", "ci_high", "p_value", "q_value", "unstable",
    "within_rho", "simpson_flag",
)
EXTRA_COLUMNS: tuple[str, ...] = (
    "too_few", "note", "within_ci_low", "within_ci_high", "pooled_vs_within", "adj_ci_low",
    "adj_ci_high", "adj_level", "n_agents", "interval", "polarity",
)

USUAL_CHANNELS = ("phone", "email", "chat")


def channels_of(frame: pd.DataFrame) -> list[str]:
    """Channels present: phone, email, chat first (in that order), then the others by
    frequency."""
    counts = frame["channel"].value_counts()
    return sorted(counts.index, key=lambda c: (
        USUAL_CHANNELS.index(c) if c in USUAL_CHANNELS else len(USUAL_CHANNELS), -counts[c], str(c)))


def agent_clusters(frame: pd.DataFrame) -> Clusters:
    """Agents as clusters; interactions without an agent are each their own."""
    return Clusters.of(frame["agent"], missing=NO_AGENT)


@dataclass(frozen=True)
class Association:
    """One skill's rho with the target: pooled, per channel and within channel x brand."""

    pooled: Estimate
    pooled_spread: Spread
    channel: Estimate
    channel_spread: Spread
    within: Estimate
    within_spread: Spread
    degenerate: tuple[str, ...]   # pooled then per channel: why rho is undefined, or ""


@dataclass(frozen=True)
class Associations:
    """Every skill's `Association` over one frame, and what they were computed on."""

    skills: tuple[str, ...]
    channels: tuple[str, ...]
    by_skill: dict[str, Association]
    clusters: Clusters
    polarity: dict[str, str]


def _values_only(estimate: Estimate) -> Estimate:
    """`estimate` without its per-row arrays (once its spread is known): 8 skills x 3 estimates
    of a million rows would otherwise hold about 600 MB."""
    none = np.empty(0, dtype=np.int64)
    return replace(estimate, rows=none, out=none, influence=np.empty(0), replicates=None)


def associations(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                 target: str = "csat", strata: Sequence[str] = ("channel", "brand")) -> Associations:
    """Spearman rho of each skill with `target` pooled, per channel and within `strata`, with
    agent-clustered spreads (see the module docstring)."""
    skills = list(skills_of(frame) if skills is None else skills)
    channels = channels_of(frame)
    n_channels = len(channels)
    clusters = agent_clusters(frame)
    y = frame[target].to_numpy(dtype="float64")
    y_codes, y_width = value_codes(y)
    channel_codes = pd.Categorical(frame["channel"], categories=channels).codes.astype(np.int64)
    stratum_codes = frame.groupby(["channel", *[s for s in strata if s != "channel"]], sort=False,
                                  dropna=False).ngroup().to_numpy(dtype=np.int64)
    stratum_channel = np.zeros(int(stratum_codes.max()) + 1 if len(frame) else 1, dtype=np.int64)
    stratum_channel[stratum_codes] = channel_codes  # strata lie inside channels
    zeros = np.zeros(len(frame), dtype=np.int64)
    by_skill = {}
    for skill in skills:
        x = frame[skill].to_numpy(dtype="float64")
        x_codes, x_width = value_codes(x)
        rows = np.flatnonzero(~np.isnan(x) & ~np.isnan(y))
        xc, yc = x_codes[rows], y_codes[rows]

        def estimate(groups: np.ndarray, n_groups: int, group_out: np.ndarray, n_out: int) -> Estimate:
            return spearman_codes(xc, x_width + 1, yc, y_width + 1, rows, groups[rows], n_groups,
                                  group_out, n_out)

        pooled = estimate(zeros, 1, np.zeros(1, dtype=np.int64), 1)
        channel = estimate(channel_codes, max(n_channels, 1), np.arange(max(n_channels, 1)),
                           max(n_channels, 1))
        within = estimate(stratum_codes, len(stratum_channel), np.zeros(len(stratum_channel), dtype=np.int64), 1)
        groups = np.r_[0, np.arange(n_channels)] if n_channels else np.zeros(1, dtype=np.int64)
        values = np.r_[pooled.value, channel.value[:n_channels]]
        degenerate = tuple(
            "" if np.isfinite(v) or (i and not (channel_codes[rows] == g).any()) or not len(rows)
            else _why_undefined(x[rows] if i == 0 else x[rows][channel_codes[rows] == g])
            for i, (g, v) in enumerate(zip(groups, values)))
        members = present(clusters, rows)  # the same rows for the three estimates

        def spread(estimate: Estimate, n_out: int) -> Spread:
            return spread_of(cluster_sums(estimate, clusters, n_out, members))

        by_skill[skill] = Association(  # per-row parts kept only where channel differences need them
            _values_only(pooled), spread(pooled, 1), channel, spread(channel, max(n_channels, 1)),
            _values_only(within), spread(within, 1), degenerate)
    polarity = polarity_of(frame)
    return Associations(tuple(skills), tuple(channels), by_skill, clusters,
                        {s: polarity.get(s, "positive") for s in skills})


def skill_correlations(
    frame: pd.DataFrame,
    skills: Sequence[str] | None = None,
    *,
    target: str = "csat",
    strata: Sequence[str] = ("channel", "brand"),
    min_n: int = MIN_N,
    stable_n: int = STABLE_N,
) -> pd.DataFrame:
    """One row per skill x channel (`all` first, then each channel present): the columns
    `CORRELATION_COLUMNS`, then `EXTRA_COLUMNS`."""
    return correlation_table(associations(frame, skills, target=target, strata=strata),
                             min_n=min_n, stable_n=stable_n)


def _why_undefined(skill_values: np.ndarray) -> str:
    """Why a rho with pairs is undefined: the skill, or else CSAT, takes one value only."""
    return NO_VARIATION if np.nanmin(skill_values) == np.nanmax(skill_values) else CONSTANT_CSAT


def correlation_table(found: Associations, *, min_n: int = MIN_N,
                      stable_n: int = STABLE_N) -> pd.DataFrame:
    """The correlation table of `associations` (see `skill_correlations`)."""
    labels = [ALL, *found.channels]
    rows = []
    for skill in found.skills:
        a = found.by_skill[skill]
        parts = [(ALL, a.pooled, a.pooled_spread, 0)]
        parts += [(c, a.channel, a.channel_spread, i) for i, c in enumerate(found.channels)]
        for label, est, spr, i in parts:
            rows.append({
                "skill": skill, "channel": label, "n": int(est.n[i]) if len(est.n) > i else 0,
                "rho": est.value[i] if len(est.value) > i else np.nan,
                "se": spr.se[i] if len(spr.se) > i else np.nan,
                "df": spr.df[i] if len(spr.df) > i else np.nan,
                "n_agents": int(spr.n_clusters[i]) if len(spr.n_clusters) > i else 0,
                "clustered": bool(spr.clustered[i]) if len(spr.clustered) > i else False,
                "within_rho": a.within.value[0] if label == ALL else np.nan,
                "within_se": a.within_spread.se[0] if label == ALL else np.nan,
                "within_df": a.within_spread.df[0] if label == ALL else np.nan,
                "degenerate": a.degenerate[0 if label == ALL else i + 1],
            })
    table = pd.DataFrame(rows, columns=[
        "skill", "channel", "n", "rho", "se", "df", "n_agents", "clustered", "within_rho",
        "within_se", "within_df", "degenerate"])
    table["n"] = table["n"].astype("int64")
    too_few = table["n"].to_numpy() < min_n
    table.loc[too_few, ["rho", "se", "within_rho", "within_se"]] = np.nan
    rho, se, df = (table[c].to_numpy(dtype="float64") for c in ("rho", "se", "df"))
    for column, values in family_columns(rho, se, df, correlation_interval, correlation_p, ALPHA).items():
        table[column] = values
    table["unstable"] = table["n"].to_numpy() < stable_n

    pooled = (table["channel"] == ALL).to_numpy()
    within = table["within_rho"].to_numpy(dtype="float64")
    table["within_ci_low"], table["within_ci_high"] = correlation_interval(
        within, table["within_se"].to_numpy(dtype="float64"), table["within_df"].to_numpy(dtype="float64"))
    table["pooled_vs_within"] = pooled_vs_within(
        rho, within, table["within_ci_low"].to_numpy(), table["within_ci_high"].to_numpy())
    table["simpson_flag"] = pd.array(table["pooled_vs_within"] != "", dtype="boolean")
    table.loc[~pooled, "simpson_flag"] = pd.NA
    table["too_few"] = too_few
    table["note"] = np.where(too_few, TOO_FEW, np.where(
        table["degenerate"] != "", table["degenerate"], np.where(table["unstable"], "unstable", "")))
    table["interval"] = np.where(table["n_agents"] == 0, "", np.where(
        table["clustered"], "agent clusters", "independent (too few agents)"))
    table["polarity"] = table["skill"].map(found.polarity).fillna("positive")
    return table[[*CORRELATION_COLUMNS, *EXTRA_COLUMNS]].reset_index(drop=True)


def pooled_vs_within(rho: np.ndarray, within: np.ndarray, within_low: np.ndarray,
                     within_high: np.ndarray) -> np.ndarray:
    """"opposite signs" where the pooled and within rho have opposite signs beyond noise (both
    at least 0.05 in size, or the within interval excluding the pooled rho), "differs" where
    the within interval excludes the pooled rho with the same sign, else ""."""
    with np.errstate(invalid="ignore"):
        outside = (rho < within_low) | (rho > within_high)
        opposite = np.sign(rho) * np.sign(within) < 0
        big = (np.abs(rho) >= TRIVIAL_RHO) & (np.abs(within) >= TRIVIAL_RHO)
    return np.where(opposite & (big | outside), OPPOSITE, np.where(outside, DIFFERS, ""))
