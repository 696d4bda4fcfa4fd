"""`qagrader disputes`, `coaching` and their exports on real workspace files: what a user types
and reads, one-line errors that change nothing."""

from __future__ import annotations

import csv

import pytest

from qagrader.cli.main import main
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import ALL_YES, grade, team_workspace


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("QAGRADER_GRADER", "Lee Park")
    path = tmp_path / "lead.qagrader"
    with team_workspace(path) as ws:
        grade(ws, "T1", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
        grade(ws, "T2", "Tom Becker")
        grade(ws, "T3", "Tom Becker")
        ws.interactions.ensure_agent("Kwame Asante", "Email")
    return str(path)


def lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_dispute_raised_listed_accepted_and_exported(db, tmp_path, capsys):
    assert main(["--db", db, "disputes", "raise", "T1", "--question", "empathy",
                 "--reason", "I said 'I understand' at 2:30"]) == 0
    (raised,) = lines(capsys)
    assert raised.startswith("Raised dispute ") and "on 'Acknowledged feelings' of interaction T1" in raised
    assert "(Maya Patel, graded by Priya Raman)" in raised
    short = raised.split()[2]
    assert main(["--db", db, "disputes", "list", "--status", "open"]) == 0
    (listed,) = lines(capsys)
    assert listed.split("\t")[:5] == [short, "open", listed.split("\t")[2], "Maya Patel", "T1"]
    assert main(["--db", db, "disputes", "accept", short, "--answer", "empathy=Yes", "--reason", "Heard it"]) == 0
    assert "re-graded by Lee Park; the score is now 100.0" in lines(capsys)[0]
    out = tmp_path / "disputes.csv"
    assert main(["--db", db, "export", "disputes", str(out), "--excel"]) == 0
    assert lines(capsys) == [f"Wrote 1 dispute to {out}"]
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    (row,) = csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())
    assert (row["status"], row["answer_before"], row["answer_now"], row["resolved_by"], row["resolution"]) == (
        "accepted", "No", "Yes", "Lee Park", "Heard it")
    assert (row["interaction_id"], row["question"], row["grader"], row["score_now"]) == ("T1", "empathy",
                                                                                         "Priya Raman", "100")
    with Workspace.open(db) as ws:
        (_, snapshot), = ws.evaluations.history(ws.disputes.list()[0].evaluation_id)
        assert (snapshot["edited_by"], snapshot["reason"]) == ("Lee Park", "Heard it")


def test_rejecting_and_the_dispute_rates(db, capsys):
    assert main(["--db", db, "disputes", "raise", "T2", "--reason", "Too strict", "--as", "Tom Becker"]) == 0
    short = lines(capsys)[0].split()[2]
    assert main(["--db", db, "disputes", "accept", short, "--answer", "empathy"]) == 1
    assert capsys.readouterr().err == "error: 'empathy' is not KEY=VALUE (e.g. empathy=Yes).\n"
    assert main(["--db", db, "disputes", "reject", short, "--reason", "Grade stands"]) == 0
    assert lines(capsys) == [f"Rejected dispute {short}: the grade stays as it was."]
    assert main(["--db", db, "disputes", "rates"]) == 0
    out = lines(capsys)
    assert out[0] == "Disputed grades per grader:"
    assert "  Tom Becker: 50.0% of 2 grades disputed (95% CI 9.5% to 90.5%), 0% of those resolved overturned" in out
    assert out[-1] == "  none"  # a dispute of the whole evaluation names no question


def test_coaching_add_due_done_and_follow_up(db, tmp_path, capsys):
    assert main(["--db", db, "coaching", "add", "maya patel", "--skill", "Empathy", "--skill", "accuracy",
                 "--agreed", "Name the feeling first", "--on", "2026-03-02", "--follow-up", "2026-03-20"]) == 0
    created = lines(capsys)[0]
    assert "for Maya Patel on Empathy, Accuracy; follow up on 2026-03-20." in created
    short = created.split()[2]
    assert main(["--db", db, "coaching", "due", "--until", "2026-03-22"]) == 0
    (due,) = lines(capsys)
    assert due.startswith("2026-03-20") and "Maya Patel" in due and "Name the feeling first" in due
    assert main(["--db", db, "coaching", "follow-up", short, "--weeks", "2"]) == 0
    out = lines(capsys)
    assert out[0] == "Maya Patel, coached by Lee Park on 2026-03-02:"
    assert out[1].startswith("  Empathy: pass rate: no grades in the 2 weeks before") and "too few" in out[1]
    assert out[-1].startswith("A before/after comparison, not proof")
    assert main(["--db", db, "coaching", "done", short, "--note", "Better already", "--on", "2026-03-21"]) == 0
    assert main(["--db", db, "coaching", "due", "--until", "2026-03-22"]) == 0
    assert lines(capsys)[-1] == "No follow-ups due by 2026-03-22."
    out_csv = tmp_path / "notes.csv"
    assert main(["--db", db, "export", "coaching", str(out_csv), "--team", "phone"]) == 0
    (row,) = csv.DictReader(out_csv.read_text(encoding="utf-8").splitlines())
    assert (row["agent"], row["coach"], row["skills"], row["followed_up_on"], row["follow_up_note"]) == (
        "Maya Patel", "Lee Park", "Empathy; Accuracy", "2026-03-21", "Better already")


@pytest.mark.parametrize("argv, message", [
    (["disputes", "raise", "T9", "--reason", "x"], "error: No evaluation or interaction with id 'T9'."),
    (["disputes", "raise", "T1", "--reason", " "], "error: The agent's reason cannot be empty."),
    (["disputes", "raise", "T1", "--reason", "x", "--question", "hello"],
     "error: Question 'hello' is not on this evaluation's scorecard."),
    (["disputes", "accept", "0000", "--answer", "empathy=Yes"],
     "error: '0000' is not a dispute id: give at least its first 8 characters."),
    (["disputes", "accept", "00000000", "--answer", "empathy=Yes"], "error: No dispute with id '00000000'."),
    (["coaching", "add", "Nobody", "--skill", "Empathy"], "error: No agent named 'Nobody'."),
    (["coaching", "add", "Maya Patel", "--skill", "Empaty"], "error: Skill 'Empaty' is not on any scorecard"),
    (["coaching", "add", "Maya Patel", "--skill", "Empathy", "--on", "2026-13-01"],
     "error: The coaching date: '2026-13-01' is not a date (expected YYYY-MM-DD)."),
])
def test_mistakes_are_one_line_and_change_nothing(db, capsys, argv, message):
    with Workspace.open(db) as ws:
        before = fingerprint(ws.conn)
    assert main(["--db", db, *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    with Workspace.open(db) as ws:
        assert fingerprint(ws.conn) == before
