"""What the files the app keeps beside a workspace are called: the temporary parts of atomic
writes (`files`) and the backups (before a migration, before a merge)."""

from __future__ import annotations

import os
import re
from pathlib import Path

TEMP_SUFFIX = ".qagrader-part"
BACKUP_INFIX = ".before-migration-"
# every kind of backup kept beside a workspace (merging keeps `.before-merge-` ones)
BACKUP_INFIXES: tuple[str, ...] = (BACKUP_INFIX, ".before-merge-")
TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)-[0-9a-f]{8}" + re.escape(TEMP_SUFFIX)
                       + r"(?:-journal|-wal|-shm)?$")
"""A temporary part: ``.<target>.<pid>-<random>.qagrader-part`` (and SQLite's side files of it)."""


def backup_name(workspace: Path, stamp: str) -> Path:
    """Where the backup of `workspace` taken before a migration at `stamp` goes."""
    return workspace.with_name(f"{workspace.stem}{BACKUP_INFIX}{stamp}{workspace.suffix}")


def backups_of(workspace: str | os.PathLike) -> list[Path]:
    """Complete backups of `workspace` next to it, newest first."""
    path = Path(workspace)
    try:
        found = [p for infix in BACKUP_INFIXES
                 for p in path.parent.glob(f"{glob_escape(path.stem)}{infix}*{glob_escape(path.suffix)}")
                 if p.is_file() and not TEMP_NAME.match(p.name)]
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def is_temp_file(path: str | os.PathLike) -> bool:
    """True for the name of one of our temporary files (finished or not)."""
    return TEMP_NAME.match(Path(path).name) is not None
