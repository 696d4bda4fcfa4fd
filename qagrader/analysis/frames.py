"""The analysis frame from the analysis-ready store: every analysed grade loaded once, then
filtered in memory.

`load_grades(ws)` reads the store (`core/storage/analysis_store`: typed arrays, one blob per
chunk of evaluations) and the few names its ids point at (agents, teams, graders, scorecards)
into `Grades`; `Grades.frame(filters)` is the analysis frame of the data contract for any
filters without touching the workspace again, and `Grades.options()` what the filters can
choose from. `load_skill_frame(ws, filters)` does both steps. `score_frame(grades, filters)` is
`dataset.load_score_frame`'s table of QA scores per evaluation (less the external ids) from the
same grades, and `Grades.question_scores` is `dataset.load_question_scores` (single questions
scored) from the answers the store keeps (`load_grades(ws, answers=True)`). The frame equals
`dataset.load_skill_frame_from_tables(ws, filters)` (tests compare them) except where a stored
date is not a date at all: the SQL compares its text with a date bound, here it matches none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.storage.analysis_store import NO_TIME, NULL_ID, Answers, StoreColumns, current_columns
from qagrader.core.storage.writers import nocase

from .dataset import (META_COLUMNS, NO_AGENT, NO_TEAM, POSITIVE, SCORE_COLUMNS, AnalysisFilters, FilterOptions,
                      QuestionScoring, SkillFrame, date_bounds, per_interaction, skill_polarity, with_polarity)

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace


@dataclass(frozen=True)
class _Names:
    """A small table of names by id (agents, teams, graders, scorecards), as sorted arrays."""

    ids: np.ndarray
    names: np.ndarray  # object

    @classmethod
    def of(cls, rows: Iterable[tuple]) -> "_Names":
        rows = sorted(rows, key=lambda r: r[0])
        return cls(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=object))

    def index(self, ids: np.ndarray) -> np.ndarray:
        """Position of each id in this table, -1 where it is missing (or NULL_ID)."""
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[at] == ids, at, -1)

    def matching(self, wanted: Iterable[str], *extra: np.ndarray) -> np.ndarray:
        """Positions whose name matches one of `wanted` case-insensitively (SQLite's NOCASE), or
        whose value in any `extra` column equals one exactly."""
        keys = {nocase(w) for w in wanted}
        exact = set(wanted)
        hits = [i for i, name in enumerate(self.names)
                if nocase(str(name)) in keys or any(column[i] in exact for column in extra)]
        return np.array(hits, dtype=np.int64)


def _text_matching(texts: list[str], wanted: Iterable[str]) -> np.ndarray:
    keys = {nocase(w) for w in wanted}
    return np.array([i for i, value in enumerate(texts) if nocase(value) in keys], dtype=np.int32)


def _labels(names: np.ndarray, at: np.ndarray, missing: object) -> np.ndarray:
    """`names[at]`, `missing` where `at` is -1."""
    return np.append(names, np.array([missing], dtype=object))[at]


class Grades:
    """Every analysed grade of a workspace (submitted, non-calibration evaluations), ordered by
    interaction then evaluation, with its names resolved: what the analysis frame is made from
    for any filters (`frame`), and what the filters can choose from (`options`)."""

    def __init__(self, columns: StoreColumns, agents: list[tuple], teams: list[tuple], graders: list[tuple],
                 scorecards: list[tuple], polarity: dict[str, str]):
        interaction, evaluation = columns.arrays["interaction_id"], columns.arrays["evaluation_id"]
        steps = np.diff(interaction)
        answers = columns.answers
        if (steps > 0).all() or ((steps >= 0).all() and (np.diff(evaluation)[steps == 0] > 0).all()):
            arrays, scores = dict(columns.arrays), columns.scores  # in order already (the usual case): no copy
            codes = answers.codes
        else:
            order = np.lexsort((evaluation, interaction))
            arrays = {name: values[order] for name, values in columns.arrays.items()}
            scores = columns.scores[order]
            codes = answers.codes[order]
        self.total = len(interaction)
        """Submitted, non-calibration evaluations in the workspace."""
        self.agents = _Names.of((a[0], a[1]) for a in agents)
        self.teams = _Names.of(teams)
        self.graders = _Names.of(graders)
        self.scorecards = _Names.of((s[0], s[1]) for s in scorecards)
        by_id = {s[0]: s for s in scorecards}
        self._scorecard_uuids = [np.array([by_id[i][k] for i in self.scorecards.ids], dtype=object) for k in (2, 3)]
        agent_team = np.array([a[2] if a[2] is not None else NULL_ID for a in sorted(agents, key=lambda a: a[0])],
                              dtype=np.int64)
        agent = self.agents.index(arrays["agent_id"])
        team_id = np.where(arrays["team_id"] != NULL_ID, arrays["team_id"],
                           np.append(agent_team, NULL_ID)[agent])
        grader = self.graders.index(arrays["grader_id"])
        scorecard = self.scorecards.index(arrays["scorecard_id"])
        joined = (grader >= 0) & (scorecard >= 0)  # the reference's inner joins
        keep = None if joined.all() else joined
        self.codes = {"agent": agent, "team": self.teams.index(team_id), "grader": grader, "scorecard": scorecard}
        self.arrays = arrays
        self.scores = scores
        if keep is not None:
            self.codes = {k: v[keep] for k, v in self.codes.items()}
            self.arrays = {k: v[keep] for k, v in arrays.items()}
            self.scores = scores[keep]
            codes = codes[keep]
        self.answers = Answers(answers.keys, answers.values, codes)
        """The answers' values (none unless loaded with them: `load_grades(ws, answers=True)`)."""
        self.texts = columns.texts
        self.skills = list(columns.skills)
        self.polarity = polarity

    def __len__(self) -> int:
        return len(self.arrays["evaluation_id"])

    def mask(self, filters: AnalysisFilters | None) -> np.ndarray | None:
        """The grades `filters` select (None: all of them)."""
        if filters is None:
            return None
        lower, upper = date_bounds(filters)
        keep = np.ones(len(self), dtype=bool)
        when = self.arrays["when"]
        for bound in (lower, upper):
            if bound:
                limit = np.datetime64(bound[1], "us").astype(np.int64)
                keep &= (when != NO_TIME) & ((when >= limit) if bound[0] == ">=" else (when < limit))
        for column, values in (("channel", filters.channels), ("brand", filters.brands)):
            if values:
                keep &= np.isin(self.arrays[column], _text_matching(self.texts[column], values))
        for column, names, values in (("team", self.teams, filters.teams), ("agent", self.agents, filters.agents),
                                      ("grader", self.graders, filters.graders)):
            if values:
                keep &= np.isin(self.codes[column], names.matching(values))
        if filters.scorecards:
            keep &= np.isin(self.codes["scorecard"], self.scorecards.matching(filters.scorecards,
                                                                              *self._scorecard_uuids))
        return None if keep.all() else keep

    def frame(self, filters: AnalysisFilters | None = None) -> SkillFrame:
        """The analysis frame (data contract) of the grades `filters` select."""
        keep = self.mask(filters)

        def take(values: np.ndarray) -> np.ndarray:
            return values if keep is None else values[keep]

        def text(column: str, missing: object) -> np.ndarray:
            return _labels(np.array(self.texts[column], dtype=object), take(self.arrays[column]), missing)

        def times(column: str) -> np.ndarray:
            return take(self.arrays[column]).view("datetime64[us]")

        n = len(self) if keep is None else int(keep.sum())

        def inferred(values: np.ndarray) -> pd.Series:  # as pandas types the query's rows (none: object)
            return pd.Series(values) if n else pd.Series(values, dtype=object)
        scores = take(self.scores) if len(self.skills) else np.empty((n, 0))
        graded = ~np.isnan(scores).all(axis=0) if n else np.zeros(len(self.skills), dtype=bool)
        skills = [s for s, g in zip(self.skills, graded) if g]
        renamed = [f"{s} (skill)" if s in META_COLUMNS else s for s in skills]
        columns: dict[str, object] = {
            "interaction_id": take(self.arrays["interaction_id"]),
            "channel": pd.Series(text("channel", "unknown"), dtype=str),
            "brand": inferred(text("brand", None)),
            "team": pd.Series(_labels(self.teams.names, take(self.codes["team"]), NO_TEAM), dtype=str),
            "agent": pd.Series(_labels(self.agents.names, take(self.codes["agent"]), NO_AGENT), dtype=str),
            "grader": inferred(_labels(self.graders.names, take(self.codes["grader"]), None)),
            "scorecard": inferred(_labels(self.scorecards.names, take(self.codes["scorecard"]), None)),
            "occurred_at": times("occurred_at"), "graded_at": times("submitted_at"),
            "csat": take(self.arrays["csat"]), "satisfied": take(self.arrays["satisfied"]),
            "csat_scale": pd.Series(text("csat_scale", ""), dtype=str),
            "n_grades": np.ones(n, dtype=np.int64), "blind": take(self.arrays["blind"]),
        }
        frame = pd.DataFrame(columns, copy=False)
        if skills:
            kept = scores if graded.all() else scores[:, graded]
            frame = pd.concat([frame, pd.DataFrame(kept, columns=renamed, copy=False)], axis=1)
        frame = per_interaction(frame)
        return with_polarity(frame, {r: self.polarity.get(s, POSITIVE) for r, s in zip(renamed, skills)})

    def question_scores(self, questions: Mapping[str, QuestionScoring],
                        filters: AnalysisFilters | None = None) -> pd.DataFrame:
        """`dataset.load_question_scores(ws, questions, filters)` from the stored answers: one
        row per grade `filters` select (in this order: interaction, evaluation), its
        `interaction_id` and per entry of `questions` the earned fraction of its answer on the
        grade's scorecard version (NaN: N/A, unanswered, not on the version)."""
        keep = self.mask(filters)
        at = np.arange(len(self)) if keep is None else np.flatnonzero(keep)
        scorecard = self.arrays["scorecard_id"][at]
        answers = self.answers
        interactions = self.arrays["interaction_id"][at]
        columns: dict[str, object] = {  # (as pandas types the query's rows: none, object)
            "interaction_id": pd.Series(interactions) if len(at) else pd.Series(interactions, dtype=object)}
        for column, scoring in questions.items():
            earned = np.full(len(at), np.nan)
            for scorecard_id, (key, fractions) in scoring.items():
                if key in answers.keys:
                    rows = scorecard == scorecard_id
                    table = np.array([_earned(value, fractions) for value in answers.values] + [np.nan])
                    earned[rows] = table[answers.codes[at[rows], answers.keys.index(key)]]
            columns[column] = earned
        return pd.DataFrame(columns)

    def _by_evaluation(self, filters: AnalysisFilters | None) -> np.ndarray:
        """Positions of the grades `filters` select, in evaluation id order."""
        keep = self.mask(filters)
        at = np.arange(len(self)) if keep is None else np.flatnonzero(keep)
        return at[np.argsort(self.arrays["evaluation_id"][at], kind="stable")]

    def evaluations(self, filters: AnalysisFilters | None = None) -> pd.DataFrame:
        """One row per grade `filters` select, in evaluation id order, with the grade's own
        columns (`SCORED_COLUMNS` but the score): for tables whose unit is the evaluation."""
        return self._evaluation_rows(self._by_evaluation(filters))

    def scored(self, filters: AnalysisFilters | None = None) -> pd.DataFrame:
        """`evaluations(filters)` of the grades with a QA score, with their `score` (0..100+)."""
        at = self._by_evaluation(filters)
        at = at[~np.isnan(self.arrays["score"][at])]
        rows = self._evaluation_rows(at)
        rows["score"] = self.arrays["score"][at]
        return rows

    def _evaluation_rows(self, at: np.ndarray) -> pd.DataFrame:
        n = len(at)

        def inferred(values: np.ndarray) -> pd.Series:  # as pandas types the query's rows (none: object)
            return pd.Series(values) if n else pd.Series(values, dtype=object)

        channels = np.array([*self.texts["channel"], None], dtype=object)
        return pd.DataFrame({
            "evaluation_id": inferred(self.arrays["evaluation_id"][at]),
            "interaction_id": inferred(self.arrays["interaction_id"][at]),
            "channel": inferred(channels[self.arrays["channel"][at]]),
            "team": pd.Series(_labels(self.teams.names, self.codes["team"][at], NO_TEAM), dtype=str),
            "agent": pd.Series(_labels(self.agents.names, self.codes["agent"][at], NO_AGENT), dtype=str),
            "grader": inferred(_labels(self.graders.names, self.codes["grader"][at], None)),
            "scorecard": inferred(_labels(self.scorecards.names, self.codes["scorecard"][at], None)),
            "occurred_at": self.arrays["occurred_at"][at].view("datetime64[us]"),
            "graded_at": self.arrays["submitted_at"][at].view("datetime64[us]"),
        }, copy=False)

    def options(self) -> FilterOptions:
        """What the filters can choose from: the values present among these grades."""
        def present(column: str) -> np.ndarray:
            return np.unique(self.codes[column])

        def named(names: _Names, column: str) -> tuple[str, ...]:
            at = present(column)
            return _sorted_names(names.names[at[at >= 0]])

        def texts(column: str) -> tuple[str, ...]:
            at = np.unique(self.arrays[column])
            return _sorted_names(np.array(self.texts[column], dtype=object)[at[at >= 0]])

        pairs = np.unique(np.stack([self.codes["agent"], self.codes["team"]]), axis=1) if len(self) else \
            np.empty((2, 0), dtype=np.int64)
        agents = {(self.agents.names[a], self.teams.names[t] if t >= 0 else NO_TEAM)
                  for a, t in pairs.T if a >= 0}
        when = self.arrays["when"][self.arrays["when"] != NO_TIME]
        days = [str(np.datetime64(int(v), "us").astype("datetime64[D]")) for v in (when.min(), when.max())] \
            if len(when) else [None, None]
        return FilterOptions(
            channels=texts("channel"), teams=named(self.teams, "team"),
            agents=tuple(sorted(agents, key=lambda p: (p[0].casefold(), p[1].casefold()))),
            brands=texts("brand"), scorecards=named(self.scorecards, "scorecard"),
            graders=named(self.graders, "grader"), first_day=days[0], last_day=days[1])


def _earned(value: object, fractions: Mapping[object, float | None]) -> float:
    """The fraction of the first answer value in `fractions` equal to `value` as SQLite's
    `CASE value WHEN ? THEN ?` compares them (text only with text, numbers by value; NULL with
    nothing), NaN for none or a fraction of None."""
    if value is None:
        return np.nan
    for answer, fraction in fractions.items():
        if isinstance(answer, str) == isinstance(value, str) and answer == value:
            return np.nan if fraction is None else float(fraction)
    return np.nan


def _sorted_names(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v not in (None, "")}, key=str.casefold))


def load_grades(ws: "Workspace", answers: bool = False) -> Grades:
    """Every analysed grade of `ws`, from the analysis-ready store (made current first); with
    `answers`, their answers' values too (for `Grades.question_scores`)."""
    conn = ws.conn
    columns = current_columns(ws, answers)
    return Grades(columns,
                  agents=conn.execute("SELECT id, name, team_id FROM agents").fetchall(),
                  teams=conn.execute("SELECT id, name FROM teams").fetchall(),
                  graders=conn.execute("SELECT id, name FROM graders").fetchall(),
                  scorecards=conn.execute("SELECT id, name, uuid, family_uuid FROM scorecards").fetchall(),
                  polarity=skill_polarity(ws))


def load_skill_frame(ws: "Workspace", filters: AnalysisFilters | None = None) -> SkillFrame:
    """The analysis frame for `filters` (see `dataset`), from the analysis-ready store."""
    return load_grades(ws).frame(filters)


SCORED_COLUMNS: tuple[str, ...] = tuple(c for c in SCORE_COLUMNS if c != "external_id")
"""The columns of `score_frame`."""


def score_frame(grades: Grades, filters: AnalysisFilters | None = None) -> pd.DataFrame:
    """One row per submitted, non-calibration evaluation `filters` select that has a QA score
    (`SCORED_COLUMNS`, in evaluation id order): `dataset.load_score_frame` without the external
    ids, from `grades` (loaded once, e.g. for several months)."""
    return grades.scored(filters).reset_index(drop=True)
