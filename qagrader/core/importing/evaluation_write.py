"""The write step of the evaluation import (`evaluations`): checked, scored rows into the database in one transaction.

New interactions are inserted, with their agents and teams created by name (a new agent joins
the first team named with it); new evaluations are inserted and changed ones updated, keeping a
submitted one's previous state in ``evaluation_history``; ``evaluation_skills`` follow the
recomputed scores. The rows come from `evaluations.import_evaluations`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from ..grading.graders import ensure_graders, grader_key
from ..storage.records import new_uuid, utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace
    from .evaluation_rows import EvaluationRow

_CHUNK = 5_000
_WRITE_CACHE_KIB = -256 * 1024  # SQLite page cache while writing (negative = KiB): 256 MB at most


def select_in(conn, sql: str, values: Iterable[str]) -> list[tuple]:
    """Rows of `sql`, whose one parameter is a JSON list of `values` (sent in batches)."""
    wanted = list(dict.fromkeys(values))
    out: list[tuple] = []
    for start in range(0, len(wanted), 50_000):
        out.extend(conn.execute(sql, (json.dumps(wanted[start:start + 50_000]),)))
    return out


def write_evaluations(ws: "Workspace", created: list[EvaluationRow], changed: list[EvaluationRow],
                      interactions: dict[str, tuple], check: Callable[[float], None],
                      progress_from: float) -> None:
    """Insert `created`, update `changed` and create the new `interactions` (``{external_id:
    values}``) with their agents and teams. Everything in one transaction (rolled back on error
    or cancel). New rows get their integer ids up front (the transaction holds the write lock),
    so that rows pointing at them need no look-ups. `check` is called with progress fractions
    from `progress_from` to 1."""
    now = utc_now()
    cache_size = ws.conn.execute("PRAGMA cache_size").fetchone()[0]
    ws.conn.execute(f"PRAGMA cache_size = {_WRITE_CACHE_KIB}")  # fewer page reads in big indexes
    try:
        _write_all(ws, created, changed, interactions, check, now, progress_from)
    finally:
        ws.conn.execute(f"PRAGMA cache_size = {cache_size}")


def _write_all(ws: "Workspace", created: list[EvaluationRow], changed: list[EvaluationRow],
               interactions: dict[str, tuple], check: Callable[[float], None], now: str,
               progress_from: float) -> None:
    with ws.transaction() as conn:
        team_ids = _ensure(conn, "teams", [v[2] for v in interactions.values()], now)
        agent_team: dict[str, int] = {}  # a new agent joins the first team named with it
        for v in interactions.values():
            if v[1] and v[2]:
                agent_team.setdefault(_nocase(v[1]), team_ids[_nocase(v[2])])
        agent_ids = _ensure(conn, "agents", [v[1] for v in interactions.values()], now, agent_team)
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM interactions").fetchone()[0]
        interaction_ids = {ext: first + k for k, ext in enumerate(interactions)}
        conn.executemany(
            """INSERT INTO interactions (id, uuid, external_id, channel, agent_id, team_id, brand,
               csat_raw, csat_scale, csat_norm, satisfied, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [(interaction_ids[ext], new_uuid(), ext, ch, agent_ids[_nocase(a)] if a else None,
              team_ids[_nocase(t)] if t else None, b, *csat, now, now)
             for ext, (ch, a, t, b, *csat) in interactions.items()])
        known = {r.external_id for r in created} - interaction_ids.keys()
        interaction_ids.update(select_in(conn, "SELECT external_id, id FROM interactions WHERE "
                                          "external_id IN (SELECT value FROM json_each(?))", known))
        check(progress_from + 0.05)
        grader_ids = ensure_graders(ws, [r.grader for r in created] + [r.grader for r in changed], now=now)
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluations").fetchone()[0]
        insert = """INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status,
            answers, overall_comment, score, auto_failed, auto_fail_reasons, calibration,
            created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
        update = """UPDATE evaluations SET scorecard_id = ?, grader_id = ?, status = ?, answers = ?,
            overall_comment = ?, score = ?, auto_failed = ?, auto_fail_reasons = ?, calibration = ?,
            updated_at = ?, submitted_at = ? WHERE id = ?"""
        total = max(len(created) + len(changed), 1)
        for start in range(0, len(created), _CHUNK):
            chunk = list(enumerate(created[start:start + _CHUNK], first + start))
            conn.executemany(insert, [_insert_values(i, r, interaction_ids[r.external_id],
                                                     grader_ids[grader_key(r.grader)], now) for i, r in chunk])
            _skills(conn, chunk)
            check(progress_from + (1 - progress_from) * (start + len(chunk)) / total)
        for start in range(0, len(changed), _CHUNK):
            rows = changed[start:start + _CHUNK]
            conn.executemany(
                "INSERT INTO evaluation_history (uuid, evaluation_id, saved_at, snapshot, editor_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [(new_uuid(), r.existing[1], now, _snapshot(r.existing),  # type: ignore[index]
                  grader_ids[grader_key(r.grader)]) for r in rows
                 if r.existing[5] == "submitted"])  # type: ignore[index]
            conn.executemany(update, [_update_values(r, grader_ids[grader_key(r.grader)], now) for r in rows])
            conn.executemany("DELETE FROM evaluation_skills WHERE evaluation_id = ?",
                             [(r.existing[1],) for r in rows])  # type: ignore[index]
            _skills(conn, [(r.existing[1], r) for r in rows])  # type: ignore[index]
            check(progress_from + (1 - progress_from) * (len(created) + start + len(rows)) / total)


def _scored(r: EvaluationRow) -> tuple:
    result = r.result
    assert result is not None
    return (r.answers.json, r.comment, result.total, int(result.auto_failed), r.reasons)


def _insert_values(id_: int, r: EvaluationRow, interaction_id: int, grader_id: int, now: str) -> tuple:
    when = r.graded_at or now
    return (id_, r.uuid, interaction_id, r.card.id, grader_id, r.status, *_scored(r), r.calibration,
            when, when, when if r.status == "submitted" else None)


def _update_values(r: EvaluationRow, grader_id: int, now: str) -> tuple:
    old_submitted_at = r.existing[12]  # type: ignore[index]
    if r.status == "submitted":
        updated_at, submitted_at = now, r.graded_at or old_submitted_at or now
    else:
        updated_at, submitted_at = r.graded_at or now, None
    return (r.card.id, grader_id, r.status, *_scored(r), r.calibration, updated_at, submitted_at,
            r.existing[1])  # type: ignore[index]


def _snapshot(existing: tuple) -> str:
    """The previous state of a submitted evaluation, as `Evaluations.save` keeps it."""
    answers = json.loads(existing[6])
    return json.dumps({"answers": answers, "overall_comment": existing[7], "score": existing[9],
                       "auto_failed": bool(existing[10]), "updated_at": existing[11]})


def _skills(conn, rows: list[tuple[int, EvaluationRow]]) -> None:
    conn.executemany(
        "INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)",
        [(i, skill, value) for i, r in rows for skill, value in r.result.skills.items()])  # type: ignore[union-attr]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _nocase(name: str) -> str:
    """SQLite's NOCASE key: ASCII letters folded, everything else as is."""
    return name.translate(_ASCII_LOWER)


def _ensure(conn, table: str, names: Iterable[str | None], now: str,
            teams: Mapping[str, int | None] | None = None) -> dict[str, int]:
    """Create missing teams/agents by name; ``{nocase(name): id}`` for `names`."""
    wanted: dict[str, str] = {}
    for name in names:
        if name:
            wanted.setdefault(_nocase(name), name)
    if not wanted:
        return {}
    if teams is None:
        conn.executemany(f"INSERT OR IGNORE INTO {table} (uuid, name, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?)", [(new_uuid(), n, now, now) for n in wanted.values()])
    else:
        conn.executemany(f"INSERT OR IGNORE INTO {table} (uuid, name, team_id, active, created_at, "
                         "updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                         [(new_uuid(), n, teams.get(k), now, now) for k, n in wanted.items()])
    sql = f"SELECT id, name FROM {table} WHERE name IN (SELECT value FROM json_each(?))"
    return {_nocase(name): id_ for id_, name in conn.execute(sql, (json.dumps(list(wanted.values())),))}
