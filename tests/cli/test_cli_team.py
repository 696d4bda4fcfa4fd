"""`qagrader merge`, `publish` and `graders` on real workspace files, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import copy_of, grade, team_workspace

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, grader: str = "Lee Park") -> tuple[int, str, str]:
    env = {"PATH": "/usr/bin:/bin", "QAGRADER_GRADER": grader, "HOME": str(Path.home())}
    proc = subprocess.run([sys.executable, "-m", "qagrader.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_merge_a_file_dry_run_then_for_real_then_nothing_new(tmp_path):
    with team_workspace(tmp_path / "lead.qagrader") as lead, copy_of(lead, tmp_path / "priya.qagrader") as priya:
        grade(priya, "T1", "Priya Raman")
    code, out, err = run("--db", str(tmp_path / "lead.qagrader"), "merge", str(tmp_path / "priya.qagrader"),
                         "--dry-run")
    assert code == 0 and not err
    assert out.splitlines()[0].endswith("priya.qagrader: 1 grader, 1 evaluation new")
    assert "Dry run: nothing was written." in out
    code, out, _ = run("--db", str(tmp_path / "lead.qagrader"), "merge", str(tmp_path / "priya.qagrader"))
    assert code == 0 and "Brought in from" in out and "Backup taken before the merge" in out
    code, out, _ = run("--db", str(tmp_path / "lead.qagrader"), "merge", str(tmp_path / "priya.qagrader"))
    assert code == 0 and "Nothing new" in out
    with Workspace.open(tmp_path / "lead.qagrader") as lead:
        assert lead.counts()["submitted"] == 1


def test_publish_and_merge_the_team_folder(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    with team_workspace(tmp_path / "lead.qagrader") as lead:
        for grader, external_id in (("Priya Raman", "T1"), ("Tom Becker", "T2")):
            with copy_of(lead, tmp_path / f"{grader}.qagrader") as laptop:
                grade(laptop, external_id, grader)
            code, out, err = run("--db", str(tmp_path / f"{grader}.qagrader"), "publish", str(folder), grader=grader)
            assert code == 0 and not err and f"{grader}.qagrader" in out
    code, out, _ = run("--db", str(tmp_path / "lead.qagrader"), "merge", str(folder))
    assert code == 0 and out.startswith(f"2 workspace files in {folder}: 4 new or updated records from 2.")


def test_graders_list_rename_merge_and_one_line_errors(tmp_path):
    with team_workspace(tmp_path / "lead.qagrader") as lead:
        grade(lead, "T1", "Priya Raman")
        grade(lead, "T2", "Priya Ramen")
    db = str(tmp_path / "lead.qagrader")
    code, out, _ = run("--db", db, "graders", "merge", "Priya Raman", "priya ramen")
    assert code == 0 and "1 evaluation moved" in out
    code, out, _ = run("--db", db, "graders", "rename", "priya raman", "Priya R.")
    assert code == 0
    code, out, _ = run("--db", db, "graders")
    assert out.splitlines() == ["Priya R.\t2 submitted\t0 drafts"]
    code, _, err = run("--db", db, "graders", "rename", "Nobody", "X")
    assert code == 1 and err == "error: No grader named 'Nobody' (see `qagrader graders`).\n"
    code, _, err = run("--db", db, "merge", str(tmp_path / "missing.qagrader"))
    assert code == 1 and err.count("\n") == 1 and "No workspace at" in err
