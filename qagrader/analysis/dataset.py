"""Load the analysis frame: one row per submitted, non-calibration evaluation.

The frame (see docs/ARCHITECTURE.md, "Analysis data contract") has the meta columns in
`META_COLUMNS` followed by one float column per skill (0..1, NaN = not graded). Every other
module in `qagrader.analysis` is a pure function of that frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the core is only needed for its connection
    from qagrader.core.workspace import Workspace

SkillFrame = pd.DataFrame
"""A DataFrame following the analysis data contract."""

META_COLUMNS: tuple[str, ...] = (
    "evaluation_id", "channel", "brand", "team", "agent", "grader", "scorecard",
    "occurred_at", "graded_at", "csat", "satisfied",
)

DateLike = date | datetime | str


def _as_tuple(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    cleaned = tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    return cleaned or None


@dataclass(frozen=True)
class AnalysisFilters:
    """What to analyse. `None` (or an empty list) means "no restriction".

    Dates bound the interaction date (the grading date when the interaction has none);
    `date_to` given as a day is inclusive. Names match case-insensitively; `scorecards`
    matches a scorecard name (every version) or a scorecard uuid / family uuid.
    """

    date_from: DateLike | None = None
    date_to: DateLike | None = None
    channels: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    agents: tuple[str, ...] | None = None
    brands: tuple[str, ...] | None = None
    scorecards: tuple[str, ...] | None = None
    graders: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name not in ("date_from", "date_to"):
                object.__setattr__(self, f.name, _as_tuple(getattr(self, f.name)))


def _parse_when(value: DateLike) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"'{text}' is not a date (expected YYYY-MM-DD).") from error


def _bound(value: DateLike, *, upper: bool) -> tuple[str, str]:
    """SQL comparison operator and ISO text for a date bound on ISO-text timestamps."""
    when = _parse_when(value)
    if isinstance(when, datetime):
        return ("<=" if upper else ">="), when.replace(tzinfo=None).isoformat(timespec="seconds")
    if upper:  # a whole day: everything before the next midnight
        return "<", (when + timedelta(days=1)).isoformat()
    return ">=", when.isoformat()


_FROM = """
FROM evaluations e
JOIN interactions i ON i.id = e.interaction_id
JOIN scorecards s ON s.id = e.scorecard_id
LEFT JOIN agents a ON a.id = i.agent_id
LEFT JOIN teams t ON t.id = COALESCE(i.team_id, a.team_id)
"""


def _where(filters: AnalysisFilters) -> tuple[str, list[Any]]:
    clauses = ["e.status = 'submitted'", "e.calibration = 0"]
    params: list[Any] = []
    when = "COALESCE(i.occurred_at, e.submitted_at)"
    for value, upper in ((filters.date_from, False), (filters.date_to, True)):
        if value is not None and str(value).strip():
            op, text = _bound(value, upper=upper)
            clauses.append(f"{when} {op} ?")
            params.append(text)

    def one_of(column: str, values: tuple[str, ...] | None) -> None:
        if values:
            marks = ", ".join("?" * len(values))
            clauses.append(f"{column} COLLATE NOCASE IN ({marks})")
            params.extend(values)

    one_of("i.channel", filters.channels)
    one_of("t.name", filters.teams)
    one_of("a.name", filters.agents)
    one_of("i.brand", filters.brands)
    one_of("e.grader", filters.graders)
    if filters.scorecards:
        marks = ", ".join("?" * len(filters.scorecards))
        clauses.append(
            f"(s.name COLLATE NOCASE IN ({marks}) OR s.uuid IN ({marks}) OR s.family_uuid IN ({marks}))"
        )
        params.extend(filters.scorecards * 3)
    return " AND ".join(clauses), params


def _timestamps(values: pd.Series) -> pd.Series:
    """ISO text (UTC, with or without offset / `Z`) to naive UTC datetime64; bad text -> NaT."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None)


def load_skill_frame(ws: "Workspace", filters: AnalysisFilters | None = None) -> SkillFrame:
    """The analysis frame for `filters`: meta columns plus one float column per skill.

    Filtering happens in SQL; the long `evaluation_skills` table is pivoted with numpy.
    Skill columns are sorted by name; a skill named like a meta column gets " (skill)" appended.
    """
    filters = filters or AnalysisFilters()
    where, params = _where(filters)
    meta_sql = f"""
        SELECT e.id, i.channel, i.brand, t.name, a.name, e.grader, s.name,
               i.occurred_at, e.submitted_at, i.csat_norm, i.satisfied
        {_FROM} WHERE {where} ORDER BY e.id"""
    meta = pd.DataFrame(ws.conn.execute(meta_sql, params).fetchall(), columns=list(META_COLUMNS))
    skills_sql = f"""
        SELECT es.evaluation_id, es.skill, es.score
        FROM evaluation_skills es WHERE es.evaluation_id IN (SELECT e.id {_FROM} WHERE {where})"""
    long = pd.DataFrame(ws.conn.execute(skills_sql, params).fetchall(),
                        columns=["evaluation_id", "skill", "score"])
    return _assemble(meta, long)


def _assemble(meta: pd.DataFrame, long: pd.DataFrame) -> SkillFrame:
    """Type the meta columns and pivot (evaluation_id, skill, score) rows into skill columns."""
    frame = meta.copy()
    frame["evaluation_id"] = frame["evaluation_id"].astype("int64")
    frame["channel"] = frame["channel"].fillna("unknown").astype(str)
    for column in ("occurred_at", "graded_at"):
        frame[column] = _timestamps(frame[column])
    for column in ("csat", "satisfied"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")

    codes, names = pd.factorize(long["skill"], sort=True)
    values = np.full((len(frame), len(names)), np.nan)
    if len(long):
        rows = np.searchsorted(frame["evaluation_id"].to_numpy(), long["evaluation_id"].to_numpy())
        values[rows, codes] = long["score"].to_numpy(dtype="float64")
    columns = [f"{n} (skill)" if n in META_COLUMNS else str(n) for n in names]
    skills = pd.DataFrame(values, columns=columns, index=frame.index)
    return pd.concat([frame, skills], axis=1)


def skills_of(frame: pd.DataFrame) -> list[str]:
    """The skill columns of an analysis frame, in frame order."""
    return [c for c in frame.columns if c not in META_COLUMNS]


def is_yes_no(values: pd.Series | np.ndarray) -> bool:
    """True when every graded (non-NaN) value is 0 or 1, and there is at least one."""
    array = np.asarray(values, dtype="float64")
    array = array[~np.isnan(array)]
    return array.size > 0 and bool(np.isin(array, (0.0, 1.0)).all())


def yes_no_skills(frame: pd.DataFrame, skills: Iterable[str] | None = None) -> list[str]:
    """The skills scored pass/fail: all graded values are 0 or 1."""
    return [s for s in (skills_of(frame) if skills is None else skills) if is_yes_no(frame[s])]
