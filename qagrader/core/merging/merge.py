"""Merging another workspace (or every workspace in a team folder) into this one.

One file is one transaction: the steps of `steps.MERGE_STEPS` run in order, and the merge
commits only after a backup of this workspace (as it was before the merge) has been written
beside it; an error, a cancel or a kill leaves the workspace as it was. A dry run runs the same
steps and rolls back, so its report is exactly what a merge would do. A merge that changes
nothing writes nothing (no backup, no log entry). The other file is never opened (see `source`).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CancelledError, QAGraderError, WorkspaceError
from ..grading.graders import ensure_graders, grader_key
from ..storage import writers
from ..storage.files import OutputError, copy_database
from ..storage.records import utc_now
from . import tables  # noqa: F401  (registers the core tables' steps)
from .report import BOOKKEEPING, MergeReport
from .source import is_workspace_file, private_copy
from .steps import MERGE_STEPS, MergeContext

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]

BACKUP_INFIX = ".before-merge-"
KEEP_BACKUPS = 3
WORKSPACE_SUFFIXES = (".qagrader",)


class _RollBack(Exception):
    """Ends a dry run (or a merge that changes nothing) by rolling its transaction back."""


@dataclass
class FolderReport:
    """A team folder merged: one report per workspace file, and the files that were skipped."""

    folder: str
    reports: list[MergeReport] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def new_count(self) -> int:
        return sum(r.new_count for r in self.reports)

    @property
    def conflicts(self) -> int:
        return sum(len(r.conflicts) for r in self.reports)

    def summary(self) -> str:
        files = len(self.reports)
        changed = [r for r in self.reports if r.changed]
        head = f"{files} workspace file{'s' if files != 1 else ''} in {self.folder}"
        if not changed:
            text = f"{head}: nothing new."
        else:
            deleted = sum(r.deleted_count for r in self.reports)
            recorded = sum(n for r in self.reports for kind, n in r.added.items() if kind in BOOKKEEPING)
            counted = self.new_count - deleted - recorded
            text = f"{head}: {counted:,} new or updated records"
            text += f", {deleted:,} deleted" if deleted else ""
            text += f" from {len(changed)}"
            text += f", {self.conflicts} conflict{'s' if self.conflicts != 1 else ''}." if self.conflicts else "."
        if self.skipped:
            text += f" {len(self.skipped)} skipped."
        return text

    def lines(self) -> list[str]:
        out = [self.summary()]
        for report in self.reports:
            out.extend(report.lines())
        for name, why in self.skipped:
            out.append(f"Skipped {name}: {why}")
        return out


def merge_workspace(ws: "Workspace", other: str | os.PathLike, *, dry_run: bool = False,
                    merged_by: str | None = None, progress: Progress | None = None,
                    cancelled: Cancelled | None = None, backup: bool = True) -> MergeReport:
    """Bring into `ws` what the workspace file `other` holds that `ws` lacks or holds an older
    copy of (rules in `steps` and `tables`). `merged_by` (a grader name) is kept in the merge log.
    `backup=False` skips the backup (a team-folder merge takes one before its first file)."""
    other_path = Path(other).expanduser()
    _refuse_self(ws, other_path)
    report = MergeReport(source=str(other_path), dry_run=dry_run)

    def check(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("Merge cancelled; nothing was changed.")
        if progress is not None:
            progress(fraction)

    check(0.0)
    with private_copy(other_path) as copy:
        check(0.1)
        if ws.conn.in_transaction:
            raise WorkspaceError("Cannot merge while another change is being written; try again.")
        ws.conn.execute("ATTACH DATABASE ? AS other", (str(copy),))
        try:
            report.source_fingerprint = _digest(copy)
            check(0.2)
            try:
                with ws.transaction():
                    context = MergeContext(ws, report, utc_now())
                    for number, step in enumerate(MERGE_STEPS, 1):
                        step.run(context)
                        check(0.2 + 0.7 * number / len(MERGE_STEPS))
                    if dry_run or not report.changed:
                        raise _RollBack
                    if backup:
                        report.backup = str(_backup(ws))
                    _log(ws, report, merged_by)
            except _RollBack:
                pass
        finally:
            ws.conn.execute("DETACH DATABASE other")
    if progress is not None:
        progress(1.0)
    return report


def merge_folder(ws: "Workspace", folder: str | os.PathLike, *, dry_run: bool = False,
                 merged_by: str | None = None, progress: Progress | None = None,
                 cancelled: Cancelled | None = None) -> FolderReport:
    """Merge every workspace file in `folder` except `ws` itself, one file (one transaction) at
    a time. A file that cannot be merged (not a workspace, from a newer QA Grader, damaged) is
    skipped and listed; the others still come in. A dry run counts on a private copy of `ws`,
    so that what several files share is counted once."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise QAGraderError(f"{path} is not a folder.")
    if dry_run:
        return _dry_run_folder(ws, path, progress, cancelled)
    return _merge_files(ws, path, team_files(ws, path), merged_by, progress, cancelled)


def _merge_files(ws: "Workspace", folder: Path, files: list[Path], merged_by: str | None,
                 progress: Progress | None, cancelled: Cancelled | None) -> FolderReport:
    report = FolderReport(str(folder))
    backed_up = False
    for number, file in enumerate(files):
        def part(fraction: float, number: int = number) -> None:
            if progress is not None:
                progress((number + fraction) / max(len(files), 1))
        try:
            merged = merge_workspace(ws, file, merged_by=merged_by, progress=part, cancelled=cancelled,
                                     backup=not backed_up)
            backed_up = backed_up or merged.backup is not None
            report.reports.append(merged)
        except CancelledError:
            raise
        except QAGraderError as error:
            report.skipped.append((file.name, str(error)))
    return report


def team_files(ws: "Workspace", folder: Path) -> list[Path]:
    """The workspace files in `folder` that a team merge reads: ``*.qagrader`` files and other
    files with a workspace header, except `ws` itself, backups and half-written temporary files."""
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name.casefold()):
        name = path.name
        if name.startswith(".") or ".before-" in name or not path.is_file():
            continue
        if path.suffix.lower() not in WORKSPACE_SUFFIXES and not is_workspace_file(path):
            continue
        if _same_file(path, ws.path):
            continue
        found.append(path)
    return found


def merge_log(ws: "Workspace", limit: int = 100) -> list[tuple[str, str, str | None, MergeReport]]:
    """The latest merges, newest first: (merged_at, source, merged by, report)."""
    rows = ws.conn.execute(
        """SELECT m.merged_at, m.source, g.name, m.report FROM merge_log m
           LEFT JOIN graders g ON g.id = m.merged_by ORDER BY m.merged_at DESC, m.id DESC LIMIT ?""",
        (limit,)).fetchall()
    return [(at, source, by, MergeReport.from_json(report)) for at, source, by, report in rows]


def _dry_run_folder(ws: "Workspace", folder: Path, progress: Progress | None,
                    cancelled: Cancelled | None) -> FolderReport:
    import tempfile

    from ..storage.workspace import Workspace

    files = team_files(ws, folder)
    with tempfile.TemporaryDirectory(prefix="qagrader-count-") as scratch:
        copy = Path(scratch) / "count.qagrader"
        target = sqlite3.connect(copy)
        try:
            ws.conn.backup(target)
        finally:
            target.close()
        with Workspace.open(copy, create=False) as trial:
            report = _merge_files(trial, folder, files, None, progress, cancelled)
    for item in report.reports:
        item.dry_run = True
        item.backup = None
    return report


def _digest(path: Path) -> str:
    """SHA-256 of the (migrated) copy merged: which version of the other file the log speaks of."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _refuse_self(ws: "Workspace", other: Path) -> None:
    if _same_file(other, ws.path):
        raise QAGraderError(f"{other} is the workspace that is open; choose another workspace to merge.")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _backup(ws: "Workspace") -> Path:
    """Copy the workspace as it was before the open merge transaction (a second connection
    reads the last commit) to ``NAME.before-merge-STAMP.qagrader`` beside it, written to a
    temporary file and renamed; keep the latest `KEEP_BACKUPS`."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = ws.path.with_name(f"{ws.path.stem}{BACKUP_INFIX}{stamp}{ws.path.suffix}")
    try:
        source = sqlite3.connect(ws.path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            copy_database(source, target, new_backup=True, mode_from=ws.path)
        finally:
            source.close()
    except (OutputError, sqlite3.Error) as error:
        raise WorkspaceError(f"Cannot write the backup {target} before merging ({error}); nothing was merged.") \
            from error
    older = sorted(ws.path.parent.glob(f"{ws.path.stem}{BACKUP_INFIX}*{ws.path.suffix}"), reverse=True)
    for stale in older[KEEP_BACKUPS:]:
        stale.unlink(missing_ok=True)
    return target


def _log(ws: "Workspace", report: MergeReport, merged_by: str | None) -> None:
    grader = None
    if merged_by and merged_by.strip():
        grader = ensure_graders(ws, [merged_by])[grader_key(merged_by)]
    writers.insert_merge_log(ws, merged_at=utc_now(), source=report.source,
                             source_fingerprint=report.source_fingerprint, merged_by=grader,
                             summary=report.summary(), report=report.to_json())
