"""Section 2: every fault of the workspace or a path is one clear line at the CLI (exit 1),
names the file and what to do, and changes nothing; reading commands never create a
workspace; unexpected errors are logged with their traceback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import pytest

from qagrader.cli import commands
from qagrader.core import logs
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import as_nobody, cli, demo_workspace, run, shared_tmp, snapshot
from tests.samples import EXAMPLE

READING = {
    "list scorecards": ["list", "scorecards"],
    "list agents": ["list", "agents"],
    "export evaluations": ["export", "evaluations", "{d}/out.csv"],
    "export scorecard": ["export", "scorecard", "Phone QA", "{d}/out.json"],
    "analyze": ["analyze", "--out", "{d}/report"],
    "publish": ["publish", "{d}"],
    "graders": ["graders"],
    "graders rename": ["graders", "rename", "Ana", "Anna"],
}


def args_for(template: list[str], folder) -> list[str]:
    return [a.replace("{d}", str(folder)) for a in template]


@pytest.mark.parametrize("command", sorted(READING))
def test_reading_commands_on_a_missing_workspace_create_nothing(tmp_path, capsys, command):
    db = tmp_path / "nope.qagrader"
    code, out, err = cli(capsys, "--db", db, *args_for(READING[command], tmp_path))
    assert (code, out) == (1, "")
    assert err == (f"error: There is no workspace at {db}; nothing was created. Check the name, or "
                   f"import or build a demo to create one.\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["import scorecard", "import interactions", "import evaluations",
                                     "merge"])
def test_creating_commands_need_the_folder_to_exist(tmp_path, capsys, command):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(EXAMPLE))
    db = tmp_path / "missing" / "w.qagrader"
    args = ["merge", source] if command == "merge" else ["import", command.split()[1], source]
    code, out, err = cli(capsys, "--db", db, *args)
    assert (code, out) == (1, "")
    assert err == (f"error: Cannot create the workspace {db}: The folder {db.parent} does not exist: "
                   f"create it first or choose another place.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json"]


def test_a_refused_import_into_a_new_workspace_leaves_no_workspace(tmp_path, capsys):
    bad = json.loads(json.dumps(EXAMPLE))
    bad["sections"][0]["questions"][0]["type"] = "stars"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "bad.csv").write_text("id,channel,csat\nA,phone,abc\n")
    for args in (["import", "scorecard", tmp_path / "bad.json"],
                 ["import", "interactions", tmp_path / "bad.csv", "--map", "external_id=id"],
                 ["import", "evaluations", tmp_path / "bad.csv"]):
        code, _, err = cli(capsys, "--db", tmp_path / "new.qagrader", *args)
        assert code == 1 and err.startswith("error: ")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "bad.json"]


def test_demo_with_a_bad_count_is_a_wrong_argument_and_creates_nothing(tmp_path):
    proc = run("--db", tmp_path / "d.qagrader", "demo", "--interactions", "-5")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == ("qagrader demo: error: argument --interactions: must be "
                                            "at least 1, not -5")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["folder", "parent is a file", "not sqlite", "foreign sqlite",
                                  "empty file", "table missing", "later table missing", "trigger missing",
                                  "damaged pages", "newer schema", "unknown schema step"])
def test_files_that_are_not_usable_workspaces(tmp_path, capsys, case):
    db = tmp_path / "w.qagrader"
    if case == "folder":
        db.mkdir()
        expected = f"{db} is a folder, not a workspace file."
    elif case == "parent is a file":
        (tmp_path / "notes.txt").write_text("x")
        db = tmp_path / "notes.txt" / "w.qagrader"
        expected = f"There is no workspace at {db}; nothing was created. Check the name, or import or build a demo to create one."
    elif case == "not sqlite":
        db.write_text("name,csat\nAna,5\n" * 50)
        expected = f"{db} is not a QA Grader workspace (it is not a SQLite file); it was not changed."
    elif case == "foreign sqlite":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        expected = f"{db} is a SQLite file but not a QA Grader workspace; it was not changed."
    elif case == "empty file":
        db.write_bytes(b"")
        expected = f"{db} is empty, not a QA Grader workspace; it was not changed."
    elif case == "table missing":
        demo_workspace(db, interactions=5)
        (tmp_path / "w.before-migration-20260101-000000.qagrader").write_bytes(db.read_bytes())
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DROP TABLE evaluation_history")
        conn.commit()
        conn.close()
        expected = (f"{db} is damaged (table evaluation_history is missing). Open its latest backup, "
                    f"{tmp_path / 'w.before-migration-20260101-000000.qagrader'}, or a copy you saved; "
                    f"the damaged file was not changed.")
    elif case in ("later table missing", "trigger missing"):
        demo_workspace(db, interactions=5)
        dropped = "TABLE coaching_notes" if case == "later table missing" else "TRIGGER analysis_skill_added"
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"DROP {dropped}")
        conn.commit()
        conn.close()
        expected = (f"{db} is damaged ({dropped.lower()} is missing). Open a copy you "
                    f"saved (no backup was found next to it); the damaged file was not changed.")
    elif case == "damaged pages":
        demo_workspace(db, interactions=200)
        data = bytearray(db.read_bytes())
        page = 4096
        for start in range(2 * page, len(data), page):  # every page after the schema's: garbage
            data[start:start + page] = os.urandom(page)
        db.write_bytes(bytes(data))
        expected = None
    elif case == "newer schema":
        demo_workspace(db, interactions=5)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
        expected = None
    else:
        demo_workspace(db, interactions=5)
        conn = sqlite3.connect(db)
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('qagrader', '0099_from_a_branch', 'x')")
        conn.commit()
        conn.close()
        expected = (f"{db} was written by a newer or different version of QA Grader: it has schema "
                    f"step 0099_from_a_branch, which this version does not know. Update QA Grader "
                    f"to open it; the file was not changed.")
    before = snapshot(tmp_path)
    for command in (["list", "scorecards"], ["export", "evaluations", str(tmp_path / "out.csv")],
                    ["import", "scorecard", str(tmp_path / "nothing.json")]):
        code, out, err = cli(capsys, "--db", db, *command)
        assert (code, out) == (1, ""), err
        assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
        if expected is not None and not (case == "parent is a file" and command[0] == "import"):
            assert err == f"error: {expected}\n"
        if case == "damaged pages":
            assert f"{db} is damaged" in err and "the damaged file was not changed" in err
        if case == "newer schema":
            assert "schema 99" in err and "Update QA Grader" in err
        assert snapshot(tmp_path) == before


def test_a_busy_workspace_is_one_line_after_the_wait_and_changes_nothing(tmp_path, capsys):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    (tmp_path / "card.json").write_text(json.dumps(EXAMPLE))
    holder = sqlite3.connect(db)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        proc = run("--db", db, "import", "scorecard", tmp_path / "card.json",
                   env={"QAGRADER_BUSY_TIMEOUT": "0.5"})
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 1
    assert proc.stderr == (f"error: {db} is busy: another QA Grader or program is writing to it. "
                           f"Try again in a moment; nothing was changed.\n")
    with Workspace.open(db, create=False) as ws:
        assert [c.name for c in ws.scorecards.list()] == ["Chat QA", "Email QA", "Phone QA"]


def test_a_write_waits_for_a_lock_released_within_the_budget(tmp_path):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    ws = Workspace.open(db, create=False, busy_timeout_s=30)
    import threading

    released = threading.Timer(0.3, holder.execute, ("ROLLBACK",))
    released.start()
    try:
        with ws.transaction() as conn:  # waits until the holder lets go, then writes
            conn.execute("UPDATE teams SET updated_at = 'now'")
        assert ws.conn.execute("SELECT count(*) FROM teams WHERE updated_at = 'now'").fetchone()[0] > 0
    finally:
        released.join()
        holder.close()
        ws.close()


@pytest.fixture()
def readonly_place():
    """A folder and workspace owned by root, used by an unprivileged user (root ignores
    permissions, and CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run the command as another user")
    folder = shared_tmp()
    home = folder / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    demo_workspace(folder / "w.qagrader", interactions=5)
    (folder / "card.json").write_text(json.dumps(EXAMPLE))
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o644)
    yield folder
    shutil.rmtree(folder)


def run_as_nobody(folder, *args):
    return run(*args, preexec_fn=as_nobody, cwd=folder,
               env={"HOME": str(folder / "home"), "XDG_DATA_HOME": str(folder / "home"),
                    "XDG_STATE_HOME": str(folder / "home"), "PYTHONDONTWRITEBYTECODE": "1"})


def test_a_read_only_workspace_is_one_line_and_unchanged(readonly_place):
    db = readonly_place / "w.qagrader"
    before = snapshot(readonly_place)
    proc = run_as_nobody(readonly_place, "--db", db, "import", "scorecard", readonly_place / "card.json")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == (f"error: {db} is read-only (the file or its folder cannot be written): ask "
                           f"for write access or open a copy; nothing was changed.\n")
    assert snapshot(readonly_place) == before


def test_a_read_only_output_folder_is_one_line(readonly_place):
    db = readonly_place / "home" / "w.qagrader"
    shutil.copy(readonly_place / "w.qagrader", db)
    os.chown(db, 65534, 65534)
    out = readonly_place / "out.csv"
    before = snapshot(readonly_place)
    proc = run_as_nobody(readonly_place, "--db", db, "export", "evaluations", out)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == (f"error: Permission denied for {out}: it or its folder is read-only or "
                           f"belongs to someone else. Ask for write access or choose another place; "
                           f"nothing was changed.\n")
    assert {k: v for k, v in snapshot(readonly_place).items() if not k.startswith("home")} == \
        {k: v for k, v in before.items() if not k.startswith("home")}


def test_unexpected_errors_are_logged_and_shown_as_one_line(tmp_path, capsys, monkeypatch):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    monkeypatch.setattr(logs, "log_dir", lambda: tmp_path / "logs")
    monkeypatch.setattr(logs, "_handler_path", None)
    (tmp_path / "logs").mkdir()

    def broken(args):
        return {}["missing"]

    monkeypatch.setattr(commands, "list_records", broken)  # a bug in a command
    code, out, err = cli(capsys, "--db", db, "list", "scorecards")
    log = tmp_path / "logs" / "qagrader.log"
    assert (code, out) == (1, "")
    assert err == (f"error: Unexpected error (KeyError: 'missing'). This is a bug; the details were "
                   f"written to {log}.\n")
    text = log.read_text()
    assert "Traceback" in text and "KeyError: 'missing'" in text
    for handler in list(logs.log.handlers):
        logs.log.removeHandler(handler)
        handler.close()



def test_processes_creating_the_same_new_workspace_at_once_all_succeed(tmp_path):
    import subprocess
    import sys

    from tests.faults.tools import ROOT

    (tmp_path / "card.json").write_text(json.dumps(EXAMPLE))
    db = tmp_path / "new.qagrader"
    procs = [subprocess.Popen([sys.executable, "-m", "qagrader.cli.main", "--db", str(db), "import",
                               "scorecard", str(tmp_path / "card.json")], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(proc.wait(timeout=120), proc.stderr.read()) for proc in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert results == [(0, "")] * 4
    with Workspace.open(db, create=False) as ws:
        assert [(c.name, c.version) for c in ws.scorecards.list()] == [("Chat QA", 1)]


@pytest.mark.parametrize("what", ["interactions", "evaluations", "scorecard"])
@pytest.mark.parametrize("case", ["missing", "folder", "parent is a file", "missing folder"])
def test_input_paths_that_cannot_be_read_are_one_line(tmp_path, capsys, what, case):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=5)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "a folder").mkdir()
    source = {"missing": tmp_path / "gone.csv", "folder": tmp_path / "a folder",
              "parent is a file": tmp_path / "notes.txt" / "in.csv",
              "missing folder": tmp_path / "nope" / "in.csv"}[case]
    before = snapshot(tmp_path)
    code, out, err = cli(capsys, "--db", db, "import", what, source)
    assert (code, out) == (1, "") and err.count("\n") == 1 and "Traceback" not in err
    assert str(source) in err or str(source.parent) in err
    expected = {"missing": ("no such file", "does not exist"), "folder": ("is a folder",),
                "parent is a file": ("is a file, not a folder",), "missing folder": ("does not exist",)}[case]
    assert any(text in err for text in expected), err
    assert snapshot(tmp_path) == before


def test_a_reading_command_without_db_creates_no_data_folder(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "QAGRADER_DB": ""}
    proc = run("list", "scorecards", env=env)
    assert proc.returncode == 1 and "There is no workspace at" in proc.stderr
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "card.json").write_text(json.dumps(EXAMPLE))
    proc = run("import", "scorecard", tmp_path / "card.json", env=env)  # creating: makes the folder
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "QA Grader" / "workspace.qagrader").is_file()


@pytest.fixture()
def held(tmp_path):
    """A workspace whose write lock another process holds until the test ends."""
    import subprocess
    import sys

    db = demo_workspace(tmp_path / "w.qagrader", interactions=40)
    shutil.copy(db, tmp_path / "other.qagrader")
    (tmp_path / "team").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"h = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "h.execute('BEGIN IMMEDIATE')\nh.execute('UPDATE teams SET updated_at = updated_at')\n"
         "print('held', flush=True)\nsys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    yield db
    holder.stdin.close()
    holder.wait(timeout=30)
    holder.stdout.close()


BUSY_WRITES = {
    "graders rename": ["graders", "rename", "{grader}", "Someone Else"],
    "coaching add": ["coaching", "add", "{agent}", "--skill", "Empathy"],
    "disputes raise": ["disputes", "raise", "{evaluation}", "--reason", "Too strict"],
    "merge": ["merge", "{d}/other.qagrader"],
}
BUSY_READS = {
    "export disputes": ["export", "disputes", "{d}/disputes.csv"],
    "report csv": ["report", "{d}/report.csv", "--month", "2026-10"],
    "check": ["check"],
    "publish": ["publish", "{d}/team", "--as", "Ana"],
}


@pytest.mark.parametrize("command", sorted(BUSY_WRITES) + sorted(BUSY_READS))
def test_later_commands_on_a_busy_workspace(held, capsys, monkeypatch, command):
    """Writes wait the budget, then one line with nothing changed; reads do not wait at all."""
    monkeypatch.setenv("QAGRADER_BUSY_TIMEOUT", "0.3")
    conn = sqlite3.connect(f"file:{held}?mode=ro", uri=True)
    grader, agent, evaluation = conn.execute(
        "SELECT (SELECT name FROM graders ORDER BY id LIMIT 1), (SELECT name FROM agents ORDER BY id LIMIT 1), "
        "(SELECT uuid FROM evaluations WHERE status = 'submitted' AND calibration = 0 ORDER BY id LIMIT 1)").fetchone()
    conn.close()
    args = [a.replace("{d}", str(held.parent)).replace("{grader}", grader).replace("{agent}", agent)
            .replace("{evaluation}", evaluation[:8]) for a in {**BUSY_WRITES, **BUSY_READS}[command]]
    before = {k: v for k, v in snapshot(held.parent).items() if k.startswith("w.qagrader")}
    code, out, err = cli(capsys, "--db", held, *args)
    if command in BUSY_WRITES:
        assert (code, out) == (1, "")
        assert err == (f"error: {held} is busy: another QA Grader or program is writing to it. Try again in a "
                       f"moment; nothing was changed.\n")
    else:
        assert (code, err) == (0, "") and out
    assert {k: v for k, v in snapshot(held.parent).items() if k.startswith("w.qagrader")} == before
