"""The `qagrader` command: real workspaces, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qagrader.cli.main import main
from qagrader.core.workspace import Workspace
from tests.samples import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
SHARED_CSV = ROOT.parent / "shared" / "data" / "call-center-5000.csv"


@pytest.fixture()
def db(tmp_path) -> Path:
    return tmp_path / "w.qagrader"


@pytest.fixture()
def card_file(tmp_path) -> Path:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    """Run the real command in a subprocess, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "qagrader.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_import_scorecard_then_new_version_then_export_json(db, card_file, tmp_path, capsys):
    assert main(["--db", str(db), "import", "scorecard", str(card_file)]) == 0
    assert "Scorecard 'Chat QA' v1 saved (6 questions" in capsys.readouterr().out
    assert main(["--db", str(db), "import", "scorecard", str(card_file)]) == 0
    assert "already up to date" in capsys.readouterr().out
    out = tmp_path / "out.json"
    assert main(["--db", str(db), "export", "scorecard", "chat qa", str(out)]) == 0
    assert json.loads(out.read_text())["sections"][0]["questions"][0] == EXAMPLE["sections"][0]["questions"][0]
    assert main(["--db", str(db), "list", "scorecards"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Chat QA\tv1\t6 questions\tchat")


def test_bad_scorecard_is_one_line_on_stderr_and_changes_nothing(db, tmp_path):
    bad = tmp_path / "bad.json"
    broken = json.loads(json.dumps(EXAMPLE))
    broken["sections"][0]["questions"][1]["type"] = "stars"
    bad.write_text(json.dumps(broken))
    Workspace.open(db).close()
    before = db.read_bytes()
    code, out, err = run("--db", str(db), "import", "scorecard", str(bad))
    assert code == 1
    assert err == "error: sections[0].questions[1].type: unknown type 'stars'; use one of yes_no, scale, options\n"
    with Workspace.open(db) as ws:
        assert ws.scorecards.list(include_archived=True) == []


def test_unknown_scorecard_export_is_a_clear_error(db, tmp_path, capsys):
    assert main(["--db", str(db), "export", "scorecard", "Nope", str(tmp_path / "x.json")]) == 1
    assert capsys.readouterr().err == "error: No scorecard named 'Nope'.\n"


def test_wrong_suffix_for_scorecard_export(db, card_file, tmp_path, capsys):
    main(["--db", str(db), "import", "scorecard", str(card_file)])
    assert main(["--db", str(db), "export", "scorecard", "Chat QA", str(tmp_path / "x.txt")]) == 1
    assert "to a .json or .csv file, not 'x.txt'" in capsys.readouterr().err


def test_bad_arguments_exit_2_without_traceback():
    code, out, err = run("import", "interactions")
    assert code == 2 and "Traceback" not in err and "the following arguments are required: file" in err


def test_db_from_environment(tmp_path, card_file, monkeypatch, capsys):
    target = tmp_path / "env.qagrader"
    monkeypatch.setenv("QAGRADER_DB", str(target))
    assert main(["import", "scorecard", str(card_file)]) == 0
    assert target.exists()
