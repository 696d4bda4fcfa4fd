"""What every `qagrader` command prints on stdout, line by line.

Each command is run on real workspaces; where the numbers depend on generated data (the demo),
they are checked against the workspace and the files written rather than hard-coded. The last
test fails when a command is added without its output being checked here."""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qagrader import __version__
from qagrader.analysis.calibration import calibration_results, skill_alphas, understated_sentence
from qagrader.cli.main import build_parser, main
from qagrader.core.storage.workspace import Workspace
from tests.samples import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
CHECKED: set[tuple[str, ...]] = set()  # the commands whose output a test below checked

INTERACTIONS_CSV = (
    "Ticket ID,Channel,Agent,Team,Created,Satisfaction rating,Subject\n"
    "T1,Chat,Ann Lee,Billing,2026-03-01 10:00,5,Refund\n"
    "T2,Chat,Bob Roy,Support,2026-03-02 11:30,2,Late parcel\n"
    "T3,Email,Ann Lee,Billing,2026-03-03 09:15,,Address change\n"
    "T4,Fax,Bob Roy,Support,2026-03-04 16:45,abc,Broken lamp\n"
)
COLUMNS = ("Columns: external_id=Ticket ID, channel=Channel, agent=Agent, team=Team, occurred_at=Created, "
           "csat=Satisfaction rating, subject=Subject\n")
ROW_5_PROBLEMS = (
    "  row 5, column 'Channel': 'Fax' is not a known channel: add a channel mapping Fax=CHANNEL "
    "(channels: phone, email, chat, social, sms)\n"
    "  row 5, column 'Satisfaction rating': 'abc' is not a number from 1 to 5\n"
)


def stdout(capsys, command: tuple[str, ...], *args: str | Path, status: int = 0) -> str:
    """Run `qagrader ARGS` in-process; check its status and that stderr stayed empty."""
    CHECKED.add(command)
    assert main([str(a) for a in args]) == status
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def run_app(*args: str | Path) -> subprocess.CompletedProcess:
    """Run `qagrader ARGS` that opens the app (with --smoke), in its own process, offscreen."""
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "qagrader", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    assert main(["--db", str(db), "demo", "--interactions", "400", "--seed", "5"]) == 0
    return db


def test_version_and_help(capsys):
    CHECKED.add(("--version",))
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"qagrader {__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: qagrader [-h] [--db PATH] [--version]")
    for command in ("gui", "demo", "import", "export", "list", "analyze"):
        assert re.search(rf"^    {command} +\S", help_text, re.MULTILINE), command


def test_demo_prints_what_it_built(capsys, tmp_path):
    db = tmp_path / "demo.qagrader"
    out = stdout(capsys, ("demo",), "--db", db, "demo", "--interactions", "300", "--seed", "2")
    with Workspace.open(db) as ws:
        counts = ws.counts()
        with_csat = ws.conn.execute("SELECT count(*) FROM interactions WHERE csat_norm IS NOT NULL").fetchone()[0]
        teams = ws.conn.execute("SELECT count(*) FROM teams").fetchone()[0]
        brands = ws.conn.execute("SELECT count(DISTINCT brand) FROM interactions").fetchone()[0]
    assert re.fullmatch(
        rf"Demo workspace {re.escape(str(db))}: 300 interactions \({with_csat} with CSAT\), "
        rf"{counts['submitted']} graded, {counts['drafts']} drafts, {counts['agents']} agents in {teams} teams, "
        rf"{brands} brands, {counts['scorecards']} scorecards; built in \d+\.\d s\n", out), out
    again = stdout(capsys, ("demo",), "--db", db, "demo", "--interactions", "50", "--replace")
    assert again.startswith(f"Demo workspace {db}: 50 interactions (")


def test_import_scorecard_new_unchanged_edited_and_new_version(capsys, demo, tmp_path):
    db, card = tmp_path / "w.qagrader", tmp_path / "chat.json"
    card.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    command = ("import", "scorecard")
    saved = ("Scorecard 'Chat QA' v1 saved (6 questions, skills: Empathy, Friendly tone, Wrong customer name, "
             "Accuracy).\n")
    assert stdout(capsys, command, "--db", db, "import", "scorecard", card) == saved
    assert stdout(capsys, command, "--db", db, "import", "scorecard", card) == (
        "Scorecard 'Chat QA' v1 is already up to date.\n")
    edited = json.loads(json.dumps(EXAMPLE))
    edited["sections"][0]["questions"][0]["text"] = "Acknowledged how the customer felt"
    card.write_text(json.dumps(edited), encoding="utf-8")
    assert stdout(capsys, command, "--db", db, "import", "scorecard", card) == saved  # nothing graded on v1 yet

    graded = tmp_path / "graded.qagrader"
    with Workspace.open(demo) as ws:
        ws.backup_to(graded)
    phone = tmp_path / "phone.json"
    main(["--db", str(graded), "export", "scorecard", "Phone QA", str(phone)])
    capsys.readouterr()
    definition = json.loads(phone.read_text(encoding="utf-8"))
    definition["sections"][0]["questions"][0]["text"] += " (edited)"
    phone.write_text(json.dumps(definition), encoding="utf-8")
    assert stdout(capsys, command, "--db", graded, "import", "scorecard", phone) == (
        "Scorecard 'Phone QA' saved as version 2; evaluations graded on earlier versions keep theirs.\n")
    with Workspace.open(graded) as ws:
        expected = [f"{c.name}\tv{c.version}\t{len(c.card.questions)} questions\t{','.join(c.card.channels)}"
                    f"{' (archived)' if c.archived else ''}" for c in ws.scorecards.list(include_archived=True)]
    assert stdout(capsys, ("list", "scorecards"), "--db", graded, "list", "scorecards").splitlines() == expected
    assert [line.split("\t")[:2] for line in expected] == [["Chat QA", "v1"], ["Email QA", "v1"], ["Phone QA", "v2"]]


def test_import_interactions_dry_run_skip_and_list_agents(capsys, tmp_path):
    db, source = tmp_path / "w.qagrader", tmp_path / "tickets.csv"
    source.write_text(INTERACTIONS_CSV, encoding="utf-8")
    command = ("import", "interactions")
    assert stdout(capsys, command, "--db", db, "import", "interactions", source, "--dry-run", status=1) == (
        COLUMNS + "Dry run: 4 rows read; 3 would be new, 0 updated; 2 problems. Nothing was written.\n"
        + ROW_5_PROBLEMS)
    rejects = tmp_path / "rejected.csv"
    assert stdout(capsys, command, "--db", db, "import", "interactions", source, "--skip-bad-rows",
                  "--rejects", rejects) == (
        COLUMNS + "Imported tickets.csv: 3 new, 0 updated, 1 skipped.\n"
        f"Skipped rows were written to {rejects}:\n" + ROW_5_PROBLEMS)
    good = tmp_path / "good.csv"
    good.write_text(INTERACTIONS_CSV.rsplit("T4,", 1)[0], encoding="utf-8")
    assert stdout(capsys, command, "--db", db, "import", "interactions", good) == (
        COLUMNS + "Imported good.csv: 0 new, 3 updated, 0 skipped.\n")
    assert stdout(capsys, ("list", "agents"), "--db", db, "list", "agents") == (
        "Ann Lee\tBilling\tactive\t2 interactions\t0 evaluations\n"
        "Bob Roy\tSupport\tactive\t1 interaction\t0 evaluations\n")


def test_import_interactions_names_ignored_and_kept_columns(capsys, tmp_path):
    db, source = tmp_path / "w.qagrader", tmp_path / "tickets.csv"
    source.write_text("Ticket ID,Channel,Agent,Handle time,Resolved\nT1,phone,Ann Lee,315,yes\n", encoding="utf-8")
    command = ("import", "interactions")
    columns = "Columns: external_id=Ticket ID, channel=Channel, agent=Agent\n"
    assert stdout(capsys, command, "--db", db, "import", "interactions", source, "--dry-run") == (
        columns + "Ignored columns: Handle time, Resolved (keep one with --keep COLUMN)\n"
        "Dry run: 1 rows read; 1 would be new, 0 updated; 0 problems. Nothing was written.\n")
    assert stdout(capsys, command, "--db", db, "import", "interactions", source, "--keep", "Handle time") == (
        columns + "Kept as custom fields: Handle time\n"
        "Ignored columns: Resolved (keep one with --keep COLUMN)\n"
        "Imported tickets.csv: 1 new, 0 updated, 0 skipped.\n")


def test_export_and_import_evaluations_print_one_line_each(capsys, demo, tmp_path):
    wide, long = tmp_path / "wide.csv", tmp_path / "long.csv"
    out = stdout(capsys, ("export", "evaluations"), "--db", demo, "export", "evaluations", wide,
                 "--scorecard", "Phone QA")
    with wide.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert out == f"Wrote {len(rows)} evaluations to {wide}\n" and len(rows) > 20
    out = stdout(capsys, ("export", "evaluations"), "--db", demo, "export", "evaluations", long, "--format", "long")
    with long.open(encoding="utf-8", newline="") as handle:
        answers = sum(1 for _ in csv.DictReader(handle))
    assert out == f"Wrote {answers} answers to {long}\n"

    card = tmp_path / "phone.json"
    assert stdout(capsys, ("export", "scorecard"), "--db", demo, "export", "scorecard", "phone qa", card) == (
        f"Wrote scorecard 'Phone QA' v1 to {card}\n")
    card_csv = tmp_path / "phone.csv"
    assert stdout(capsys, ("export", "scorecard"), "--db", demo, "export", "scorecard", "Phone QA", card_csv) == (
        f"Wrote scorecard 'Phone QA' v1 to {card_csv}\n")

    copy = tmp_path / "copy.qagrader"
    main(["--db", str(copy), "import", "scorecard", str(card)])
    capsys.readouterr()
    interactions = len({row["interaction_id"] for row in rows})
    command = ("import", "evaluations")
    assert stdout(capsys, command, "--db", copy, "import", "evaluations", wide, "--dry-run") == (
        f"Dry run of wide.csv: {len(rows)} rows read; {len(rows)} would be new, 0 would be updated. "
        f"{interactions} interactions would be created for them. Nothing was written.\n")
    assert stdout(capsys, command, "--db", copy, "import", "evaluations", wide) == (
        f"Imported evaluations from wide.csv: {len(rows)} new, 0 updated. "
        f"{interactions} interactions were created for them.\n")
    assert stdout(capsys, command, "--db", copy, "import", "evaluations", wide) == (
        f"Imported evaluations from wide.csv: 0 new, 0 updated, {len(rows)} unchanged.\n")


def test_import_evaluations_lists_the_rows_it_skipped(capsys, demo, tmp_path):
    wide = tmp_path / "wide.csv"
    main(["--db", str(demo), "export", "evaluations", str(wide), "--scorecard", "Chat QA"])
    card = tmp_path / "chat.json"
    main(["--db", str(demo), "export", "scorecard", "Chat QA", str(card)])
    copy = tmp_path / "copy.qagrader"
    main(["--db", str(copy), "import", "scorecard", str(card)])
    capsys.readouterr()
    with wide.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[1]["grader"] = ""
    with wide.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = stdout(capsys, ("import", "evaluations"), "--db", copy, "import", "evaluations", wide,
                   "--skip-bad-rows").splitlines()
    assert re.fullmatch(rf"Imported evaluations from wide\.csv: {len(rows) - 1} new, 0 updated\. \d+ interactions "
                        r"were created for them\. Skipped 1 rows with problems\.", lines[0]), lines[0]
    assert lines[1:] == ["  row 3, column 'grader': the grader is blank"]


def test_analyze_names_what_it_wrote(capsys, demo, tmp_path):
    report = tmp_path / "report"
    out = stdout(capsys, ("analyze",), "--db", demo, "analyze", "--out", report, "--channel", "phone")
    with Workspace.open(demo) as ws:
        graded, interactions = ws.conn.execute(
            "SELECT count(*), count(DISTINCT e.interaction_id) FROM evaluations e JOIN interactions i "
            "ON i.id = e.interaction_id WHERE e.status = 'submitted' AND e.calibration = 0 "
            "AND i.channel = 'phone'").fetchone()
        disagree = understated_sentence(skill_alphas(ws))  # the demo's closed calibration sessions
    written = [p for p in report.iterdir() if p.is_file()]
    summary = (report / "summary.txt").read_text(encoding="utf-8")
    assert summary.startswith(f"Analysed {interactions:,} interactions with submitted grades ({graded:,} grades)")
    assert disagree.startswith("Calibration: graders disagree on") and summary.endswith(disagree + "\n")
    assert out == summary + f"Wrote {len(written)} files to {report} (the summary above is summary.txt).\n"


def test_calibration_names_what_it_wrote_and_where_graders_disagree(capsys, demo, tmp_path):
    out_dir = tmp_path / "calibration"
    out = stdout(capsys, ("calibration",), "--db", demo, "calibration", "--out", out_dir).splitlines()
    with Workspace.open(demo) as ws:
        closed = [s for s in ws.calibration.list() if s.closed]
        still_open = [s.label for s in ws.calibration.list() if not s.closed]
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["agreement.csv", "agreement.png", "disagreements.csv", "grader_trends.png", "graders.csv",
                       "graders.png", "skills.csv"]
    items = sum(s.items for s in closed)
    assert out[0] == f"Calibration results of {len(closed)} closed sessions ({items} interactions); wrote 7 files to {out_dir}"
    with Workspace.open(demo) as ws:
        agreement = calibration_results(ws).agreement
    with open(out_dir / "agreement.csv", encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(agreement)
    weak: dict[str, list[str]] = {}
    for row in agreement[(agreement["session"] == "all") & (agreement["alpha"] < 0.667)].itertuples():
        weak.setdefault(row.scorecard, []).append(f"{row.question} {row.alpha:.2f}")
    listed = "; ".join(f"{card}: {', '.join(questions)}" for card, questions in sorted(weak.items()))
    assert out[1:] == ([f"Graders disagree (alpha below 0.667) on {listed}"] if weak else []) + [
        "Left out until closed: " + ", ".join(f"'{name}'" for name in still_open)]
    one = stdout(capsys, ("calibration",), "--db", demo, "calibration", "--out", tmp_path / "one", "--session",
                 closed[0].name)
    assert one.startswith(f"Calibration results of 1 closed session ({closed[0].items} interactions); wrote 7 files")
    assert main(["--db", str(demo), "calibration", "--out", str(tmp_path / "x"), "--session", still_open[0]]) == 1
    assert capsys.readouterr().err == (f"error: Session '{still_open[0]}' is still open: its results are shown once "
                                       "it is closed, so that graders grade blind.\n")
    assert not (tmp_path / "x").exists()


def test_check_says_what_it_checked_and_repair_what_it_rebuilt(capsys, demo, tmp_path):
    import shutil
    import sqlite3

    db = tmp_path / "w.qagrader"
    shutil.copy(demo, db)
    with sqlite3.connect(db) as conn:
        evaluations = conn.execute("SELECT count(*) FROM evaluations").fetchone()[0]
    assert stdout(capsys, ("check",), "--db", db, "check") == (
        f"{db}: no problems found (pages, foreign keys, schema and the analysis-ready store checked; "
        f"{evaluations:,} evaluations).\n")
    with sqlite3.connect(db) as conn:  # the store emptied behind the app's back
        conn.execute("DELETE FROM analysis_chunks")
    assert stdout(capsys, ("check",), "--db", db, "check", "--repair") == (
        f"Rebuilt the analysis-ready store of {db} from its {evaluations:,} evaluations.\n")


def test_opening_the_app_prints_the_smoke_result(demo, tmp_path):
    CHECKED.update({("gui",), ("demo",)})
    pattern = r"Smoke test passed: \d+ screens and \d+ modules opened on {}\.\n"
    for args in (("--db", demo, "--smoke"), ("--db", demo, "--smoke", "--theme", "dark", "gui")):
        done = run_app(*args)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(pattern.format(re.escape(str(demo))), done.stdout), done.stdout
    done = run_app("--db", demo, "--smoke", "demo", "--open")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(f"Opening the existing demo workspace {re.escape(str(demo))}\n"
                        + pattern.format(re.escape(str(demo))), done.stdout), done.stdout


def test_app_options_are_refused_with_other_commands(capsys, tmp_path):
    assert main_status(["--db", str(tmp_path / "w.qagrader"), "--smoke", "list", "agents"]) == 2
    assert capsys.readouterr().err.endswith("error: --theme and --smoke apply only when opening the app\n")


def main_status(args: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(args)
    return done.value.code


def test_team_commands(capsys, tmp_path, monkeypatch):
    from tests.core.test_merge import copy_of, grade, team_workspace

    monkeypatch.setenv("QAGRADER_GRADER", "Lee Park")
    lead, laptop, folder = tmp_path / "lead.qagrader", tmp_path / "priya.qagrader", tmp_path / "team"
    folder.mkdir()
    with team_workspace(lead) as ws, copy_of(ws, laptop) as priya:
        grade(priya, "T1", "Priya Raman")
        grade(priya, "T2", "priya ramen")
    out = stdout(capsys, ("merge",), "--db", laptop, "merge", lead, "--dry-run")
    assert out == f"Would bring in from {lead}: Nothing new: this workspace already holds everything in it.\n" \
                  "  Dry run: nothing was written.\n"
    out = stdout(capsys, ("publish",), "--db", laptop, "publish", folder, "--as", "Priya Raman")
    assert out == f"Published a copy of this workspace to {folder / 'Priya Raman.qagrader'}\n"
    out = stdout(capsys, ("merge",), "--db", lead, "merge", folder).splitlines()
    backup = next(iter(tmp_path.glob("lead.before-merge-*")))
    assert out == [f"1 workspace file in {folder}: 4 new or updated records from 1.",
                   f"Brought in from {folder / 'Priya Raman.qagrader'}: 2 graders, 2 evaluations new",
                   "  New: 2 graders, 2 evaluations", f"  Backup taken before the merge: {backup}"]
    assert stdout(capsys, ("graders",), "--db", lead, "graders") == (
        "Lee Park\t0 submitted\t0 drafts\nPriya Raman\t1 submitted\t0 drafts\npriya ramen\t1 submitted\t0 drafts\n")
    assert stdout(capsys, ("graders", "merge"), "--db", lead, "graders", "merge", "Priya Raman", "priya ramen") == (
        "Merged 'priya ramen' into 'Priya Raman': 1 evaluation moved.\n")
    assert stdout(capsys, ("graders", "rename"), "--db", lead, "graders", "rename", "Priya Raman", "Priya R.") == (
        "Renamed grader 'Priya Raman' to 'Priya R.' everywhere.\n")


def test_dispute_and_coaching_commands(capsys, tmp_path, monkeypatch):
    from qagrader.core.scorecards.scoring import Answer
    from qagrader.core.storage.records import utc_now
    from tests.core.test_merge import ALL_YES, grade, team_workspace

    monkeypatch.setenv("QAGRADER_GRADER", "Lee Park")
    db = tmp_path / "lead.qagrader"
    with team_workspace(db) as ws:
        grade(ws, "T1", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
        grade(ws, "T2", "Tom Becker")
    today = utc_now()[:10]
    short = r"[0-9a-f]{8}"

    out = stdout(capsys, ("disputes", "raise"), "--db", db, "disputes", "raise", "T1", "--question", "empathy",
                 "--reason", "I said I understand")
    assert re.fullmatch(rf"Raised dispute ({short}) on 'Acknowledged feelings' of interaction T1 \(Maya Patel, "
                        r"graded by Priya Raman\)\.\n", out), out
    first = out.split()[2]
    out = stdout(capsys, ("disputes", "list"), "--db", db, "disputes", "list")
    assert out == (f"{first}\topen\t{today}\tMaya Patel\tT1\tSimple QA v1\tPriya Raman\tempathy\t"
                   "I said I understand\n")
    out = stdout(capsys, ("disputes", "accept"), "--db", db, "disputes", "accept", first, "--answer", "empathy=Yes")
    assert out == (f"Accepted dispute {first}: interaction T1 re-graded by Lee Park; the score is now 100.0. "
                   "The answers before are kept in the evaluation's history.\n")
    second = stdout(capsys, ("disputes", "raise"), "--db", db, "disputes", "raise", "T2", "--reason", "Strict"
                    ).split()[2]
    out = stdout(capsys, ("disputes", "reject"), "--db", db, "disputes", "reject", second, "--reason", "It stands")
    assert out == f"Rejected dispute {second}: the grade stays as it was.\n"
    out = stdout(capsys, ("disputes", "rates"), "--db", db, "disputes", "rates")
    assert out == (
        "Disputed grades per grader:\n"
        "  Priya Raman: 100.0% of 1 grade disputed (95% CI 20.7% to 100.0%), 100% of those resolved overturned\n"
        "  Tom Becker: 100.0% of 1 grade disputed (95% CI 20.7% to 100.0%), 0% of those resolved overturned\n"
        "Disputed questions (a question disputed often may need a clearer guideline):\n"
        "  Simple QA / Acknowledged feelings (empathy): 50.0% of 2 grades disputed (95% CI 9.5% to 90.5%), "
        "100% of those resolved overturned\n")
    out = stdout(capsys, ("export", "disputes"), "--db", db, "export", "disputes", tmp_path / "d.csv",
                 "--status", "accepted")
    assert out == f"Wrote 1 dispute to {tmp_path / 'd.csv'}\n"

    out = stdout(capsys, ("coaching", "add"), "--db", db, "coaching", "add", "Maya Patel", "--skill", "Empathy",
                 "--agreed", "Name the feeling", "--on", "2026-03-02")
    assert re.fullmatch(rf"Coaching note {short} for Maya Patel on Empathy; follow up on 2026-03-30\.\n", out), out
    note = out.split()[2]
    line = f"{note}\t2026-03-02\tMaya Patel\tPhone\tLee Park\tEmpathy\tfollow up 2026-03-30\tName the feeling\n"
    assert stdout(capsys, ("coaching", "list"), "--db", db, "coaching", "list", "--agent", "maya patel") == line
    out = stdout(capsys, ("coaching", "due"), "--db", db, "coaching", "due", "--until", "2026-04-05")
    assert out in (f"2026-03-30\t{line}", f"2026-03-30 (overdue)\t{line}")
    out = stdout(capsys, ("coaching", "follow-up"), "--db", db, "coaching", "follow-up", note)
    assert out == ("Maya Patel, coached by Lee Park on 2026-03-02:\n"
                   "  Empathy: pass rate: no grades in the 4 weeks before, no grades after: too few grades before\n"
                   "A before/after comparison, not proof that the coaching worked: other things changed between "
                   "the two periods too.\n")
    out = stdout(capsys, ("coaching", "done"), "--db", db, "coaching", "done", note, "--on", "2026-03-31")
    assert out == "Followed up Maya Patel's coaching of 2026-03-02 on 2026-03-31.\n"
    out = stdout(capsys, ("export", "coaching"), "--db", db, "export", "coaching", tmp_path / "c.csv")
    assert out == f"Wrote 1 coaching note to {tmp_path / 'c.csv'}\n"


def test_report_names_what_it_wrote(capsys, demo, tmp_path):
    out = stdout(capsys, ("report",), "--db", demo, "report", "--month", "2026-09", tmp_path / "r.pdf")
    assert out == f"Wrote the September 2026 report to {tmp_path / 'r.pdf'}\n"
    out = stdout(capsys, ("report",), "--db", demo, "report", "--month", "2026-09", tmp_path / "r.png",
                 "--channel", "phone")
    pages = sorted(tmp_path.glob("r-*.png"))
    assert out == f"Wrote the September 2026 report as {len(pages)} pages: {', '.join(map(str, pages))}\n"
    out = stdout(capsys, ("report",), "--db", demo, "report", "--month", "2026-09", tmp_path / "r.txt",
                 "--format", "csv")
    assert out == f"Wrote the September 2026 report as a table to {tmp_path / 'r.txt'}\n"


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every runnable command of `parser` (argparse keeps sub-commands in a private list)."""
    found: set[tuple[str, ...]] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _commands(sub, (*prefix, name)) or {(*prefix, name)}
        elif action.dest == "what" and action.choices and prefix == ("list",):
            found |= {(*prefix, choice) for choice in action.choices}
    return found


def test_every_command_has_its_output_checked():
    """Runs last in this file (pytest keeps file order; xdist --dist loadfile keeps files whole)."""
    unchecked = (_commands(build_parser()) | {("--version",)}) - CHECKED
    assert not unchecked, f"no test above checked the output of {sorted(unchecked)} (or run the whole file)"
