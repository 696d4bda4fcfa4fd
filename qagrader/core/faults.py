"""Foreign errors (`OSError`, `sqlite3.Error`) told in a user's words: one line naming the file,
the cause, and what to do. The CLI's boundary and the desktop app's error display both use
`describe`, so a fault reads the same everywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from .errors import QAGraderError
from .storage.names import backups_of

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM}


def is_environment_error(error: BaseException) -> bool:
    """An error of the disk, the file system or the database file (not a bug): `describe`
    tells it in the user's words."""
    return isinstance(error, (OSError, sqlite3.Error))


def describe(error: BaseException, *, workspace: str | os.PathLike | None = None) -> str:
    """One line for `error`. `workspace` is the workspace in use, named by database errors."""
    if isinstance(error, QAGraderError):
        return str(error)
    if isinstance(error, sqlite3.Error):
        return describe_database_error(error, workspace)
    if isinstance(error, OSError):
        return describe_os_error(error)
    if isinstance(error, MemoryError):
        return "Not enough memory to finish; close other programs or use a smaller file. Nothing was changed."
    if isinstance(error, RecursionError):
        return "The input is nested too deeply to read; nothing was changed."
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"Unexpected error ({type(error).__name__}{': ' + detail if detail else ''})."


def describe_os_error(error: OSError, path: str | os.PathLike | None = None, *,
                      action: str = "use") -> str:
    """`error` for `path` (default: the error's own file name) in a user's words."""
    shown = Path(path) if path is not None else (Path(error.filename) if error.filename else None)
    name = str(shown) if shown is not None else "the file"
    code = error.errno
    if code in _DISK_FULL:
        return (f"Not enough space to write {name}: the disk is full or the file is larger than "
                f"allowed. Free some space and try again; nothing was changed.")
    if code in _READ_ONLY:
        return (f"{name} is on a read-only disk: copy it somewhere you can write, or choose "
                f"another place; nothing was changed.")
    if code in _DENIED:
        return (f"Permission denied for {name}: it or its folder is read-only or belongs to "
                f"someone else. Ask for write access or choose another place; nothing was changed.")
    if code == errno.ENOTDIR:
        part = _file_in_the_way(shown)
        return (f"{part} is a file, not a folder, so {name} cannot be there; choose another place."
                if part else f"Part of the path {name} is a file, not a folder; choose another place.")
    if code == errno.EISDIR:
        return f"{name} is a folder, not a file: give a file name."
    if code == errno.ENOENT:
        folder = shown.parent if shown is not None else None
        if folder is not None and str(folder) not in ("", ".") and not folder.exists():
            return f"The folder {folder} does not exist: create it first or choose another place."
        return f"{name} does not exist."
    if code == errno.ENAMETOOLONG:
        return f"The name {name} is too long for this disk; choose a shorter one."
    if code == errno.EMFILE or code == errno.ENFILE:
        return "Too many files are open; close some programs and try again. Nothing was changed."
    reason = error.strerror or str(error)
    return f"Cannot {action} {name}: {reason}. Nothing was changed."


def describe_write_error(error: BaseException, target: str | os.PathLike) -> str:
    """A failed write of `target` (its temporary file's name is never shown)."""
    if isinstance(error, OSError):
        text = describe_os_error(error, target, action="write")
    elif isinstance(error, sqlite3.Error):
        text = _sqlite_write_error(error, Path(target))
    else:
        text = f"Cannot write {target}: {error}."
    if Path(target).exists():
        text = text.replace("nothing was changed", f"the existing {Path(target).name} was kept as it was")
    return text


def describe_database_error(error: sqlite3.Error, workspace: str | os.PathLike | None = None) -> str:
    """A SQLite error on `workspace` in a user's words."""
    text = _database_error_text(error, workspace)
    return text if workspace is not None else text[:1].upper() + text[1:]


def _database_error_text(error: sqlite3.Error, workspace: str | os.PathLike | None) -> str:
    name = str(workspace) if workspace is not None else "the workspace"
    kind = _sqlite_kind(error)
    if kind == "busy":
        return busy_message(name)
    if kind == "readonly":
        return read_only_message(name)
    if kind == "full":
        return (f"Not enough space to write {name}: the disk is full or the file is larger than "
                f"allowed. Free some space and try again; nothing was changed.")
    if kind == "cantopen":
        return (f"Cannot open {name}: its folder is missing or not writable, or it is not a "
                f"file. Nothing was changed.")
    if kind in ("corrupt", "notadb"):
        return damaged_message(Path(name) if workspace is not None else None, str(error))
    if kind == "perm":
        return f"Permission denied for {name}; nothing was changed."
    if kind == "ioerr" and _out_of_space(error, workspace):
        return (f"Not enough space to write {name}: the disk is full or the file is larger than "
                f"allowed. Free some space and try again; nothing was changed.")
    if kind == "ioerr":
        return (f"The disk reported an error while using {name} ({error}). Check the disk or "
                f"network folder and try again; nothing was changed.")
    return f"The workspace {name} could not be used ({error}); nothing was changed."


def busy_message(workspace: str | os.PathLike) -> str:
    return (f"{workspace} is busy: another QA Grader or program is writing to it. "
            f"Try again in a moment; nothing was changed.")


def read_only_message(workspace: str | os.PathLike) -> str:
    return (f"{workspace} is read-only (the file or its folder cannot be written): ask for write "
            f"access or open a copy; nothing was changed.")


def damaged_message(workspace: Path | None, detail: str = "") -> str:
    """A damaged workspace: name it and its latest backup."""
    name = str(workspace) if workspace is not None else "The workspace"
    reason = f" ({detail})" if detail else ""
    backups = backups_of(workspace) if workspace is not None else []
    where = (f"Open its latest backup, {backups[0]}, or a copy you saved"
             if backups else "Open a copy you saved (no backup was found next to it)")
    return f"{name} is damaged{reason}. {where}; the damaged file was not changed."


def _sqlite_kind(error: sqlite3.Error) -> str:
    name = (getattr(error, "sqlite_errorname", "") or "").upper()
    text = str(error).lower()
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text or "busy" in text:
        return "busy"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "readonly"
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return "full"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return "cantopen"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return "corrupt"
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return "notadb"
    if name.startswith("SQLITE_PERM"):
        return "perm"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return "ioerr"
    return "other"


def is_busy(error: BaseException) -> bool:
    """True for SQLite's 'database is locked/busy'."""
    return isinstance(error, sqlite3.OperationalError) and _sqlite_kind(error) == "busy"


def is_damage(error: BaseException) -> bool:
    return isinstance(error, sqlite3.DatabaseError) and _sqlite_kind(error) in ("corrupt", "notadb")


def _sqlite_write_error(error: sqlite3.Error, target: Path) -> str:
    kind = _sqlite_kind(error)
    if kind == "full" or (kind == "ioerr" and _out_of_space(error, target)):
        return (f"Not enough space to write {target}: the disk is full or the file is larger than "
                f"allowed. Free some space and try again; nothing was changed.")
    if kind in ("readonly", "cantopen", "perm"):
        return (f"Cannot write {target}: its folder is read-only or not yours. Choose another "
                f"place; nothing was changed.")
    return f"Cannot write {target} ({error}); nothing was changed."


def _out_of_space(error: sqlite3.Error, workspace: str | os.PathLike | None) -> bool:
    """SQLite reports a write refused for size (EFBIG) as a plain I/O error: call it a full
    disk when a file-size limit is in force or the disk has almost no space left."""
    name = (getattr(error, "sqlite_errorname", "") or "").upper()
    if not any(step in name for step in ("WRITE", "TRUNCATE", "SHMSIZE")):  # SHMSIZE: growing the -shm
        return False
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return True
    except (ImportError, ValueError, OSError):
        pass
    try:
        folder = Path(workspace).parent if workspace is not None else Path.cwd()
        return shutil.disk_usage(folder).free < 64 * 1024 * 1024
    except OSError:
        return False


def _file_in_the_way(path: Path | None) -> Path | None:
    if path is None:
        return None
    for parent in path.parents:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None
