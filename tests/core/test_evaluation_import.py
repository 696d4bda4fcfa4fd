"""Import of the wide evaluations CSV: bad inputs (message, database unchanged), dry run, skip
bad rows, files from other tools, updates with history, cancel."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from qagrader.core.errors import CancelledError, CsvImportError
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.exporting.csv_export import export_evaluations
from qagrader.core.storage.workspace import Workspace
from tests.core.test_export import EXAMPLE, build_workspace, empty_workspace


def dump(ws: Workspace) -> dict[str, list]:
    """Every row of every table, for 'the database is unchanged' checks."""
    return {t: ws.conn.execute(f"SELECT * FROM [{t}] ORDER BY 1").fetchall() for t in ws.db.table_names()}


def write_rows(path: Path, rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> list[list[str]]:
    """The wide export of the rich sample workspace, as rows of cells."""
    folder = tmp_path_factory.mktemp("source")
    ws = build_workspace(folder / "source.qagrader")
    export_evaluations(ws, folder / "wide.csv", include_calibration=True)  # every row, calibration too
    ws.close()
    with open(folder / "wide.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def target(tmp_path):
    ws = empty_workspace(tmp_path / "target.qagrader")
    yield ws
    ws.close()


CHAT, PHONE_QA = "Chat QA: ", "Phone QA: "  # the export names question columns per scorecard


def edited(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """A copy of `rows` with one cell changed (`row` counts as in a spreadsheet)."""
    out = [list(r) for r in rows]
    out[row - 1][rows[0].index(column)] = value
    return out


def refused(ws: Workspace, path: Path, *messages: str, **options) -> CsvImportError:
    before = dump(ws)
    with pytest.raises(CsvImportError) as info:
        import_evaluations(ws, path, **options)
    text = "\n".join(str(p) for p in info.value.problems)
    for message in messages:
        assert message in text
    assert "nothing was imported" in str(info.value)
    assert dump(ws) == before
    return info.value


# ------------------------------------------------------------------------------ bad inputs

def test_unknown_scorecard_and_version(exported, target, tmp_path):
    rows = edited(exported, 2, "scorecard", "Email QA")
    rows = edited(rows, 3, "version", "7")
    rows = edited(rows, 4, "version", "two")
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 2, column 'scorecard': there is no scorecard 'Email QA' version 1 in this workspace; import its JSON first",
            "row 3, column 'scorecard': there is no scorecard 'Chat QA' version 7",
            "row 4, column 'version': 'two' is not a version number")


def test_bad_answer_values(exported, target, tmp_path):
    rows = edited(exported, 2, CHAT + "empathy", "Maybe")
    rows = edited(rows, 3, CHAT + "tone", "6")
    rows = edited(rows, 4, CHAT + "resolution", "Sort of")
    error = refused(target, write_rows(tmp_path / "f.csv", rows),
                    "row 2, column 'Chat QA: empathy': 'Maybe' is not Yes or No",
                    "row 3, column 'Chat QA: tone': '6' is not a whole number from 1 to 5",
                    "row 4, column 'Chat QA: resolution': 'Sort of' is not one of Yes, Partial, No")
    assert [(p.row, p.column) for p in error.problems] == [(2, CHAT + "empathy"), (3, CHAT + "tone"),
                                                               (4, CHAT + "resolution")]


def test_na_where_not_allowed(exported, target, tmp_path):
    rows = edited(exported, 2, CHAT + "tone", "N/A")
    refused(target, write_rows(tmp_path / "f.csv", rows), "row 2, column 'Chat QA: tone': question 'tone' does not allow N/A")


def test_unknown_question_column(exported, target, tmp_path):
    rows = [r + ["x"] for r in exported]
    rows[0][-1] = "courtesy"
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 1, column 'courtesy': unknown column: not a question of scorecard 'Chat QA v1', 'Phone QA v1'")


def test_question_of_another_scorecard(exported, target, tmp_path):
    rows = edited(exported, 2, PHONE_QA + "greeting", "Yes")  # a Phone QA question on a Chat QA row
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 2, column 'Phone QA: greeting': 'greeting' is not a question of scorecard 'Chat QA v1'")


def test_duplicate_evaluation_id(exported, target, tmp_path):
    rows = edited(exported, 4, "evaluation_id", exported[1][0])
    refused(target, write_rows(tmp_path / "f.csv", rows),
            f"row 4, column 'evaluation_id': evaluation '{exported[1][0]}' appears twice (also on row 2)")


def test_malformed_csv(exported, target, tmp_path):
    path = tmp_path / "f.csv"
    write_rows(path, exported)
    path.write_bytes(path.read_bytes() + b'x,"unclosed\r\n')
    refused(target, path, "f.csv")
    width = len(exported[0])
    for wide_row in (2, 3):
        lines = [",".join(exported[0])] + [",".join(["a"] * (width + 3 * (i == wide_row))) for i in (2, 3)]
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        refused(target, path, f"row {wide_row}: {width + 3} cells where the header has {width}")
    path.write_text("", encoding="utf-8")
    refused(target, path, "f.csv is empty")


def test_header_problems(exported, target, tmp_path):
    grader = exported[0].index("grader")
    rows = [[c for i, c in enumerate(r) if i != grader] for r in exported]  # drop grader
    rows[0].append(CHAT + "tone")
    for r in rows[1:]:
        r.append("")
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 1, column 'Chat QA: tone': the column appears twice", "row 1, column 'grader': this required column is missing")


def test_row_checks(exported, target, tmp_path):
    rows = edited(exported, 2, "grader", " ")
    rows = edited(rows, 3, "status", "done")
    rows = edited(rows, 4, "interaction_id", "")
    rows = edited(rows, 6, "calibration", "maybe")
    rows = edited(rows, 7, PHONE_QA + "accuracy", "")  # submitted with a blank answer
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 2, column 'grader': the grader is blank",
            "row 3, column 'status': 'done' is not draft or submitted",
            "row 4, column 'interaction_id': the interaction id is blank",
            "row 6, column 'calibration': 'maybe' is not 0 or 1",
            "row 7, column 'Phone QA: accuracy': a submitted evaluation needs an answer (or N/A) to every question")


def test_new_interaction_needs_valid_channel_and_csat(exported, target, tmp_path):
    rows = edited(exported, 2, "channel", "Carrier pigeon")
    rows = edited(rows, 3, "csat", "11")
    rows = edited(rows, 5, "csat_scale", "1-7")
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "row 2, column 'channel': 'Carrier pigeon' is not a channel",
            "row 3, column 'csat': '11' is not a yes/no rating",
            "row 5, column 'csat_scale': '1-7' is not a CSAT scale",
            "row 6, column 'interaction_id': interaction 'T-1001' cannot be created (see row 2)")


def test_dates_of_either_order_name_their_own_row(exported, target, tmp_path):
    """The file-level problem quotes a date and names its row (not its place among the dates)."""
    rows = edited(exported, 2, "graded_at (UTC)", "")
    rows = edited(rows, 3, "graded_at (UTC)", "03/04/2023 10:00")
    refused(target, write_rows(tmp_path / "f.csv", rows),
            "column 'graded_at': dates such as '03/04/2023 10:00' (row 3) could be day-first or month-first")


def test_existing_evaluation_conflicts(exported, tmp_path):
    ws = empty_workspace(tmp_path / "w.qagrader")
    import_evaluations(ws, write_rows(tmp_path / "ok.csv", exported))
    rows = edited(exported, 2, "status", "draft")
    rows = edited(rows, 3, "interaction_id", "T-1001")
    refused(ws, write_rows(tmp_path / "f.csv", rows),
            "row 2, column 'status': evaluation '" + exported[1][0] + "' is already submitted in this workspace "
            "and cannot go back to draft",
            "row 3, column 'interaction_id': evaluation '" + exported[2][0] + "' belongs to interaction '=2+3'")
    ws.close()


# ------------------------------------------------------------------- dry run and skipping

def test_dry_run_reports_every_problem_and_writes_nothing(exported, target, tmp_path):
    rows = edited(exported, 2, CHAT + "empathy", "Maybe")
    rows = edited(rows, 5, CHAT + "tone", "9")
    before = dump(target)
    report = import_evaluations(target, write_rows(tmp_path / "f.csv", rows), dry_run=True)
    assert [str(p) for p in report.problems] == [
        "row 2, column 'Chat QA: empathy': 'Maybe' is not Yes or No",
        "row 5, column 'Chat QA: tone': '9' is not a whole number from 1 to 5"]
    assert report.skipped_rows == (2, 5) and report.dry_run and not report.ok
    assert (report.created, report.interactions_created) == (5, 5)
    assert dump(target) == before
    clean = import_evaluations(target, write_rows(tmp_path / "g.csv", exported), dry_run=True)
    assert clean.ok and clean.created == 7 and dump(target) == before
    header = import_evaluations(target, write_rows(tmp_path / "h.csv", edited(exported, 1, CHAT + "tone", "tonne")),
                                dry_run=True)
    assert str(header.problems[0]) == \
        "row 1, column 'tonne': unknown column: not a question of scorecard 'Chat QA v1', 'Phone QA v1'"
    assert str(header.problems[1]) == ("row 2, column 'tone': a submitted evaluation needs an answer (or N/A) "
                                       "to every question; this one is blank")
    # every submitted Chat QA row (Phone QA's tone, row 7, has its own column)
    assert [p.row for p in header.problems[1:]] == [2, 3, 4, 6]
    assert dump(target) == before


def test_skip_bad_rows_imports_the_rest(exported, target, tmp_path):
    rows = edited(exported, 3, CHAT + "empathy", "Maybe")
    report = import_evaluations(target, write_rows(tmp_path / "f.csv", rows), skip_bad_rows=True)
    assert report.skipped_rows == (3,) and report.created == 6
    assert [str(p) for p in report.problems] == ["row 3, column 'Chat QA: empathy': 'Maybe' is not Yes or No"]
    assert target.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 6
    assert target.conn.execute("SELECT count(*) FROM interactions WHERE external_id = '=2+3'").fetchone()[0] == 0
    header = [r for r in exported[0]]
    bad_header = [header + ["nonsense"]] + [r + [""] for r in exported[1:]]
    refused(target, write_rows(tmp_path / "g.csv", bad_header), "unknown column", skip_bad_rows=True)


def test_cancel_while_writing_rolls_back(exported, target, tmp_path):
    before = dump(target)
    seen: list[float] = []
    with pytest.raises(CancelledError):
        import_evaluations(target, write_rows(tmp_path / "f.csv", exported), progress=seen.append,
                           cancelled=lambda: bool(seen) and seen[-1] >= 0.6)  # once writing began
    assert seen[-1] >= 0.6 and dump(target) == before
    assert not target.conn.in_transaction


# ----------------------------------------------------------- updates and files of other tools

def test_reimport_updates_with_history_never_duplicates(exported, tmp_path):
    ws = empty_workspace(tmp_path / "w.qagrader")
    import_evaluations(ws, write_rows(tmp_path / "a.csv", exported))
    rows = edited(exported, 2, CHAT + "empathy", "No")
    rows = edited(rows, 2, "score", "99")  # another tool's score: recomputed, not an error
    rows = edited(rows, 5, "status", "submitted")
    rows = edited(rows, 5, CHAT + "empathy", "Yes")
    for key, value in {"wrong_name": "Yes", "data_leak": "No", "resolution": "No", "wow": "No"}.items():
        rows = edited(rows, 5, CHAT + key, value)
    report = import_evaluations(ws, write_rows(tmp_path / "b.csv", rows))
    assert (report.created, report.updated, report.unchanged, report.rescored) == (0, 2, 5, 2)
    assert ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 7
    ev = ws.evaluations.get(ws.conn.execute("SELECT id FROM evaluations WHERE uuid = ?", (exported[1][0],)).fetchone()[0])
    assert ev.answers["empathy"].value == "No" and ev.score == pytest.approx((0.75 + 1 + 1 + 1) / 7 * 100)
    assert ev.answers["empathy"].comment == 'Said "sorry", twice,\nthen fixed it'
    history = ws.evaluations.history(ev.id)
    assert len(history) == 1 and history[0][1]["answers"]["empathy"]["value"] == "Yes"
    assert history[0][1]["edited_by"] == exported[1][exported[0].index("grader")]  # the file's grader
    assert history[0][1]["imported_from"] == "b.csv"
    skills = dict(ws.conn.execute("SELECT skill, score FROM evaluation_skills WHERE evaluation_id = ?", (ev.id,)))
    assert skills["Empathy"] == 0.0
    promoted = ws.conn.execute("SELECT status, submitted_at FROM evaluations WHERE uuid = ?", (exported[4][0],)).fetchone()
    graded_at = exported[4][exported[0].index("graded_at (UTC)")]
    assert promoted[0] == "submitted" and promoted[1] == graded_at.replace(" ", "T") + ".000000Z"
    ws.close()


def test_spreadsheet_from_another_tool(target, tmp_path):
    """Semicolons, cp1252, no evaluation ids or versions, day-first dates, a yes/no written as 1/0."""
    rows = [
        ["interaction_id", "scorecard", "grader", "graded_at", "channel", "agent", "team", "csat",
         "empathy", "tone", "wrong_name", "data_leak", "resolution", "wow", "tone.comment", "score"],
        ["Z-1", "chat qa", "Renée", "31/08/2023 14:05", "Live chat", "Zoë", "Green", "4",
         "1", "5", "yes", "no", "partial", "n/a", "café; très bien", "12"],
        ["Z-2", "Chat QA", "Renée", "", "", "Zoë", "", "", "0", "3", "No", "No", "Yes", "", "", ""],
    ]
    rows[2][1] = "Chat QA"
    rows[2][13] = "N/A"
    path = write_rows(tmp_path / "other.csv", rows, delimiter=";", encoding="cp1252")
    report = import_evaluations(target, path)
    assert (report.created, report.interactions_created, report.rescored) == (2, 2, 2)
    first = target.conn.execute(
        "SELECT g.name, e.status, e.submitted_at, e.answers, i.channel, a.name, t.name, i.csat_raw, "
        "i.csat_scale, i.satisfied FROM evaluations e JOIN interactions i ON i.id = e.interaction_id "
        "JOIN graders g ON g.id = e.grader_id "
        "LEFT JOIN agents a ON a.id = i.agent_id LEFT JOIN teams t ON t.id = i.team_id ORDER BY e.id").fetchall()
    grader, status, submitted_at, answers, channel, agent, team, csat, scale, satisfied = first[0]
    assert (grader, status, submitted_at) == ("Renée", "submitted", "2023-08-31T14:05:00.000000Z")
    assert (channel, agent, team, csat, scale, satisfied) == ("chat", "Zoë", "Green", "4", "1-5", 1)
    answers = json.loads(answers)
    assert answers["empathy"]["value"] == "Yes" and answers["wow"]["na"] is True
    assert answers["tone"] == {"value": 5, "na": False, "comment": "café; très bien"}
    assert first[1][4] == "chat"  # blank channel: the scorecard's only channel
    again = import_evaluations(target, path)  # stable ids derived from the rows: no duplicates
    assert (again.created, again.unchanged) == (0, 2)


def test_tab_separated_with_bom_and_existing_interactions_unchanged(tmp_path):
    ws = build_workspace(tmp_path / "w.qagrader")
    export_evaluations(ws, tmp_path / "wide.csv", include_calibration=True)
    with open(tmp_path / "wide.csv", encoding="utf-8", newline="") as handle:
        exported = list(csv.reader(handle))
    before = ws.conn.execute("SELECT * FROM interactions ORDER BY id").fetchall()
    rows = edited(exported, 2, "agent", "Somebody Else")
    rows = [[c.replace("\r\n", "\n") for c in r] for r in rows]
    path = write_rows(tmp_path / "tab.csv", rows, delimiter="\t", encoding="utf-8-sig")
    report = import_evaluations(ws, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)  # only the \r\n comment changed
    assert ws.conn.execute("SELECT * FROM interactions ORDER BY id").fetchall() == before
    ws.close()


def test_progress_is_reported(exported, target, tmp_path):
    seen: list[float] = []
    import_evaluations(target, write_rows(tmp_path / "f.csv", exported), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_scorecard_versions_are_kept(tmp_path):
    ws = empty_workspace(tmp_path / "w.qagrader")
    from tests.core.test_export import add_interactions, grade, FULL, INTERACTIONS
    add_interactions(ws, INTERACTIONS[:2])
    grade(ws, "T-1001", "Chat QA", "Grace", FULL)
    changed = json.loads(json.dumps(EXAMPLE))
    changed["sections"][0]["questions"][0]["weight"] = 5
    ws.scorecards.import_json(json.dumps(changed))  # version 2: the old grade keeps version 1
    grade(ws, "=2+3", "Chat QA", "Grace", FULL)
    export_evaluations(ws, tmp_path / "a.csv")
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[rows[0].index("version")] for r in rows[1:]] == ["1", "2"]
    assert import_evaluations(ws, tmp_path / "a.csv").unchanged == 2
    export_evaluations(ws, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    ws.close()


def test_history_of_an_import_names_the_editor_given(exported, tmp_path):
    ws = empty_workspace(tmp_path / "w.qagrader")
    import_evaluations(ws, write_rows(tmp_path / "a.csv", exported))
    report = import_evaluations(ws, write_rows(tmp_path / "b.csv", edited(exported, 2, CHAT + "empathy", "No")),
                                editor=" Lead Lee ")
    assert report.updated == 1
    ev_id = ws.conn.execute("SELECT id FROM evaluations WHERE uuid = ?", (exported[1][0],)).fetchone()[0]
    (saved_at, snapshot), = ws.evaluations.history(ev_id)
    assert snapshot["edited_by"] == "Lead Lee" and snapshot["imported_from"] == "b.csv"
    assert set(snapshot) == {"answers", "overall_comment", "score", "auto_failed", "updated_at", "edited_by",
                             "imported_from"}
    ws.close()
