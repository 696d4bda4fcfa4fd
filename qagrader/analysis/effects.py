"""What meeting a skill goes with, per interaction: CSAT with and without it, for every skill.

A rarely failed skill (wrong name, 2% failures) has a small correlation but can cost a lot per
interaction; these tables show that cost with its uncertainty, for every skill and channel.

"With" means the skill's reported value is above the middle of its range (more than half its
points): for an ordinary skill, *met* (yes/no: Yes; a 1-5 scale: 4 or 5; two graders split
half-half: not met); for a behaviour to avoid (polarity "negative", reported as occurrence),
*happened*. So a difference `with - without` has the sign of the skill's correlation.

`effects_table` gives per skill x channel:
- the failure rate (not met, or the behaviour happened) with a 95% Wilson interval;
- mean CSAT (0..1) with and without, the difference with a 95% CI and p-value from the
  delete-one-agent jackknife (see `clustered`; independent interactions with fewer than 10
  agents), and the same difference in points of the survey's own scale (`csat_diff_points`,
  when the selection uses one scale);
- the satisfied rate with and without and its difference, with the same kind of interval.

`dose_response` gives, for every skill with more than two levels, mean CSAT (with CI, in 0..1
and survey points) at each score level: the skill's value rounded to the nearest quarter
(0, 0.25, 0.5, 0.75, 1: on a 1-5 scale, the five answers).

Differences are left empty when either group has fewer than 30 surveyed interactions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._stats import wilson_ci
from .clustered import contrast, difference_interval, difference_p, mean_sums, spread_of
from .correlation import ALL, MIN_N, TOO_FEW, agent_clusters, channels_of
from .dataset import NEGATIVE, csat_points, polarity_of, skills_of

MET, HAPPENED = "met vs not met", "happened vs did not"
CONSTANT_CSAT = "CSAT does not vary"
ONE_SIDED = "never on one side"
SCALE_MIN = {"1-5": 1.0, "1-10": 1.0, "0-10": 0.0, "0-100": 0.0, "binary": 0.0}
EFFECT_COLUMNS: tuple[str, ...] = (
    "skill", "channel", "compares", "n", "n_with", "n_without", "failure_rate",
    "failure_ci_low", "failure_ci_high", "n_surveyed_with", "n_surveyed_without", "csat_with",
    "csat_without", "csat_diff", "csat_diff_ci_low", "csat_diff_ci_high", "csat_diff_p",
    "csat_scale", "csat_diff_points", "csat_diff_points_ci_low", "csat_diff_points_ci_high",
    "satisfied_with", "satisfied_without", "satisfied_diff", "satisfied_diff_ci_low",
    "satisfied_diff_ci_high", "n_agents", "interval", "polarity", "note",
)
DOSE_COLUMNS: tuple[str, ...] = (
    "skill", "channel", "level", "n", "n_surveyed", "csat_mean", "ci_low", "ci_high",
    "csat_scale", "csat_points", "points_ci_low", "points_ci_high", "satisfied_rate",
    "n_agents", "interval", "polarity", "note",
)


def _groups(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Channel labels (`all` first) and each row's channel index (1.. for channels)."""
    channels = channels_of(frame)
    codes = pd.Categorical(frame["channel"], categories=channels).codes.astype(np.int64) + 1
    return [ALL, *channels], codes


def effects_table(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                  min_n: int = MIN_N) -> pd.DataFrame:
    """One row per skill x channel (`all` first): the columns of `EFFECT_COLUMNS`.
    Differences are with minus without (see the module docstring)."""
    skills = list(skills_of(frame) if skills is None else skills)
    polarity = polarity_of(frame)
    labels, channel = _groups(frame)
    n_labels = len(labels)
    clusters = agent_clusters(frame)
    csat = frame["csat"].to_numpy(dtype="float64")
    satisfied = frame["satisfied"].to_numpy(dtype="float64")
    width, scale = csat_points(frame)
    n_channels = n_labels - 1
    # groups: 2 * channel + side (side 1 = with); "all" = every channel's group of that side
    combine = [[2 * c for c in range(n_channels)], [2 * c + 1 for c in range(n_channels)]]
    pairs = [(2 * n_channels + 1, 2 * n_channels)] + [(2 * c + 1, 2 * c) for c in range(n_channels)]
    parts = []
    for skill in skills:
        value = frame[skill].to_numpy(dtype="float64")
        graded = ~np.isnan(value)
        group = np.where(graded, 2 * (channel - 1) + (value > 0.5), -1)
        counts = np.bincount(group[graded], minlength=2 * n_channels).reshape(n_channels, 2)
        counts = np.vstack([counts.sum(axis=0), counts])  # all, then each channel
        n_with, n_without = counts[:, 1], counts[:, 0]
        csat_means = mean_sums(csat, group, 2 * n_channels, clusters, combine)
        csat_diff = contrast(csat_means, pairs)
        csat_spread = spread_of(csat_diff)
        sat_means = mean_sums(satisfied, group, 2 * n_channels, clusters, combine)
        sat_diff = contrast(sat_means, pairs)
        sat_spread = spread_of(sat_diff)
        order = [2 * n_channels, 2 * n_channels + 1] + list(range(2 * n_channels))  # all first
        surveyed = csat_means.n[order].reshape(n_labels, 2)
        mean_with, mean_without = csat_means.value[order][1::2], csat_means.value[order][0::2]
        sat_with, sat_without = sat_means.value[order][1::2], sat_means.value[order][0::2]
        csat_varies = _varies(csat, group, n_channels)
        fails = n_without if polarity.get(skill) != NEGATIVE else n_with
        parts.append(pd.DataFrame({
            "skill": skill, "channel": labels,
            "compares": HAPPENED if polarity.get(skill) == NEGATIVE else MET,
            "n": n_with + n_without, "n_with": n_with, "n_without": n_without, "n_fail": fails,
            "n_surveyed_with": surveyed[:, 1].astype(np.int64), "n_surveyed_without": surveyed[:, 0].astype(np.int64),
            "csat_with": mean_with, "csat_without": mean_without,
            "csat_diff": csat_diff.value, "se": csat_spread.se, "df": csat_spread.df,
            "satisfied_with": sat_with, "satisfied_without": sat_without,
            "satisfied_diff": sat_diff.value, "sat_se": sat_spread.se, "sat_df": sat_spread.df,
            "n_agents": csat_spread.n_clusters, "clustered": csat_spread.clustered,
            "csat_varies": csat_varies,
        }))
    if not parts:
        return pd.DataFrame(columns=list(EFFECT_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["failure_rate"] = table["n_fail"] / table["n"]
    table["failure_ci_low"], table["failure_ci_high"] = wilson_ci(table["n_fail"], table["n"])
    diff, se, df = (table[c].to_numpy(dtype="float64") for c in ("csat_diff", "se", "df"))
    table["csat_diff_ci_low"], table["csat_diff_ci_high"] = difference_interval(diff, se, df)
    table["csat_diff_p"] = difference_p(diff, se, df)
    table["satisfied_diff_ci_low"], table["satisfied_diff_ci_high"] = difference_interval(
        table["satisfied_diff"].to_numpy(dtype="float64"), table["sat_se"].to_numpy(dtype="float64"),
        table["sat_df"].to_numpy(dtype="float64"))
    enough = (np.minimum(table["n_surveyed_with"], table["n_surveyed_without"]) >= min_n).to_numpy()
    varies = table["csat_varies"].to_numpy(dtype=bool)
    hidden = ["csat_diff", "csat_diff_ci_low", "csat_diff_ci_high", "csat_diff_p",
              "satisfied_diff", "satisfied_diff_ci_low", "satisfied_diff_ci_high"]
    table.loc[~(enough & varies), hidden] = np.nan
    one_sided = (np.minimum(table["n_with"], table["n_without"]) == 0).to_numpy()
    table["note"] = np.where(one_sided, ONE_SIDED, np.where(~enough, TOO_FEW, np.where(
        ~varies, CONSTANT_CSAT, "")))
    table["csat_scale"] = scale
    for column in ("csat_diff", "csat_diff_ci_low", "csat_diff_ci_high"):
        table[column.replace("csat_diff", "csat_diff_points")] = table[column] * width
    table["interval"] = np.where(table["clustered"], "agent clusters", "independent (too few agents)")
    table["polarity"] = table["skill"].map(polarity).fillna("positive")
    return table[list(EFFECT_COLUMNS)]


def _varies(values: np.ndarray, group: np.ndarray, n_channels: int) -> np.ndarray:
    """Whether the known values differ among the rows of each label (all, then each channel;
    groups are 2 * channel + side)."""
    known = (group >= 0) & ~np.isnan(values)
    channel, y = group[known] // 2, values[known]
    n = np.bincount(channel, minlength=n_channels).astype("float64")
    first, second = np.bincount(channel, y, minlength=n_channels), np.bincount(channel, y * y, minlength=n_channels)
    n, first, second = np.r_[n.sum(), n], np.r_[first.sum(), first], np.r_[second.sum(), second]
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = second / n - (first / n) ** 2
    return np.nan_to_num(variance) > 1e-12


def quarter_levels(values: np.ndarray) -> np.ndarray:
    """A skill's value rounded to the nearest quarter (0, 0.25, 0.5, 0.75, 1); NaN stays NaN."""
    return np.round(np.asarray(values, dtype="float64") * 4) / 4


def dose_response(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                  min_n: int = MIN_N) -> pd.DataFrame:
    """Mean CSAT at each score level of every skill with more than two levels, per channel
    (`all` first): the columns of `DOSE_COLUMNS`. Levels with fewer than `min_n` surveyed
    interactions keep their n but no mean ("too few")."""
    skills = list(skills_of(frame) if skills is None else skills)
    polarity = polarity_of(frame)
    labels, channel = _groups(frame)
    clusters = agent_clusters(frame)
    csat = frame["csat"].to_numpy(dtype="float64")
    satisfied = frame["satisfied"].to_numpy(dtype="float64")
    width, scale = csat_points(frame)
    low_end = SCALE_MIN.get(scale, np.nan)
    parts = []
    for skill in skills:
        level = quarter_levels(frame[skill].to_numpy(dtype="float64"))
        present = np.unique(level[~np.isnan(level)])
        if len(present) <= 2:
            continue
        index = np.searchsorted(present, level)
        n_levels = len(present)
        n_channels = len(labels) - 1
        group = np.where(np.isnan(level), -1, (channel - 1) * n_levels + index)
        combine = [[c * n_levels + k for c in range(n_channels)] for k in range(n_levels)]  # all channels
        estimate = mean_sums(csat, group, n_channels * n_levels, clusters, combine)
        spread_ = spread_of(estimate)
        sat = mean_sums(satisfied, group, n_channels * n_levels, clusters, combine)
        order = list(range(n_channels * n_levels, (n_channels + 1) * n_levels)) + list(range(n_channels * n_levels))
        low, high = difference_interval(estimate.value, spread_.se, spread_.df)
        graded = np.bincount(group[group >= 0], minlength=n_channels * n_levels)
        graded = np.r_[graded.reshape(n_channels, n_levels).sum(axis=0), graded]
        parts.append(pd.DataFrame({
            "skill": skill, "channel": np.repeat(labels, n_levels), "level": np.tile(present, len(labels)),
            "n": graded, "n_surveyed": estimate.n[order].astype(np.int64),
            "csat_mean": estimate.value[order], "ci_low": low[order], "ci_high": high[order],
            "satisfied_rate": sat.value[order], "n_agents": spread_.n_clusters[order],
            "clustered": spread_.clustered[order],
        }))
    if not parts:
        return pd.DataFrame(columns=list(DOSE_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    table = table[table["n"] > 0].reset_index(drop=True)
    few = (table["n_surveyed"] < min_n).to_numpy()
    table.loc[few, ["csat_mean", "ci_low", "ci_high", "satisfied_rate"]] = np.nan
    table["note"] = np.where(few, TOO_FEW, "")
    table["csat_scale"] = scale
    table["csat_points"] = low_end + table["csat_mean"] * width
    table["points_ci_low"] = low_end + table["ci_low"] * width
    table["points_ci_high"] = low_end + table["ci_high"] * width
    table["interval"] = np.where(table["clustered"], "agent clusters", "independent (too few agents)")
    table["polarity"] = table["skill"].map(polarity).fillna("positive")
    return table[list(DOSE_COLUMNS)]
