"""Importance-performance analysis (Martilla & James 1977) per agent, per team and overall.

x = performance of the entity on the skill: pass rate with a 95% Wilson interval for yes/no
skills, mean skill score with a 95% t interval otherwise. y = the skill's importance, always
computed on the whole filtered population (never per agent: too few interactions), by default
the pooled Spearman rho with CSAT, or the driver share of R^2. Quadrants are cut at the means
of the entity's performances and of the importances.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._stats import mean_ci, wilson_ci
from .correlation import ALL
from .dataset import skills_of, yes_no_skills

CONCENTRATE = "Concentrate here"
KEEP_UP = "Keep up the good work"
LOW_PRIORITY = "Low priority"
OVERKILL = "Possible overkill"
LEVELS = ("all", "team", "agent")
IPA_COLUMNS: tuple[str, ...] = (
    "level", "team", "agent", "skill", "kind", "n", "performance", "ci_low", "ci_high",
    "importance", "x_cut", "y_cut", "quadrant",
)


def skill_importance(correlations: pd.DataFrame, drivers: pd.DataFrame | None = None,
                     kind: str = "rho") -> pd.Series:
    """Importance per skill on the whole population: the pooled (`all`) Spearman rho, or with
    `kind="share"` the pooled driver share of R^2. NaN where not computable (too few)."""
    if kind == "share":
        if drivers is None:
            raise ValueError("Driver shares are needed for importance 'share'.")
        pooled = drivers[drivers["channel"] == ALL]
        return pooled.set_index("skill")["share"].rename("importance")
    if kind != "rho":
        raise ValueError(f"Unknown importance '{kind}': use 'rho' or 'share'.")
    pooled = correlations[correlations["channel"] == ALL]
    return pooled.set_index("skill")["rho"].rename("importance")


def performance(frame: pd.DataFrame, skills: Sequence[str] | None = None,
                level: str = "agent") -> pd.DataFrame:
    """Per entity x skill: n graded, performance and its 95% CI, as long rows with
    `level`, `team`, `agent` ("" where not applicable), `skill`, `kind`."""
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
             y_cut: np.ndarray) -> np.ndarray:
    """Martilla & James quadrant names; "" where a coordinate is unknown."""
    high_x, high_y = performance_ >= x_cut, importance >= y_cut
    names = np.where(high_y, np.where(high_x, KEEP_UP, CONCENTRATE),
                     np.where(high_x, OVERKILL, LOW_PRIORITY))
    known = ~(np.isnan(performance_) | np.isnan(importance) | np.isnan(x_cut) | np.isnan(y_cut))
    return np.where(known, names, "")


def importance_performance(frame: pd.DataFrame, importance: pd.Series,
                           skills: Sequence[str] | None = None,
                           levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """IPA rows for every entity of `levels` (columns `IPA_COLUMNS`)."""
    table = pd.concat([performance(frame, skills, level) for level in levels], ignore_index=True)
    table["importance"] = table["skill"].map(importance).astype("float64")
    known = table["performance"].notna() & table["importance"].notna()
    entity = [table["level"], table["team"], table["agent"]]
    table["x_cut"] = table["performance"].where(known).groupby(entity, dropna=False).transform("mean")
    table["y_cut"] = table["importance"].where(known).groupby(entity, dropna=False).transform("mean")
    table["quadrant"] = quadrant(*(table[c].to_numpy(dtype="float64")
                                   for c in ("performance", "importance", "x_cut", "y_cut")))
    return table[list(IPA_COLUMNS)]
