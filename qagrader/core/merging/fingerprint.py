"""A workspace's fingerprint: a digest of everything a merge carries, by stable keys.

Two workspaces holding the same work have the same fingerprint, whatever their integer ids,
the order rows were written in, or which laptop imported an interaction first; merging a file a
second time leaves the fingerprint as it was. Local bookkeeping (the merge log, integer ids,
creation times, a scorecard's display name and version number) is not part of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from . import tables  # noqa: F401  (registers the core tables' steps)
from .steps import MERGE_STEPS


def fingerprint(conn: sqlite3.Connection, schema: str = "main") -> str:
    """The fingerprint of the workspace on `conn` (or of the one attached as `schema`)."""
    digest = hashlib.sha256()
    for step in MERGE_STEPS:
        if not step.fingerprint_sql:
            continue
        digest.update(f"\x1e{step.table}\x1e".encode())
        for row in conn.execute(step.fingerprint_sql.format(s=schema)):
            values = list(row)
            for index in step.json_columns:
                if values[index] is not None:
                    values[index] = json.loads(values[index])
            for index in step.json_columns:
                values[index] = json.dumps(values[index], sort_keys=True)
            digest.update(repr(values).encode())  # repr of str, int, float and None is exact
            digest.update(b"\n")
    return digest.hexdigest()
