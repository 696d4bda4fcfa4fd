"""Importance-performance analysis (Martilla & James 1977) per agent, per team and overall.

y = the skill's importance: how much CSAT goes with meeting it (or, for a behaviour to avoid,
with avoiding it) per interaction, from the whole filtered population (`effects`, the `all`
rows; never per agent: too few interactions), in CSAT 0..1.

x = performance on the *same* skill compared with its own reference, in the good direction
(positive = better), so that skills with different pass rates or scales are never mixed:
- an agent: their shrunk rate minus the rest of their team's (`coaching.skill_gaps`);
- a team: its rate minus everyone else's;
- everyone: there is nothing to compare with, so x is the plain rate of meeting the skill (or
  avoiding the behaviour) and there is no vertical cut and no quadrant.

Quadrants cut x at 0 (the reference) and y at the mean importance over the skills:
"Concentrate here" (important, below the reference: the whole 95% interval below 0), "Keep up
the good work" (important, not clearly below), "Low priority", "Possible overkill".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._stats import mean_ci, wilson_ci
from .coaching import skill_gaps
from .correlation import ALL
from .dataset import good_direction, polarity_of, skills_of, yes_no_skills

CONCENTRATE = "Concentrate here"
KEEP_UP = "Keep up the good work"
LOW_PRIORITY = "Low priority"
OVERKILL = "Possible overkill"
LEVELS = ("all", "team", "agent")
IPA_COLUMNS: tuple[str, ...] = (
    "level", "team", "agent", "skill", "polarity", "n", "performance", "ci_low", "ci_high",
    "compared_with", "importance", "importance_ci_low", "importance_ci_high", "x_cut", "y_cut",
    "quadrant",
)


def skill_importance(effects: pd.DataFrame, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per skill: importance (CSAT 0..1 gained with the skill met or the behaviour avoided,
    from the pooled effects) and its 95% interval; NaN where there is no effect (too few, no
    CSAT). Columns skill, importance, importance_ci_low, importance_ci_high."""
    pooled = effects[effects["channel"] == ALL]
    sign = np.where(pooled["polarity"].to_numpy() == "negative", -1.0, 1.0)
    low, high = pooled["csat_diff_ci_low"].to_numpy(float) * sign, pooled["csat_diff_ci_high"].to_numpy(float) * sign
    return pd.DataFrame({
        "skill": pooled["skill"].to_numpy(), "importance": pooled["csat_diff"].to_numpy(float) * sign,
        "importance_ci_low": np.minimum(low, high), "importance_ci_high": np.maximum(low, high),
    })


def performance(frame: pd.DataFrame, skills: Sequence[str] | None = None,
                level: str = "agent") -> pd.DataFrame:
    """Descriptive performance per entity x skill: n graded, the pass rate (yes/no skills; for a
    behaviour to avoid, how often it happened) with a 95% Wilson interval or the mean score
    with a 95% t interval, as long rows with `level`, `team`, `agent` ("" where not
    applicable), `skill`, `kind` ("pass rate" / "mean score"). (The quadrant chart compares each
    skill with its own reference instead: `importance_performance`.)"""
    skills = list(skills_of(frame) if skills is None else skills)
    binary = set(yes_no_skills(frame, skills))
    keys = {"all": [], "team": ["team"], "agent": ["team", "agent"]}[level]
    scores = frame[keys + skills].assign(_all=0)
    stats = scores.groupby(keys or "_all", dropna=False)[skills].agg(["count", "sum", "mean", "std"])
    stats.columns.names = ["skill", "stat"]
    long = stats.stack("skill", future_stack=True).reset_index().drop(columns="_all", errors="ignore")
    long.columns.name = None
    for key in ("team", "agent"):
        if key not in long:
            long[key] = ""
    long["level"] = level
    long["kind"] = np.where(long["skill"].isin(binary), "pass rate", "mean score")
    is_rate = (long["kind"] == "pass rate").to_numpy()
    w_low, w_high = wilson_ci(long["sum"], long["count"])
    t_low, t_high = mean_ci(long["mean"], long["std"], long["count"])
    long["ci_low"] = np.where(is_rate, w_low, t_low)
    long["ci_high"] = np.where(is_rate, w_high, t_high)
    long = long.rename(columns={"count": "n", "mean": "performance"})
    long["n"] = long["n"].astype("int64")
    return long[["level", "team", "agent", "skill", "kind", "n", "performance", "ci_low", "ci_high"]]


def quadrant(performance_: np.ndarray, importance: np.ndarray, x_cut: np.ndarray,
             y_cut: np.ndarray, upper: np.ndarray | None = None) -> np.ndarray:
    """Martilla & James quadrant names; "" where a coordinate or cut is unknown. With `upper`
    (the upper end of each performance's interval), performance counts as below the cut only
    when the whole interval is: noise does not send a skill to "Concentrate here"."""
    reach = performance_ if upper is None else np.where(np.isnan(upper), performance_, upper)
    high_x, high_y = reach >= x_cut, importance >= y_cut
    names = np.where(high_y, np.where(high_x, KEEP_UP, CONCENTRATE),
                     np.where(high_x, OVERKILL, LOW_PRIORITY))
    known = ~(np.isnan(performance_) | np.isnan(importance) | np.isnan(x_cut) | np.isnan(y_cut))
    return np.where(known, names, "")


def _overall(frame: pd.DataFrame, skills: list[str]) -> pd.DataFrame:
    """Everyone: the rate of meeting each skill (or avoiding the behaviour), Wilson interval."""
    direction = good_direction(frame)
    rows = []
    for skill in skills:
        values = frame[skill].dropna().to_numpy()
        good = values > 0.5 if direction[skill] > 0 else values <= 0.5
        rows.append({"skill": skill, "n": len(values), "k": int(good.sum())})
    table = pd.DataFrame(rows, columns=["skill", "n", "k"])
    with np.errstate(invalid="ignore", divide="ignore"):
        table["performance"] = table["k"] / table["n"]
    table["ci_low"], table["ci_high"] = wilson_ci(table["k"], table["n"])
    table["level"], table["team"], table["agent"], table["compared_with"] = ALL, "", "", ""
    return table


def _relative(gaps: pd.DataFrame, level: str, direction: dict[str, float]) -> pd.DataFrame:
    """A gap table as performance in the good direction (positive = better than reference)."""
    sign = gaps["skill"].map(direction).astype("float64").to_numpy()
    low, high = gaps["gap_ci_low"].to_numpy(float) * sign, gaps["gap_ci_high"].to_numpy(float) * sign
    return pd.DataFrame({
        "level": level, "team": gaps["team"], "agent": gaps["agent"] if level == "agent" else "",
        "skill": gaps["skill"], "n": gaps["n"], "performance": gaps["gap"].to_numpy(float) * sign,
        "ci_low": np.minimum(low, high), "ci_high": np.maximum(low, high),
        "compared_with": gaps["compared_with"],
    })


def importance_performance(frame: pd.DataFrame, effects: pd.DataFrame,
                           skills: Sequence[str] | None = None, levels: Sequence[str] = LEVELS,
                           agent_gaps: pd.DataFrame | None = None) -> pd.DataFrame:
    """IPA rows for every entity of `levels` (columns `IPA_COLUMNS`). `agent_gaps` (the
    output of `coaching.coaching_priorities`) is reused when given."""
    skills = list(skills_of(frame) if skills is None else skills)
    direction = good_direction(frame)
    parts = []
    if "all" in levels:
        parts.append(_overall(frame, skills))
    if "team" in levels:
        parts.append(_relative(skill_gaps(frame, None, skills, level="team"), "team", direction))
    if "agent" in levels:
        gaps = agent_gaps if agent_gaps is not None else skill_gaps(frame, None, skills, level="agent")
        parts.append(_relative(gaps, "agent", direction))
    table = pd.concat(parts, ignore_index=True)
    importance = skill_importance(effects).set_index("skill")
    for column in ("importance", "importance_ci_low", "importance_ci_high"):
        table[column] = table["skill"].map(importance[column]).astype("float64")
    table["polarity"] = table["skill"].map(polarity_of(frame)).fillna("positive")
    known = importance["importance"].reindex(skills).dropna()
    table["y_cut"] = float(known.mean()) if len(known) else np.nan
    table["x_cut"] = np.where(table["level"] == ALL, np.nan, 0.0)
    table["n"] = table["n"].astype("int64")
    table["quadrant"] = quadrant(*(table[c].to_numpy(dtype="float64")
                                   for c in ("performance", "importance", "x_cut", "y_cut", "ci_high")))
    return table[list(IPA_COLUMNS)]
