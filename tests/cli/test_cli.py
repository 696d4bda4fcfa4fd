"""The `qagrader` command: real workspaces, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qagrader.cli.main import main
from qagrader.core.storage.workspace import Workspace
from tests.samples import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


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
    code, out, err = run("--db", str(db), "import", "scorecard", str(bad))
    assert code == 1
    assert err == "error: sections[0].questions[1].type: unknown type 'stars'; use one of yes_no, scale, options\n"
    with Workspace.open(db) as ws:
        assert ws.scorecards.list(include_archived=True) == []


def test_unknown_scorecard_export_is_a_clear_error(db, tmp_path, capsys):
    Workspace.open(db).close()  # reading commands never create a workspace
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


def test_shared_call_centre_export_imports_with_one_line(db, call_centre_csv):
    code, out, err = run("--db", str(db), "import", "interactions", str(call_centre_csv), "--channel", "phone")
    assert code == 0, err
    assert "Imported call-center-5000.csv: 5000 new, 0 updated, 0 skipped." in out
    with Workspace.open(db) as ws:
        assert ws.interactions.count() == 5000
        assert ws.conn.execute("SELECT count(*) FROM interactions WHERE csat_raw IS NULL").fetchone()[0] == 946
        assert ws.interactions.channels() == ["phone"]
    code, out, err = run("--db", str(db), "import", "interactions", str(call_centre_csv), "--channel", "phone")
    assert "0 new, 5000 updated" in out


def test_bad_interaction_csv_is_one_line_and_changes_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Ticket ID,Channel,Satisfaction rating\nT1,Phone,5\nT2,Phone,abc\nT3,Fax,4\n", encoding="utf-8")
    code, out, err = run("--db", str(db), "import", "interactions", str(bad))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: row 3, column 'Satisfaction rating': 'abc'")
    assert "Run with --dry-run to list all 2 problems." in err
    with Workspace.open(db) as ws:
        assert ws.interactions.count() == 0
    code, out, err = run("--db", str(db), "import", "interactions", str(bad), "--dry-run")
    assert code == 1 and "Nothing was written." in out
    assert "row 4, column 'Channel'" in out


def test_demo_export_import_round_trip_and_analyze(tmp_path):
    demo = tmp_path / "demo.qagrader"
    code, out, err = run("--db", str(demo), "demo", "--interactions", "2000", "--seed", "3")
    assert code == 0, err
    wide = tmp_path / "wide.csv"
    code, out, err = run("--db", str(demo), "export", "evaluations", str(wide), "--scorecard", "Phone QA")
    assert code == 0, err
    copy = tmp_path / "copy.qagrader"
    scorecard = tmp_path / "phone.json"
    assert run("--db", str(demo), "export", "scorecard", "Phone QA", str(scorecard))[0] == 0
    assert run("--db", str(copy), "import", "scorecard", str(scorecard))[0] == 0
    code, out, err = run("--db", str(copy), "import", "evaluations", str(wide))
    assert code == 0, err
    again = tmp_path / "again.csv"
    assert run("--db", str(copy), "export", "evaluations", str(again))[0] == 0
    assert again.read_bytes() == wide.read_bytes()

    report = tmp_path / "report"
    code, out, err = run("--db", str(demo), "analyze", "--out", str(report))
    assert code == 0, err
    header = (report / "correlations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("skill,channel,n,rho,ci_low,ci_high,p_value,q_value,unstable,within_rho,simpson_flag")
    for name in ("effects.csv", "drivers.csv", "agent_priorities.csv", "trends.csv"):
        assert (report / name).stat().st_size > 0
    assert len(list(report.glob("*.png"))) == 8
    header = (report / "channel_differences.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("skill,channel_a,channel_b,rho_a,rho_b,difference,ci_low,ci_high,p_value,q_value")
    assert out.startswith("Analysed ") and "interactions with submitted grades" in out
    assert (report / "summary.txt").read_text(encoding="utf-8").strip() in out
    code, out, err = run("--db", str(demo), "analyze", "--out", str(report), "--channel", "fax")
    assert code == 1 and err == "error: No submitted evaluations match these filters; nothing to analyse.\n"


def test_import_evaluations_records_the_editor_in_the_history(db, card_file, tmp_path, capsys):
    import csv

    from qagrader.core.exporting.csv_export import export_evaluations
    from qagrader.core.scorecards.scoring import Answer

    assert main(["--db", str(db), "import", "scorecard", str(card_file)]) == 0
    with Workspace.open(db) as ws:
        agent = ws.interactions.ensure_agent("Ana")
        with ws.transaction() as conn:
            conn.execute("INSERT INTO interactions (uuid, external_id, channel, agent_id, created_at, updated_at) "
                         "VALUES ('u1', 'T1', 'chat', ?, 'now', 'now')", (agent,))
        ev = ws.evaluations.start(1, ws.scorecards.get("Chat QA").id, "Grace")
        ws.evaluations.save(ev.id, {"empathy": Answer("Yes"), "tone": Answer(4), "wrong_name": Answer("Yes"),
                                    "data_leak": Answer("No"), "resolution": Answer("Yes"), "wow": Answer("No")})
        ws.evaluations.submit(ev.id)
        export_evaluations(ws, tmp_path / "wide.csv")
    with (tmp_path / "wide.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("tone")] = "2"
    with (tmp_path / "edited.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert main(["--db", str(db), "import", "evaluations", str(tmp_path / "edited.csv"), "--editor", "Lead Lee"]) == 0
    with Workspace.open(db) as ws:
        (_, snapshot), = ws.evaluations.history(ev.id)
    assert snapshot["edited_by"] == "Lead Lee" and snapshot["answers"]["tone"]["value"] == 4


def test_excel_options_of_every_export(tmp_path):
    """--excel (byte-order mark) on every CSV the command line writes, CRLF line ends,
    --time-zone and --headers text on the wide export, and the round trip with them."""
    demo = tmp_path / "demo.qagrader"
    assert run("--db", str(demo), "demo", "--interactions", "1500", "--seed", "5")[0] == 0
    wide = tmp_path / "wide.csv"
    code, out, err = run("--db", str(demo), "export", "evaluations", str(wide), "--excel",
                         "--time-zone", "Asia/Kolkata", "--headers", "text")
    assert code == 0, err
    header = wide.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "graded_at (Asia/Kolkata)" in header and "interaction_date (Asia/Kolkata)" in header
    assert ": " in header.split("overall_comment,", 1)[1]  # several scorecards: one column set each
    copy = tmp_path / "copy.qagrader"
    for name in ("Phone QA", "Chat QA", "Email QA"):
        card = tmp_path / f"{name}.json"
        assert run("--db", str(demo), "export", "scorecard", name, str(card))[0] == 0
        assert run("--db", str(copy), "import", "scorecard", str(card))[0] == 0
    code, out, err = run("--db", str(copy), "import", "evaluations", str(wide))
    assert code == 0, err
    again = tmp_path / "again.csv"
    assert run("--db", str(copy), "export", "evaluations", str(again), "--excel", "--time-zone", "Asia/Kolkata",
               "--headers", "text")[0] == 0
    assert again.read_bytes() == wide.read_bytes()
    card_csv = tmp_path / "phone.csv"
    assert run("--db", str(demo), "export", "scorecard", "Phone QA", str(card_csv), "--excel")[0] == 0
    report, calibration = tmp_path / "report", tmp_path / "calibration"
    assert run("--db", str(demo), "analyze", "--out", str(report), "--excel")[0] == 0
    assert run("--db", str(demo), "calibration", "--out", str(calibration), "--excel")[0] == 0
    files = [wide, card_csv, *report.glob("*.csv"), *calibration.glob("*.csv")]
    assert len(files) == 2 + 9 + 4
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        assert raw.count(b"\r\n") >= 2 and raw.count(b"\n") >= raw.count(b"\r\n"), path.name
        lines = raw.split(b"\r\n")
        assert b"\n" not in lines[0], path.name  # the header line ends with CRLF
    code, out, err = run("--db", str(demo), "export", "evaluations", str(tmp_path / "x.csv"), "--time-zone", "Nowhere")
    assert code == 1 and "'Nowhere' is not a time zone" in err and not (tmp_path / "x.csv").exists()
