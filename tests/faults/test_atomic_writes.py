"""Section 1: every file the app writes is complete or absent. A kill at any step of a write,
a full disk or a file-size limit leaves the old file byte for byte and the workspace as it was;
temporary files of killed runs are recognisable and removed by the next run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.files import STALE_AFTER_S, atomic_file, remove_stale_temps, temp_path, write_file
from qagrader.core.storage.names import is_temp_file
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import (
    ROOT, demo_workspace, file_size_limit, older_workspace, run, run_killed, settled, snapshot,
)
from tests.samples import EXAMPLE

OLD = b"old contents, kept byte for byte\r\n"


def temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if is_temp_file(p))


# ------------------------------------------------------------------------------ the helper

def test_atomic_file_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(OLD)
    with pytest.raises(RuntimeError):
        with atomic_file(target) as handle:
            handle.write("half")
            raise RuntimeError("stop")
    assert target.read_bytes() == OLD and temps(tmp_path) == []
    with atomic_file(target, newline="") as handle:
        handle.write("new\r\n")
    assert target.read_bytes() == b"new\r\n" and temps(tmp_path) == []


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.csv"
    real.write_bytes(OLD)
    (tmp_path / "link.csv").symlink_to(real)
    write_file(tmp_path / "link.csv", "new")
    assert (tmp_path / "link.csv").is_symlink() and real.read_text() == "new"


def test_stale_temporary_files_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.csv.{dead}-0123abcd.qagrader-part"
    stale.write_text("half")
    mine = temp_path(tmp_path / "other.csv")
    mine.write_text("being written")
    old_mine = temp_path(tmp_path / "old.csv")
    old_mine.write_text("a day old")
    os.utime(old_mine, (time.time() - STALE_AFTER_S - 60,) * 2)
    unrelated = tmp_path / ".hidden.csv.part"
    unrelated.write_text("not ours")
    write_file(tmp_path / "out.csv", "x")
    assert not stale.exists() and not old_mine.exists()
    assert mine.exists() and unrelated.exists()
    assert remove_stale_temps(tmp_path) == []


def test_write_errors_name_the_target_not_the_temporary_file(tmp_path):
    (tmp_path / "ro").mkdir()
    with pytest.raises(QAGraderError) as error:
        write_file(tmp_path / "missing" / "out.csv", "x")
    assert ".qagrader-part" not in str(error.value) and "missing" in str(error.value)


# ------------------------------------------------------------------------- kill tests

@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("source")
    ws = demo_workspace(folder / "w.qagrader", interactions=60)
    card = folder / "card.json"
    card.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    csv = folder / "in.csv"
    csv.write_text("id,channel,csat\n" + "".join(f"K{i},phone,{'abc' if i % 7 == 0 else 4}\n"
                                                 for i in range(200)), encoding="utf-8")
    return ws


@pytest.fixture()
def place(tmp_path, source) -> Path:
    for name in ("w.qagrader", "card.json", "in.csv"):
        (tmp_path / name).write_bytes((source.parent / name).read_bytes())
    return tmp_path


# writer -> (arguments after --db, the file it writes, whether an old file can be there first)
WRITERS = {
    "export evaluations wide": (["export", "evaluations", "{d}/out.csv"], "out.csv"),
    "export evaluations long": (["export", "evaluations", "{d}/out.csv", "--format", "long"], "out.csv"),
    "export scorecard json": (["export", "scorecard", "Phone QA", "{d}/out.json"], "out.json"),
    "export scorecard csv": (["export", "scorecard", "Phone QA", "{d}/out.csv"], "out.csv"),
    "rejects": (["import", "interactions", "{d}/in.csv", "--map", "external_id=id",
                 "--skip-bad-rows", "--rejects", "{d}/out.csv"], "out.csv"),
    "analysis report": (["analyze", "--out", "{d}/report"], "report/correlations.csv"),
    "export disputes": (["export", "disputes", "{d}/out.csv"], "out.csv"),
    "export coaching": (["export", "coaching", "{d}/out.csv"], "out.csv"),
    "calibration report": (["calibration", "--out", "{d}/report"], "report/agreement.csv"),
    "monthly report pdf": (["report", "{d}/out.pdf", "--month", "2026-10"], "out.pdf"),
    "monthly report png": (["report", "{d}/out.png", "--month", "2026-10"], "out-1.png"),
    "monthly report csv": (["report", "{d}/out.csv", "--month", "2026-10"], "out.csv"),
}


@pytest.mark.parametrize("step", ["fsync", "rename"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_killed_writer_leaves_the_old_file_and_the_workspace(place, writer, step):
    args, written = WRITERS[writer]
    args = [a.replace("{d}", str(place)) for a in args]
    (place / written).parent.mkdir(exist_ok=True)
    (place / written).write_bytes(OLD)
    before = snapshot(place)
    proc = run_killed(step, "--db", str(place / "w.qagrader"), *args)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    after = snapshot(place)
    left = temps(place)
    # one temporary file, or for a set written together (a report) one per file written so far
    assert left and {path.parent for path in left} == {(place / written).parent}
    assert len(left) == 1 or writer.endswith(("report", "report png"))
    assert settled(after) == before
    # the next run finishes the job and removes what the killed one left
    done = run("--db", place / "w.qagrader", *args)
    assert done.returncode == 0, done.stderr
    assert temps(place) == [] and (place / written).read_bytes() != OLD


def test_a_killed_export_mid_stream_leaves_the_old_file(tmp_path):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=2000)
    out = tmp_path / "out.csv"
    out.write_bytes(OLD)
    before = snapshot(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "qagrader.cli.main", "--db", str(db), "export",
                             "evaluations", str(out), "--format", "long"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            partial = temps(tmp_path)
            if partial and partial[0].stat().st_size > 0:
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert settled(snapshot(tmp_path)) == before


@pytest.mark.parametrize("step", ["fsync", "rename"])
def test_a_killed_pre_migration_backup_never_looks_like_a_backup(tmp_path, step):
    db = older_workspace(tmp_path / "w.qagrader")
    before = snapshot(tmp_path)
    proc = run_killed(step, "--db", str(db), "list", "scorecards")
    assert proc.returncode == -signal.SIGKILL
    assert list(tmp_path.glob("w.before-migration-*")) == []
    assert settled(snapshot(tmp_path)) == before
    done = run("--db", db, "list", "scorecards")
    assert done.returncode == 0, done.stderr
    backups = list(tmp_path.glob("w.before-migration-*.qagrader"))
    assert len(backups) == 1 and temps(tmp_path) == []
    conn = sqlite3.connect(backups[0])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT name FROM teams").fetchall() == [("Blue",)]
    conn.close()


@pytest.mark.parametrize("step", ["fsync", "rename"])
def test_a_killed_save_a_copy_leaves_the_old_copy(place, step):
    copy = place / "copy.qagrader"
    copy.write_bytes(OLD)
    before = snapshot(place)
    code = ("import os, signal\n" + {"fsync": "os.fsync = lambda fd: os.kill(os.getpid(), 9)\n",
                                     "rename": "os.replace = lambda a, b: os.kill(os.getpid(), 9)\n"}[step]
            + "from qagrader.core.storage.workspace import Workspace\n"
            f"Workspace.open({str(place / 'w.qagrader')!r}, create=False).backup_to({str(copy)!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert settled(snapshot(place)) == before


def test_a_killed_demo_replace_keeps_the_old_workspace(tmp_path):
    db = demo_workspace(tmp_path / "demo.qagrader", interactions=10)
    before = snapshot(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "qagrader.cli.main", "--db", str(db), "demo",
                             "--replace", "--interactions", "3000"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        # kill once the build has written into its temporary workspace
        while time.monotonic() < deadline and proc.poll() is None and \
                sum(_size(p) for p in temps(tmp_path)) < 64 * 1024:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert settled(snapshot(tmp_path)) == before
    with Workspace.open(db, create=False) as ws:
        assert ws.interactions.count() == 10
    done = run("--db", db, "demo", "--replace", "--interactions", "20")
    assert done.returncode == 0, done.stderr
    assert temps(tmp_path) == []
    with Workspace.open(db, create=False) as ws:
        assert ws.interactions.count() == 20


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# -------------------------------------------------------------- disk full / file too large

def test_disk_full_during_exports_keeps_the_old_file(tmp_path):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=600)
    big = json.loads(json.dumps(EXAMPLE))  # a scorecard whose files are over the limit
    big["name"] = "Big"
    big["sections"][0]["questions"][0]["guideline"] = "Read the customer's words back. " * 3000
    for question in big["sections"][0]["questions"]:  # the demo's scorecards: a behaviour to avoid
        if question.get("skill") == "Wrong customer name":
            question["polarity"] = "negative"
    with Workspace.open(db) as ws:
        ws.scorecards.import_json(json.dumps(big))
    # SQLite writes its 32 KiB shared-memory file while reading: the limit stays above it
    for args, name in [(["export", "evaluations", "{out}"], "out.csv"),
                       (["export", "evaluations", "{out}", "--format", "long"], "out.csv"),
                       (["export", "scorecard", "Big", "{out}"], "out.json"),
                       (["export", "scorecard", "Big", "{out}"], "out.csv")]:
        out = tmp_path / name
        out.write_bytes(OLD)
        before = snapshot(tmp_path)
        proc = run("--db", db, *[a.replace("{out}", str(out)) for a in args],
                   preexec_fn=file_size_limit(64 * 1024))
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr == (f"error: Not enough space to write {out}: the disk is full or the "
                               f"file is larger than allowed. Free some space and try again; the "
                               f"existing {name} was kept as it was.\n")
        assert settled(snapshot(tmp_path)) == settled(before)


@pytest.mark.parametrize("command", ["analyze", "calibration"])
def test_disk_full_while_writing_a_report_keeps_every_older_file_of_it(place, command):
    """The report's small tables fit under the limit, its charts do not: not one of the older
    files is replaced (a report is written all or nothing: `files.written_together`)."""
    from qagrader.analysis import calibration_report, report

    names = {"analyze": (*report.TABLE_NAMES, report.SUMMARY_NAME, *report.FIGURE_NAMES),
             "calibration": (*calibration_report.TABLE_NAMES, *calibration_report.FIGURE_NAMES)}[command]
    (place / "report").mkdir()
    for name in names:
        (place / "report" / name).write_bytes(OLD)
    before = snapshot(place)
    proc = run("--db", place / "w.qagrader", command, "--out", place / "report",
               preexec_fn=file_size_limit(64 * 1024))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"error: Not enough space to write {place / 'report'}/")
    assert proc.stderr.endswith("was kept as it was.\n")
    assert settled(snapshot(place)) == settled(before) and temps(place) == []


def test_disk_full_during_an_import_changes_nothing(tmp_path):
    db = demo_workspace(tmp_path / "w.qagrader", interactions=20)
    source = ROOT.parent / "shared" / "data" / "call-center-5000.csv"
    if not source.exists():
        pytest.skip("shared call-centre export not present")
    before = snapshot(tmp_path)
    proc = run("--db", db, "import", "interactions", source, "--channel", "phone",
               preexec_fn=file_size_limit(128 * 1024))
    assert proc.returncode == 1
    assert proc.stderr == (f"error: Not enough space to write {db}: the disk is full or the file is "
                           f"larger than allowed. Free some space and try again; nothing was changed.\n")
    assert snapshot(tmp_path) == before


def test_disk_full_during_the_pre_migration_backup_changes_nothing(tmp_path):
    db = older_workspace(tmp_path / "w.qagrader")
    before = snapshot(tmp_path)
    with sqlite3.connect(db) as conn:  # a workspace larger than the limit (and its -shm)
        conn.execute("CREATE TABLE padding (x)")
        conn.execute("INSERT INTO padding VALUES (zeroblob(200000))")
    conn.close()
    before = snapshot(tmp_path)
    proc = run("--db", db, "list", "scorecards", preexec_fn=file_size_limit(64 * 1024))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: Not enough space to write ")
    assert ".before-migration-" in proc.stderr and proc.stderr.count("\n") == 1
    assert settled(snapshot(tmp_path)) == settled(before)


@pytest.mark.parametrize("step", ["fsync", "rename"])
def test_a_killed_publish_leaves_the_previous_copy_in_the_team_folder(place, step):
    team = place / "team"
    team.mkdir()
    (team / "Ana.qagrader").write_bytes(OLD)
    before = snapshot(place)
    proc = run_killed(step, "--db", str(place / "w.qagrader"), "publish", str(team), "--as", "Ana")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert settled(snapshot(place)) == before
    done = run("--db", place / "w.qagrader", "publish", team, "--as", "Ana")
    assert done.returncode == 0, done.stderr
    assert temps(place) == [] and (team / "Ana.qagrader").read_bytes()[:15] == b"SQLite format 3"


@pytest.mark.parametrize("step", ["fsync", "rename"])
def test_a_killed_pre_merge_backup_never_looks_like_a_backup(place, step):
    other = place / "other.qagrader"
    other.write_bytes((place / "w.qagrader").read_bytes())
    with Workspace.open(other, create=False) as ws, ws.transaction() as conn:  # something new
        conn.execute("INSERT INTO interactions (uuid, external_id, channel, created_at, updated_at) "
                     "VALUES ('new-one', 'NEW-1', 'chat', 'now', 'now')")
    before = snapshot(place)
    proc = run_killed(step, "--db", str(place / "w.qagrader"), "merge", str(other), "--as", "Lead")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert list(place.glob("w.before-merge-*")) == []
    assert settled(snapshot(place)) == before
    done = run("--db", place / "w.qagrader", "merge", other, "--as", "Lead")
    assert done.returncode == 0, done.stderr
    assert temps(place) == [] and len(list(place.glob("w.before-merge-*.qagrader"))) == 1


def test_a_read_only_output_file_is_not_replaced_and_modes_are_kept(tmp_path):
    locked = tmp_path / "locked.csv"
    locked.write_bytes(OLD)
    locked.chmod(0o444)
    with pytest.raises(QAGraderError, match="locked.csv is read-only, so it is not replaced"):
        write_file(locked, "new")
    assert locked.read_bytes() == OLD and temps(tmp_path) == []
    private = tmp_path / "private.csv"
    private.write_bytes(OLD)
    private.chmod(0o600)
    write_file(private, "new")
    assert private.read_text() == "new" and (private.stat().st_mode & 0o777) == 0o600


def test_the_backup_of_a_private_workspace_stays_private(tmp_path):
    db = older_workspace(tmp_path / "w.qagrader")
    db.chmod(0o600)
    Workspace.open(db, create=False).close()  # migrates, after a backup
    backups = list(tmp_path.glob("w.before-migration-*.qagrader"))
    assert len(backups) == 1 and (backups[0].stat().st_mode & 0o777) == 0o600
