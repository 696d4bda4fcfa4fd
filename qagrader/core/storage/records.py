"""Small helpers for record identity and time: stable UUIDs and UTC ISO timestamps."""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import datetime, timezone

from ..errors import NotFound

SHORT_UUID = 8
"""How many leading characters of a uuid commands show and accept (like a short git hash)."""


def new_uuid() -> str:
    """A random UUID4 as text; stable across merges of workspaces."""
    return str(uuid.uuid4())


def new_uuids(count: int) -> list[str]:
    """`count` random UUID4s as text, made in bulk (much faster than `new_uuid` per row)."""
    import numpy as np  # only for bulk writes: the desktop app starts without numpy

    raw = np.frombuffer(os.urandom(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-"
            f"{h[i + 20:i + 32]}" for i in range(0, 32 * count, 32)]


def utc_now() -> str:
    """Current UTC time as ISO-8601 text with seconds, e.g. `2026-11-26T09:15:02Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def id_of_uuid(conn: sqlite3.Connection, table: str, reference: str, what: str) -> int:
    """The integer id of the row of `table` whose uuid is `reference` or starts with it (at
    least `SHORT_UUID` characters), or `NotFound` naming `what` (also when a prefix is shared)."""
    text = (reference or "").strip().lower()
    if len(text) < SHORT_UUID:
        raise NotFound(f"'{reference}' is not a {what} id: give at least its first {SHORT_UUID} characters.")
    prefix = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(f"SELECT id FROM {table} WHERE uuid LIKE ? ESCAPE '\\' LIMIT 2", (prefix + "%",)).fetchall()
    if not rows:
        raise NotFound(f"No {what} with id '{reference}'.")
    if len(rows) > 1:
        raise NotFound(f"More than one {what} has an id starting with '{reference}': give more of it.")
    return rows[0][0]
