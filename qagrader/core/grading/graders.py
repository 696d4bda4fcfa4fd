"""Graders are people: one row each, referenced by their evaluations and by the edits they made.

A grader's name is unique case-insensitively (like agents). Renaming a grader renames them
everywhere (evaluations and history point at the row); two spellings of one person are merged
into one row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound, QAGraderError
from ..input_rules import text_problem
from ..storage import writers

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

_MAX_NAME = 120
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Grader:
    id: int
    uuid: str
    name: str
    email: str | None
    evaluations: int  # submitted, calibration included
    drafts: int
    last_graded_at: str | None


def clean_grader_name(name: str | None) -> str:
    """`name` trimmed, or `QAGraderError` when blank, too long or holding a control character."""
    name = " ".join((name or "").split())
    if not name:
        raise QAGraderError("The grader name cannot be empty.")
    if len(name) > _MAX_NAME:
        raise QAGraderError(f"The grader name is too long ({len(name)} characters, at most {_MAX_NAME}).")
    problem = text_problem(name, name=True)
    if problem:
        raise QAGraderError(f"The grader name {problem}; nothing was changed.")
    return name


def grader_key(name: str) -> str:
    """The key grader names are unique by: spaces collapsed, then SQLite's NOCASE (ASCII
    letters folded)."""
    return " ".join(name.split()).translate(_ASCII_LOWER)


def ensure_graders(ws: "Workspace", names: Iterable[str], *, now: str | None = None) -> dict[str, int]:
    """Inside an open transaction: create the graders of `names` that do not exist (the first
    spelling wins); ``{grader_key(name): id}`` of every name given."""
    wanted: dict[str, str] = {}
    for name in names:
        if name and name.strip():
            wanted.setdefault(grader_key(name), clean_grader_name(name))
    if not wanted:
        return {}
    lookup = "SELECT id, name FROM graders WHERE name IN (SELECT value FROM json_each(?))"
    ids = {grader_key(n): i for i, n in ws.conn.execute(lookup, (json.dumps(list(wanted.values())),))}
    missing = [name for key, name in wanted.items() if key not in ids]
    created = writers.insert_graders(ws, missing, now=now)
    ids.update((grader_key(name), id_) for name, id_ in created.items())
    return ids


class Graders:
    """The people who grade in this workspace."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    def list(self) -> list[Grader]:
        """Every grader with their counts, by name."""
        rows = self._ws.conn.execute(
            """SELECT g.id, g.uuid, g.name, g.email,
                      count(e.id) FILTER (WHERE e.status = 'submitted'),
                      count(e.id) FILTER (WHERE e.status = 'draft'),
                      max(e.submitted_at)
               FROM graders g LEFT JOIN evaluations e ON e.grader_id = g.id
               GROUP BY g.id ORDER BY g.name COLLATE NOCASE""").fetchall()
        return [Grader(*row) for row in rows]

    def names(self) -> list[str]:
        return [r[0] for r in self._ws.conn.execute("SELECT name FROM graders ORDER BY name COLLATE NOCASE")]

    def get(self, grader_id: int) -> Grader:
        for grader in self.list():
            if grader.id == grader_id:
                return grader
        raise NotFound(f"No grader with id {grader_id}.")

    def find(self, name: str) -> int | None:
        """The id of the grader called `name` (any case), or None."""
        row = self._ws.conn.execute("SELECT id FROM graders WHERE name = ?", (" ".join(name.split()),)).fetchone()
        return row[0] if row else None

    def ensure(self, name: str, email: str | None = None) -> int:
        """The id of the grader called `name` (any case), created if new."""
        name = clean_grader_name(name)
        existing = self.find(name)
        if existing is not None:
            return existing
        with self._ws.transaction():
            return writers.insert_graders(self._ws, [name], emails=[(email or "").strip() or None])[name]

    def register(self, name: str, email: str | None = None) -> int:
        """Who is grading: the grader called `name`, created if new, with `email` when one is
        given, in one transaction (nobody sees the grader without the email)."""
        with self._ws.transaction():
            grader = self.ensure(name)
            if (email or "").strip():
                self.set_email(grader, email)
            return grader

    def rename(self, grader_id: int, new_name: str) -> None:
        """Rename a grader everywhere; refuses a name another grader has (merge them instead)."""
        new_name = clean_grader_name(new_name)
        self.get(grader_id)
        with self._ws.transaction() as conn:
            clash = conn.execute("SELECT name FROM graders WHERE name = ? AND id != ?", (new_name, grader_id)).fetchone()
            if clash:
                raise QAGraderError(f"A grader named '{clash[0]}' already exists; merge the two instead.")
            writers.update_graders(self._ws, [grader_id], name=new_name)

    def set_email(self, grader_id: int, email: str | None) -> None:
        self.get(grader_id)
        email = (email or "").strip() or None
        if email is not None and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
            raise QAGraderError(f"'{email}' is not an email address.")
        with self._ws.transaction():
            writers.update_graders(self._ws, [grader_id], email=email)

    def merge(self, keep_id: int, duplicate_id: int) -> int:
        """Two spellings of one person: the duplicate's evaluations and edits move to `keep_id`
        and the duplicate is removed. Returns the number of evaluations moved."""
        if keep_id == duplicate_id:
            raise QAGraderError("Choose two different graders to merge.")
        self.get(keep_id)
        self.get(duplicate_id)
        with self._ws.transaction():
            return writers.merge_grader_into(self._ws, duplicate_id, keep_id)
