"""The other workspace of a merge is input like a CSV: its text is held to the rules of
docs/INPUT_RULES.md (`input_rules`) before anything comes in, and what the app parses (answers,
scorecard definitions, lists) must parse. A file written by a hostile or broken program is
refused with one line naming the file, the table, the record and the field; nothing is merged.

Checked in SQL (GLOB character classes, `json_valid`, `length`), so a large file costs a scan
in C, not a Python call per cell.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..errors import WorkspaceError
from ..input_rules import MAX_NAME_CHARS, MAX_TEXT_CHARS, describe_char
from .tombstones import DELETABLE_TABLES

# the columns that hold names (no control character at all, at most MAX_NAME_CHARS)
NAME_COLUMNS = frozenset({"name", "channel", "external_id", "brand", "skill", "question_key", "csat_scale"})
# the columns the app parses as JSON, by table
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "scorecards": ("definition",),
    "evaluations": ("answers", "auto_fail_reasons"),
    "evaluation_history": ("snapshot",),
    "coaching_notes": ("skills", "evaluations"),
    "interactions": ("fields",),
}
SKIPPED_TABLES = frozenset({"analysis_chunks", "analysis_dirty", "_sqlite_migrations", "merge_log"})
# control characters as GLOB classes: free text keeps tab, line feed and carriage return
_IN_TEXT = "*[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*"
_IN_NAME = "*[\x01-\x1f\x7f-\x9f]*"


def refuse_hostile_content(conn: sqlite3.Connection, shown: Path) -> None:
    """`WorkspaceError` naming the first cell of the workspace on `conn` that breaks the input
    rules (`shown` is the file as the user named it); nothing is written. One scan per table."""
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        if table in SKIPPED_TABLES:
            continue
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        texts = [row[1] for row in info if (row[2] or "").upper() in ("TEXT", "")]
        if not texts:
            continue
        primary = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
        key = ('"uuid"' if any(row[1] == "uuid" for row in info)
               else " || '/' || ".join(f'"{c}"' for c in primary) if primary else "rowid")
        checks, params = [], []
        for column in texts:
            sql, param = _column_check(table, column)
            checks.append(sql)
            params.append(param)
        suspects = conn.execute(f'SELECT {key}, {", ".join(f"{chr(34)}{c}{chr(34)}" for c in texts)} '
                                f'FROM "{table}" WHERE {" OR ".join(checks)}', [p for p in params if p])
        for row in suspects:  # (the SQL may flag a harmless cell: e.g. a backslash before "u0007")
            record = f"record {row[0]}" if key == '"uuid"' else f"row {row[0]}"
            for column, value in zip(texts, row[1:]):
                why = _problem(table, column, value)
                if why is not None:
                    raise WorkspaceError(f"{shown}: {table} {record}, field {column}: {why}; nothing was merged.")
    if "tombstones" in tables:
        _refuse_bad_tombstones(conn, shown)


_STAMP = "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]*"


def _refuse_bad_tombstones(conn: sqlite3.Connection, shown: Path) -> None:
    """A tombstone deletes records here: it must name a table whose records can be deleted, a
    uuid, a time as the app writes it, and a grader of its file (or none)."""
    listed = ", ".join(f"'{t}'" for t in DELETABLE_TABLES)
    bad = conn.execute(f"""
        SELECT t.uuid, CASE
            WHEN typeof(t.record_table) != 'text' OR t.record_table NOT IN ({listed}) THEN 'record_table'
            WHEN typeof(t.uuid) != 'text' OR length(t.uuid) = 0 THEN 'uuid'
            WHEN typeof(t.deleted_at) != 'text' OR t.deleted_at NOT GLOB ? THEN 'deleted_at'
            ELSE 'deleted_by' END
        FROM tombstones t
        WHERE typeof(t.record_table) != 'text' OR t.record_table NOT IN ({listed})
           OR typeof(t.uuid) != 'text' OR length(t.uuid) = 0
           OR typeof(t.deleted_at) != 'text' OR t.deleted_at NOT GLOB ?
           OR (t.deleted_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM graders g WHERE g.id = t.deleted_by))
        LIMIT 1""", (_STAMP, _STAMP)).fetchone()
    if bad is not None:
        uuid, column = bad
        why = {"record_table": f"not a kind of record that can be deleted ({', '.join(DELETABLE_TABLES)})",
               "uuid": "no uuid", "deleted_at": "not a time as QA Grader writes it (YYYY-MM-DDTHH:MM:SS...)",
               "deleted_by": "names no grader of that workspace"}[column]
        raise WorkspaceError(f"{shown}: tombstones record {uuid}, field {column}: {why}; nothing was merged.")


def _column_check(table: str, column: str) -> tuple[str, str | None]:
    """SQL true when the column's value may break a rule, and its GLOB pattern (None: none).
    JSON holds control characters only escaped (json_valid refuses raw ones): ``\\u00XX``."""
    is_name = column in NAME_COLUMNS
    limit = MAX_NAME_CHARS if is_name else MAX_TEXT_CHARS
    checks = [f'instr("{column}", char(0)) > 0', f'length("{column}") > {limit}']
    if column in JSON_COLUMNS.get(table, ()):
        checks.append(f'NOT json_valid("{column}")')
        escaped = " OR ".join(f"instr(\"{column}\", '\\u00{hex_}') > 0" for hex_ in ("0", "1", "7f", "8", "9"))
        checks.append(f"(instr(\"{column}\", '\\u00') > 0 AND ({escaped}))")  # one pass when none
        pattern = None
    else:
        checks.append(f'"{column}" GLOB ?')
        pattern = _IN_NAME if is_name else _IN_TEXT
    return f"(typeof(\"{column}\") = 'text' AND ({' OR '.join(checks)}))", pattern


def _problem(table: str, column: str, value: object) -> str | None:
    """Why `value` breaks a rule, or None."""
    if not isinstance(value, str):
        return None
    is_name = column in NAME_COLUMNS
    limit = MAX_NAME_CHARS if is_name else MAX_TEXT_CHARS
    if len(value) > limit:
        kind = "a name" if is_name else "a field"
        return f"{len(value):,} characters, more than {kind} may hold ({limit:,})"
    texts = [value]
    if column in JSON_COLUMNS.get(table, ()):
        try:
            texts = list(_strings(json.loads(value)))
        except (ValueError, RecursionError):
            return "not valid JSON (the app cannot read it)"
        is_name = False  # answers, comments, definitions: free text
    for text in texts:
        bad = next((c for c in text if c == "\x00" or (ord(c) < 32 and (is_name or c not in "\t\n\r"))
                    or 0x7F <= ord(c) <= 0x9F), None)
        if bad is not None:
            return f"{describe_char(bad)} is not allowed in {'a name' if is_name else 'text'}"
    return None


def _strings(value: object):
    """Every string (keys too) in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
