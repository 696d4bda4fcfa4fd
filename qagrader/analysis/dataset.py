"""The analysis frame: one row per interaction with submitted, non-calibration grades.

The frame (see docs/ARCHITECTURE.md, "Analysis data contract") has the meta columns in
`META_COLUMNS` followed by one float column per skill (0..1, NaN = not graded). Every other
module in `qagrader.analysis` is a pure function of that frame. The app loads it from the
analysis-ready store (`frames.load_skill_frame`); `load_skill_frame_from_tables` reads it from
the normalized tables (the reference the store is checked against).

One interaction is one observation: its CSAT is one survey answer, however many people graded
it. An interaction graded several times (a second opinion, a re-grade by the lead, two graders'
work merged) gets, per skill, the mean of its grades that scored the skill (`per_interaction`);
`n_grades` says how many grades it had.

A skill that names a behaviour to avoid (polarity "negative" on its scorecard questions) is
reported as the behaviour's occurrence, 1 - earned fraction; `polarity_of(frame)` gives each
skill's polarity (kept in `frame.attrs["polarity"]`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qagrader.core.errors import QAGraderError

if TYPE_CHECKING:  # the core is only needed for its connection
    from qagrader.core.storage.workspace import Workspace


class FilterError(QAGraderError, ValueError):
    """A filter value cannot be used (e.g. a date that is not a date)."""

SkillFrame = pd.DataFrame
"""A DataFrame following the analysis data contract."""

META_COLUMNS: tuple[str, ...] = (
    "interaction_id", "channel", "brand", "team", "agent", "grader", "scorecard",
    "occurred_at", "graded_at", "csat", "satisfied", "csat_scale", "n_grades", "blind",
)
"""`grader` and `scorecard` list every grader / scorecard of the interaction's grades (", ");
`graded_at` is the last submission; `csat_scale` the survey's scale (`1-5`, `1-10`, `0-10`,
`0-100`, `binary`); `blind` the share of its grades made with CSAT hidden from the grader
(NaN: not recorded)."""
NO_AGENT = "(no agent)"
NO_TEAM = "(no team)"
POSITIVE, NEGATIVE = "positive", "negative"
CSAT_POINTS = {"1-5": 4.0, "1-10": 9.0, "0-10": 10.0, "0-100": 100.0, "binary": 1.0}
"""Width of each CSAT scale in its own points: a 0..1 difference times this is in survey points."""

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
        raise FilterError(f"'{text}' is not a date (expected YYYY-MM-DD).") from error


def _bound(value: DateLike, *, upper: bool) -> tuple[str, str]:
    """SQL comparison operator and ISO text for a date bound on ISO-text timestamps."""
    when = _parse_when(value)
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        when = when.replace(microsecond=0)
        if upper:  # through the end of that second, whatever the stored fraction / suffix
            return "<", (when + timedelta(seconds=1)).isoformat()
        return ">=", when.isoformat()
    if upper:  # a whole day: everything before the next midnight
        return "<", (when + timedelta(days=1)).isoformat()
    return ">=", when.isoformat()


_FROM = """
FROM evaluations e
JOIN interactions i ON i.id = e.interaction_id
JOIN scorecards s ON s.id = e.scorecard_id
JOIN graders g ON g.id = e.grader_id
LEFT JOIN agents a ON a.id = i.agent_id
LEFT JOIN teams t ON t.id = COALESCE(i.team_id, a.team_id)
"""


def date_bounds(filters: AnalysisFilters) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The filters' date bounds as (operator, ISO text) on the interaction's date (else the
    grading date), each None when not given; `FilterError` for a date that is not one, or a
    start after the end."""
    lower, upper = [_bound(v, upper=u) if v is not None and str(v).strip() else None
                    for v, u in ((filters.date_from, False), (filters.date_to, True))]
    if lower and upper and lower[1] >= upper[1]:
        raise FilterError("The start date is after the end date.")
    return lower, upper


def _where(filters: AnalysisFilters) -> tuple[str, list[Any]]:
    clauses = ["e.status = 'submitted'", "e.calibration = 0"]
    params: list[Any] = []
    bounds = date_bounds(filters)
    when = "COALESCE(i.occurred_at, e.submitted_at)"
    for bound in bounds:
        if bound:
            clauses.append(f"{when} {bound[0]} ?")
            params.append(bound[1])

    def one_of(column: str, values: tuple[str, ...] | None) -> None:
        if values:
            marks = ", ".join("?" * len(values))
            clauses.append(f"{column} COLLATE NOCASE IN ({marks})")
            params.extend(values)

    one_of("i.channel", filters.channels)
    one_of("t.name", filters.teams)
    one_of("a.name", filters.agents)
    one_of("i.brand", filters.brands)
    one_of("g.name", filters.graders)
    if filters.scorecards:
        marks = ", ".join("?" * len(filters.scorecards))
        clauses.append(
            f"(s.name COLLATE NOCASE IN ({marks}) OR s.uuid IN ({marks}) OR s.family_uuid IN ({marks}))"
        )
        params.extend(filters.scorecards * 3)
    return " AND ".join(clauses), params


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can choose from: the values present on submitted, non-calibration
    evaluations (sorted case-insensitively)."""

    channels: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    agents: tuple[tuple[str, str], ...] = ()  # (agent, team)
    brands: tuple[str, ...] = ()
    scorecards: tuple[str, ...] = ()
    graders: tuple[str, ...] = ()
    first_day: str | None = None  # ISO date of the earliest evaluation (interaction date, else grading)
    last_day: str | None = None


def _sorted(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v not in (None, "")}, key=str.casefold))


def filter_options_from_tables(ws: "Workspace") -> FilterOptions:
    """The values `AnalysisFilters` can take that match at least one analysed evaluation, from
    the normalized tables (the app takes them from its loaded grades: `frames.Grades.options`)."""
    where, params = _where(AnalysisFilters())
    rows = ws.conn.execute(
        f"SELECT DISTINCT i.channel, t.name, a.name, i.brand, s.name, g.name {_FROM} WHERE {where}",
        params).fetchall()
    columns = list(zip(*rows)) if rows else [()] * 6
    agents = {(a, t or "(no team)") for _, t, a, *_ in rows if a}
    when = "substr(COALESCE(i.occurred_at, e.submitted_at), 1, 10)"
    first, last = ws.conn.execute(f"SELECT min({when}), max({when}) {_FROM} WHERE {where}", params).fetchone()
    return FilterOptions(
        channels=_sorted(columns[0]), teams=_sorted(columns[1]),
        agents=tuple(sorted(agents, key=lambda p: (p[0].casefold(), p[1].casefold()))),
        brands=_sorted(columns[3]), scorecards=_sorted(columns[4]), graders=_sorted(columns[5]),
        first_day=first, last_day=last)


def submitted_count(ws: "Workspace") -> int:
    """Submitted, non-calibration evaluations in the workspace (what the analysis can use)."""
    where, params = _where(AnalysisFilters())
    return ws.conn.execute(f"SELECT count(*) FROM evaluations e WHERE {where}", params).fetchone()[0]


def _timestamps(values: pd.Series) -> pd.Series:
    """ISO text (UTC, with or without offset / `Z`) to naive UTC datetime64[us] (one resolution,
    whatever the text's precision); bad text -> NaT."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None).astype("datetime64[us]")


def load_skill_frame_from_tables(ws: "Workspace", filters: AnalysisFilters | None = None) -> SkillFrame:
    """The analysis frame for `filters` read from the normalized tables: meta columns plus one
    float column per skill, one row per interaction (see the module docstring). The app reads
    the analysis-ready store instead (`frames.load_skill_frame`, the same frame); this is the
    independent reference it is checked against.

    One query, filtered in SQL (the filters select grades: a grader filter keeps that grader's
    grades); each skill column is a lookup on the (evaluation_id, skill) primary key of
    `evaluation_skills` (measured ~2x faster than fetching the long table and pivoting in
    pandas). Skill columns are sorted by name; skills never graded in the selection are left
    out; a skill named like a meta column gets " (skill)" appended.
    """
    filters = filters or AnalysisFilters()
    where, params = _where(filters)
    names = [row[0] for row in ws.conn.execute(
        "SELECT DISTINCT skill FROM evaluation_skills ORDER BY skill")]
    lookups = "".join(
        ", (SELECT score FROM evaluation_skills WHERE evaluation_id = e.id AND skill = ?)"
        for _ in names)
    query = f"""
        SELECT e.interaction_id, i.channel, i.brand, t.name, a.name, g.name, s.name,
               i.occurred_at, e.submitted_at, i.csat_norm, i.satisfied, i.csat_scale, 1,
               e.blind{lookups}
        {_FROM} WHERE {where} ORDER BY e.interaction_id, e.id"""
    skills = [f"{n} (skill)" if n in META_COLUMNS else str(n) for n in names]
    rows = ws.conn.execute(query, [*names, *params]).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=[*META_COLUMNS, *skills], nrows=len(rows))
    polarity = skill_polarity(ws)
    frame = per_interaction(_typed(frame, skills))
    return with_polarity(frame, {s: polarity.get(n, POSITIVE) for s, n in zip(skills, names)})


def skill_polarity(ws: "Workspace") -> dict[str, str]:
    """Each skill's polarity: that of the newest scorecard version that tags it (validation
    keeps the latest versions of all scorecards in agreement)."""
    from qagrader.core.scorecards.model import scorecard_from_json

    found: dict[str, str] = {}
    for (definition,) in ws.conn.execute("SELECT definition FROM scorecards ORDER BY id DESC"):
        try:
            card = scorecard_from_json(definition)
        except QAGraderError:
            continue
        for skill, polarity in card.skill_polarity.items():
            found.setdefault(skill, polarity)
    return found


def _typed(frame: pd.DataFrame, skills: list[str]) -> pd.DataFrame:
    """Give the columns their contract types and drop skills never graded."""
    frame["interaction_id"] = frame["interaction_id"].astype("int64")
    frame["channel"] = frame["channel"].fillna("unknown").astype(str)
    frame["team"] = frame["team"].fillna(NO_TEAM).astype(str)
    frame["agent"] = frame["agent"].fillna(NO_AGENT).astype(str)
    frame["csat_scale"] = frame["csat_scale"].fillna("").astype(str)
    frame["n_grades"] = frame["n_grades"].astype("int64")
    for column in ("occurred_at", "graded_at"):
        frame[column] = _timestamps(frame[column])
    for column in ("csat", "satisfied", "blind", *skills):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    graded = [s for s in skills if frame[s].notna().any()]
    return frame.drop(columns=[s for s in skills if s not in graded])


def per_interaction(grades: pd.DataFrame) -> pd.DataFrame:
    """One row per interaction from one row per grade (same columns, `n_grades` = 1 each):
    skills are the mean of the grades that scored them (NaN ignored), `n_grades` counts the
    grades, `blind` is the mean of the known blind flags, `graded_at` the last grade, `grader`
    and `scorecard` the distinct names joined by ", "; the interaction's own columns (channel,
    agent, CSAT, ...) are the same on every grade."""
    ids = grades["interaction_id"]
    repeated = ids.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return grades.reset_index(drop=True)
    skills = skills_of(grades)
    several = grades[repeated]
    grouped = several.groupby("interaction_id", sort=False)
    merged = grouped.first()
    merged[skills] = grouped[skills].mean()
    merged["blind"] = grouped["blind"].mean()
    merged["graded_at"] = grouped["graded_at"].max()
    merged["n_grades"] = grouped["n_grades"].sum().astype("int64")
    ids = several["interaction_id"].tolist()
    for column in ("grader", "scorecard"):
        merged[column] = _names_joined(ids, several[column].tolist(), merged.index)
    merged = merged.reset_index()[list(grades.columns)]
    frame = pd.concat([grades[~repeated], merged], ignore_index=True)
    frame = frame.sort_values("interaction_id", kind="stable").reset_index(drop=True)
    frame.attrs = dict(grades.attrs)
    return frame


def _names_joined(ids: list, names: list, index: pd.Index) -> pd.Series:
    """Per id of `index`, its distinct `names` in order of appearance joined by ", " (one pass
    in Python: a pandas `agg` with a function per group costs ~50 µs a group)."""
    seen: dict[object, dict[object, None]] = {}
    for key, name in zip(ids, names):
        seen.setdefault(key, {})[name] = None
    return pd.Series([", ".join(seen[key]) for key in index], index=index)


def with_polarity(frame: pd.DataFrame, polarity: dict[str, str]) -> pd.DataFrame:
    """`frame` with its negative-polarity skills turned into the behaviour's occurrence
    (1 - earned fraction) and `polarity` recorded in `frame.attrs` (see `polarity_of`)."""
    negative = [s for s in skills_of(frame) if polarity.get(s) == NEGATIVE]
    if negative:
        frame[negative] = 1.0 - frame[negative]
    frame.attrs["polarity"] = {s: polarity.get(s, POSITIVE) for s in skills_of(frame)}
    return frame


def polarity_of(frame: pd.DataFrame) -> dict[str, str]:
    """Each skill's polarity: "negative" for a behaviour to avoid, reported as its occurrence
    (higher = happened more), "positive" otherwise (higher = better)."""
    known = frame.attrs.get("polarity", {}) if hasattr(frame, "attrs") else {}
    return {s: known.get(s, POSITIVE) for s in skills_of(frame)}


def good_direction(frame: pd.DataFrame) -> dict[str, float]:
    """+1 where a higher value is better (the skill was met), -1 where it is worse (the
    behaviour to avoid happened)."""
    return {s: -1.0 if p == NEGATIVE else 1.0 for s, p in polarity_of(frame).items()}


def csat_points(frame: pd.DataFrame) -> tuple[float, str]:
    """The width of the selection's CSAT scale in its own points and the scale's name, when
    every surveyed interaction uses one scale; (NaN, "mixed") or (NaN, "") otherwise."""
    scales = frame.loc[frame["csat"].notna(), "csat_scale"] if "csat_scale" in frame else pd.Series([], dtype=str)
    names = [s for s in pd.unique(scales.to_numpy(dtype=object)) if isinstance(s, str) and s]
    if len(names) == 1 and names[0] in CSAT_POINTS:
        return CSAT_POINTS[names[0]], names[0]
    return np.nan, "mixed" if len(names) > 1 else ""


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


SCORE_COLUMNS: tuple[str, ...] = ("evaluation_id", "interaction_id", "external_id", "channel", "team", "agent",
                                  "grader", "scorecard", "occurred_at", "graded_at", "score")


def load_score_frame(ws: "Workspace", filters: AnalysisFilters | None = None) -> pd.DataFrame:
    """One row per submitted, non-calibration evaluation with a QA score (`SCORE_COLUMNS`,
    score 0..100+), for QA-score profiles: the unit is the evaluation, as a QA score is."""
    where, params = _where(filters or AnalysisFilters())
    rows = ws.conn.execute(
        f"""SELECT e.id, e.interaction_id, i.external_id, i.channel, t.name, a.name, g.name, s.name, i.occurred_at,
                   e.submitted_at, e.score {_FROM} WHERE {where} AND e.score IS NOT NULL ORDER BY e.id""",
        params).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=list(SCORE_COLUMNS), nrows=len(rows))
    frame["team"] = frame["team"].fillna("(no team)").astype(str)
    frame["agent"] = frame["agent"].fillna("(no agent)").astype(str)
    for column in ("occurred_at", "graded_at"):
        frame[column] = _timestamps(frame[column])
    frame["score"] = pd.to_numeric(frame["score"]).astype("float64")
    return frame



QuestionScoring = Mapping[int, tuple[str, Mapping[Any, float]]]
"""How to score one question column: per scorecard version id, the question's key and each
stored answer value's earned fraction."""


def load_question_scores(ws: "Workspace", questions: Mapping[str, QuestionScoring],
                         filters: AnalysisFilters | None = None) -> pd.DataFrame:
    """One row per submitted, non-calibration evaluation `filters` select: `interaction_id`,
    then one float column per entry of `questions`, the earned fraction of the answer on that
    evaluation's scorecard version (NaN: N/A, unanswered, or not on the version). SQLite reads
    the answers' JSON and scores it (parsed once per evaluation), for analyses of single
    questions (e.g. which question costs the most CSAT)."""
    where, params = _where(filters or AnalysisFilters())
    expressions, values = [], []
    for scoring in questions.values():
        branches = []
        for scorecard_id, (key, fractions) in scoring.items():
            cases = " ".join("WHEN ? THEN ?" for _ in fractions)
            branches.append(f"WHEN ? THEN (CASE json_extract(e.answers, ?) {cases} END)")
            values += [scorecard_id, f'$."{key}".value']  # question keys hold no quotes
            values += [x for pair in fractions.items() for x in pair]
        expressions.append(f"CASE e.scorecard_id {' '.join(branches)} END" if branches else "NULL")
    columns = "".join(f", {expression}" for expression in expressions)
    rows = ws.conn.execute(f"SELECT e.interaction_id{columns} {_FROM} WHERE {where}", [*values, *params]).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["interaction_id", *questions], nrows=len(rows))
    return frame.astype({column: "float64" for column in questions})
