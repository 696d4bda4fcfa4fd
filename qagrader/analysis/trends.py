"""Trends: weekly or monthly mean skill scores and mean CSAT, overall and per agent, with n and
a 95% interval for each point, so that week-to-week noise is not read as change.

Interactions are dated by the interaction (the grading date when the interaction has none).
Weeks start on Monday; months on the 1st. `freq="auto"` picks months when the data span more
than 26 weeks. The interval of a period's mean is Student's t on that period's interactions
(`ci_low`, `ci_high`; none with fewer than 2). A behaviour to avoid (polarity "negative") is
its occurrence rate, as everywhere in the analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._stats import mean_ci
from .dataset import skills_of

CSAT = "CSAT"
TREND_COLUMNS: tuple[str, ...] = ("level", "team", "agent", "period", "metric", "mean", "n",
                                  "ci_low", "ci_high")


def choose_freq(dates: pd.Series) -> str:
    """"W" (weeks) for spans up to 26 weeks, "M" (months) beyond."""
    known = dates.dropna()
    if known.empty:
        return "W"
    return "M" if known.max() - known.min() > pd.Timedelta(weeks=26) else "W"


def period_start(dates: pd.Series, freq: str) -> pd.Series:
    """The first day of each date's week (Monday) or month."""
    days = dates.dt.floor("D")
    if freq == "W":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    if freq == "M":
        return days - pd.to_timedelta(days.dt.day - 1, unit="D")
    raise ValueError(f"Unknown trend period '{freq}': use 'W' or 'M'.")


def skill_trends(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                 freq: str = "auto", per_agent: bool = True) -> pd.DataFrame:
    """Long table (columns `TREND_COLUMNS`): one row per period x metric (each skill and
    "CSAT"), for `level` "all" and, with `per_agent`, for each agent (`level` "agent")."""
    skills = list(skills_of(frame) if skills is None else skills)
    dates = frame["occurred_at"].fillna(frame["graded_at"].astype(frame["occurred_at"].dtype))
    if freq == "auto":
        freq = choose_freq(dates)
    data = frame[["team", "agent", "csat", *skills]].rename(columns={"csat": CSAT})
    data = data.assign(period=period_start(dates, freq))
    data = data[data["period"].notna()]
    metrics = [*skills, CSAT]
    parts = []
    for level, keys in (("all", []), ("agent", ["team", "agent"])):
        if level == "agent" and not per_agent:
            continue
        stats = data.groupby(["period", *keys], dropna=False)[metrics].agg(["mean", "count", "std"])
        stats.columns.names = ["metric", "stat"]
        long = stats.stack("metric", future_stack=True).reset_index()
        long.columns.name = None
        long = long[long["count"] > 0].rename(columns={"count": "n"})
        for key in ("team", "agent"):
            if key not in long:
                long[key] = ""
        long["level"] = level
        parts.append(long)
    table = pd.concat(parts, ignore_index=True)
    table["n"] = table["n"].astype("int64")
    table["ci_low"], table["ci_high"] = mean_ci(table["mean"].to_numpy(float), table["std"].to_numpy(float),
                                                table["n"].to_numpy(float))
    return table[list(TREND_COLUMNS)]
