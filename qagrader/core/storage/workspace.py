"""The workspace: one SQLite file, opened once, owning the connection and the managers.

Storage goes through sqlite-utils (`Database`, and `Migrations` in `migrations.py`), imported
when first needed: importing it takes ~65 ms, a fifth of the desktop app's start-up, and
opening a workspace that already has this version's schema needs neither.
"""

from __future__ import annotations

import itertools
import math
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..errors import WorkspaceBusy, WorkspaceDamaged, WorkspaceError, WorkspaceReadOnly
from ..faults import (
    busy_message, damaged_message, describe_database_error, describe_os_error, is_busy, is_damage,
    read_only_message,
)
from .changes import MANY, Changes
from .files import (
    OutputError, check_folder, copy_database, protect, remove_stale_temps, temp_path,
    unprotect,
)
from .names import backup_name

if TYPE_CHECKING:
    from sqlite_utils import Database

APPLICATION_ID = 0x51414752  # "QAGR": marks a SQLite file as a QA Grader workspace
DEFAULT_BUSY_TIMEOUT_S = 15.0
ENV_BUSY_TIMEOUT = "QAGRADER_BUSY_TIMEOUT"
# Tables every workspace has; one missing means the file is damaged.
REQUIRED_TABLES = frozenset({"teams", "agents", "interactions", "scorecards", "evaluations",
                             "evaluation_skills", "evaluation_history"})
# This version's schema: the names of the migrations in migrations.py, in order (their number
# is `SCHEMA_VERSION` there). A file stamped with it (`PRAGMA user_version`, `_sqlite_migrations`)
# opens without loading the migrations. Append the name of every new migration here too;
# tests/core/test_workspace.py checks that the two agree.
SCHEMA_MIGRATIONS: tuple[str, ...] = ("0001_initial", "0002_browse_indexes", "0003_score_index", "0004_graders",
                                      "0005_merge_log", "0006_blind_grading",
                                      "0007_calibration", "0008_disputes_coaching", "0009_analysis_store",
                                      "0010_custom_fields", "0011_tombstones", "0012_analysis_answers")
# What a file with this version's schema must hold: its tables, and the triggers that keep the
# analysis-ready store and the graders right. Checked on every open of such a file (from
# sqlite_master, which opening reads anyway: microseconds); one missing means the file is
# damaged. tests/core/test_workspace.py checks them against a new workspace.
SCHEMA_TABLES = frozenset({
    "_sqlite_migrations", "teams", "agents", "interactions", "interaction_fields", "scorecards",
    "evaluations", "evaluation_skills", "evaluation_history", "graders", "merge_log",
    "calibration_sessions", "calibration_members", "calibration_items", "calibration_grades",
    "disputes", "coaching_notes", "analysis_chunks", "analysis_dirty", "tombstones"})
SCHEMA_TRIGGERS = frozenset({
    "analysis_evaluation_added", "analysis_evaluation_changed", "analysis_evaluation_deleted",
    "analysis_interaction_changed", "analysis_scorecard_changed", "analysis_skill_added", "analysis_skill_changed",
    "analysis_skill_deleted", "evaluation_history_need_uuid", "evaluations_keep_grader",
    "evaluations_need_grader"})
_MIGRATIONS_MODULE = f"{__package__}.migrations"


class Workspace:
    """An open workspace. Use `Workspace.open(path)`; close with `close()` or a `with` block.

    Managers: `scorecards`, `interactions`, `evaluations`, `graders`, `calibration`, `disputes`,
    `coaching`. Writes go through `transaction()`.
    One Workspace per thread: a worker thread calls `reopen()` for its own connection.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, busy_timeout_s: float | None = None):
        from ..calibration.sessions import CalibrationSessions
        from ..coaching.notes import CoachingNotes
        from ..disputes.store import Disputes
        from ..grading.evaluations import Evaluations
        from ..grading.graders import Graders
        from ..interactions.store import Interactions
        from ..scorecards.store import Scorecards

        self.path = path
        self.conn = conn
        self.busy_timeout_s = busy_timeout() if busy_timeout_s is None else busy_timeout_s
        self._closed = False
        self.read_only = False  # opened read-only: every transaction() is refused
        self.opened_stamp: tuple[int, int] | None = None
        self._db: Database | None = None
        self._pending: dict[str, set[int] | None] = {}  # recorded by the open transaction, by kind
        self._depth = 0  # open transaction() blocks
        self._committed = Changes()  # committed since the last take_changes()
        self._analysis_store: bool | None = None  # the file has the analysis-ready store (known once asked)
        self.scorecards = Scorecards(self)
        self.interactions = Interactions(self)
        self.evaluations = Evaluations(self)
        self.graders = Graders(self)
        self.calibration = CalibrationSessions(self)
        self.disputes = Disputes(self)
        self.coaching = CoachingNotes(self)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True,
             busy_timeout_s: float | None = None, read_only: bool | None = False) -> "Workspace":
        """Open (or, with `create`, create) the workspace at `path`, migrating an older schema
        after a backup.

        Refused with `WorkspaceError`, creating and changing nothing: a missing file without
        `create`, a missing folder, a folder, a file that is not a workspace (or is empty while
        `create` is False), a damaged workspace, a file from a newer QA Grader. Writes wait up to
        `busy_timeout_s` (default: `busy_timeout()`) for another program's write lock.

        `read_only`: False (default) refuses a workspace this user cannot write
        (`WorkspaceReadOnly`); None opens it read-only then (reading commands, the app); True
        always opens read-only. A read-only workspace (`self.read_only`) refuses every
        `transaction()` with one line and creates no file beside it (`read_only_connection`);
        one from an older version is refused, since reading it needs the upgrade.
        """
        path = Path(path).expanduser()
        if path.is_dir():
            raise WorkspaceError(f"{path} is a folder, not a workspace file.")
        existed = path.exists()
        if not existed:
            if not create or read_only:
                raise WorkspaceError(f"There is no workspace at {path}; nothing was created. "
                                     f"Check the name, or import or build a demo to create one.")
            try:
                check_folder(path.parent)
            except OutputError as error:
                raise WorkspaceError(f"Cannot create the workspace {path}: {error}") from error
        elif read_only is not True and not can_write(path):
            if read_only is False:
                raise WorkspaceReadOnly(read_only_message(path))
            read_only = True
        if read_only:
            return cls._open_read_only(path, busy_timeout() if busy_timeout_s is None else busy_timeout_s)
        remove_stale_temps(path.parent)
        budget = busy_timeout() if busy_timeout_s is None else busy_timeout_s
        if not existed:
            cls._create(path, budget)
        conn = None
        try:
            conn = sqlite3.connect(str(path), timeout=budget)
            conn.execute(f"PRAGMA busy_timeout = {int(budget * 1000)}")
            current = check_compatible(conn, path)
            if not current and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils' Database sets it
            workspace = cls(path, conn, budget)
            if not current:
                workspace._migrate()
        except BaseException as error:
            if conn is not None:
                conn.close()
            if not existed:  # a refused or failed creation leaves nothing behind
                remove_workspace_files(path, only_if_empty=True)
            if isinstance(error, sqlite3.Error):
                raise workspace_error(error, path) from error
            raise
        protect(path)
        return workspace

    @classmethod
    def _open_read_only(cls, path: Path, budget: float) -> "Workspace":
        conn = None
        try:
            conn = read_only_connection(path, budget)
            if not check_compatible(conn, path):
                from .migrations import migrations

                if migrations.pending(_sqlite_utils_database(conn)):
                    raise WorkspaceReadOnly(
                        f"{path} is read-only and was written by an older version of QA Grader: "
                        f"it must be upgraded before it can be read, which needs write access. Ask "
                        f"for write access or open a copy; nothing was changed.")
            conn.execute("PRAGMA foreign_keys = ON")
            workspace = cls(path, conn, budget)
        except BaseException as error:
            if conn is not None:
                conn.close()
            if isinstance(error, sqlite3.Error):
                raise workspace_error(error, path) from error
            raise
        workspace.read_only = True
        workspace.opened_stamp = file_stamp(path)
        protect(path)
        return workspace

    @classmethod
    def _create(cls, path: Path, budget: float) -> None:
        """Make a new workspace at `path` atomically: built complete in a temporary file beside
        it, then linked into place only if nothing is there yet (a process creating the same
        file at the same moment wins or loses as a whole; nobody sees a half-made file)."""
        building = temp_path(path)
        try:
            conn = sqlite3.connect(str(building), timeout=budget)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                workspace = cls(building, conn, budget)
                workspace._migrate()
            finally:
                conn.close()
            try:
                os.link(building, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(building, path)
        except sqlite3.Error as error:
            raise workspace_error(error, path) from error
        except OSError as error:
            raise WorkspaceError(f"Cannot create the workspace {path}: "
                                 f"{describe_os_error(error, path)}") from error
        finally:
            remove_workspace_files(building)
    @property
    def db(self) -> Database:
        """sqlite-utils' `Database` on this workspace's connection (made on first use)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def reopen(self) -> "Workspace":
        """A second connection to the same file, for another thread (read-only if this is)."""
        return Workspace.open(self.path, create=False, busy_timeout_s=self.busy_timeout_s,
                              read_only=True if self.read_only else False)

    def changed_since_opened(self) -> bool:
        """A read-only workspace whose file another program changed while it was open (what
        was read may mix the two states: read it again)."""
        return self.read_only and file_stamp(self.path) != self.opened_stamp

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            unprotect(self.path)
        self.conn.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. `BEGIN IMMEDIATE` takes the write lock up front; while another
        program holds it, the write waits with backoff up to `busy_timeout_s`, then raises
        `WorkspaceBusy` with nothing changed. Nested calls use savepoints."""
        if self.read_only:
            raise WorkspaceReadOnly(read_only_message(self.path))
        self._depth += 1
        try:
            if self.conn.in_transaction:
                recorded = {kind: None if ids is None else set(ids) for kind, ids in self._pending.items()}
                try:
                    with _savepoint(self.conn):
                        yield self.conn
                except BaseException:
                    self._pending = recorded  # the savepoint rolled back: so did what it recorded
                    raise
                return
            self._begin_immediate()
            self._pending = {}
            try:
                yield self.conn
            except BaseException as error:
                self._abandon(error)
                raise
            else:
                try:
                    self._refresh_analysis_store()
                    self.conn.execute("COMMIT")
                except BaseException as error:
                    self._abandon(error)
                    raise
                self._committed = self._committed | Changes(MappingProxyType(
                    {kind: None if ids is None else frozenset(ids) for kind, ids in self._pending.items()}))
                self._pending = {}
        finally:
            self._depth -= 1

    def _refresh_analysis_store(self) -> None:
        """Rebuild, inside the committing transaction, the chunks of the analysis-ready store
        that its writes marked (`analysis_store`: triggers mark them)."""
        if self._analysis_store is None:
            self._analysis_store = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analysis_dirty'").fetchone() is not None
        if not self._analysis_store:
            return
        dirty = [row[0] for row in self.conn.execute("SELECT chunk FROM analysis_dirty ORDER BY chunk")]
        if dirty:
            from .analysis_store import refresh

            refresh(self, dirty)

    def _abandon(self, error: BaseException) -> None:
        """Roll the open transaction back with what it recorded; a lock held too long by
        another program becomes `WorkspaceBusy`."""
        self._pending = {}
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if is_busy(error):
            raise WorkspaceBusy(busy_message(self.path)) from error

    @property
    def writing(self) -> bool:
        """True inside a `transaction()` block (where row writers may run)."""
        return self._depth > 0

    def _begin_immediate(self) -> None:
        """Take the write lock, waiting up to the budget. SQLite's busy handler waits with
        backoff; the loop covers the cases it returns at once (e.g. a WAL recovery)."""
        deadline = time.monotonic() + self.busy_timeout_s
        pause = 0.01
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
                if time.monotonic() + pause > deadline:
                    raise WorkspaceBusy(busy_message(self.path)) from error
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def record(self, kind: str, ids=None) -> None:
        """Note, inside a transaction, that records of `kind` (these ids, or any) were written;
        more than `MANY` ids in one transaction become "any". Reported by `take_changes()` once
        the transaction commits."""
        if not self.writing:
            raise RuntimeError("record() outside a transaction")
        if kind in self._pending and self._pending[kind] is None:
            return
        if ids is None:
            self._pending[kind] = None
            return
        pending = self._pending.setdefault(kind, set())
        pending.update(ids)  # type: ignore[union-attr]
        if len(pending) > MANY:  # type: ignore[arg-type]
            self._pending[kind] = None

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
        """Counts for the status bar, as every screen counts them: team grades (calibration
        grades apart, in `calibration`), submitted and drafts; scorecards in use (not archived;
        a scorecard with several versions counts once)."""
        query = """SELECT
            (SELECT count(*) FROM interactions),
            (SELECT count(*) FROM evaluations WHERE status = 'submitted' AND calibration = 0),
            (SELECT count(*) FROM evaluations WHERE status = 'draft' AND calibration = 0),
            (SELECT count(*) FROM evaluations WHERE calibration = 1),
            (SELECT count(*) FROM agents),
            (SELECT count(DISTINCT family_uuid) FROM scorecards WHERE archived = 0)"""
        row = self.conn.execute(query).fetchone()
        keys = ("interactions", "submitted", "drafts", "calibration", "agents", "scorecards")
        return dict(zip(keys, row))

    def backup_to(self, target: str | Path) -> Path:
        """Write a consistent copy of the workspace (SQLite backup API) to `target`, atomically:
        an existing file there is replaced only by a complete copy. The workspace itself, its
        side files and backups are refused (`storage.files.check_output`)."""
        return copy_database(self.conn, target)

    def _migrate(self) -> None:
        """Apply pending migrations under the write lock (a second process opening the same new
        file waits, then finds nothing pending), after a backup of a workspace that has data."""
        from .migrations import SCHEMA_VERSION, migrations

        if not migrations.pending(self.db):
            return
        if migrations.applied(self.db):
            self._backup_before_migration()  # outside the lock: the backup API reads the file
        self._begin_immediate()
        try:
            if migrations.pending(self.db):
                migrations.apply(self.db)
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        self._analysis_store = None
        with self.transaction():  # builds what the migrations marked (the analysis-ready store)
            pass

    def _backup_before_migration(self) -> Path:
        """A complete copy next to the workspace (written atomically, so a half-written backup
        never carries a backup's name)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup, n = backup_name(self.path, stamp), 1
        while backup.exists():
            n += 1
            backup = backup_name(self.path, f"{stamp}-{n}")
        return copy_database(self.conn, backup, new_backup=True, mode_from=self.path)


def busy_timeout() -> float:
    """Seconds a write waits for another program's lock: `$QAGRADER_BUSY_TIMEOUT`, else 15."""
    try:
        value = float(os.environ.get(ENV_BUSY_TIMEOUT, ""))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_S
    return value if math.isfinite(value) and value >= 0 else DEFAULT_BUSY_TIMEOUT_S


def can_write(path: Path) -> bool:
    """Whether this user can write the workspace at `path`: the file, and its folder (where
    SQLite keeps the -wal and -shm files) unless both of those exist and are writable."""
    if not os.access(path, os.W_OK):
        return False
    if os.access(path.parent, os.W_OK | os.X_OK):
        return True
    return all(os.access(f"{path}{suffix}", os.W_OK) for suffix in ("-wal", "-shm"))


def read_only_connection(path: Path, budget: float = DEFAULT_BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection to `path` that cannot write and creates no file beside it.

    While another program has the workspace open (its ``-wal`` is there) SQLite's ``mode=ro``
    reads through that program's -wal and -shm. Otherwise nobody is writing it and
    ``immutable=1`` reads the file without the -shm that ``mode=ro`` would leave behind (owned
    by this user, it could lock the owner out). A program that starts writing while it is read
    is noticed by `Workspace.changed_since_opened`."""
    wal = Path(f"{path}-wal")
    query = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, timeout=budget)
    conn.execute(f"PRAGMA busy_timeout = {int(budget * 1000)}")
    return conn


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(size, modification time in ns) of `path`, or None."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _sqlite_utils_database(conn: sqlite3.Connection) -> "Database":
    from sqlite_utils import Database

    return Database(conn)


def remove_workspace_files(path: Path, *, only_if_empty: bool = False) -> None:
    """Delete a workspace file and its side files (a failed creation's leftovers). With
    `only_if_empty`, keep a file that holds any row: another process may have created the same
    new workspace at the same moment and written to it."""
    if only_if_empty and not _holds_no_data(path):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            Path(f"{path}{suffix}").unlink()
        except OSError:
            pass


def _holds_no_data(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            tables = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name <> '_sqlite_migrations'")]
            return not any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)
        finally:
            conn.close()
    except (sqlite3.Error, OSError, ValueError):
        return False


def workspace_error(error: sqlite3.Error, path: Path) -> WorkspaceError:
    """A SQLite error opening or using the workspace at `path`, as one of ours (busy, damaged,
    not a workspace, or in the user's words)."""
    if is_busy(error):
        return WorkspaceBusy(busy_message(path))
    if is_damage(error):
        if _has_sqlite_header(path):
            return WorkspaceDamaged(damaged_message(path, str(error)))
        return WorkspaceError(f"{path} is not a QA Grader workspace (it is not a SQLite file); "
                              f"it was not changed.")
    return WorkspaceError(describe_database_error(error, path))


def _has_sqlite_header(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def check_compatible(conn: sqlite3.Connection, path: Path, *, created_now: bool = False) -> bool:
    """Refuse, without writing anything, files that are not ours, are damaged, or are from a
    newer version.

    True when the file already has this version's schema, so that nothing can be pending. That
    is known from the file's stamp and `SCHEMA_MIGRATIONS` without loading the migrations; once
    they are loaded they are asked instead (code may register more at run time)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    objects = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')").fetchall()
    tables = {name for kind, name in objects if kind == "table"}
    if not tables:
        if app_id == APPLICATION_ID:
            raise WorkspaceDamaged(damaged_message(path, "its tables are missing"))
        if path.exists() and path.stat().st_size == 0 and not created_now:  # e.g. a merge's copy
            raise WorkspaceError(f"{path} is empty, not a QA Grader workspace; it was not changed.")
        return False
    if app_id != APPLICATION_ID:
        raise WorkspaceError(f"{path} is a SQLite file but not a QA Grader workspace; it was not changed.")
    applied = set()
    if "_sqlite_migrations" in tables:
        applied = {row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")}
    missing = sorted(REQUIRED_TABLES - tables)
    if missing and version:
        raise WorkspaceDamaged(damaged_message(path, _missing(missing, "table")))
    current = version == len(SCHEMA_MIGRATIONS) and applied == set(SCHEMA_MIGRATIONS)
    if current:
        missing = sorted(SCHEMA_TABLES - tables)
        triggers = sorted(SCHEMA_TRIGGERS - {name for kind, name in objects if kind == "trigger"})
        if missing or triggers:
            raise WorkspaceDamaged(damaged_message(path, _missing(missing, "table") if missing
                                                   else _missing(triggers, "trigger")))
        if _MIGRATIONS_MODULE not in sys.modules:
            return True
    from .migrations import KNOWN_MIGRATIONS, SCHEMA_VERSION

    unknown = sorted(applied - set(KNOWN_MIGRATIONS))
    if version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{path} was written by a newer version of QA Grader (schema {version}, this "
            f"version knows up to {SCHEMA_VERSION}). Update QA Grader to open it; the file was "
            f"not changed.")
    if unknown:
        raise WorkspaceError(
            f"{path} was written by a newer or different version of QA Grader: it has schema "
            f"step {', '.join(unknown)}, which this version does not know. Update QA Grader to "
            f"open it; the file was not changed.")
    return False


def _missing(names: list[str], kind: str) -> str:
    return f"{kind} {names[0]} is missing" if len(names) == 1 else f"{kind}s {', '.join(names)} are missing"


_SAVEPOINTS = itertools.count(1)


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction nested in another: a savepoint, rolled back alone when its block fails.
    Plain SQL, so that writing never needs sqlite-utils (and with it pandas, which sqlite-utils
    imports when installed)."""
    name = f"qagrader_{next(_SAVEPOINTS)}"
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")
