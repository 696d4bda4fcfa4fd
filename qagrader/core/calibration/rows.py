"""Row writers of the calibration tables: the one place that writes sessions, their items,
members and grade links, each recording what it wrote (`Workspace.record`, kind
`CALIBRATION_SESSIONS` with the session's id; a new calibration evaluation also as
`EVALUATIONS`). They run inside the caller's `ws.transaction()` and refuse to run outside one.

Items and members are never deleted: a removal sets `removed` (and `updated_at`), so that it
travels by merge like any other change; adding a removed one back clears the flag.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..storage.changes import CALIBRATION_SESSIONS, EVALUATIONS
from ..storage.records import new_uuid, utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

SESSION_FIELDS = ("name", "held_on", "scorecard_id", "benchmark_grader_id", "status", "closed_at", "deleted",
                  "notes")
"""What `update_session` may set."""


def _check(ws: "Workspace") -> None:
    if not ws.conn.in_transaction:
        raise RuntimeError("calibration rows are written inside ws.transaction()")


def insert_session(ws: "Workspace", *, name: str, held_on: str, scorecard_id: int,
                   benchmark_grader_id: int | None, notes: str = "", uuid: str | None = None,
                   now: str | None = None) -> int:
    """A new open session; its id."""
    _check(ws)
    now = now or utc_now()
    session_id = ws.conn.execute(
        """INSERT INTO calibration_sessions (uuid, name, held_on, scorecard_id, benchmark_grader_id, status,
           notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)""",
        (uuid or new_uuid(), name, held_on, scorecard_id, benchmark_grader_id, notes, now, now)).lastrowid
    ws.record(CALIBRATION_SESSIONS, [session_id])
    return session_id


def update_session(ws: "Workspace", session_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (any of `SESSION_FIELDS`) on one session."""
    _check(ws)
    unknown = set(values) - set(SESSION_FIELDS)
    if unknown or not values:
        raise TypeError(f"calibration_sessions: cannot set {', '.join(sorted(unknown)) or 'nothing'}")
    columns = ", ".join(f"{name} = ?" for name in values)
    ws.conn.execute(f"UPDATE calibration_sessions SET {columns}, updated_at = ? WHERE id = ?",
                    (*values.values(), now or utc_now(), session_id))
    ws.record(CALIBRATION_SESSIONS, [session_id])


def add_items(ws: "Workspace", session_id: int, interaction_ids: Iterable[int], *, now: str | None = None) -> int:
    """Put interactions into a session after its current items (a removed one comes back at its
    old place); how many were not in it."""
    _check(ws)
    now = now or utc_now()
    conn = ws.conn
    current = dict(conn.execute("SELECT interaction_id, removed FROM calibration_items WHERE session_id = ?",
                                (session_id,)))
    position = conn.execute("SELECT coalesce(max(position), 0) FROM calibration_items WHERE session_id = ?",
                            (session_id,)).fetchone()[0]
    new, back = [], []
    for interaction_id in dict.fromkeys(interaction_ids):
        if interaction_id not in current:
            position += 1
            new.append((session_id, interaction_id, position, now))
        elif current[interaction_id]:
            back.append((now, session_id, interaction_id))
    conn.executemany("INSERT INTO calibration_items (session_id, interaction_id, position, updated_at) "
                     "VALUES (?, ?, ?, ?)", new)
    conn.executemany("UPDATE calibration_items SET removed = 0, updated_at = ? WHERE session_id = ? "
                     "AND interaction_id = ?", back)
    if new or back:
        ws.record(CALIBRATION_SESSIONS, [session_id])
    return len(new) + len(back)


def remove_items(ws: "Workspace", session_id: int, interaction_ids: Iterable[int], *,
                 now: str | None = None) -> int:
    """Take interactions out of a session (their grades stay, out of the results); how many."""
    _check(ws)
    removed = ws.conn.execute(
        "UPDATE calibration_items SET removed = 1, updated_at = ? WHERE session_id = ? AND removed = 0 "
        "AND interaction_id IN (SELECT value FROM json_each(?))",
        (now or utc_now(), session_id, json.dumps(list(interaction_ids)))).rowcount
    if removed:
        ws.record(CALIBRATION_SESSIONS, [session_id])
    return removed


def set_members(ws: "Workspace", session_id: int, grader_ids: Iterable[int], *, now: str | None = None) -> None:
    """Make exactly `grader_ids` the graders taking part (others are marked removed)."""
    _check(ws)
    now = now or utc_now()
    conn = ws.conn
    wanted = set(grader_ids)
    current = dict(conn.execute("SELECT grader_id, removed FROM calibration_members WHERE session_id = ?",
                                (session_id,)))
    conn.executemany("INSERT INTO calibration_members (session_id, grader_id, updated_at) VALUES (?, ?, ?)",
                     [(session_id, g, now) for g in sorted(wanted - set(current))])
    flips = [(int(g not in wanted), now, session_id, g) for g, removed in current.items()
             if bool(removed) != (g not in wanted)]
    conn.executemany("UPDATE calibration_members SET removed = ?, updated_at = ? WHERE session_id = ? "
                     "AND grader_id = ?", flips)
    if flips or wanted - set(current):
        ws.record(CALIBRATION_SESSIONS, [session_id])


def insert_calibration_draft(ws: "Workspace", session_id: int, *, interaction_id: int, scorecard_id: int,
                             grader_id: int, score: float | None, now: str | None = None) -> int:
    """A new, empty calibration evaluation of a session's item by one of its graders; its id."""
    _check(ws)
    now = now or utc_now()
    evaluation_id = ws.conn.execute(
        """INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers,
           overall_comment, score, auto_failed, auto_fail_reasons, calibration, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'draft', '{}', '', ?, 0, '[]', 1, ?, ?)""",
        (new_uuid(), interaction_id, scorecard_id, grader_id, score, now, now)).lastrowid
    ws.conn.execute("INSERT INTO calibration_grades (evaluation_id, session_id) VALUES (?, ?)",
                    (evaluation_id, session_id))
    ws.record(EVALUATIONS, [evaluation_id])
    ws.record(CALIBRATION_SESSIONS, [session_id])
    return evaluation_id


def replace_grader(ws: "Workspace", keep_id: int, duplicate_id: int, *, now: str | None = None) -> None:
    """Two spellings of one grader become one (see `Graders.merge`): the duplicate's places in
    sessions, and its being a benchmark, move to `keep_id`."""
    _check(ws)
    now = now or utc_now()
    conn = ws.conn
    sessions = [r[0] for r in conn.execute(
        "SELECT session_id FROM calibration_members WHERE grader_id = ? UNION "
        "SELECT id FROM calibration_sessions WHERE benchmark_grader_id = ?", (duplicate_id, duplicate_id))]
    if not sessions:
        return
    conn.execute("""UPDATE calibration_members AS m SET removed = min(m.removed, d.removed), updated_at = ?
                    FROM calibration_members d WHERE d.session_id = m.session_id AND d.grader_id = ?
                    AND m.grader_id = ?""", (now, duplicate_id, keep_id))
    conn.execute("""UPDATE calibration_members SET grader_id = ?, updated_at = ? WHERE grader_id = ? AND NOT EXISTS
                    (SELECT 1 FROM calibration_members k WHERE k.session_id = calibration_members.session_id
                     AND k.grader_id = ?)""", (keep_id, now, duplicate_id, keep_id))
    conn.execute("DELETE FROM calibration_members WHERE grader_id = ?", (duplicate_id,))
    conn.execute("UPDATE calibration_sessions SET benchmark_grader_id = ?, updated_at = ? "
                 "WHERE benchmark_grader_id = ?", (keep_id, now, duplicate_id))
    ws.record(CALIBRATION_SESSIONS, sessions)


def merged_rows(ws: "Workspace", table: str, columns: tuple[str, ...], inserts: Iterable[tuple], *,
                updated: tuple[str, ...] = (), updates: Iterable[tuple] = (), key: tuple[str, ...] = (),
                sessions: Iterable[int]) -> None:
    """A merge step's writes to one calibration table: `inserts` (values of `columns`) and
    `updates` (values of the `updated` columns, then of the `key` columns), recorded as changes
    of `sessions`."""
    _check(ws)
    if table not in ("calibration_sessions", "calibration_items", "calibration_members", "calibration_grades"):
        raise ValueError(table)
    conn = ws.conn
    conn.executemany(f"INSERT INTO main.{table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                     inserts)
    if updated:
        conn.executemany(f"UPDATE main.{table} SET {', '.join(f'{c} = ?' for c in updated)} "
                         f"WHERE {' AND '.join(f'{c} = ?' for c in key)}", updates)
    changed = sorted(set(sessions))
    if changed:
        ws.record(CALIBRATION_SESSIONS, changed if len(changed) <= 10_000 else None)


GRADE_COLUMNS = ("uuid", "interaction_id", "scorecard_id", "grader_id", "status", "answers", "overall_comment",
                 "score", "auto_failed", "auto_fail_reasons", "created_at", "updated_at", "submitted_at")
"""The values of a row for `insert_calibration_grades`, in order."""


def insert_calibration_grades(ws: "Workspace", session_id: int, grades: Iterable[tuple],
                              skills: Iterable[Iterable[tuple[str, float]]]) -> list[int]:
    """Calibration evaluations of a session made elsewhere (the demo): `grades` of
    `GRADE_COLUMNS` values, `skills` their skill scores; their ids."""
    _check(ws)
    conn = ws.conn
    ids = []
    for values, scores in zip(grades, skills):
        evaluation_id = conn.execute(
            f"INSERT INTO evaluations ({', '.join(GRADE_COLUMNS)}, calibration) "
            f"VALUES ({', '.join('?' * len(GRADE_COLUMNS))}, 1)", values).lastrowid
        conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)",
                         [(evaluation_id, skill, value) for skill, value in scores])
        ids.append(evaluation_id)
    conn.executemany("INSERT INTO calibration_grades (evaluation_id, session_id) VALUES (?, ?)",
                     [(i, session_id) for i in ids])
    if ids:
        ws.record(EVALUATIONS, ids)
        ws.record(CALIBRATION_SESSIONS, [session_id])
    return ids
