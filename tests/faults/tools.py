"""Helpers of the fault tests: real workspaces, the real command (in this process or in a
subprocess that is killed, limited to a file size, or run as an unprivileged user), and
byte-exact snapshots of every file in a folder."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from qagrader.cli.main import main
from qagrader.core.demo.build import build_demo
from qagrader.core.storage.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534


def demo_workspace(path: Path, interactions: int = 40) -> Path:
    """A small realistic workspace with submitted evaluations, closed and checkpointed (so
    that its bytes are all in the main file)."""
    with Workspace.open(path) as ws:
        build_demo(ws, interactions=interactions, seed=1)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """name -> sha256 of every file under `folder` (what 'nothing changed' is checked against)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


EMPTY = hashlib.sha256(b"").hexdigest()


def settled(files: dict[str, str]) -> dict[str, str]:
    """A snapshot without what a killed process may leave that holds no data: our temporary
    files, SQLite's shared-memory index (-shm) and an empty write-ahead log (-wal)."""
    from qagrader.core.storage.names import is_temp_file

    return {name: digest for name, digest in files.items()
            if not is_temp_file(name) and not name.endswith("-shm")
            and not (name.endswith("-wal") and digest == EMPTY)}


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `qagrader ARGS` in this process; (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run(*args: str, env: dict | None = None, preexec_fn=None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `qagrader ARGS` in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "qagrader.cli.main", *map(str, args)],
                          cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)


def file_size_limit(limit_bytes: int):
    """preexec_fn: the process may not grow any file past `limit_bytes` (as `ulimit -f`),
    and gets EFBIG instead of being killed by SIGXFSZ."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def as_nobody() -> None:
    """preexec_fn: drop root (and its override of file permissions) for the child."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def shared_tmp() -> Path:
    """A folder an unprivileged user can enter (pytest's tmp_path is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="qagrader-faults-"))
    folder.chmod(0o755)
    return folder


KILL_AT = {
    # step -> code run in the child before the real command: SIGKILL itself at that step
    "fsync": "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n",
    "rename": "os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)\n",
}


def run_killed(step: str, *args: str) -> subprocess.CompletedProcess:
    """Run `qagrader ARGS` in a subprocess that SIGKILLs itself at `step` of its first file
    write: after the temporary file is fsynced ("rename"), or when it fsyncs ("fsync")."""
    code = ("import os, signal, sys\n" + KILL_AT[step] +
            "from qagrader.cli.main import main\n"
            f"sys.exit(main({[str(a) for a in args]!r}))\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def kill_once_marked(code: str, *args: str, marker: Path, timeout_s: float = 120) -> None:
    """Run Python `code` with `args` in a subprocess and SIGKILL it as soon as it has written
    `marker` (e.g. inside a transaction, before the commit); it must not end by itself first."""
    import time

    process = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout_s
        while not marker.exists():
            assert process.poll() is None, "the process ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()


def older_workspace(path: Path) -> Path:
    """A workspace one schema step behind (opening it migrates, after a backup)."""
    import sqlite3

    from sqlite_utils import Database

    from qagrader.core.storage.migrations import KNOWN_MIGRATIONS, SCHEMA_VERSION, migrations
    from qagrader.core.storage.workspace import APPLICATION_ID

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    migrations.apply(Database(conn), stop_before=KNOWN_MIGRATIONS[-1])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.execute("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES ('t', 'Blue', 'x', 'x')")
    conn.commit()
    conn.close()
    return path
