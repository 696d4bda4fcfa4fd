"""Row writers: the one place that inserts, updates and deletes rows of the workspace's tables.

Operations (the managers' write methods, the imports, the demo) open one `ws.transaction()`,
check what they must, and call these writers for every row they write. Each writer writes one
table (an evaluation's skill scores and history go with it) and records what it wrote with
`ws.record`, so that the operation's caller learns exactly what changed (see `changes` for
what each kind's ids mean). Writers never open a transaction of their own: outside one,
`ws.record` refuses.

Bulk writers take many rows and write them with `executemany`; callers send big inputs in
chunks (checking for cancel between them) and wrap them in `bulk_write`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from .changes import (
    AGENTS, CALIBRATION_SESSIONS, COACHING_NOTES, DISPUTES, EVALUATIONS, GRADERS, INTERACTIONS, MANY, MERGES,
    SCORECARDS, TEAMS,
)
from .records import new_uuid, new_uuids, utc_now

if TYPE_CHECKING:
    from .workspace import Workspace


EVALUATION_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "interaction_id", "scorecard_id", "grader_id", "status", "answers", "overall_comment",
    "score", "auto_failed", "auto_fail_reasons", "calibration", "created_at", "updated_at", "submitted_at",
    "blind",
)
"""The values of a row for `insert_evaluations`, in order."""

EVALUATION_UPDATE_COLUMNS: tuple[str, ...] = (
    "scorecard_id", "grader_id", "status", "answers", "overall_comment", "score", "auto_failed",
    "auto_fail_reasons", "calibration", "updated_at", "submitted_at", "blind",
)
"""The values of a row for `update_evaluations`, in order, followed by the evaluation's id."""

T = TypeVar("T")
_BULK_MIN_ROWS = 20_000
_BULK_CACHE_KIB = 256 * 1024
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _writer(function: Callable[..., T]) -> Callable[..., T]:
    """A row writer: refuses to run outside `ws.transaction()` (its first argument's)."""

    @functools.wraps(function)
    def checked(ws: "Workspace", *args, **kwargs) -> T:
        if not ws.writing:
            raise RuntimeError(f"{function.__name__}() outside a transaction: run it inside ws.transaction()")
        return function(ws, *args, **kwargs)

    return checked


def nocase(name: str) -> str:
    """SQLite's NOCASE key of a name (agents and teams are unique by it): ASCII letters folded,
    everything else as is."""
    return name.translate(_ASCII_LOWER)


@_writer
def record(ws: "Workspace", kind: str, ids: Iterable[int] | None) -> None:
    """Record `ids` of `kind` as changed, or any record of it when there are more than `MANY`."""
    if ids is not None:
        ids = list(ids)
        if len(ids) > MANY:
            ids = None
    ws.record(kind, ids)


def select_in(conn, sql: str, values: Iterable) -> list[tuple]:
    """Rows of `sql`, whose one parameter is a JSON list of `values` (sent in batches); e.g.
    ``... WHERE external_id IN (SELECT value FROM json_each(?))``."""
    wanted = list(dict.fromkeys(values))
    out: list[tuple] = []
    for start in range(0, len(wanted), 50_000):
        out.extend(conn.execute(sql, (json.dumps(wanted[start:start + 50_000]),)))
    return out


@contextmanager
def bulk_write(ws: "Workspace", table: str, rows: int, *, cache_kib: int = _BULK_CACHE_KIB) -> Iterator[None]:
    """Speed up writing `rows` rows to `table` inside the open transaction: a larger page cache
    (`cache_kib`; a streaming import passes less, so that its memory stays small) and, when at least as many rows are written as the table holds (and at least 20,000), its
    non-unique indexes dropped and rebuilt at the end (one sort beats hundreds of thousands of
    scattered B-tree inserts). All inside the transaction: a crash or cancel rolls the indexes
    back with the rows."""
    if not ws.writing:
        raise RuntimeError("bulk_write() outside a transaction: run it inside ws.transaction()")
    conn = ws.conn
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-cache_kib}")
    try:
        indexes: list[tuple[str, str]] = []
        if rows >= _BULK_MIN_ROWS:
            present = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if rows >= present:
                unique = {r[1] for r in conn.execute(f"PRAGMA index_list({table})") if r[2]}
                indexes = [(name, sql) for name, sql in conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = ? AND sql IS NOT NULL", (table,)) if name not in unique]
                for name, _ in indexes:
                    conn.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


# ------------------------------------------------------------------------- teams and agents

@_writer
def insert_team(ws: "Workspace", name: str, *, uuid: str | None = None, now: str | None = None,
                created_at: str | None = None) -> int:
    """A new team; its id. `now` stamps it (`created_at`, when given, differs: a merged row)."""
    now = now or utc_now()
    team_id = ws.conn.execute("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                              (uuid or new_uuid(), name, created_at or now, now)).lastrowid
    ws.record(TEAMS, [team_id])
    return team_id


@_writer
def insert_agent(ws: "Workspace", name: str, team_id: int | None, *, active: bool = True, uuid: str | None = None,
                 now: str | None = None, created_at: str | None = None) -> int:
    """A new agent in team `team_id` (or none); its id."""
    now = now or utc_now()
    agent_id = ws.conn.execute(
        "INSERT INTO agents (uuid, name, team_id, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (uuid or new_uuid(), name, team_id, int(active), created_at or now, now)).lastrowid
    ws.record(AGENTS, [agent_id])
    return agent_id


@_writer
def ensure_teams(ws: "Workspace", names: Iterable[str | None], *, now: str | None = None) -> dict[str, int]:
    """Create the teams of `names` that do not exist (the first spelling of each wins);
    ``{nocase(name): id}`` of every name given. Blank names are skipped."""
    return _ensure(ws, "teams", TEAMS, names, None, False, now or utc_now())


@_writer
def ensure_agents(ws: "Workspace", names: Iterable[str | None], *,
                  teams: Mapping[str, int | None] | None = None, move: bool = False,
                  now: str | None = None) -> dict[str, int]:
    """Create the agents of `names` that do not exist, in the team ``teams[nocase(name)]``;
    with `move`, existing agents named in `teams` move to that team too. ``{nocase(name): id}``
    of every name given. Blank names are skipped."""
    return _ensure(ws, "agents", AGENTS, names, teams or {}, move, now or utc_now())


def _ensure(ws: "Workspace", table: str, kind: str, names: Iterable[str | None],
            teams: Mapping[str, int | None] | None, move: bool, now: str) -> dict[str, int]:
    wanted: dict[str, str] = {}
    for name in names:
        if name:
            wanted.setdefault(nocase(name), name)
    if not wanted:
        return {}
    conn = ws.conn
    lookup = f"SELECT id, name FROM {table} WHERE name IN (SELECT value FROM json_each(?))"
    ids = {nocase(name): id_ for id_, name in select_in(conn, lookup, wanted.values())}
    missing = [(key, name) for key, name in wanted.items() if key not in ids]
    if missing:
        uuids = new_uuids(len(missing))
        if teams is None:
            conn.executemany(f"INSERT INTO {table} (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                             [(u, name, now, now) for u, (_, name) in zip(uuids, missing)])
        else:
            conn.executemany(
                f"INSERT INTO {table} (uuid, name, team_id, active, created_at, updated_at) "
                "VALUES (?, ?, ?, 1, ?, ?)",
                [(u, name, teams.get(key), now, now) for u, (key, name) in zip(uuids, missing)])
        created = {nocase(name): id_ for id_, name in select_in(conn, lookup, [n for _, n in missing])}
        ids.update(created)
        record(ws, kind, created.values())
    if move and teams:
        new = {key for key, _ in missing}
        targets = {ids[key]: team_id for key, team_id in teams.items() if key in ids and key not in new}
        current = dict(select_in(conn, "SELECT id, team_id FROM agents WHERE id IN (SELECT value FROM "
                                       "json_each(?))", targets))
        moved = [(team_id, now, agent_id) for agent_id, team_id in targets.items()
                 if current.get(agent_id) != team_id]
        if moved:
            conn.executemany("UPDATE agents SET team_id = ?, updated_at = ? WHERE id = ?", moved)
            record(ws, kind, [row[2] for row in moved])
    return ids


@_writer
def update_agents(ws: "Workspace", agent_ids: Sequence[int], *, now: str | None = None, **values) -> None:
    """Set `values` (any of name, team_id, active) on the agents `agent_ids`."""
    _update(ws, "agents", AGENTS, agent_ids, ("name", "team_id", "active"), values, now)


@_writer
def update_team(ws: "Workspace", team_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (name) on team `team_id`."""
    _update(ws, "teams", TEAMS, [team_id], ("name",), values, now)


def _update(ws: "Workspace", table: str, kind: str, ids: Sequence[int], allowed: tuple[str, ...],
            values: Mapping[str, object], now: str | None) -> None:
    unknown = set(values) - set(allowed)
    if unknown or not values:
        raise TypeError(f"{table}: cannot set {', '.join(sorted(unknown)) or 'nothing'}")
    columns = ", ".join(f"{name} = ?" for name in values)
    stamp = now or utc_now()
    ws.conn.executemany(f"UPDATE {table} SET {columns}, updated_at = ? WHERE id = ?",
                        [(*values.values(), stamp, id_) for id_ in ids])
    record(ws, kind, ids)


@_writer
def merge_agent_into(ws: "Workspace", duplicate_id: int, keep_id: int, *, now: str | None = None) -> int:
    """Move the interactions and coaching notes of agent `duplicate_id` to `keep_id` and delete
    the duplicate; the number of interactions moved."""
    stamp = now or utc_now()
    moved = [row[0] for row in ws.conn.execute(
        "UPDATE interactions SET agent_id = ?, updated_at = ? WHERE agent_id = ? RETURNING id",
        (keep_id, stamp, duplicate_id))]
    notes = [row[0] for row in ws.conn.execute(
        "UPDATE coaching_notes SET agent_id = ?, updated_at = ? WHERE agent_id = ? RETURNING id",
        (keep_id, stamp, duplicate_id))]
    ws.conn.execute("DELETE FROM agents WHERE id = ?", (duplicate_id,))
    record(ws, INTERACTIONS, moved)
    if notes:
        record(ws, COACHING_NOTES, notes)
    record(ws, AGENTS, [keep_id, duplicate_id])
    return len(moved)


# ---------------------------------------------------------------------------------- graders

@_writer
def insert_graders(ws: "Workspace", names: Sequence[str], *, emails: Sequence[str | None] | None = None,
                   uuids: Sequence[str] | None = None, now: str | None = None,
                   created_at: str | None = None) -> dict[str, int]:
    """New graders (names checked and unique: see `grading.graders`); ``{name: id}``."""
    if not names:
        return {}
    now = now or utc_now()
    uuids = list(uuids) if uuids is not None else new_uuids(len(names))
    emails = list(emails) if emails is not None else [None] * len(names)
    ids = {}
    for uuid, name, email in zip(uuids, names, emails):
        ids[name] = ws.conn.execute(
            "INSERT INTO graders (uuid, name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (uuid, name, email, created_at or now, now)).lastrowid
    record(ws, GRADERS, ids.values())
    return ids


@_writer
def update_graders(ws: "Workspace", grader_ids: Sequence[int], *, now: str | None = None, **values) -> None:
    """Set `values` (name, email) on the graders `grader_ids`. A rename records GRADERS only:
    screens showing grader names (evaluations, history) refresh on it."""
    _update(ws, "graders", GRADERS, grader_ids, ("name", "email"), values, now)


@_writer
def merge_grader_into(ws: "Workspace", duplicate_id: int, keep_id: int, *, now: str | None = None) -> int:
    """Move the evaluations, edits, merges, calibration places, disputes and coaching notes of
    grader `duplicate_id` to `keep_id` and delete the duplicate; the number of evaluations moved."""
    conn = ws.conn
    moved = [row[0] for row in conn.execute(
        "UPDATE evaluations SET grader_id = ? WHERE grader_id = ? RETURNING id", (keep_id, duplicate_id))]
    conn.execute("UPDATE evaluation_history SET editor_id = ? WHERE editor_id = ?", (keep_id, duplicate_id))
    conn.execute("UPDATE merge_log SET merged_by = ? WHERE merged_by = ?", (keep_id, duplicate_id))
    conn.execute("UPDATE tombstones SET deleted_by = ? WHERE deleted_by = ?", (keep_id, duplicate_id))
    now = now or utc_now()
    _move_calibration_places(ws, keep_id, duplicate_id, now)
    disputes = {row[0] for column in ("raised_by", "resolved_by") for row in conn.execute(
        f"UPDATE disputes SET {column} = ? WHERE {column} = ? RETURNING id", (keep_id, duplicate_id))}
    notes = [row[0] for row in conn.execute(
        "UPDATE coaching_notes SET coach_id = ? WHERE coach_id = ? RETURNING id", (keep_id, duplicate_id))]
    if disputes:
        record(ws, DISPUTES, disputes)
    if notes:
        record(ws, COACHING_NOTES, notes)
    conn.execute("DELETE FROM graders WHERE id = ?", (duplicate_id,))
    conn.execute("UPDATE graders SET updated_at = ? WHERE id = ?", (now, keep_id))
    record(ws, GRADERS, [keep_id, duplicate_id])
    _record_evaluations(ws, moved)
    return len(moved)


# ----------------------------------------------------------------------------- interactions

@_writer
def insert_interactions(ws: "Workspace", columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert interactions: `rows` of values for `columns`, which name `id` first (ids are
    assigned by the caller, so that rows pointing at them need no look-ups)."""
    if columns[0] != "id":
        raise ValueError("insert_interactions needs the ids first")
    if not rows:
        return
    ws.conn.executemany(f"INSERT INTO interactions ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))})", rows)
    record(ws, INTERACTIONS, [row[0] for row in rows])


@_writer
def upsert_interactions(ws: "Workspace", columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert interactions, or update the one with the same `external_id`: `rows` of values
    for `columns` (which include uuid, external_id, created_at and updated_at; an update keeps
    the stored uuid and created_at). Custom ``fields`` (a JSON object) are patched into an
    existing row's (RFC 7396: a name given as null is removed; others are kept), so give a new
    row its object without nulls. A bulk write: recorded as any interaction."""
    updates = ", ".join(
        f"{c} = nullif(json_patch(coalesce(interactions.fields, '{{}}'), excluded.fields), '{{}}')" if c == "fields"
        else f"{c} = excluded.{c}" for c in columns if c not in ("uuid", "external_id", "created_at"))
    ws.conn.executemany(f"INSERT INTO interactions ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))}) "
                        f"ON CONFLICT(external_id) DO UPDATE SET {updates}", rows)
    ws.record(INTERACTIONS)


@_writer
def add_interaction_fields(ws: "Workspace", names: Iterable[str], *, now: str | None = None) -> dict[str, str]:
    """Register custom interaction fields not known yet (by name, case-insensitively), after the
    known ones; ``{nocase(name): the stored spelling}`` for every name given. A new field is
    recorded as any interaction (the browser's columns change)."""
    conn = ws.conn
    known = {nocase(name): name for (name,) in conn.execute("SELECT name FROM interaction_fields")}
    position = conn.execute("SELECT coalesce(max(position), 0) FROM interaction_fields").fetchone()[0]
    added = False
    for name in names:
        if nocase(name) in known:
            continue
        position += 1
        conn.execute("INSERT INTO interaction_fields (name, position, created_at) VALUES (?, ?, ?)",
                     (name, position, now or utc_now()))
        known[nocase(name)] = name
        added = True
    if added:
        ws.record(INTERACTIONS)
    return known


# ------------------------------------------------------------------------------- scorecards

@_writer
def insert_scorecard(ws: "Workspace", *, family_uuid: str, name: str, version: int, definition: str,
                     archived: bool = False, uuid: str | None = None, now: str | None = None,
                     created_at: str | None = None) -> int:
    """A new scorecard version (`definition`: its canonical JSON); its id."""
    now = now or utc_now()
    scorecard_id = ws.conn.execute(
        """INSERT INTO scorecards (uuid, family_uuid, name, version, definition, archived, created_at,
           updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (uuid or new_uuid(), family_uuid, name, version, definition, int(archived), created_at or now,
         now)).lastrowid
    ws.record(SCORECARDS, [scorecard_id])
    return scorecard_id


@_writer
def update_scorecard_version(ws: "Workspace", scorecard_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (definition: only of a version nobody has graded on; archived) on one version."""
    _update(ws, "scorecards", SCORECARDS, [scorecard_id], ("definition", "archived"), values, now)


@_writer
def update_scorecard_family(ws: "Workspace", family_uuid: str, *, now: str | None = None, **values) -> None:
    """Set `values` (name, archived) on every version of a scorecard."""
    unknown = set(values) - {"name", "archived"}
    if unknown or not values:
        raise TypeError(f"scorecards: cannot set {', '.join(sorted(unknown)) or 'nothing'}")
    columns = ", ".join(f"{name} = ?" for name in values)
    ids = [row[0] for row in ws.conn.execute(
        f"UPDATE scorecards SET {columns}, updated_at = ? WHERE family_uuid = ? RETURNING id",
        (*values.values(), now or utc_now(), family_uuid))]
    record(ws, SCORECARDS, ids)


@_writer
def delete_scorecard_family(ws: "Workspace", family_uuid: str, *, deleted_by: int | None = None,
                            now: str | None = None) -> None:
    """Delete every version of a scorecard (one nobody has graded on), leaving a tombstone for
    each so that the deletion travels by merge."""
    rows = ws.conn.execute("DELETE FROM scorecards WHERE family_uuid = ? RETURNING id, uuid", (family_uuid,)).fetchall()
    add_tombstones(ws, [("scorecards", uuid, now or utc_now(), deleted_by) for _, uuid in rows])
    record(ws, SCORECARDS, [row[0] for row in rows])


@_writer
def delete_scorecard_versions(ws: "Workspace", scorecard_ids: Sequence[int]) -> None:
    """Delete scorecard versions whose tombstones are already here (a merge brought them)."""
    ws.conn.executemany("DELETE FROM scorecards WHERE id = ?", [(i,) for i in scorecard_ids])
    record(ws, SCORECARDS, scorecard_ids)


# ------------------------------------------------------------------------------ evaluations

@_writer
def insert_evaluations(ws: "Workspace", rows: Sequence[Sequence],
                       skills: Iterable[tuple[int, str, float]]) -> None:
    """Insert evaluations (`rows` of `EVALUATION_COLUMNS`, ids assigned by the caller) and
    their skill scores (evaluation id, skill, score)."""
    if not rows:
        return
    ws.conn.executemany(f"INSERT INTO evaluations ({', '.join(EVALUATION_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(EVALUATION_COLUMNS))})", rows)
    ws.conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)", skills)
    record(ws, EVALUATIONS, [row[0] for row in rows])
    record(ws, INTERACTIONS, {row[2] for row in rows})


@_writer
def insert_evaluation(ws: "Workspace", *, interaction_id: int, scorecard_id: int, grader_id: int,
                      score: float | None, calibration: bool, now: str | None = None,
                      blind: bool | None = None) -> int:
    """A new, empty draft evaluation (score: that of no answers); its id. `blind`: graded with
    CSAT hidden (None: not known)."""
    now = now or utc_now()
    evaluation_id = ws.conn.execute(
        f"""INSERT INTO evaluations ({', '.join(EVALUATION_COLUMNS[1:])})
            VALUES (?, ?, ?, ?, 'draft', '{{}}', '', ?, 0, '[]', ?, ?, ?, NULL, ?)""",
        (new_uuid(), interaction_id, scorecard_id, grader_id, score, int(calibration), now, now,
         None if blind is None else int(blind))).lastrowid
    ws.record(EVALUATIONS, [evaluation_id])
    ws.record(INTERACTIONS, [interaction_id])
    return evaluation_id


@_writer
def update_evaluations(ws: "Workspace", rows: Sequence[Sequence], skills: Iterable[tuple[int, str, float]] | None,
                       *, columns: Sequence[str] = EVALUATION_UPDATE_COLUMNS) -> None:
    """Update evaluations (`rows` of `columns` then the id) and replace their skill scores with
    `skills` (evaluation id, skill, score; None: leave them, e.g. for `copy_skill_scores`)."""
    if not rows:
        return
    unknown = set(columns) - set(EVALUATION_COLUMNS[2:])
    if unknown:
        raise TypeError(f"evaluations: cannot set {', '.join(sorted(unknown))}")
    sets = ", ".join(f"{name} = ?" for name in columns)
    ids = [row[-1] for row in rows]
    before = _interactions_of(ws, ids) if "interaction_id" in columns else []
    ws.conn.executemany(f"UPDATE evaluations SET {sets} WHERE id = ?", rows)
    if skills is not None:
        ws.conn.executemany("DELETE FROM evaluation_skills WHERE evaluation_id = ?", [(i,) for i in ids])
        ws.conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)", skills)
    _record_evaluations(ws, ids)
    if before:
        record(ws, INTERACTIONS, before)  # the interactions they left


@_writer
def update_evaluation(ws: "Workspace", evaluation_id: int, interaction_id: int, *, answers: str,
                      overall_comment: str, score: float | None, auto_failed: bool, auto_fail_reasons: str,
                      status: str, updated_at: str, submitted_at: str | None,
                      skills: Mapping[str, float]) -> None:
    """Update one evaluation's answers (JSON), comment, score and status, and its skill scores."""
    ws.conn.execute(
        """UPDATE evaluations SET answers = ?, overall_comment = ?, score = ?, auto_failed = ?,
           auto_fail_reasons = ?, status = ?, updated_at = ?, submitted_at = ? WHERE id = ?""",
        (answers, overall_comment, score, int(auto_failed), auto_fail_reasons, status, updated_at,
         submitted_at, evaluation_id))
    ws.conn.execute("DELETE FROM evaluation_skills WHERE evaluation_id = ?", (evaluation_id,))
    ws.conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)",
                        [(evaluation_id, skill, value) for skill, value in skills.items()])
    ws.record(EVALUATIONS, [evaluation_id])
    ws.record(INTERACTIONS, [interaction_id])


@_writer
def delete_evaluation(ws: "Workspace", evaluation_id: int, interaction_id: int, *, deleted_by: int | None = None,
                      now: str | None = None) -> None:
    """Delete one (draft) evaluation with its skill scores and history, leaving a tombstone so
    that the deletion travels by merge."""
    uuid = ws.conn.execute("SELECT uuid FROM evaluations WHERE id = ?", (evaluation_id,)).fetchone()[0]
    delete_evaluations(ws, [(evaluation_id, interaction_id)])
    add_tombstones(ws, [("evaluations", uuid, now or utc_now(), deleted_by)])


@_writer
def delete_evaluations(ws: "Workspace", rows: Sequence[tuple[int, int]]) -> None:
    """Delete evaluations, `rows` of (id, interaction id), with their skill scores, history and
    calibration links; no tombstone (`delete_evaluation` leaves one; a merge brings its own)."""
    if not rows:
        return
    ids = [(row[0],) for row in rows]
    ws.conn.executemany("DELETE FROM evaluation_skills WHERE evaluation_id = ?", ids)
    ws.conn.executemany("DELETE FROM evaluation_history WHERE evaluation_id = ?", ids)
    ws.conn.executemany("DELETE FROM calibration_grades WHERE evaluation_id = ?", ids)
    ws.conn.executemany("DELETE FROM evaluations WHERE id = ?", ids)
    record(ws, EVALUATIONS, [row[0] for row in rows])
    record(ws, INTERACTIONS, {row[1] for row in rows})


# ------------------------------------------------------------------------------- tombstones

@_writer
def add_tombstones(ws: "Workspace", rows: Sequence[tuple[str, str, str, int | None]]) -> int:
    """Keep that records were deleted: `rows` of (table, uuid, deleted_at, deleted_by grader
    id or None). A record already buried keeps the later deletion (ties: the one given). How
    many rows were added or changed. Tombstones are bookkeeping: they record no Changes (the
    deletion itself records its table's)."""
    changed = 0
    for row in rows:
        changed += ws.conn.execute(
            """INSERT INTO tombstones (record_table, uuid, deleted_at, deleted_by) VALUES (?, ?, ?, ?)
               ON CONFLICT (record_table, uuid) DO UPDATE SET deleted_at = excluded.deleted_at,
                   deleted_by = excluded.deleted_by
               WHERE excluded.deleted_at >= tombstones.deleted_at
                 AND (excluded.deleted_at, excluded.deleted_by) IS NOT (tombstones.deleted_at, tombstones.deleted_by)""",
            row).rowcount
    return changed


def history_snapshot(*, answers: Mapping[str, object], overall_comment: str, score: float | None,
                     auto_failed: bool, updated_at: str, **more: object) -> str:
    """The JSON kept in `evaluation_history` of a submitted evaluation's state before an edit
    (`answers` as stored: ``{key: {"value", "na", "comment"}}``), with any `more` context (e.g.
    ``imported_from``). Who made the edit is the entry's `editor_id`, not part of the snapshot."""
    return json.dumps({"answers": answers, "overall_comment": overall_comment, "score": score,
                       "auto_failed": bool(auto_failed), "updated_at": updated_at, **more})


@_writer
def add_history(ws: "Workspace", entries: Sequence[tuple[str, int, str, str, int]]) -> None:
    """Keep earlier states of submitted evaluations: (uuid, evaluation id, saved_at, snapshot
    JSON, editor's grader id) each."""
    if not entries:
        return
    ws.conn.executemany("INSERT INTO evaluation_history (uuid, evaluation_id, saved_at, snapshot, editor_id) "
                        "VALUES (?, ?, ?, ?, ?)", entries)
    record(ws, EVALUATIONS, [entry[1] for entry in entries])


def _record_evaluations(ws: "Workspace", ids: Sequence[int]) -> None:
    """Record evaluations `ids` and the interactions they grade."""
    record(ws, EVALUATIONS, ids)
    if len(ids) > MANY:
        ws.record(INTERACTIONS)
        return
    record(ws, INTERACTIONS, _interactions_of(ws, ids))


def _interactions_of(ws: "Workspace", evaluation_ids: Sequence[int]) -> list[int]:
    if len(evaluation_ids) > MANY:
        return []
    return [row[0] for row in select_in(ws.conn, "SELECT DISTINCT interaction_id FROM evaluations "
                                                 "WHERE id IN (SELECT value FROM json_each(?))", evaluation_ids)]


# ------------------------------------------------------------------- analysis-ready store

@_writer
def write_analysis_chunks(ws: "Workspace", chunks: Mapping[int, bytes | None], *, replace_all: bool = False) -> None:
    """Store rebuilt chunks of the analysis-ready store (`analysis_store`; None: the chunk holds
    no evaluation now) and clear their marks in `analysis_dirty`; with `replace_all`, `chunks`
    is the whole store. Derived data: records no Changes (the writes it derives from did)."""
    conn = ws.conn
    if replace_all:
        conn.execute("DELETE FROM analysis_chunks")
        conn.execute("DELETE FROM analysis_dirty")
    else:
        conn.executemany("DELETE FROM analysis_dirty WHERE chunk = ?", [(c,) for c in chunks])
        conn.executemany("DELETE FROM analysis_chunks WHERE chunk = ?",
                         [(c,) for c, blob in chunks.items() if blob is None])
    conn.executemany("INSERT OR REPLACE INTO analysis_chunks (chunk, data) VALUES (?, ?)",
                     [(c, blob) for c, blob in chunks.items() if blob is not None])


# -------------------------------------------------------------------------------- merge log

@_writer
def insert_merge_log(ws: "Workspace", *, merged_at: str, source: str, source_fingerprint: str,
                     merged_by: int | None, summary: str, report: str, uuid: str | None = None) -> int:
    """What one merge of another workspace brought in (see core/merging); its id."""
    merge_id = ws.conn.execute(
        """INSERT INTO merge_log (uuid, merged_at, source, source_fingerprint, merged_by, summary, report)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (uuid or new_uuid(), merged_at, source, source_fingerprint, merged_by, summary, report)).lastrowid
    ws.record(MERGES, [merge_id])
    return merge_id


# --------------------------------------------------------------------------------- disputes

DISPUTE_COLUMNS: tuple[str, ...] = (
    "evaluation_id", "question_key", "reason", "raised_by", "raised_at", "status", "resolved_by",
    "resolved_at", "resolution", "regrade_uuid",
)
"""What a dispute holds besides its uuid and times (see core/disputes)."""


@_writer
def insert_dispute(ws: "Workspace", *, uuid: str | None = None, now: str | None = None,
                   created_at: str | None = None, **values) -> int:
    """A new dispute with `values` (of `DISPUTE_COLUMNS`; evaluation_id, reason, raised_by and
    raised_at required); its id. `now` stamps it (`created_at`, when given, differs: a merged row)."""
    return _insert(ws, "disputes", DISPUTES, DISPUTE_COLUMNS, values, uuid, now, created_at)


@_writer
def update_dispute(ws: "Workspace", dispute_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (of `DISPUTE_COLUMNS`) on one dispute."""
    _update(ws, "disputes", DISPUTES, [dispute_id], DISPUTE_COLUMNS, values, now)


# --------------------------------------------------------------------------- coaching notes

COACHING_NOTE_COLUMNS: tuple[str, ...] = (
    "agent_id", "coach_id", "coached_on", "skills", "evaluations", "agreed", "follow_up_on", "followed_up_on",
    "follow_up_note", "deleted_at",
)
"""What a coaching note holds besides its uuid and times (see core/coaching)."""


@_writer
def insert_coaching_note(ws: "Workspace", *, uuid: str | None = None, now: str | None = None,
                         created_at: str | None = None, **values) -> int:
    """A new coaching note with `values` (of `COACHING_NOTE_COLUMNS`; agent_id, coach_id,
    coached_on and skills required); its id."""
    return _insert(ws, "coaching_notes", COACHING_NOTES, COACHING_NOTE_COLUMNS, values, uuid, now, created_at)


@_writer
def update_coaching_note(ws: "Workspace", note_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (of `COACHING_NOTE_COLUMNS`) on one coaching note."""
    _update(ws, "coaching_notes", COACHING_NOTES, [note_id], COACHING_NOTE_COLUMNS, values, now)


def _insert(ws: "Workspace", table: str, kind: str, allowed: tuple[str, ...], values: Mapping[str, object],
            uuid: str | None, now: str | None, created_at: str | None) -> int:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"{table}: cannot set {', '.join(sorted(unknown))}")
    now = now or utc_now()
    columns = ["uuid", *values, "created_at", "updated_at"]
    row_id = ws.conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        (uuid or new_uuid(), *values.values(), created_at or now, now)).lastrowid
    ws.record(kind, [row_id])
    return row_id


# ------------------------------------------------- copies from an attached workspace (merging)
# A merge attaches the other workspace's copy as schema `source` (core/merging) and copies big
# sets of rows with one INSERT ... SELECT each, through a temporary table of id pairs.

@contextmanager
def temporary_rows(ws: "Workspace", name: str, columns: Sequence[str], rows: Sequence[Sequence]) -> Iterator[str]:
    """A temporary table `temp.<name>` of `rows` (the first column: an integer primary key) for
    the statements inside the block, dropped at its end; its qualified name."""
    ws.conn.execute(f"CREATE TEMP TABLE {name} ({columns[0]} INTEGER PRIMARY KEY, {', '.join(columns[1:])})")
    ws.conn.executemany(f"INSERT INTO temp.{name} VALUES ({', '.join('?' * len(columns))})", rows)
    try:
        yield f"temp.{name}"
    finally:
        ws.conn.execute(f"DROP TABLE temp.{name}")


@_writer
def copy_interactions(ws: "Workspace", source: str, content: Sequence[str], rows: Sequence[tuple]) -> None:
    """New interactions copied from `source`.interactions: `rows` of (new id, uuid, agent id,
    team id, source id); the `content` columns, external id and timestamps come from the source."""
    if not rows:
        return
    columns = ", ".join(content)
    with temporary_rows(ws, "copied_interactions", ("local_id", "uuid", "agent_id", "team_id", "source_id"),
                        rows) as table:
        ws.conn.execute(
            f"""INSERT INTO main.interactions (id, uuid, external_id, agent_id, team_id, {columns}, created_at,
                updated_at)
                SELECT m.local_id, m.uuid, o.external_id, m.agent_id, m.team_id, {', '.join(f'o.{c}' for c in content)},
                       o.created_at, o.updated_at
                FROM {table} m JOIN {source}.interactions o ON o.id = m.source_id ORDER BY m.local_id""")
    record(ws, INTERACTIONS, [row[0] for row in rows])


@_writer
def update_interactions_from(ws: "Workspace", source: str, content: Sequence[str], rows: Sequence[tuple]) -> None:
    """Interactions given the `content` columns and `updated_at` of a `source`.interactions row:
    `rows` of (source id, agent id, team id, id)."""
    if not rows:
        return
    columns = ", ".join(content)
    ws.conn.executemany(
        f"""UPDATE main.interactions SET ({columns}, updated_at) =
            (SELECT {columns}, updated_at FROM {source}.interactions WHERE id = ?), agent_id = ?, team_id = ?
            WHERE id = ?""", rows)
    record(ws, INTERACTIONS, [row[3] for row in rows])


@_writer
def copy_skill_scores(ws: "Workspace", source: str, pairs: Sequence[tuple[int, int]], *, replace: bool) -> None:
    """Give evaluations the skill scores of `source`.evaluation_skills: `pairs` of (evaluation
    id, source evaluation id); with `replace`, their own scores are deleted first (new
    evaluations have none)."""
    if not pairs:
        return
    if replace:
        ws.conn.executemany("DELETE FROM main.evaluation_skills WHERE evaluation_id = ?", [(i,) for i, _ in pairs])
    with temporary_rows(ws, "copied_skills", ("local_id", "source_id"), pairs) as table:
        ws.conn.execute(f"""INSERT INTO main.evaluation_skills (evaluation_id, skill, score)
                            SELECT m.local_id, k.skill, k.score FROM {table} m
                            JOIN {source}.evaluation_skills k ON k.evaluation_id = m.source_id""")
    record(ws, EVALUATIONS, [i for i, _ in pairs])


@_writer
def touch_evaluations(ws: "Workspace", rows: Sequence[tuple[str, int]]) -> None:
    """Give evaluations a later `updated_at` only (the same version, changed later elsewhere):
    `rows` of (updated_at, id)."""
    if not rows:
        return
    ws.conn.executemany("UPDATE main.evaluations SET updated_at = ? WHERE id = ?", rows)
    record(ws, EVALUATIONS, [row[1] for row in rows])


# ------------------------------------------------------------------------------ calibration
# Sessions, their items (interactions) and members (graders), and the links of calibration
# evaluations to their session. Items and members are never deleted: a removal sets `removed`
# (and `updated_at`) so that it travels by merge; adding a removed one back clears the flag.
# Every write records CALIBRATION_SESSIONS with the session's id.

SESSION_FIELDS: tuple[str, ...] = ("name", "held_on", "scorecard_id", "benchmark_grader_id", "status", "closed_at",
                                   "deleted", "notes")
"""What `update_session` may set."""
CALIBRATION_TABLES: tuple[str, ...] = ("calibration_sessions", "calibration_items", "calibration_members",
                                       "calibration_grades")


@_writer
def insert_session(ws: "Workspace", *, name: str, held_on: str, scorecard_id: int,
                   benchmark_grader_id: int | None, notes: str = "", uuid: str | None = None,
                   now: str | None = None) -> int:
    """A new open calibration session; its id."""
    now = now or utc_now()
    session_id = ws.conn.execute(
        """INSERT INTO calibration_sessions (uuid, name, held_on, scorecard_id, benchmark_grader_id, status,
           notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)""",
        (uuid or new_uuid(), name, held_on, scorecard_id, benchmark_grader_id, notes, now, now)).lastrowid
    ws.record(CALIBRATION_SESSIONS, [session_id])
    return session_id


@_writer
def update_session(ws: "Workspace", session_id: int, *, now: str | None = None, **values) -> None:
    """Set `values` (any of `SESSION_FIELDS`) on one session."""
    unknown = set(values) - set(SESSION_FIELDS)
    if unknown or not values:
        raise TypeError(f"calibration_sessions: cannot set {', '.join(sorted(unknown)) or 'nothing'}")
    columns = ", ".join(f"{name} = ?" for name in values)
    ws.conn.execute(f"UPDATE calibration_sessions SET {columns}, updated_at = ? WHERE id = ?",
                    (*values.values(), now or utc_now(), session_id))
    ws.record(CALIBRATION_SESSIONS, [session_id])


@_writer
def add_session_items(ws: "Workspace", session_id: int, interaction_ids: Iterable[int], *,
                      now: str | None = None) -> int:
    """Put interactions into a session after its current items (a removed one comes back at its
    old place); how many were not in it."""
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


@_writer
def remove_session_items(ws: "Workspace", session_id: int, interaction_ids: Iterable[int], *,
                         now: str | None = None) -> int:
    """Take interactions out of a session (their grades stay, out of the results); how many."""
    removed = ws.conn.execute(
        "UPDATE calibration_items SET removed = 1, updated_at = ? WHERE session_id = ? AND removed = 0 "
        "AND interaction_id IN (SELECT value FROM json_each(?))",
        (now or utc_now(), session_id, json.dumps(list(interaction_ids)))).rowcount
    if removed:
        ws.record(CALIBRATION_SESSIONS, [session_id])
    return removed


@_writer
def set_session_members(ws: "Workspace", session_id: int, grader_ids: Iterable[int], *,
                        now: str | None = None) -> None:
    """Make exactly `grader_ids` the graders taking part (others are marked removed)."""
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


@_writer
def link_calibration_grades(ws: "Workspace", session_id: int, evaluation_ids: Sequence[int]) -> None:
    """Tie calibration evaluations to their session."""
    ws.conn.executemany("INSERT INTO calibration_grades (evaluation_id, session_id) VALUES (?, ?)",
                        [(e, session_id) for e in evaluation_ids])
    if evaluation_ids:
        ws.record(CALIBRATION_SESSIONS, [session_id])


def _move_calibration_places(ws: "Workspace", keep_id: int, duplicate_id: int, now: str) -> None:
    """A grader merged into another: the duplicate's places in sessions, and its being a
    benchmark, move to `keep_id` (one place per session)."""
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
    record(ws, CALIBRATION_SESSIONS, sessions)


@_writer
def merge_calibration_rows(ws: "Workspace", table: str, columns: Sequence[str], inserts: Sequence[Sequence], *,
                           updated: Sequence[str] = (), updates: Sequence[Sequence] = (),
                           key: Sequence[str] = (), sessions: Iterable[int]) -> None:
    """A merge step's writes to one calibration table: `inserts` (values of `columns`) and
    `updates` (values of the `updated` columns, then of the `key` columns), recorded as changes
    of `sessions`."""
    if table not in CALIBRATION_TABLES:
        raise ValueError(table)
    conn = ws.conn
    conn.executemany(f"INSERT INTO main.{table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                     inserts)
    if updated:
        conn.executemany(f"UPDATE main.{table} SET {', '.join(f'{c} = ?' for c in updated)} "
                         f"WHERE {' AND '.join(f'{c} = ?' for c in key)}", updates)
    changed = sorted(set(sessions))
    if changed:
        record(ws, CALIBRATION_SESSIONS, changed)
