"""Every file the app writes goes through here: atomic writes and the output-path guard.

- `atomic_file(target)` / `write_file(target, data)` / `copy_database(conn, target)` write to a
  temporary file in the target's folder (named ``.<name>.<pid>-<random>.qagrader-part``), flush
  and fsync it, then rename it over the target and fsync the folder. A failure at any byte (a
  full disk, a file-size limit, a kill) leaves the old target exactly as it was; the partial
  file is removed at once or, after a kill, by the next write into that folder (a temporary
  file whose process is gone, or older than a day, is stale). `written_together(folder)` makes
  a set of files (a report folder, a report's pages) replace the older ones all or none.
- `check_output(target, inputs=...)` refuses, before anything is written, a target that
  resolves (after ``~``, ``..``, symlinks, relative paths, hard links, and letter case on
  case-insensitive file systems) to an open workspace, its ``-wal``/``-shm``/``-journal``, one
  of its backups, or a file being read. Open workspaces register themselves (`protect`), so
  every writer is guarded without being told which workspace is open. It also refuses a target
  that is a folder, in a missing folder, or under a path that is a file.

Writers raise `OutputError` (a `QAGraderError`) naming the target, never the temporary file.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ..errors import QAGraderError
from .names import BACKUP_INFIXES, TEMP_NAME, TEMP_SUFFIX

STALE_AFTER_S = 24 * 3600
_SIDE_FILES = ("-wal", "-shm", "-journal")

_protected: dict[Path, int] = {}  # open workspaces (resolved) -> how many times opened
_together: dict[Path, list[tuple[Path, Path]]] = {}  # folder (resolved) -> (temp, target) to rename at the end


class OutputError(QAGraderError):
    """A file cannot be written, or may not be written there; nothing was changed."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


# ------------------------------------------------------------------------------ the guard

def protect(workspace: str | os.PathLike) -> None:
    """Register an open workspace: no writer may write over it, its side files or backups."""
    key = _resolved(Path(workspace))
    _protected[key] = _protected.get(key, 0) + 1


def unprotect(workspace: str | os.PathLike) -> None:
    key = _resolved(Path(workspace))
    count = _protected.get(key, 0) - 1
    if count > 0:
        _protected[key] = count
    else:
        _protected.pop(key, None)


def check_output(target: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
                 what: str = "file", new_backup: bool = False) -> Path:
    """The absolute path to write `target` to, or `OutputError` saying why it may not be written.

    Refused: an open workspace (see `protect`), its ``-wal``/``-shm``/``-journal`` and its
    backups; any of `inputs` (files being read) and their side files; a folder; a path whose
    folder is missing or is a file. Nothing is created or changed by the check."""
    raw = Path(target)  # shown as the user wrote it
    if str(raw) in ("", "."):
        raise OutputError("No output file name given.")
    path = _resolved(raw.expanduser())
    for source, role in [*((w, "workspace") for w in list(_protected)),
                         *((Path(i).expanduser(), "input") for i in inputs)]:
        clash = _clash(path, _resolved(source), role)
        if clash and not (new_backup and clash.startswith("a backup") and not path.exists()):
            raise OutputError(f"Refusing to write {raw}: it is {clash}. Choose another file name; "
                              f"nothing was written.", raw)
    if path.is_dir():
        raise OutputError(f"{raw} is a folder, not a {what}: give a file name inside it.", raw)
    check_folder(path.parent, shown=raw.expanduser().parent)
    if path.exists() and _read_only(path):
        raise OutputError(f"{raw} is read-only, so it is not replaced: make it writable or choose "
                          f"another file name; nothing was written.", raw)
    return path


def _read_only(path: Path) -> bool:
    """A file its owner marked read-only (no write bit at all: respected even by root), or one
    this user may not write."""
    try:
        return (path.stat().st_mode & 0o222) == 0 or not os.access(path, os.W_OK)
    except OSError:
        return False


def check_folder(folder: Path, *, shown: Path | None = None) -> None:
    """`OutputError` unless `folder` exists and is a folder."""
    shown = shown if shown is not None and str(shown) not in ("", ".") else folder
    if folder.is_dir():
        return
    # walk up to say which part is wrong: a missing folder or a file in the way
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{parent} is a file, not a folder, so nothing can be written "
                                  f"under it; choose another place.", folder)
            break
    raise OutputError(f"The folder {shown} does not exist: create it first or choose another place.",
                      folder)


def _clash(target: Path, source: Path, role: str) -> str | None:
    """How `target` clashes with `source` (a workspace or an input), or None."""
    if _same_file(target, source):
        return f"the open workspace {source}" if role == "workspace" else f"the file being read ({source})"
    for side in _SIDE_FILES:
        if _same_file(target, source.with_name(source.name + side)):
            owner = "open workspace" if role == "workspace" else "file being read"
            return f"a working file ({side[1:]}) of the {owner} {source}"
    if role == "workspace" and _same_folder(target.parent, source.parent):
        stem, suffix = source.stem, source.suffix
        name = target.name
        if _case_insensitive(target.parent):
            name, stem, suffix = name.casefold(), stem.casefold(), suffix.casefold()
        if any(name.startswith(stem + infix) for infix in BACKUP_INFIXES) and name.endswith(suffix):
            return f"a backup of the workspace {source}"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    if not _same_folder(a.parent, b.parent):
        return False
    if a.name == b.name:
        return True
    return a.name.casefold() == b.name.casefold() and _case_insensitive(a.parent)


def _same_folder(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _case_insensitive(folder: Path) -> bool:
    """True when `folder`'s file system ignores letter case (macOS, Windows by default)."""
    for probe in [folder, *folder.parents]:
        swapped = probe.with_name(probe.name.swapcase()) if probe.name else probe
        if swapped != probe:
            try:
                return swapped.exists() and os.path.samefile(swapped, probe)
            except OSError:
                return False
    return os.path.normcase("A") == "a"


def _resolved(path: Path) -> Path:
    try:
        return Path(os.path.abspath(path.expanduser())).resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as written
        return Path(os.path.abspath(path.expanduser()))


# ----------------------------------------------------------------------- atomic writing

@contextmanager
def atomic_file(target: str | os.PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = None, inputs: Iterable[str | os.PathLike] = ()) -> Iterator[IO]:
    """An open temporary file that replaces `target` only when the block ends without error.

    `mode` is ``"w"`` (text, with `encoding` and `newline`) or ``"wb"``. The target is checked
    with `check_output` first (against open workspaces and `inputs`)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    path = check_output(target, inputs=inputs)
    shown = Path(target).expanduser()
    remove_stale_temps(path.parent)
    tmp = temp_path(path)
    try:
        if mode == "wb":
            handle = open(tmp, "xb")
        else:
            handle = open(tmp, "x", encoding=encoding, newline=newline)
    except OSError as error:
        raise _write_error(error, shown) from error
    try:
        with handle:
            yield handle
            handle.flush()
            _keep_mode(path, handle.fileno())
            os.fsync(handle.fileno())
        together = _together.get(path.parent)
        if together is not None:  # renamed with the others when the whole set is written
            together.append((tmp, path))
            return
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as error:
        _unlink(tmp)
        raise _write_error(error, shown) from error
    except BaseException:
        _unlink(tmp)
        raise


@contextmanager
def written_together(folder: str | os.PathLike) -> Iterator[None]:
    """Files written with `atomic_file` into `folder` inside the block replace their targets
    only when the whole block succeeds, all at once (renames, which need no space); a failure
    at any byte of any of them leaves every older file as it was and removes the temporary
    files. For sets of files read together: a report folder, the pages of a report."""
    key = _resolved(Path(folder).expanduser())
    if key in _together:  # nested: the outer block renames
        yield
        return
    _together[key] = pending = []
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            _unlink(tmp)
        raise
    finally:
        del _together[key]
    for index, (tmp, path) in enumerate(pending):
        try:
            os.replace(tmp, path)
        except OSError as error:
            for left, _ in pending[index:]:
                _unlink(left)
            raise _write_error(error, path) from error
    if pending:
        _sync_folder(key)


@contextmanager
def report_folder(folder: str | os.PathLike, names: Iterable[str]) -> Iterator[list[Path]]:
    """Writing the files `names` into `folder` (created if missing, in an existing folder): each
    is checked before anything is written; the block appends every path it writes to the list
    it gets; the files replace older ones only when the whole block succeeds (`written_together`),
    and if it fails, a folder made here is removed with what went into it."""
    out = Path(folder).expanduser()
    created = not out.exists()
    if created:
        check_folder(out.parent)
    else:
        for name in names:
            check_output(out / name)
    written: list[Path] = []
    try:
        if created:
            out.mkdir()
        with written_together(out):
            yield written
    except BaseException:
        if created:
            for path in written:
                path.unlink(missing_ok=True)
            try:
                out.rmdir()
            except OSError:
                pass
        raise


def write_file(target: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
               inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Write `data` to `target` atomically (text as `encoding`, newlines as given)."""
    if isinstance(data, bytes):
        with atomic_file(target, "wb", inputs=inputs) as handle:
            handle.write(data)
    else:
        with atomic_file(target, "w", encoding=encoding, newline="", inputs=inputs) as handle:
            handle.write(data)
    return Path(target)


def copy_database(conn: sqlite3.Connection, target: str | os.PathLike, *,
                  new_backup: bool = False, mode_from: Path | None = None) -> Path:
    """A consistent copy of the database on `conn` (SQLite backup API), written atomically, as a
    standalone file (rollback journal, no -wal needed to read it). `new_backup`: `target` is a
    new backup beside its workspace (the guard refuses any other write over a backup name);
    `mode_from`: the file whose permissions the copy gets when it replaces nothing (a backup of a
    private workspace stays private)."""
    path = check_output(target, new_backup=new_backup)
    shown = Path(target).expanduser()
    remove_stale_temps(path.parent)
    tmp = temp_path(path)
    try:
        copy = sqlite3.connect(str(tmp))
        try:
            copy.execute("PRAGMA journal_mode = OFF")  # a half-written temp is discarded anyway
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        with open(tmp, "rb+") as handle:
            _keep_mode(path if path.exists() or mode_from is None else mode_from, handle.fileno())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except (OSError, sqlite3.Error) as error:
        _unlink(tmp)
        raise _write_error(error, shown) from error
    except BaseException:
        _unlink(tmp)
        raise
    finally:
        for side in _SIDE_FILES:
            _unlink(tmp.with_name(tmp.name + side))
    return shown


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete temporary files of writes that never finished (their process is gone, or they
    are over a day old) in `folder`; returns what was removed. Never raises."""
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if not match:
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            if old or not _alive(int(match["pid"])):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def temp_path(path: Path) -> Path:
    """A new temporary file name beside `path` (see the module docstring)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _keep_mode(target: Path, fd: int) -> None:
    """Give the new file the permissions of the file it replaces (e.g. a private 0600 export)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return
    try:
        os.fchmod(fd, mode)
    except (OSError, AttributeError):  # AttributeError: Windows has no fchmod
        pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap check: the age rule cleans up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """fsync a folder so that a rename in it survives a power cut (POSIX only)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_error(error: BaseException, target: Path) -> OutputError:
    from ..faults import describe_write_error

    return OutputError(describe_write_error(error, target), target)


def _unlink(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
