"""Coaching notes: one per coaching conversation with an agent.

A note records the day of the coaching, who coached (a grader: the people of the workspace),
the skills it is about (at least one, as the scorecards name them) and optionally the
evaluations discussed (by uuid: stable across merges), what was agreed, and a follow-up date.
The follow-up is marked done with the day and an optional note. Deleting a note hides it
(`deleted_at`): the deletion travels by merge like any later change.

Whether the coaching was followed by better grades is a question for the analysis
(`analysis/coaching_follow_up.py`), not for this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..errors import CoachingError, NotFound
from ..grading.evaluations import checked_text
from ..storage import writers
from ..storage.records import utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

FOLLOW_UP_WEEKS = 4
"""The follow-up date a new note gets unless told otherwise."""


@dataclass(frozen=True)
class CoachingNote:
    id: int
    uuid: str
    agent_id: int
    agent: str
    team: str | None
    coach: str
    coached_on: str  # YYYY-MM-DD
    skills: tuple[str, ...]
    evaluations: tuple[str, ...]  # uuids of the evaluations discussed
    agreed: str
    follow_up_on: str | None  # YYYY-MM-DD
    followed_up_on: str | None  # YYYY-MM-DD: the follow-up was done
    follow_up_note: str
    created_at: str
    updated_at: str

    @property
    def follow_up_done(self) -> bool:
        return self.followed_up_on is not None

    def overdue(self, today: date) -> bool:
        """A follow-up not done whose day has passed."""
        return (not self.follow_up_done and self.follow_up_on is not None
                and self.follow_up_on < today.isoformat())


@dataclass(frozen=True)
class NoteFilters:
    """Which notes to list; None or empty means any (names case-insensitively; dates bound
    `coached_on`, inclusive)."""

    agents: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    coaches: tuple[str, ...] | None = None
    coached_from: str | None = None
    coached_to: str | None = None


_SELECT = """
SELECT n.id, n.uuid, n.agent_id, a.name, t.name, c.name, n.coached_on, n.skills, n.evaluations, n.agreed,
       n.follow_up_on, n.followed_up_on, n.follow_up_note, n.created_at, n.updated_at
FROM coaching_notes n
JOIN agents a ON a.id = n.agent_id
JOIN graders c ON c.id = n.coach_id
LEFT JOIN teams t ON t.id = a.team_id
WHERE n.deleted_at IS NULL"""


def end_of_week(day: date) -> date:
    """The Sunday of `day`'s week (weeks run Monday to Sunday)."""
    return day + timedelta(days=6 - day.weekday())


def parse_day(value: date | str | None, what: str) -> date | None:
    """A day from a date or ``YYYY-MM-DD`` text (None stays None), or `CoachingError`."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CoachingError(f"{what}: '{text}' is not a date (expected YYYY-MM-DD).") from None


class CoachingNotes:
    """The coaching notes of a workspace: lookups, add, edit, follow up, delete."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    # ------------------------------------------------------------------ reading

    def get(self, note_id: int) -> CoachingNote:
        rows = self._query(" AND n.id = ?", [note_id])
        if not rows:
            raise NotFound(f"No coaching note with id {note_id}.")
        return rows[0]

    def for_agent(self, agent_id: int) -> list[CoachingNote]:
        """An agent's notes, newest first."""
        return self._query(" AND n.agent_id = ?", [agent_id], "n.coached_on DESC, n.id DESC")

    def list(self, filters: NoteFilters | None = None) -> list[CoachingNote]:
        """Notes matching `filters`, newest first."""
        filters = filters or NoteFilters()
        where, params = "", []
        for column, values in (("a.name", filters.agents), ("t.name", filters.teams), ("c.name", filters.coaches)):
            values = [v for v in (values or ()) if v]
            if values:
                where += f" AND {column} COLLATE NOCASE IN ({', '.join('?' * len(values))})"
                params.extend(values)
        if filters.coached_from:
            where += " AND n.coached_on >= ?"
            params.append(str(filters.coached_from)[:10])
        if filters.coached_to:
            where += " AND n.coached_on <= ?"
            params.append(str(filters.coached_to)[:10])
        return self._query(where, params, "n.coached_on DESC, n.id DESC")

    def due(self, until: date | None = None, *, teams: Sequence[str] | None = None) -> list[CoachingNote]:
        """Follow-ups not done that are due by `until` (default: the end of this week),
        overdue ones included; earliest first."""
        until = until or end_of_week(date.today())
        where, params = " AND n.followed_up_on IS NULL AND n.follow_up_on IS NOT NULL AND n.follow_up_on <= ?", \
            [until.isoformat()]
        teams = [t for t in (teams or ()) if t]
        if teams:
            where += f" AND t.name COLLATE NOCASE IN ({', '.join('?' * len(teams))})"
            params.extend(teams)
        return self._query(where, params, "n.follow_up_on, a.name COLLATE NOCASE")

    def _query(self, where: str, params: list, order: str = "n.id") -> list[CoachingNote]:
        rows = self._ws.conn.execute(f"{_SELECT}{where} ORDER BY {order}", params).fetchall()
        return [CoachingNote(*row[:7], tuple(json.loads(row[7])), tuple(json.loads(row[8])), *row[9:])
                for row in rows]

    # ------------------------------------------------------------------ operations

    def add(self, agent_id: int, *, coach: str, skills: Iterable[str], agreed: str = "",
            coached_on: date | str | None = None, follow_up_on: date | str | None = "",
            evaluations: Iterable[str] = ()) -> CoachingNote:
        """A new note about agent `agent_id`. `coached_on` defaults to today, `follow_up_on`
        to `FOLLOW_UP_WEEKS` weeks later (None: no follow-up)."""
        day = parse_day(coached_on, "The coaching date") or date.today()
        follow = (day + timedelta(weeks=FOLLOW_UP_WEEKS) if follow_up_on == ""
                  else parse_day(follow_up_on, "The follow-up date"))
        values = self._checked(agent_id, day, follow, skills, agreed, evaluations)
        with self._ws.transaction():
            self._agent(agent_id)
            coach_id = self._ws.graders.ensure(coach)
            note_id = writers.insert_coaching_note(self._ws, coach_id=coach_id, **values)
        return self.get(note_id)

    def update(self, note_id: int, *, skills: Iterable[str] | None = None, agreed: str | None = None,
               coached_on: date | str | None = None, follow_up_on: date | str | None = "",
               evaluations: Iterable[str] | None = None, coach: str | None = None) -> CoachingNote:
        """Change a note; arguments left out keep their value (`follow_up_on=None` removes
        the follow-up)."""
        note = self.get(note_id)
        day = parse_day(coached_on, "The coaching date") or date.fromisoformat(note.coached_on)
        follow = (parse_day(note.follow_up_on, "The follow-up date") if follow_up_on == ""
                  else parse_day(follow_up_on, "The follow-up date"))
        values = self._checked(note.agent_id, day, follow, note.skills if skills is None else skills,
                               note.agreed if agreed is None else agreed,
                               note.evaluations if evaluations is None else evaluations)
        current = {"agent_id": note.agent_id, "coached_on": note.coached_on, "follow_up_on": note.follow_up_on,
                   "skills": json.dumps(list(note.skills)), "agreed": note.agreed,
                   "evaluations": json.dumps(list(note.evaluations))}
        changed = {k: v for k, v in values.items() if current[k] != v}
        with self._ws.transaction():
            self.get(note_id)
            if coach is not None and coach.strip() and coach.strip().casefold() != note.coach.casefold():
                changed["coach_id"] = self._ws.graders.ensure(coach)
            if changed:
                writers.update_coaching_note(self._ws, note_id, **changed)
        return self.get(note_id)

    def complete_follow_up(self, note_id: int, *, on: date | str | None = None, note: str = "") -> CoachingNote:
        """Mark a note's follow-up done on `on` (default today), with what came of it."""
        day = parse_day(on, "The follow-up date") or date.today()
        text = checked_text(note or "", "The follow-up note").strip()
        with self._ws.transaction():
            current = self.get(note_id)
            if day.isoformat() < current.coached_on:
                raise CoachingError(f"The follow-up ({day}) cannot be before the coaching ({current.coached_on}).")
            writers.update_coaching_note(self._ws, note_id, followed_up_on=day.isoformat(), follow_up_note=text)
        return self.get(note_id)

    def reopen_follow_up(self, note_id: int) -> CoachingNote:
        """Undo `complete_follow_up`."""
        with self._ws.transaction():
            self.get(note_id)
            writers.update_coaching_note(self._ws, note_id, followed_up_on=None, follow_up_note="")
        return self.get(note_id)

    def delete(self, note_id: int) -> None:
        """Hide a note (kept as deleted, so that merging brings the deletion along)."""
        with self._ws.transaction():
            self.get(note_id)
            writers.update_coaching_note(self._ws, note_id, deleted_at=utc_now())

    # ------------------------------------------------------------------ checks

    def _agent(self, agent_id: int) -> str:
        row = self._ws.conn.execute("SELECT name FROM agents WHERE id = ?", (agent_id,)).fetchone()
        if row is None:
            raise NotFound(f"No agent with id {agent_id}.")
        return row[0]

    def _checked(self, agent_id: int, day: date, follow: date | None, skills: Iterable[str], agreed: str,
                 evaluations: Iterable[str]) -> dict[str, object]:
        """A note's columns from checked values, or `CoachingError` naming the field."""
        if follow is not None and follow < day:
            raise CoachingError(f"The follow-up date ({follow}) is before the coaching date ({day}).")
        known = {s.casefold(): s for s in self._ws.scorecards.all_skills()}
        chosen: list[str] = []
        for skill in skills:
            skill = " ".join(str(skill).split())
            if not skill:
                continue
            if skill.casefold() not in known:
                raise CoachingError(f"Skill '{skill}' is not on any scorecard; choose one of: "
                                    f"{', '.join(known.values()) or 'none yet'}.")
            if known[skill.casefold()] not in chosen:
                chosen.append(known[skill.casefold()])
        if not chosen:
            raise CoachingError("A coaching note needs at least one skill.")
        uuids = list(dict.fromkeys(str(u).strip() for u in evaluations if str(u).strip()))
        if uuids:
            found = dict(self._ws.conn.execute(
                """SELECT e.uuid, i.agent_id FROM evaluations e JOIN interactions i ON i.id = e.interaction_id
                   WHERE e.status = 'submitted' AND e.uuid IN (SELECT value FROM json_each(?))""",
                (json.dumps(uuids),)))
            for uuid in uuids:
                if uuid not in found:
                    raise CoachingError(f"Evaluation '{uuid}' is not a submitted evaluation of this workspace.")
                if found[uuid] != agent_id:
                    raise CoachingError(f"Evaluation '{uuid}' is of another agent's interaction.")
        return {"agent_id": agent_id, "coached_on": day.isoformat(),
                "follow_up_on": None if follow is None else follow.isoformat(),
                "skills": json.dumps(chosen, ensure_ascii=False),
                "agreed": checked_text(agreed or "", "What was agreed").strip(),
                "evaluations": json.dumps(uuids)}
