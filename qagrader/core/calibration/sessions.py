"""Calibration sessions: a set of interactions that several graders grade blind on one scorecard
version, to see whether they read its questions alike.

A session has a name, a date, a scorecard version, its interactions (items), the graders taking
part (members) and optionally a benchmark grader (the lead; without one the consensus is the
benchmark). It is *open* while graders grade and *closed* once the lead has the results; it can
be reopened. Graders see neither CSAT nor each other's answers while it is open (see `grading`),
and calibration grades stay out of agent scores, the CSAT analysis and ordinary exports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..errors import NotFound, QAGraderError
from ..grading.graders import clean_grader_name
from ..input_rules import clean, text_problem
from ..storage import writers
from ..storage.records import utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

OPEN, CLOSED = "open", "closed"
MAX_ITEMS = 500


class CalibrationError(QAGraderError):
    """A calibration session cannot do what was asked (closed, not a member, ...)."""


@dataclass(frozen=True)
class CalibrationSession:
    id: int
    uuid: str
    name: str
    held_on: str  # YYYY-MM-DD
    scorecard_id: int
    scorecard: str  # "Phone QA v2"
    scorecard_name: str
    benchmark: str | None  # the benchmark grader's name; None: the consensus
    benchmark_id: int | None
    status: str
    closed_at: str | None
    notes: str
    items: int
    graders: tuple[str, ...]
    submitted: int  # calibration grades submitted by its graders on its items
    created_at: str
    updated_at: str
    label: str = ""  # the name, with the scorecard and date when another session has the same name

    @property
    def closed(self) -> bool:
        return self.status == CLOSED

    @property
    def expected(self) -> int:
        """Grades the session asks for: every grader grades every item."""
        return self.items * len(self.graders)


@dataclass(frozen=True)
class SessionItem:
    interaction_id: int
    external_id: str
    channel: str
    agent: str | None
    occurred_at: str | None
    subject: str | None
    position: int
    graded_by: tuple[str, ...]  # graders who submitted their grade of it


@dataclass(frozen=True)
class MemberProgress:
    grader: str
    grader_id: int
    submitted: int
    drafts: int
    benchmark: bool


_SESSION_SQL = """
    SELECT c.id, c.uuid, c.name, c.held_on, c.scorecard_id, s.name || ' v' || s.version, s.name,
           b.name, c.benchmark_grader_id, c.status, c.closed_at, c.notes,
           (SELECT count(*) FROM calibration_items i WHERE i.session_id = c.id AND i.removed = 0),
           (SELECT json_group_array(name) FROM (SELECT g.name FROM calibration_members m
               JOIN graders g ON g.id = m.grader_id WHERE m.session_id = c.id AND m.removed = 0
               ORDER BY g.name COLLATE NOCASE)),
           (SELECT count(*) FROM calibration_grades k JOIN evaluations e ON e.id = k.evaluation_id
               JOIN calibration_items i ON i.session_id = c.id AND i.interaction_id = e.interaction_id
               AND i.removed = 0
               JOIN calibration_members m ON m.session_id = c.id AND m.grader_id = e.grader_id AND m.removed = 0
               WHERE k.session_id = c.id AND e.status = 'submitted'),
           c.created_at, c.updated_at
    FROM calibration_sessions c JOIN scorecards s ON s.id = c.scorecard_id
    LEFT JOIN graders b ON b.id = c.benchmark_grader_id"""


def _session(row: tuple) -> CalibrationSession:
    values = list(row)
    values[13] = tuple(json.loads(values[13]))
    return CalibrationSession(*values)


def _labelled(sessions: list[CalibrationSession]) -> list[CalibrationSession]:
    """Sessions sharing a name (e.g. merged from two workspaces) get their scorecard and date."""
    from dataclasses import replace

    counts: dict[str, int] = {}
    for s in sessions:
        counts[s.name.casefold()] = counts.get(s.name.casefold(), 0) + 1
    return [replace(s, label=s.name if counts[s.name.casefold()] == 1 else f"{s.name} ({s.scorecard}, {s.held_on})")
            for s in sessions]


def clean_session_name(name: str | None) -> str:
    """`name` with its spaces collapsed, or `CalibrationError` (blank, control characters, too
    long: the input rules of names)."""
    name = " ".join(clean(name or "").split())
    if not name:
        raise CalibrationError("Give the calibration session a name.")
    problem = text_problem(name, name=True)
    if problem:
        raise CalibrationError(f"The session name {problem}.")
    return name


def clean_notes(notes: str | None) -> str:
    notes = clean(notes or "").strip()
    problem = text_problem(notes)
    if problem:
        raise CalibrationError(f"The session notes {problem}.")
    return notes


def clean_day(text: str | None) -> str:
    """A `YYYY-MM-DD` day (today when empty), or `CalibrationError`."""
    if not text or not text.strip():
        return date.today().isoformat()
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as error:
        raise CalibrationError(f"The session date '{text}' is not a date like 2026-03-31.") from error


class CalibrationSessions:
    """The workspace's calibration sessions (`ws.calibration`). Each write is one transaction."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    # ------------------------------------------------------------------------------ reading

    def list(self, *, date_from: str | None = None, date_to: str | None = None) -> list[CalibrationSession]:
        """Every session (not deleted), newest first; `date_from`/`date_to` (inclusive) filter by date."""
        clauses, args = ["c.deleted = 0"], []
        if date_from:
            clauses.append("c.held_on >= ?")
            args.append(clean_day(date_from))
        if date_to:
            clauses.append("c.held_on <= ?")
            args.append(clean_day(date_to))
        sql = f"{_SESSION_SQL} WHERE {' AND '.join(clauses)} ORDER BY c.held_on DESC, c.created_at DESC, c.id DESC"
        sessions = _labelled([_session(r) for r in self._ws.conn.execute(sql, args)])
        if date_from or date_to:  # labels must know about every session, not just these
            labels = {s.id: s.label for s in self.list()}
            from dataclasses import replace

            sessions = [replace(s, label=labels[s.id]) for s in sessions]
        return sessions

    def get(self, session_id: int) -> CalibrationSession:
        for session in self.list():
            if session.id == session_id:
                return session
        raise NotFound(f"No calibration session with id {session_id}.")

    def find(self, text: str) -> CalibrationSession:
        """A session by name (any case), label or uuid; `CalibrationError` naming the candidates
        when several share the name."""
        wanted = " ".join(text.split()).casefold()
        sessions = self.list()
        exact = [s for s in sessions if s.uuid == text.strip() or s.label.casefold() == wanted]
        if len(exact) == 1:
            return exact[0]
        named = [s for s in sessions if s.name.casefold() == wanted]
        if len(named) == 1:
            return named[0]
        if named:
            choices = "; ".join(f"'{s.label}'" for s in named)
            raise CalibrationError(f"{len(named)} calibration sessions are named '{named[0].name}': give one of {choices}.")
        known = ", ".join(f"'{s.label}'" for s in sessions[:5]) or "none yet"
        raise NotFound(f"No calibration session named '{text}' (sessions: {known}).")

    def items(self, session_id: int) -> list[SessionItem]:
        """The session's interactions in order, with who has submitted a grade of each."""
        rows_ = self._ws.conn.execute(
            """SELECT i.id, i.external_id, i.channel, a.name, i.occurred_at, i.subject, ci.position,
                      (SELECT json_group_array(name) FROM (SELECT g.name FROM calibration_grades k
                          JOIN evaluations e ON e.id = k.evaluation_id JOIN graders g ON g.id = e.grader_id
                          JOIN calibration_members m ON m.session_id = k.session_id AND m.grader_id = g.id
                          AND m.removed = 0
                          WHERE k.session_id = ci.session_id AND e.interaction_id = i.id
                          AND e.status = 'submitted' ORDER BY g.name COLLATE NOCASE))
               FROM calibration_items ci JOIN interactions i ON i.id = ci.interaction_id
               LEFT JOIN agents a ON a.id = i.agent_id
               WHERE ci.session_id = ? AND ci.removed = 0 ORDER BY ci.position, i.id""", (session_id,))
        return [SessionItem(*r[:7], tuple(json.loads(r[7]))) for r in rows_]

    def progress(self, session_id: int) -> list[MemberProgress]:
        """Per grader taking part: grades submitted and in progress on the session's items."""
        benchmark = self.get(session_id).benchmark_id
        rows_ = self._ws.conn.execute(
            """SELECT g.name, g.id,
                      count(e.id) FILTER (WHERE e.status = 'submitted'),
                      count(e.id) FILTER (WHERE e.status = 'draft')
               FROM calibration_members m JOIN graders g ON g.id = m.grader_id
               LEFT JOIN (calibration_grades k JOIN evaluations e ON e.id = k.evaluation_id
                          JOIN calibration_items ci ON ci.session_id = k.session_id
                          AND ci.interaction_id = e.interaction_id AND ci.removed = 0)
                    ON k.session_id = m.session_id AND e.grader_id = m.grader_id
               WHERE m.session_id = ? AND m.removed = 0
               GROUP BY g.id ORDER BY g.name COLLATE NOCASE""", (session_id,))
        return [MemberProgress(name, gid, submitted, drafts, gid == benchmark)
                for name, gid, submitted, drafts in rows_]

    def sessions_of(self, interaction_id: int) -> list[CalibrationSession]:
        """The sessions an interaction is an item of."""
        ids = {r[0] for r in self._ws.conn.execute(
            "SELECT session_id FROM calibration_items WHERE interaction_id = ? AND removed = 0", (interaction_id,))}
        return [s for s in self.list() if s.id in ids]

    # ------------------------------------------------------------------------------ writing

    def create(self, name: str, scorecard_id: int, *, interaction_ids: Sequence[int] = (),
               graders: Iterable[str] = (), benchmark: str | None = None, held_on: str | None = None,
               notes: str = "") -> int:
        """A new open session; its id. The benchmark grader takes part too."""
        name = clean_session_name(name)
        day = clean_day(held_on)
        ws = self._ws
        card = ws.scorecards.get_by_id(scorecard_id)
        with ws.transaction():
            self._check_unique(name, None)
            benchmark_id = self._grader_ids([benchmark])[0] if benchmark and benchmark.strip() else None
            members = self._grader_ids(graders)
            session_id = writers.insert_session(ws, name=name, held_on=day, scorecard_id=card.id,
                                             benchmark_grader_id=benchmark_id, notes=clean_notes(notes))
            writers.set_session_members(ws, session_id, [*members, *([benchmark_id] if benchmark_id else [])])
            self._add_items(session_id, card.id, interaction_ids)
        return session_id

    def edit(self, session_id: int, *, name: str | None = None, held_on: str | None = None,
             notes: str | None = None) -> None:
        """Rename, re-date or annotate a session."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = clean_session_name(name)
        if held_on is not None:
            values["held_on"] = clean_day(held_on)
        if notes is not None:
            values["notes"] = clean_notes(notes)
        with self._ws.transaction():
            current = self.get(session_id)
            if "name" in values:
                self._check_unique(str(values["name"]), session_id)
            values = {k: v for k, v in values.items() if getattr(current, k) != v}
            if values:
                writers.update_session(self._ws, session_id, **values)

    def add_items(self, session_id: int, interaction_ids: Sequence[int]) -> int:
        """Add interactions to an open session; how many were new to it."""
        with self._ws.transaction():
            session = self._open_session(session_id, "add interactions to")
            return self._add_items(session_id, session.scorecard_id, interaction_ids)

    def remove_items(self, session_id: int, interaction_ids: Sequence[int]) -> int:
        """Take interactions out of an open session (grades of them stay, out of the results)."""
        with self._ws.transaction():
            self._open_session(session_id, "remove interactions from")
            return writers.remove_session_items(self._ws, session_id, interaction_ids)

    def set_graders(self, session_id: int, graders: Iterable[str], benchmark: str | None) -> None:
        """The graders taking part and the benchmark (None: the consensus), who takes part too."""
        with self._ws.transaction():
            session = self._open_session(session_id, "change the graders of")
            benchmark_id = self._grader_ids([benchmark])[0] if benchmark and benchmark.strip() else None
            members = self._grader_ids(graders)
            writers.set_session_members(self._ws, session_id, [*members, *([benchmark_id] if benchmark_id else [])])
            if benchmark_id != session.benchmark_id:
                writers.update_session(self._ws, session_id, benchmark_grader_id=benchmark_id)

    def close(self, session_id: int) -> None:
        """Close a session: grading stops and the results show everyone's answers."""
        with self._ws.transaction():
            session = self.get(session_id)
            if not session.closed:
                writers.update_session(self._ws, session_id, status=CLOSED, closed_at=utc_now())

    def reopen(self, session_id: int) -> None:
        """Reopen a closed session for more grading (answers are hidden again until it closes)."""
        with self._ws.transaction():
            session = self.get(session_id)
            if session.closed:
                writers.update_session(self._ws, session_id, status=OPEN, closed_at=None)

    def delete(self, session_id: int) -> None:
        """Delete a session (its calibration grades stay out of every analysis)."""
        with self._ws.transaction():
            self.get(session_id)
            writers.update_session(self._ws, session_id, deleted=1)

    # ------------------------------------------------------------------------------ helpers

    def _open_session(self, session_id: int, doing: str) -> CalibrationSession:
        session = self.get(session_id)
        if session.closed:
            raise CalibrationError(f"Session '{session.label}' is closed; reopen it to {doing} it.")
        return session

    def _check_unique(self, name: str, session_id: int | None) -> None:
        clash = self._ws.conn.execute(
            "SELECT 1 FROM calibration_sessions WHERE deleted = 0 AND name = ? COLLATE NOCASE AND id IS NOT ?",
            (name, session_id)).fetchone()
        if clash:
            raise CalibrationError(f"A calibration session named '{name}' already exists; choose another name.")

    def _grader_ids(self, names: Iterable[str | None]) -> list[int]:
        ids = []
        for name in names:
            if name and name.strip():
                ids.append(self._ws.graders.ensure(clean_grader_name(name)))
        return ids

    def _add_items(self, session_id: int, scorecard_id: int, interaction_ids: Sequence[int]) -> int:
        wanted = list(dict.fromkeys(int(i) for i in interaction_ids))
        if not wanted:
            return 0
        card = self._ws.scorecards.get_by_id(scorecard_id)
        found = dict(self._ws.conn.execute(
            "SELECT id, channel FROM interactions WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),)))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"No interaction with id {missing[0]}.")
        channels = card.card.channels
        if channels:
            wrong = [i for i in wanted if found[i] not in channels]
            if wrong:
                external = self._ws.interactions.get(wrong[0]).external_id
                raise CalibrationError(
                    f"Interaction {external} is a {found[wrong[0]]} interaction; scorecard '{card.label}' grades "
                    f"{', '.join(channels)} ({len(wrong)} of the {len(wanted)} chosen do not fit).")
        present = self._ws.conn.execute(
            "SELECT count(*) FROM calibration_items WHERE session_id = ? AND removed = 0", (session_id,)).fetchone()[0]
        added = writers.add_session_items(self._ws, session_id, wanted)
        if present + added > MAX_ITEMS:
            raise CalibrationError(f"A session holds at most {MAX_ITEMS} interactions ({present + added} chosen).")
        return added
