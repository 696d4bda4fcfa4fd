"""Did it work? An agent's grades on a coached skill in the weeks before and after the coaching.

For each skill of a coaching note: the skill's pass rate (yes/no skills) or mean score (the mean
earned fraction, 0..1) over the agent's graded interactions in the `weeks` before the coaching
day and in the `weeks` after it (the day itself in neither; an interaction counts on its own
date, or its grading date when it has none), each with n, and the difference after - before
with a 95% interval:

- pass rates: Newcombe's hybrid score interval (method 10 of Newcombe 1998, built from the two
  Wilson intervals), which keeps its coverage with the small n of one agent's month;
- means: Welch's t interval (`scipy.stats.ttest_ind(..., equal_var=False)`'s, from `_stats`).

A behaviour to avoid (polarity "negative") is shown as how often it happened, as everywhere in
the analysis, so lower is better; `direction` says which way the change went in plain words.
This is a before/after comparison, not proof that the coaching caused a change: the weeks
differ in customers, topics and everything else. With fewer than `MIN_GRADES` interactions on
either side there is no comparison ("not enough grades yet" while the weeks after are still
running).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._stats import newcombe_difference, welch_interval
from .dataset import AnalysisFilters, is_yes_no, polarity_of, skills_of
from .frames import Grades, load_grades

if TYPE_CHECKING:
    from qagrader.core.coaching.notes import CoachingNote
    from qagrader.core.storage.workspace import Workspace

WEEKS = 4
MIN_GRADES = 5
CAVEAT = ("A before/after comparison, not proof that the coaching worked: other things changed "
          "between the two periods too.")
NOT_YET, TOO_FEW_AFTER, TOO_FEW_BEFORE, COMPARED = (
    "not enough grades yet", "too few grades after", "too few grades before", "compared")
FOLLOW_UP_COLUMNS: tuple[str, ...] = (
    "skill", "polarity", "measure", "before", "before_n", "after", "after_n", "difference", "ci_low",
    "ci_high", "status", "direction",
)


@dataclass(frozen=True)
class Windows:
    """The two periods compared, as days (both ends inclusive)."""

    before_from: date
    before_to: date
    after_from: date
    after_to: date
    after_complete: bool  # False while the weeks after have not all passed


def windows(coached_on: date, weeks: int = WEEKS, today: date | None = None) -> Windows:
    """The `weeks` before the coaching day and the `weeks` after it (the day in neither)."""
    today = today or date.today()
    span = timedelta(weeks=weeks)
    end = coached_on + span
    return Windows(coached_on - span, coached_on - timedelta(days=1), coached_on + timedelta(days=1),
                   end, today >= end)


def welch_difference(after: np.ndarray, before: np.ndarray) -> tuple[float, float, float]:
    """mean(after) - mean(before) and its 95% Welch t interval (NaN when either side has fewer
    than 2 values or neither varies)."""
    d = float(np.mean(after) - np.mean(before)) if len(after) and len(before) else np.nan
    if len(after) < 2 or len(before) < 2 or (np.ptp(after) == 0 and np.ptp(before) == 0):
        return d, np.nan, np.nan
    low, high = welch_interval(after, before)
    return d, low, high


def _dates(frame: pd.DataFrame) -> pd.Series:
    """Each row's day: the interaction's date, else when it was graded."""
    return frame["occurred_at"].fillna(frame["graded_at"]).dt.normalize()


def _column(frame: pd.DataFrame, skill: str) -> str | None:
    """The frame's column of `skill` (names compare case-insensitively)."""
    wanted = skill.casefold()
    return next((c for c in skills_of(frame) if c.casefold() in (wanted, f"{wanted} (skill)")), None)


def before_after(frame: pd.DataFrame, coached_on: date, skills: Sequence[str], *, weeks: int = WEEKS,
                 today: date | None = None, min_grades: int = MIN_GRADES) -> pd.DataFrame:
    """One row per skill (`FOLLOW_UP_COLUMNS`) from one agent's analysis frame (see the
    module docstring). A skill never graded in the frame has n = 0 on both sides."""
    span = windows(coached_on, weeks, today)
    days = _dates(frame) if len(frame) else pd.Series([], dtype="datetime64[ns]")
    before_mask = ((days >= pd.Timestamp(span.before_from)) & (days <= pd.Timestamp(span.before_to))).to_numpy()
    after_mask = ((days >= pd.Timestamp(span.after_from)) & (days <= pd.Timestamp(span.after_to))).to_numpy()
    polarity = polarity_of(frame)
    rows = []
    for skill in skills:
        column = _column(frame, skill)
        values = frame[column].to_numpy(dtype="float64") if column else np.array([])
        before = values[before_mask & ~np.isnan(values)] if column else values
        after = values[after_mask & ~np.isnan(values)] if column else values
        both = np.concatenate([before, after])
        measure = "pass rate" if both.size == 0 or is_yes_no(both) else "mean"
        sign = polarity.get(column, "positive") if column else "positive"
        row = {"skill": column or skill, "polarity": sign, "measure": measure,
               "before": float(before.mean()) if before.size else np.nan, "before_n": int(before.size),
               "after": float(after.mean()) if after.size else np.nan, "after_n": int(after.size),
               "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        if before.size < min_grades:
            row["status"] = TOO_FEW_BEFORE
        elif after.size < min_grades:
            row["status"] = TOO_FEW_AFTER if span.after_complete else NOT_YET
        else:
            row["status"] = COMPARED
            if measure == "pass rate":
                d, low, high = newcombe_difference(after.sum(), after.size, before.sum(), before.size)
            else:
                d, low, high = welch_difference(after, before)
            row.update(difference=d, ci_low=low, ci_high=high)
        row["direction"] = direction(row)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FOLLOW_UP_COLUMNS))


def direction(row: Mapping[str, object]) -> str:
    """The change in words: "better", "worse" (the interval excludes no change) or "no clear
    change"; "" when not compared. For a behaviour to avoid, lower is better."""
    if row["status"] != COMPARED:
        return ""
    low, high = float(row["ci_low"]), float(row["ci_high"])  # type: ignore[arg-type]
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
        return "no clear change"
    higher = low > 0
    good = higher != (row["polarity"] == "negative")
    return "better" if good else "worse"


def note_follow_up(ws: "Workspace", note: "CoachingNote", *, weeks: int = WEEKS,
                   today: date | None = None) -> pd.DataFrame:
    """`before_after` for a coaching note, on the agent's submitted grades of the two periods."""
    return notes_follow_up(ws, [note], weeks=weeks, today=today)[list(FOLLOW_UP_COLUMNS)]


NOTE_COLUMNS: tuple[str, ...] = ("note", "agent", "team", "coached_on", *FOLLOW_UP_COLUMNS)


def notes_follow_up(ws: "Workspace", notes: Sequence["CoachingNote"], *, weeks: int = WEEKS,
                    today: date | None = None, grades: "Grades | None" = None) -> pd.DataFrame:
    """`before_after` of several notes at once (`NOTE_COLUMNS`: the note's uuid, agent, team and
    day, then one row per skill), on one load of their agents' grades (`grades`: the workspace's,
    loaded already by the caller)."""
    if not notes:
        return pd.DataFrame(columns=list(NOTE_COLUMNS))
    days = [date.fromisoformat(n.coached_on) for n in notes]
    span = timedelta(weeks=weeks)
    frame = (grades or load_grades(ws)).frame(AnalysisFilters(agents=tuple({n.agent for n in notes}),
                                                 date_from=(min(days) - span).isoformat(),
                                                 date_to=(max(days) + span).isoformat()))
    parts = []
    for note, day in zip(notes, days):
        own = frame[frame["agent"].str.casefold() == note.agent.casefold()]
        table = before_after(own, day, note.skills, weeks=weeks, today=today)
        table.insert(0, "coached_on", note.coached_on)
        table.insert(0, "team", note.team or "")
        table.insert(0, "agent", note.agent)
        table.insert(0, "note", note.uuid)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)[list(NOTE_COLUMNS)]


def describe_row(row: Mapping[str, object], weeks: int = WEEKS) -> str:
    """One row in words, e.g. "pass rate: 60% (n=10) in the 4 weeks before, 85% (n=12) after:
    +25 percentage points (95% CI +3 to +47), better"."""
    def amount(value: object) -> str:
        return f"{float(value):.0%}" if row["measure"] == "pass rate" else f"{float(value):.2f}"

    def side(value: object, n: object) -> str:
        return f"{amount(value)} (n={int(n)})" if int(n) else "no grades"  # type: ignore[call-overload]

    what = "happened" if row["polarity"] == "negative" else row["measure"]
    text = (f"{what}: {side(row['before'], row['before_n'])} in the {weeks} weeks before, "
            f"{side(row['after'], row['after_n'])} after")
    if row["status"] != COMPARED:
        return f"{text}: {row['status']}"
    rate = row["measure"] == "pass rate"

    def signed(value: float) -> str:
        return f"{value * 100:+.0f}" if rate else f"{value:+.2f}"

    d, low, high = (float(row[k]) for k in ("difference", "ci_low", "ci_high"))  # type: ignore[arg-type]
    interval = f" (95% CI {signed(low)} to {signed(high)})" if np.isfinite(low) and np.isfinite(high) else ""
    return f"{text}: {signed(d)}{' percentage points' if rate else ''}{interval}, {row['direction']}"


def priority_note(row: Mapping[str, object]) -> str:
    """What a coaching note made from a coaching priority (one agent x skill row of the
    analysis) says was found, worded as an association."""
    skill = str(row["skill"])
    negative = row.get("polarity") == "negative"
    rate, team_rate, n = row.get("rate"), row.get("team_rate"), row.get("n")
    verb = "happened in" if negative else "met in"
    parts = [f"Focus on {skill}"]
    if rate is not None and np.isfinite(float(rate)):  # type: ignore[arg-type]
        compared = str(row.get("compared_with") or "the rest of the team")
        parts.append(f"{verb} {float(rate):.0%} of {int(n)} graded interactions"  # type: ignore[arg-type,call-overload]
                     f" ({compared}: {float(team_rate):.0%})")  # type: ignore[arg-type]
    points = row.get("priority_points")
    if points is not None and np.isfinite(float(points)) and float(points) > 0:  # type: ignore[arg-type]
        parts.append(f"reaching the team's level goes with about {float(points):+.2f} CSAT points "
                     "per interaction (an association, not a promise)")
    return "; ".join(parts) + "."
