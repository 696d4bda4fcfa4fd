"""Is a workspace whole? What `qagrader check` runs, and the quick check before a workspace is
copied to others (publish) or brought in (merge).

Opening a workspace checks only what it reads anyway (the header, the stamp, every table and
trigger of its schema: `workspace.check_compatible`), in microseconds. Pages are checked here:
`quick_check` (SQLite's `PRAGMA quick_check`, ~0.35 s at the study's 265,000 evaluations) before
publishing or merging, so that a damaged file is never spread; `check_workspace` (what
`qagrader check` runs: `PRAGMA integrity_check`, `PRAGMA foreign_key_check`, and the
analysis-ready store rebuilt in memory and compared chunk by chunk, a few seconds at that
scale). Both read through a connection that cannot write and creates no file beside the
workspace (`workspace.read_only_connection`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkspaceDamaged, WorkspaceError
from ..faults import damaged_message
from .names import backups_of

if TYPE_CHECKING:
    from .workspace import Workspace

PAGE_PROBLEMS_SHOWN = 10
MORE = "... and more"


@dataclass
class CheckReport:
    """What `check_workspace` found: `problems` (the file is damaged), `notes` (fine, but worth
    knowing), and whether the only problem is the analysis-ready store (`store_only`: rebuilt
    from the evaluations by `repair_analysis_store`)."""

    path: Path
    evaluations: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    store_problem: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def store_only(self) -> bool:
        return self.store_problem and len(self.problems) == 1

    def summary(self) -> str:
        """One line: healthy, or what is wrong and what to do."""
        if self.ok:
            return (f"{self.path}: no problems found (pages, foreign keys, schema and the analysis-ready "
                    f"store checked; {self.evaluations:,} evaluations).")
        if self.store_only:
            return (f"{self.path}: the analysis-ready store disagrees with the evaluations (the evaluations "
                    f"themselves are whole). Rebuild it with `qagrader check --repair`; nothing was changed.")
        count = len([p for p in self.problems if not p.endswith(MORE)])
        at_least = "at least " if count < len(self.problems) else ""
        return damaged_message(self.path, f"{at_least}{count} problem{'s' if count != 1 else ''} found, listed above")


def quick_check(conn: sqlite3.Connection) -> str | None:
    """The first problem SQLite's quick check finds in the pages of `conn`'s file, or None."""
    try:
        problems = _page_problems(conn, "quick_check", 1)
    except sqlite3.DatabaseError as error:
        return str(error)
    return problems[0] if problems else None


def _page_problems(conn: sqlite3.Connection, pragma: str, limit: int) -> list[str]:
    """What `PRAGMA quick_check` / `integrity_check` reports, one line a problem ([] for ok)."""
    lines = [line.strip() for (row,) in conn.execute(f"PRAGMA {pragma}({limit})")
             for line in str(row).splitlines() if line.strip() and not line.startswith("***")]
    return [] if lines == ["ok"] else lines


def refuse_if_damaged(conn: sqlite3.Connection, path: Path, *, doing: str) -> None:
    """`WorkspaceDamaged` (naming `path`, its latest backup, and that `doing` was not done) when
    the quick check finds a problem."""
    problem = quick_check(conn)
    if problem is not None:
        raise WorkspaceDamaged(f"{damaged_message(path, problem)} Nothing was {doing}.")


def check_workspace(path: str | Path) -> CheckReport:
    """Check the workspace at `path` as a whole, writing nothing. Raises `WorkspaceError` for
    what opening refuses (not a workspace, a newer version, a table or trigger missing)."""
    from .workspace import check_compatible, file_stamp, read_only_connection, workspace_error

    path = Path(path).expanduser()
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder, not a workspace file.")
    if not path.exists():
        raise WorkspaceError(f"There is no workspace at {path}; nothing was created.")
    report = CheckReport(path)
    stamp = file_stamp(path)
    try:
        conn = read_only_connection(path)
    except sqlite3.Error as error:
        raise workspace_error(error, path) from error
    try:
        try:
            current = check_compatible(conn, path)
        except sqlite3.Error as error:
            raise workspace_error(error, path) from error
        _check_pages(conn, report)
        _check_foreign_keys(conn, report)
        if not report.problems:  # on damaged pages, reading every evaluation tells nothing new
            _check_store(conn, report, current)
    finally:
        conn.close()
    if file_stamp(path) != stamp:  # read without locks (nobody had it open): what was read may be torn
        raise WorkspaceError(f"{path} was changed by another program while it was being checked: run the "
                             f"check again.")
    backups = backups_of(path)
    if backups:
        report.notes.append(f"latest backup: {backups[0]}")
    return report


def _check_pages(conn: sqlite3.Connection, report: CheckReport) -> None:
    try:
        rows = _page_problems(conn, "integrity_check", PAGE_PROBLEMS_SHOWN + 1)
    except sqlite3.DatabaseError as error:
        report.problems.append(f"pages: {error}")
        return
    if rows:
        report.problems.extend(f"pages: {row}" for row in rows[:PAGE_PROBLEMS_SHOWN])
        if len(rows) > PAGE_PROBLEMS_SHOWN:
            report.problems.append(f"pages: {MORE}")


def _check_foreign_keys(conn: sqlite3.Connection, report: CheckReport) -> None:
    try:
        rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as error:
        report.problems.append(f"foreign keys: {error}")
        return
    for (table, parent), count in sorted(Counter((row[0], row[2]) for row in rows).items()):
        report.problems.append(f"foreign keys: {count:,} row{'s' if count != 1 else ''} of {table} "
                               f"refer{'' if count != 1 else 's'} to a missing row of {parent}")


def _check_store(conn: sqlite3.Connection, report: CheckReport, current: bool) -> None:
    from . import analysis_store as store

    report.evaluations = conn.execute("SELECT count(*) FROM evaluations").fetchone()[0]
    if not store.has_store(conn):
        report.notes.append("this workspace is from an older version: its analysis-ready store is made "
                            "when this version opens it")
        return
    dirty = set(store.dirty_chunks(conn))
    if store.ALL in dirty:
        report.notes.append("the analysis-ready store is marked to be rebuilt (it is, on the next write "
                            "or analysis)")
        return
    stored = dict(conn.execute("SELECT chunk, data FROM analysis_chunks"))
    chunks = [c for c in sorted(set(store.all_chunks(conn)) | set(stored)) if c not in dirty]
    built = store.build(conn, chunks)
    wrong = [c for c in chunks if not _stale(stored.get(c)) and not _same(stored.get(c), built.get(c))]
    stale = [c for c in chunks if _stale(stored.get(c))]
    if dirty:
        report.notes.append(f"{len(dirty)} chunk{'s' if len(dirty) != 1 else ''} of the analysis-ready store "
                            f"wait{'' if len(dirty) != 1 else 's'} to be rebuilt (normal after another "
                            f"program's writes)")
    if stale:
        report.notes.append(f"{len(stale)} chunk{'s' if len(stale) != 1 else ''} of the analysis-ready store "
                            f"{'are' if len(stale) != 1 else 'is'} in an older format (rebuilt when read)")
    if wrong:
        report.store_problem = True
        shown = ", ".join(str(c) for c in wrong[:5]) + (", ..." if len(wrong) > 5 else "")
        report.problems.append(f"analysis-ready store: {len(wrong)} chunk{'s' if len(wrong) != 1 else ''} "
                               f"disagree{'' if len(wrong) != 1 else 's'} with the evaluations (chunk {shown})")


def _same(stored: bytes | None, built: bytes | None) -> bool:
    """The two blobs hold the same values: text columns by value (not code), skill scores by
    skill name (a skill nobody scored in the chunk may be there or not), answers by question
    key and value (likewise), NaN equal to NaN."""
    import numpy as np

    from .analysis_store import TEXT_COLUMNS, unpack

    if stored is None or built is None or stored == built:
        return stored == built
    try:
        a, b = unpack(stored), unpack(built)
    except (ValueError, IndexError):
        return False
    if len(a) != len(b):
        return False
    for name, values in a.arrays.items():
        if name in TEXT_COLUMNS:
            if list(a.text(name)) != list(b.text(name)):
                return False
        elif not np.array_equal(values, b.arrays[name], equal_nan=values.dtype.kind == "f"):
            return False

    def scored(columns) -> dict[str, np.ndarray]:
        return {skill: columns.scores[:, k] for k, skill in enumerate(columns.skills)
                if not np.isnan(columns.scores[:, k]).all()}

    mine, theirs = scored(a), scored(b)
    if mine.keys() != theirs.keys() or not all(np.array_equal(mine[k], theirs[k], equal_nan=True) for k in mine):
        return False

    def answered(columns) -> dict[str, list]:  # typed: 3, 3.0 and "3" are three answers
        return {key: [(type(v).__name__, v) for v in columns.answers.value_of(key)] for key in columns.answers.keys
                if (columns.answers.codes[:, columns.answers.keys.index(key)] >= 0).any()}

    return answered(a) == answered(b)


def _stale(blob: bytes | None) -> bool:
    from .analysis_store import StaleChunk, unpack

    if blob is None:
        return False
    try:
        unpack(blob)
    except StaleChunk:
        return True
    except (ValueError, IndexError):  # unreadable: it disagrees
        return False
    return False


def repair_analysis_store(ws: "Workspace") -> None:
    """Rebuild the whole analysis-ready store from the evaluations, in one transaction (the
    evaluations themselves are not changed)."""
    from . import analysis_store as store

    with ws.transaction():
        store.refresh(ws, [store.ALL])
