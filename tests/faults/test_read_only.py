"""Issue 8, the read-only workspace: reading commands work on a workspace this user cannot
write (the file, its folder, or both read-only), create nothing beside it and leave it byte for
byte; every write is refused with one line and nothing changed. Run as an unprivileged user
(root ignores permissions, and CI runs as root)."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from qagrader.cli.commands import open_existing
from qagrader.core.errors import QAGraderError, WorkspaceReadOnly
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import NOBODY, as_nobody, demo_workspace, run, shared_tmp, snapshot

READING = {
    "list agents": ["list", "agents"],
    "graders": ["graders"],
    "disputes": ["disputes"],
    "coaching due": ["coaching", "due", "--until", "2030-01-01"],
    "export evaluations": ["export", "evaluations", "{o}/evaluations.csv"],
    "export disputes": ["export", "disputes", "{o}/disputes.csv"],
    "analyze": ["analyze", "--out", "{o}/analysis"],
    "calibration": ["calibration", "--out", "{o}/calibration"],
    "report csv": ["report", "{o}/report.csv", "--month", "2026-10"],
    "publish": ["publish", "{o}"],
}
WRITING = {
    "graders rename": ["graders", "rename", "Priya Raman", "Priya R."],
    "coaching add": ["coaching", "add", "{agent}", "--skill", "Empathy"],
    "import scorecard": ["import", "scorecard", "{d}/w.qagrader"],
    "merge": ["merge", "{d}/other.qagrader"],
}
LAYOUTS = ("file and folder read-only", "file read-only", "folder read-only")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ro-source")
    return demo_workspace(folder / "w.qagrader", interactions=120)


def place(source, layout):
    """A folder holding a copy of the workspace as `layout`, and an output folder (and a home)
    the unprivileged user may write."""
    folder = shared_tmp()
    for name in ("out", "home"):
        (folder / name).mkdir()
        os.chown(folder / name, NOBODY, NOBODY)
    shutil.copy(source, folder / "w.qagrader")
    shutil.copy(source, folder / "other.qagrader")
    for path in (folder / "w.qagrader", folder / "other.qagrader"):
        path.chmod(0o644)
    if layout == "file read-only":
        folder.chmod(0o777)
    elif layout == "folder read-only":
        os.chown(folder / "w.qagrader", NOBODY, NOBODY)
    return folder


def as_unprivileged(folder, *args):
    home = folder / "home"
    return run("--db", folder / "w.qagrader", *[a.replace("{o}", str(folder / "out")).replace("{d}", str(folder))
                                                  for a in args],
               preexec_fn=as_nobody, cwd=folder,
               env={"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_STATE_HOME": str(home),
                    "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home), "MPLCONFIGDIR": str(home),
                    "PYTHONDONTWRITEBYTECODE": "1"})


def workspace_files(folder):
    return {k: v for k, v in snapshot(folder).items() if not k.startswith(("out", "home"))}


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the command as another user")


@needs_root
@pytest.mark.parametrize("layout, command", [
    *((LAYOUTS[0], command) for command in sorted(READING)),  # every reading command on the strictest
    *((layout, command) for layout in LAYOUTS[1:] for command in ("list agents", "export evaluations", "report csv")),
])
def test_reading_commands_work_on_a_read_only_workspace(source, layout, command):
    folder = place(source, layout)
    try:
        before = workspace_files(folder)
        proc = as_unprivileged(folder, *READING[command])
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        assert proc.stdout
        assert workspace_files(folder) == before  # no -wal/-shm left, not a byte changed
        assert any((folder / "out").iterdir()) or command in ("list agents", "graders", "disputes", "coaching due")
    finally:
        shutil.rmtree(folder)


@needs_root
@pytest.mark.parametrize("command", sorted(WRITING))
def test_writes_to_a_read_only_workspace_are_one_line_and_change_nothing(source, command):
    folder = place(source, LAYOUTS[0])
    try:
        before = snapshot(folder)
        with Workspace.open(folder / "w.qagrader", create=False, read_only=True) as ws:
            agent = ws.interactions.agents()[0].name
        proc = as_unprivileged(folder, *[a.replace("{agent}", agent) for a in WRITING[command]])
        db = folder / "w.qagrader"
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr == (f"error: {db} is read-only (the file or its folder cannot be written): ask for "
                               f"write access or open a copy; nothing was changed.\n")
        assert snapshot(folder) == before
    finally:
        shutil.rmtree(folder)


def test_a_read_only_workspace_refuses_every_transaction(tmp_path):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    before = snapshot(tmp_path)
    with Workspace.open(db, create=False, read_only=True) as ws:
        assert ws.read_only and ws.counts()["interactions"] == 5
        with pytest.raises(WorkspaceReadOnly, match="is read-only"):
            ws.interactions.ensure_agent("Ana", team="Blue")
        with ws.reopen() as other:
            assert other.read_only
    assert snapshot(tmp_path) == before


def test_an_older_read_only_workspace_is_refused_since_it_needs_the_upgrade(tmp_path):
    from tests.faults.tools import older_workspace

    db = older_workspace(tmp_path / "w.qagrader")
    before = snapshot(tmp_path)
    with pytest.raises(WorkspaceReadOnly, match="older version of QA Grader: it must be upgraded"):
        Workspace.open(db, create=False, read_only=True)
    assert snapshot(tmp_path) == before


def test_a_workspace_changed_while_read_only_is_said_to_be_read_again(tmp_path):
    import argparse

    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    with pytest.raises(QAGraderError) as refused:
        with open_existing(argparse.Namespace(db=str(db))) as ws:
            ws.read_only, ws.opened_stamp = True, (0, 0)  # as opened read-only before the change
            writer = sqlite3.connect(db)
            writer.execute("UPDATE teams SET updated_at = 'later'")
            writer.commit()
            writer.close()
    assert str(refused.value) == (f"{db} was changed by another program while it was being read (it is "
                                  f"read-only here): run the command again.")
