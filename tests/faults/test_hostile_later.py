"""Issue 8, section 4, against the inputs added after the first pass: the other workspace of a
merge (or a team folder's file) is input like a CSV; report months, periods and days given to
the commands; grader names. Each is refused with one line naming the file/record/field, exit 1,
the workspace byte for byte as it was."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from tests.faults.tools import cli, snapshot


@pytest.fixture()
def place(demo_copy):
    return demo_copy.parent


def refused(capsys, place, *args, message: str) -> str:
    before = snapshot(place)
    code, out, err = cli(capsys, "--db", place / "w.qagrader", *args)
    assert (code, out) == (1, ""), (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err
    assert snapshot(place) == before
    return err


# (what the other program wrote, the table, the field, the reason)
HOSTILE_OTHERS = {
    "control character in a name": ("UPDATE agents SET name = name || char(7), updated_at = '2099' WHERE id = "
                                    "(SELECT min(id) FROM agents)", "agents", "name", "U+0007 (bell) is not allowed in a name"),
    "NUL in a transcript": ("UPDATE interactions SET transcript = 'a' || char(0) || 'b', updated_at = '2099' "
                            "WHERE id = (SELECT min(id) FROM interactions)", "interactions", "transcript",
                            "U+0000 (NUL) is not allowed in text"),
    "enormous cell": ("UPDATE interactions SET transcript = printf('%.*c', 1500000, 'x'), updated_at = '2099' "
                      "WHERE id = (SELECT min(id) FROM interactions)", "interactions", "transcript",
                      "1,500,000 characters, more than a field may hold (1,000,000)"),
    "answers that are not JSON": ("UPDATE evaluations SET answers = '{not json' WHERE id = (SELECT min(id) FROM evaluations)",
                                  "evaluations", "answers", "not valid JSON"),
    "scorecard that is not JSON": ("UPDATE scorecards SET definition = '[1,2' WHERE id = (SELECT min(id) FROM scorecards)",
                                   "scorecards", "definition", "not valid JSON"),
    "control character in a skill score's skill": (
        "UPDATE evaluation_skills SET skill = skill || char(27) WHERE evaluation_id = (SELECT min(evaluation_id) "
        "FROM evaluation_skills)", "evaluation_skills", "skill", "U+001B (escape) is not allowed in a name"),
}


def hostile_other(place, source, case) -> tuple:
    other = place / "other.qagrader"
    shutil.copy(source, other)
    sql, table, field, reason = HOSTILE_OTHERS[case]
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(sql)
    conn.commit()
    conn.close()
    return other, table, field, reason


@pytest.mark.parametrize("case", sorted(HOSTILE_OTHERS))
def test_merging_a_workspace_with_hostile_content_is_refused_naming_the_field(place, demo_source, capsys, case):
    other, table, field, reason = hostile_other(place, demo_source, case)
    err = refused(capsys, place, "merge", other, message=f"error: {other}: {table} ")
    assert f", field {field}: {reason}" in err and err.endswith("; nothing was merged.\n")


@pytest.mark.parametrize("case", ["control character in a name", "answers that are not JSON"])
def test_a_hostile_file_in_the_team_folder_is_skipped_and_named(place, demo_source, capsys, case):
    other, table, field, reason = hostile_other(place, demo_source, case)
    team = place / "team"
    team.mkdir()
    shutil.move(other, team / "Ana.qagrader")
    before = {k: v for k, v in snapshot(place).items() if k.startswith("w.qagrader")}
    code, out, err = cli(capsys, "--db", place / "w.qagrader", "merge", team)
    assert (code, err) == (0, "")
    assert f"Skipped Ana.qagrader: {team / 'Ana.qagrader'}: {table} " in out and reason in out
    assert {k: v for k, v in snapshot(place).items() if k.startswith("w.qagrader")} == before


@pytest.mark.parametrize("month, message", [
    ("2026-13", "'2026-13' is not a month: give it as YYYY-MM, e.g. 2026-09."),
    ("0000-00", "'0000-00' is not a month"),
    ("../x", "'../x' is not a month"),
    ("2026-1", "'2026-1' is not a month"),
    ("2026-10-01", "'2026-10-01' is not a month"),
    ("9999-12", "'9999-12' is too far ahead: give a month up to 9998-12."),
])
def test_report_months_that_are_not_months(place, capsys, month, message):
    refused(capsys, place, "report", place / "r.pdf", "--month", month, message=message)


@pytest.mark.parametrize("day", ["2026-13-01", "0000-00-00", "tomorrow"])
@pytest.mark.parametrize("command, message", [
    (["disputes", "rates", "--from", "{day}"], "The start of the period: '{day}' is not a date (expected YYYY-MM-DD)."),
    (["disputes", "rates", "--to", "{day}"], "The end of the period: '{day}' is not a date (expected YYYY-MM-DD)."),
    (["coaching", "due", "--until", "{day}"], "The last day: '{day}' is not a date (expected YYYY-MM-DD)."),
])
def test_days_that_are_not_days_are_refused_not_ignored(place, capsys, command, message, day):
    refused(capsys, place, *[a.replace("{day}", day) for a in command], message=message.replace("{day}", day))


@pytest.mark.parametrize("name, message", [
    ("Ana\x07", "The grader name contains the control character U+0007 (bell) at position 4"),
    ("Ana\x1b[31m", "The grader name contains the control character U+001B (escape) at position 4"),
])
def test_grader_names_with_control_characters_are_refused(place, capsys, name, message):
    with sqlite3.connect(place / "w.qagrader") as conn:
        grader = conn.execute("SELECT name FROM graders ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    refused(capsys, place, "graders", "rename", grader, name, message=message)
