"""The workspace: one SQLite file, opened once, owning the connection and the managers.

Storage goes through sqlite-utils (`Database`, and `Migrations` in `migrations.py`), imported
when first needed: importing it takes ~65 ms, a fifth of the desktop app's start-up, and
opening a workspace that already has this version's schema needs neither.
"""

from __future__ import annotations

import itertools
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkspaceError
from .changes import Changes

if TYPE_CHECKING:
    from sqlite_utils import Database

APPLICATION_ID = 0x51414752  # "QAGR": marks a SQLite file as a QA Grader workspace
BUSY_TIMEOUT_MS = 10_000
# This version's schema: the names of the migrations in migrations.py, in order (their number
# is `SCHEMA_VERSION` there). A file stamped with it (`PRAGMA user_version`, `_sqlite_migrations`)
# opens without loading the migrations. Append the name of every new migration here too;
# tests/core/test_workspace.py checks that the two agree.
SCHEMA_MIGRATIONS: tuple[str, ...] = ("0001_initial", "0002_browse_indexes", "0003_score_index", "0004_graders",
                                     "0005_merge_log")
_MIGRATIONS_MODULE = f"{__package__}.migrations"


class Workspace:
    """An open workspace. Use `Workspace.open(path)`; close with `close()` or a `with` block.

    Managers: `scorecards`, `interactions`, `evaluations`, `graders`. Writes go through `transaction()`.
    One Workspace per thread: a worker thread calls `reopen()` for its own connection.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection):
        from ..grading.evaluations import Evaluations
        from ..grading.graders import Graders
        from ..interactions.store import Interactions
        from ..scorecards.store import Scorecards

        self.path = path
        self.conn = conn
        self._db: Database | None = None
        self._pending = Changes()  # recorded by the open transaction
        self._committed = Changes()  # committed since the last take_changes()
        self.scorecards = Scorecards(self)
        self.interactions = Interactions(self)
        self.evaluations = Evaluations(self)
        self.graders = Graders(self)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "Workspace":
        """Open (or create) the workspace at `path`, migrating an older schema after a backup.

        A file written by a newer QA Grader, or a SQLite file that is not a workspace, is refused
        with `WorkspaceError` and left untouched.
        """
        path = Path(path).expanduser()
        if not path.exists() and not create:
            raise WorkspaceError(f"No workspace at {path}.")
        if path.exists() and path.is_dir():
            raise WorkspaceError(f"{path} is a folder, not a workspace file.")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
            current = check_compatible(conn, path)
        except sqlite3.DatabaseError as error:
            raise WorkspaceError(f"{path} is not a QA Grader workspace ({error}).") from error
        except WorkspaceError:
            conn.close()
            raise
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils' Database sets it
            workspace = cls(path, conn)
            if not current:
                workspace._migrate()
        except sqlite3.DatabaseError as error:
            conn.close()
            raise WorkspaceError(f"Cannot open workspace {path}: {error}") from error
        return workspace

    @property
    def db(self) -> Database:
        """sqlite-utils' `Database` on this workspace's connection (made on first use)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def reopen(self) -> "Workspace":
        """A second connection to the same file, for another thread."""
        return Workspace.open(self.path, create=False)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. `BEGIN IMMEDIATE` takes the write lock up front, so a second
        process waits on the busy timeout instead of failing; nested calls use savepoints."""
        if self.conn.in_transaction:
            with _savepoint(self):
                yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._pending = Changes()
        try:
            yield self.conn
        except BaseException:
            self._pending = Changes()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
            self._committed = self._committed | self._pending
            self._pending = Changes()

    def record(self, kind: str, ids=None) -> None:
        """Note, inside a transaction, that records of `kind` (these ids, or any) were written.
        Reported by `take_changes()` once the transaction commits."""
        if not self.conn.in_transaction:
            raise RuntimeError("record() outside a transaction")
        self._pending = self._pending | Changes.of(kind, ids)

    def take_changes(self) -> Changes:
        """What the transactions committed on this connection changed since the last call."""
        taken, self._committed = self._committed, Changes()
        return taken

    def apply(self, operation, /, *args, **kwargs):
        """Run `operation(self, *args, **kwargs)`; return `(its value, what it changed)`."""
        self.take_changes()
        value = operation(self, *args, **kwargs)
        return value, self.take_changes()

    def counts(self) -> dict[str, int]:
        """Row counts for the status bar."""
        query = """SELECT
            (SELECT count(*) FROM interactions),
            (SELECT count(*) FROM evaluations WHERE status = 'submitted' AND calibration = 0),
            (SELECT count(*) FROM evaluations WHERE status = 'draft'),
            (SELECT count(*) FROM agents),
            (SELECT count(*) FROM scorecards WHERE archived = 0)"""
        row = self.conn.execute(query).fetchone()
        keys = ("interactions", "submitted", "drafts", "agents", "scorecards")
        return dict(zip(keys, row))

    def backup_to(self, target: str | Path) -> Path:
        """Write a consistent copy of the workspace (SQLite backup API) to `target`."""
        target = Path(target)
        if target.resolve() == self.path.resolve():
            raise WorkspaceError("Choose a different file for the copy.")
        if target.exists():
            target.unlink()
        copy = sqlite3.connect(str(target))
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        return target

    def _migrate(self) -> None:
        from .migrations import SCHEMA_VERSION, migrations

        pending = migrations.pending(self.db)
        if not pending:
            return
        if migrations.applied(self.db):
            self._backup_before_migration()
        migrations.apply(self.db)
        self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _backup_before_migration(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = self.path.with_name(f"{self.path.stem}.before-migration-{stamp}{self.path.suffix}")
        self.backup_to(backup)
        return backup


def check_compatible(conn: sqlite3.Connection, path: Path) -> bool:
    """Refuse, without writing anything, files that are not ours or are from a newer version.

    True when the file already has this version's schema, so that nothing can be pending. That
    is known from the file's stamp and `SCHEMA_MIGRATIONS` without loading the migrations; once
    they are loaded they are asked instead (code may register more at run time)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return False
    if app_id != APPLICATION_ID:
        raise WorkspaceError(f"{path} is a SQLite file but not a QA Grader workspace.")
    applied = set()
    if "_sqlite_migrations" in tables:
        applied = {row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")}
    if _MIGRATIONS_MODULE not in sys.modules:
        if version == len(SCHEMA_MIGRATIONS) and applied == set(SCHEMA_MIGRATIONS):
            return True
    from .migrations import KNOWN_MIGRATIONS, SCHEMA_VERSION

    unknown = applied - set(KNOWN_MIGRATIONS)
    if version > SCHEMA_VERSION or unknown:
        raise WorkspaceError(
            f"{path} was written by a newer version of QA Grader (schema {version}, this "
            f"version knows {SCHEMA_VERSION}). Update QA Grader to open it; the file was not changed."
        )
    return False



_SAVEPOINTS = itertools.count(1)


@contextmanager
def _savepoint(ws: Workspace) -> Iterator[None]:
    """A transaction nested in another: a savepoint, rolled back alone when its block fails
    (with what it recorded). Plain SQL, so that writing never needs sqlite-utils (and with it
    pandas, which sqlite-utils imports when installed)."""
    name = f"qagrader_{next(_SAVEPOINTS)}"
    recorded = ws._pending
    ws.conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        ws.conn.execute(f"ROLLBACK TO {name}")
        ws.conn.execute(f"RELEASE {name}")
        ws._pending = recorded
        raise
    ws.conn.execute(f"RELEASE {name}")
