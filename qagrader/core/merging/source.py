"""The other workspace of a merge, read without touching it.

SQLite writes beside a file it opens (even read-only, a WAL database gets ``-wal``/``-shm``
files), so the merge never opens the other file: it copies the file (and its ``-wal``, when
another app has it open) into a private temporary folder and works on the copy. The copy is
checked as `--db` checks a file (not a workspace, or written by a newer QA Grader: refused,
naming the original) and an older one is migrated there; then its pages (`integrity.quick_check`)
and its content (`content`: the input rules) are checked. A file being written while it is
copied may be copied torn; SQLite's checksums then make the copy fail to open, and the merge is
refused with nothing changed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import WorkspaceError
from ..storage.integrity import refuse_if_damaged
from .content import refuse_hostile_content
from ..storage.workspace import APPLICATION_ID, Workspace, check_compatible

_SQLITE_HEADER = b"SQLite format 3\x00"


def is_workspace_file(path: Path) -> bool:
    """Whether `path` looks like a QA Grader workspace (its header only; nothing is opened)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return False
    return (len(header) == 100 and header.startswith(_SQLITE_HEADER)
            and int.from_bytes(header[68:72], "big") == APPLICATION_ID)


@contextmanager
def private_copy(path: Path) -> Iterator[Path]:
    """A migrated copy of the workspace at `path` in a temporary folder, removed afterwards."""
    if not path.exists():
        raise WorkspaceError(f"No workspace at {path}.")
    if not path.is_file():
        raise WorkspaceError(f"{path} is a folder, not a workspace file.")
    with tempfile.TemporaryDirectory(prefix="qagrader-merge-") as folder:
        copy = Path(folder) / "other.qagrader"
        try:
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + "-wal")
            if wal.is_file() and wal.stat().st_size:
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        except OSError as error:
            raise WorkspaceError(f"Cannot read {path}: {error.strerror or error}.") from error
        if os.path.getsize(copy) == 0:
            raise WorkspaceError(f"{path} is empty, not a QA Grader workspace.")
        conn = sqlite3.connect(copy)
        try:
            if not check_compatible(conn, path) and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise WorkspaceError(f"{path} is an empty database, not a QA Grader workspace.")
        except sqlite3.DatabaseError as error:
            raise WorkspaceError(f"{path} is not a QA Grader workspace ({error}).") from error
        finally:
            conn.close()
        try:
            other = Workspace.open(copy, create=False)
        except WorkspaceError as error:
            raise WorkspaceError(f"{path} cannot be read as a workspace: "
                                 f"{str(error).replace(str(copy), 'the copy')}") from error
        with other:
            refuse_if_damaged(other.conn, path, doing="merged")  # never bring damage in
            refuse_hostile_content(other.conn, path)  # nor text the importers would refuse
        yield copy
