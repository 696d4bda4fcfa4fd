"""Section 1: no output path may resolve to the open workspace, its side files, its backups or
the input being read; refused before anything is written, in one line, exit status 1."""

from __future__ import annotations

import os
import sqlite3

import pytest

from qagrader.core.storage import files
from qagrader.core.storage.files import OutputError, check_output
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import cli, demo_workspace, snapshot

# how an output path names the workspace w.qagrader in folder `d` (cwd is `d`)
SPELLINGS = {
    "absolute": lambda d: d / "w.qagrader",
    "relative": lambda d: "w.qagrader",
    "dot-dot": lambda d: d / "sub" / ".." / "w.qagrader",
    "symlink": lambda d: d / "link.csv",
    "symlinked folder": lambda d: d / "linked" / "w.qagrader",
    "hard link": lambda d: d / "hard.csv",
    "tilde": lambda d: "~/w.qagrader",
    "wal": lambda d: d / "w.qagrader-wal",
    "shm": lambda d: d / "w.qagrader-shm",
    "journal": lambda d: d / "w.qagrader-journal",
    "backup": lambda d: d / "w.before-migration-20260101-120000.qagrader",
}


@pytest.fixture()
def place(tmp_path, monkeypatch):
    demo_workspace(tmp_path / "w.qagrader")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "w.qagrader")
    (tmp_path / "linked").symlink_to(tmp_path)
    os.link(tmp_path / "w.qagrader", tmp_path / "hard.csv")
    (tmp_path / "w.before-migration-20260101-120000.qagrader").write_bytes(b"a backup")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("shape", ["wide", "long"])
def test_evaluation_exports_refuse_every_spelling_of_the_workspace(place, capsys, spelling, shape):
    target = SPELLINGS[spelling](place)
    before = snapshot(place)
    code, out, err = cli(capsys, "--db", place / "w.qagrader", "export", "evaluations", target,
                         "--format", shape)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: Refusing to write {target}: it is ")
    assert err.endswith(". Choose another file name; nothing was written.\n") and err.count("\n") == 1
    assert any(word in err for word in ("the open workspace", "working file", "a backup of the workspace"))
    assert snapshot(place) == before


@pytest.mark.parametrize("target", ["link.csv", "hard.csv"])
@pytest.mark.parametrize("suffix_swap", [False, True])
def test_scorecard_exports_refuse_links_to_the_workspace(place, capsys, target, suffix_swap):
    if suffix_swap:  # a JSON name linked to the workspace
        os.link(place / "w.qagrader", place / "hard.json")
        (place / "link.json").symlink_to(place / "w.qagrader")
        target = target.replace(".csv", ".json")
    before = snapshot(place)
    code, _, err = cli(capsys, "--db", place / "w.qagrader", "export", "scorecard", "Phone QA",
                       place / target)
    assert code == 1 and "it is the open workspace" in err
    assert snapshot(place) == before


def test_scorecard_exports_refuse_workspace_side_files_with_any_suffix(place, capsys):
    # a workspace renamed to .json: the JSON export must not overwrite it
    json_ws = place / "team.json"
    demo_workspace(json_ws, interactions=5)
    before = snapshot(place)
    code, _, err = cli(capsys, "--db", json_ws, "export", "scorecard", "Phone QA", json_ws)
    assert code == 1 and "it is the open workspace" in err


def test_rejects_may_not_overwrite_the_input(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,channel,csat\nA1,phone,5\nA2,phone,abc\n", encoding="utf-8")
    db = tmp_path / "w.qagrader"
    Workspace.open(db).close()
    for target in (source, tmp_path / "sub" / ".." / "in.csv", "in.csv"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        before = snapshot(tmp_path)
        os.chdir(tmp_path)
        code, out, err = cli(capsys, "--db", db, "import", "interactions", source, "--map",
                             "external_id=id", "--skip-bad-rows", "--rejects", target)
        assert code == 1 and out == ""
        assert err == (f"error: Refusing to write {target}: it is the file being read ({source}). "
                       f"Choose another file name; nothing was written.\n")
        assert snapshot(tmp_path) == before


def test_rejects_may_not_overwrite_the_workspace(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,channel,csat\nA1,phone,5\nA2,phone,abc\n", encoding="utf-8")
    db = tmp_path / "w.qagrader"
    Workspace.open(db).close()
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, "--db", db, "import", "interactions", source, "--map", "external_id=id",
                       "--skip-bad-rows", "--rejects", db)
    assert code == 1 and "it is the open workspace" in err
    assert snapshot(tmp_path) == before


def test_analysis_report_refuses_a_folder_holding_the_workspace_names(place, capsys):
    # the report's file names cannot clash with a workspace, but its folder may be a file
    before = snapshot(place)
    code, _, err = cli(capsys, "--db", place / "w.qagrader", "analyze", "--out", place / "w.qagrader")
    assert code == 1 and err == (f"error: {place / 'w.qagrader'} is a file, not a folder: give a "
                                 f"folder for the report.\n")
    assert snapshot(place) == before


def test_save_a_copy_refuses_the_workspace_itself(place):
    with Workspace.open(place / "w.qagrader") as ws:
        before = snapshot(place)
        for target in ("w.qagrader", place / "link.csv", place / "w.qagrader-wal"):
            with pytest.raises(OutputError, match="Refusing to write"):
                ws.backup_to(target)
        ws.backup_to(place / "copy.qagrader")
    assert sqlite3.connect(place / "copy.qagrader").execute("SELECT count(*) FROM evaluations").fetchone()[0] > 0
    assert snapshot(place)["w.qagrader"] == before["w.qagrader"]


def test_case_insensitive_file_systems_compare_names_without_case(place, monkeypatch):
    monkeypatch.setattr(files, "_case_insensitive", lambda folder: True)
    ws = Workspace.open(place / "w.qagrader")
    try:
        for name in ("W.QAGRADER-WAL", "w.QAGrader-shm", "W.Before-Migration-1.QAGRADER"):
            with pytest.raises(OutputError, match="Refusing"):
                check_output(place / name)
    finally:
        ws.close()
    monkeypatch.setattr(files, "_case_insensitive", lambda folder: False)
    check_output(place / "W.QAGRADER-WAL")  # another file where case matters


def test_a_closed_workspace_is_no_longer_protected(tmp_path):
    ws = Workspace.open(tmp_path / "w.qagrader")
    with pytest.raises(OutputError):
        check_output(tmp_path / "w.qagrader")
    ws.close()
    assert check_output(tmp_path / "w.qagrader") == (tmp_path / "w.qagrader").resolve()


@pytest.mark.parametrize("case", ["folder", "missing folder", "parent is a file"])
def test_output_paths_that_cannot_be_files(place, capsys, case):
    (place / "notes.txt").write_text("x")
    target, expected = {
        "folder": (place / "sub", f"{place / 'sub'} is a folder, not a file: give a file name inside it."),
        "missing folder": (place / "nope" / "out.csv",
                           f"The folder {place / 'nope'} does not exist: create it first or choose another place."),
        "parent is a file": (place / "notes.txt" / "out.csv",
                             f"{place / 'notes.txt'} is a file, not a folder, so nothing can be written "
                             f"under it; choose another place."),
    }[case]
    before = snapshot(place)
    code, out, err = cli(capsys, "--db", place / "w.qagrader", "export", "evaluations", target)
    assert (code, out, err) == (1, "", f"error: {expected}\n")
    assert snapshot(place) == before


# every file-writing command added after the first pass, against the same faults
LATER_WRITERS = {
    "export disputes": ["export", "disputes", "{t}"],
    "export coaching": ["export", "coaching", "{t}"],
    "report pdf": ["report", "{t}", "--month", "2026-10", "--format", "pdf"],
    "report png": ["report", "{t}", "--month", "2026-10", "--format", "png"],
    "report csv": ["report", "{t}", "--month", "2026-10", "--format", "csv"],
}


@pytest.mark.parametrize("target", ["absolute", "dot-dot", "wal", "backup", "folder", "missing folder",
                                    "parent is a file"])
@pytest.mark.parametrize("writer", sorted(LATER_WRITERS))
def test_later_writers_refuse_the_workspace_and_paths_that_cannot_be_files(place, capsys, monkeypatch,
                                                                          tmp_path_factory, writer, target):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path_factory.mktemp("mpl")))  # not the test's HOME
    (place / "notes.txt").write_text("x")
    path = {"folder": place / "sub", "missing folder": place / "nope" / "out.x",
            "parent is a file": place / "notes.txt" / "out.x"}.get(target) or SPELLINGS[target](place)
    before = snapshot(place)
    code, out, err = cli(capsys, "--db", place / "w.qagrader",
                         *[a.replace("{t}", str(path)) for a in LATER_WRITERS[writer]])
    assert (code, out) == (1, "") and err.count("\n") == 1
    expected = {"folder": f"error: {path} is a folder, not a file: give a file name inside it.\n",
                "missing folder": f"error: The folder {place / 'nope'} does not exist: create it first or choose "
                                  f"another place.\n",
                "parent is a file": f"error: {place / 'notes.txt'} is a file, not a folder, so nothing can be "
                                    f"written under it; choose another place.\n"}.get(target)
    if expected:
        assert err == expected
    else:
        assert err.startswith(f"error: Refusing to write {path}: it is ")
        assert err.endswith(". Choose another file name; nothing was written.\n")
    assert snapshot(place) == before
