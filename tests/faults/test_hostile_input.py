"""Section 4: hostile or broken input is refused (one line naming the row/column/field, exit 1,
the workspace byte for byte as it was) or repaired by a documented rule (docs/INPUT_RULES.md),
never stored wrong. Checked in every importer and in the scorecard model the editor uses."""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3

import pytest

from qagrader.core.errors import EvaluationError, ScorecardError
from qagrader.core.scorecards.model import scorecard_from_dict, scorecard_from_json
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import cli, demo_workspace, snapshot
from tests.samples import EXAMPLE

HEADER = "id,channel,agent,csat,transcript\n"


@pytest.fixture()
def place(tmp_path):
    demo_workspace(tmp_path / "w.qagrader", interactions=20)
    return tmp_path


def refused(capsys, place, *args, message: str) -> None:
    """The command fails with exactly `message` and changes nothing in `place`."""
    before = workspace_files(place)
    code, out, err = cli(capsys, "--db", place / "w.qagrader", *args)
    assert code == 1, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert workspace_files(place) == before


def workspace_files(place) -> dict[str, str]:
    return {k: v for k, v in snapshot(place).items() if k.startswith("w.qagrader")}


def import_csv(capsys, place, data: bytes, *extra: str) -> tuple[int, str, str]:
    (place / "in.csv").write_bytes(data)
    return cli(capsys, "--db", place / "w.qagrader", "import", "interactions", place / "in.csv",
               "--map", "external_id=id", *extra)


def stored(place, external_id: str) -> tuple | None:
    conn = sqlite3.connect(place / "w.qagrader")
    try:
        return conn.execute("SELECT i.channel, a.name, i.csat_raw, i.transcript FROM interactions i "
                            "LEFT JOIN agents a ON a.id = i.agent_id WHERE external_id = ?",
                            (external_id,)).fetchone()
    finally:
        conn.close()


# ------------------------------------------------------------------- control characters

@pytest.mark.parametrize("cell, column, shown", [
    ("Ana\x00", "agent", "U+0000 (NUL)"),
    ("An\x07a", "agent", "U+0007 (bell)"),
    ("pho\x00ne", "channel", "U+0000 (NUL)"),
    ("Hello\x1b[31m", "transcript", "U+001B (escape)"),
    ("Ana\x7f", "agent", "U+007F (delete)"),
    ("Ana\u0085", "agent", "U+0085"),
    ('"Ana\nSmith"', "agent", "U+000A (line break)"),
    ('"Ana\tSmith"', "agent", "U+0009 (tab)"),
])
def test_control_characters_in_interaction_cells_are_refused(place, capsys, cell, column, shown):
    row = {"agent": f"C1,phone,{cell},5,hi\n", "channel": f"C1,{cell},Ana,5,hi\n",
           "transcript": f"C1,phone,Ana,5,{cell}\n"}[column]
    before = workspace_files(place)
    code, _, err = import_csv(capsys, place, (HEADER + row).encode("utf-8"))
    assert code == 1
    assert err.startswith(f"error: row 2, column '{column}': contains the control character {shown}")
    assert "nothing was imported" in err
    assert workspace_files(place) == before


def test_line_breaks_and_tabs_stay_in_free_text(place, capsys):
    code, _, err = import_csv(capsys, place, (HEADER + 'C1,phone,Ana,5,"Line one\nLine\ttwo"\n').encode())
    assert code == 0, err
    assert stored(place, "C1")[3] == "Line one\nLine\ttwo"


def test_bad_rows_with_control_characters_can_be_skipped_into_rejects(place, capsys):
    data = HEADER + "C1,phone,Ana,5,fine\nC2,phone,B\x00b,4,bad\n"
    code, out, err = import_csv(capsys, place, data.encode(), "--skip-bad-rows")
    assert code == 0, err
    assert stored(place, "C1") is not None and stored(place, "C2") is None
    rejects = (place / "in.rejects.csv").read_text(encoding="utf-8-sig")
    assert "C2" in rejects and "U+0000 (NUL)" in rejects


def test_a_control_character_in_a_header_is_refused(place, capsys):
    (place / "in.csv").write_bytes(b"id,chan\x00nel,csat\nC1,phone,5\n")
    refused(capsys, place, "import", "interactions", place / "in.csv", "--map", "external_id=id",
            message="in.csv, row 1, column 2: the column name contains the control character U+0000 (NUL)")


@pytest.mark.parametrize("where, value, field", [
    ("name", "Chat\u0000QA", "name"),
    ("question text", "Greeted\u0007", "sections[0].questions[0].text"),
    ("key", "emp\u001bathy", "sections[0].questions[0].key"),
    ("option label", "Y\u0000es", "sections[0].questions[2].options[0].label"),
    ("skill", "Emp\nathy", "sections[0].questions[0].skill"),
    ("section name", "Soft\tskills", "sections[0].name"),
    ("guideline surrogate", "\ud800", "sections[0].questions[0].guideline"),
])
def test_control_characters_in_scorecards_are_refused(place, capsys, where, value, field):
    data = json.loads(json.dumps(EXAMPLE))
    target = {"name": (data, "name"), "question text": (data["sections"][0]["questions"][0], "text"),
              "key": (data["sections"][0]["questions"][0], "key"),
              "option label": (data["sections"][0]["questions"][2]["options"][0], "label"),
              "skill": (data["sections"][0]["questions"][0], "skill"),
              "section name": (data["sections"][0], "name"),
              "guideline surrogate": (data["sections"][0]["questions"][0], "guideline")}[where]
    target[0][target[1]] = value
    (place / "card.json").write_text(json.dumps(data), encoding="utf-8")  # \u escapes in the file
    refused(capsys, place, "import", "scorecard", place / "card.json",
            message=f"error: {field}: contains the control character U+")
    with pytest.raises(ScorecardError) as error:  # the editor validates with the same model
        scorecard_from_dict(data)
    assert error.value.field == field


def test_comments_and_graders_with_control_characters_are_refused_when_grading(place):
    with Workspace.open(place / "w.qagrader") as ws:
        card = ws.scorecards.get("Chat QA")
        interaction = ws.conn.execute("SELECT id FROM interactions LIMIT 1").fetchone()[0]
        with pytest.raises(EvaluationError, match="grader's name contains the control character U\\+0000"):
            ws.evaluations.start(interaction, card.id, "Ana\x00")
        draft = ws.evaluations.start(interaction, card.id, "Ana")
        key = card.card.questions[0].key
        with pytest.raises(EvaluationError, match=f"question '{key}': the comment contains the control "
                                                  f"character U\\+0007"):
            ws.evaluations.set_answer(draft.id, key, Answer(None, False, "bad\x07"))
        saved, _ = ws.evaluations.set_answer(draft.id, key, Answer(None, False, "\ufeffgood\nline"))
        assert saved.answers[key].comment == "good\nline"  # byte-order mark removed


def _wide_export(place, capsys) -> list[list[str]]:
    code, _, err = cli(capsys, "--db", place / "w.qagrader", "export", "evaluations", place / "wide.csv")
    assert code == 0, err
    with open(place / "wide.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


@pytest.mark.parametrize("column, value, shown", [
    ("overall_comment", "ok\x00", "U+0000 (NUL)"),
    ("grader", "Ana\x08", "U+0008 (backspace)"),
    ("grader", "Ana\nSmith", "U+000A (line break)"),
])
def test_control_characters_in_evaluation_cells_are_refused(place, capsys, column, value, shown):
    rows = _wide_export(place, capsys)
    rows[1][rows[0].index(column)] = value
    _write_rows(place / "bad.csv", rows)
    refused(capsys, place, "import", "evaluations", place / "bad.csv",
            message=f"row 2, column '{column}': contains the control character {shown}")


# ----------------------------------------------------------------------- absurd structure

def test_json_nested_thousands_deep_is_refused(place, capsys):
    (place / "deep.json").write_text('{"name": "X", "sections": ' + "[" * 50_000 + "]" * 50_000 + "}")
    refused(capsys, place, "import", "scorecard", place / "deep.json",
            message="error: nested more than 32 levels deep; a scorecard needs 6")
    with pytest.raises(ScorecardError, match="nested more than 32 levels deep"):
        scorecard_from_json("[" * 100_000)


@pytest.mark.parametrize("text, field", [
    ('{"name": "A", "name": "B", "sections": []}', "name"),
    (json.dumps(EXAMPLE)[:-1].replace('"weight": 2,', '"weight": 2, "weight": 0,', 1) + "}",
     "sections[0].questions[0].weight"),
])
def test_duplicate_keys_in_json_are_refused_naming_the_field(place, capsys, text, field):
    (place / "dup.json").write_text(text)
    refused(capsys, place, "import", "scorecard", place / "dup.json",
            message=f"error: {field}: appears twice in the same object; keep one")


def test_an_enormous_scorecard_file_is_refused_without_reading_it(place, capsys):
    with open(place / "big.json", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    refused(capsys, place, "import", "scorecard", place / "big.json",
            message="big.json is 52.4 MB; a scorecard file is at most 5 MB. Is it the right file?")


@pytest.mark.parametrize("cell", ["x" * 1_200_000, '"' + "a line\n" * 171_429 + '"'])
def test_an_enormous_cell_is_refused_with_its_row_and_column(place, capsys, cell):
    data = HEADER + "C1,phone,Ana,5,short\n" + "C2,phone,Ana,5," + cell + "\n"
    before = workspace_files(place)
    code, _, err = import_csv(capsys, place, data.encode())
    assert code == 1
    assert err.startswith(f"error: row 3, column 'transcript': is {len(cell.strip(chr(34))):,} characters "
                          f"long; at most 1,000,000 are allowed")
    assert workspace_files(place) == before


# ------------------------------------------------------------------- numbers that make no sense

def _card_with(path: list, value) -> dict:
    data = json.loads(json.dumps(EXAMPLE))
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize("path, value, field, message", [
    (["sections", 0, "questions", 0, "weight"], float("nan"), "", "NaN is not a number JSON allows"),
    (["sections", 0, "questions", 0, "weight"], float("inf"), "", "Infinity is not a number JSON allows"),
    (["sections", 0, "questions", 2, "options", 0, "points"], float("-inf"), "",
     "-Infinity is not a number JSON allows"),
    (["sections", 0, "questions", 0, "weight"], 1e308, "sections[0].questions[0].weight",
     "must be at most 1000, not 1e+308"),
    (["sections", 0, "questions", 2, "options", 0, "points"], 1e300,
     "sections[0].questions[2].options[0].points", "must be at most 1000"),
    (["sections", 0, "weight"], 5000, "sections[0].weight", "must be at most 1000, not 5000"),
    (["sections", 0, "questions", 1, "max"], 10**9, "sections[0].questions[1].max",
     "must be between -1000 and 1000"),
    (["sections", 0, "questions", 1, "min"], 1.5, "sections[0].questions[1].min",
     "a scale needs whole-number min and max"),
    (["sections", 0, "questions", 1, "min"], 5, "sections[0].questions[1].min",
     "min (5) must be less than max (5)"),
    (["sections", 0, "questions", 0, "weight"], -1, "sections[0].questions[0].weight",
     "must not be negative (-1)"),
])
def test_numbers_that_make_no_sense_are_refused(place, capsys, path, value, field, message):
    text = json.dumps(_card_with(path, value))
    (place / "card.json").write_text(text)
    refused(capsys, place, "import", "scorecard", place / "card.json",
            message=f"error: {field + ': ' if field else ''}{message}")


def test_a_number_too_large_for_a_float_is_refused(place, capsys):
    text = json.dumps(EXAMPLE).replace('"weight": 2', '"weight": 1e999', 1)
    (place / "card.json").write_text(text)
    refused(capsys, place, "import", "scorecard", place / "card.json",
            message="error: the number 1e999 is too large")


def test_all_weights_zero_is_refused(place, capsys):
    data = json.loads(json.dumps(EXAMPLE))
    for section in data["sections"]:
        for question in section["questions"]:
            question["weight"] = 0
    (place / "card.json").write_text(json.dumps(data))
    refused(capsys, place, "import", "scorecard", place / "card.json",
            message="error: sections: every question weighs 0, so no evaluation could ever have a score")
    data = json.loads(json.dumps(EXAMPLE))
    for section, weight in zip(data["sections"][:2], (60, 40)):
        section["weight"] = weight
    for question in data["sections"][1]["questions"]:
        question["weight"] = 0
    (place / "card.json").write_text(json.dumps(data))
    refused(capsys, place, "import", "scorecard", place / "card.json",
            message="error: sections[1].questions: every question of this weighted section weighs 0")
    for weight_field in ({"sections": [{**s, "weight": 0} for s in EXAMPLE["sections"][:2]]
                          + EXAMPLE["sections"][2:]},):
        (place / "card.json").write_text(json.dumps({**EXAMPLE, **weight_field}))
        refused(capsys, place, "import", "scorecard", place / "card.json",
                message="error: sections: section weights must not all be 0")


def test_non_numbers_in_number_cells_are_refused(place, capsys):
    for value in ("nan", "inf", "-inf", "1e308", "NaN"):
        before = workspace_files(place)
        code, _, err = import_csv(capsys, place, (HEADER + f"C1,phone,Ana,{value},hi\n").encode())
        assert code == 1 and f"row 2, column 'csat': '{value}' is not a number from 1 to 5" in err
        assert workspace_files(place) == before


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "4.5", "6"])
def test_scale_answers_that_are_not_on_the_scale_are_refused(place, capsys, value):
    rows = _wide_export(place, capsys)
    card_column = rows[0].index("scorecard")
    row = next(i for i, r in enumerate(rows) if i and r[card_column] == "Phone QA")
    with Workspace.open(place / "w.qagrader") as ws:
        scale = next(q for q in ws.scorecards.get("Phone QA").card.questions if q.type == "scale")
    column = f"Phone QA: {scale.key}"  # several scorecards exported: one column set each
    rows[row][rows[0].index(column)] = value
    _write_rows(place / "bad.csv", rows)
    refused(capsys, place, "import", "evaluations", place / "bad.csv",
            message=f"row {row + 1}, column '{column}'")


# -------------------------------------------------------- names that do not exist elsewhere

@pytest.mark.parametrize("channels, message", [
    (["fax"], "channels[0]: 'fax' is not a channel (channels: phone, email, chat, social, sms)"),
    (["chat", "voice"], "channels[1]: 'voice' is not a channel (channels: phone, email, chat, social, "
                        "sms); did you mean 'phone'?"),
    (["chat", "Chat"], "channels[1]: 'Chat' is listed twice"),
])
def test_scorecard_channels_must_be_channels_the_importer_knows(place, capsys, channels, message):
    (place / "card.json").write_text(json.dumps({**EXAMPLE, "channels": channels}))
    refused(capsys, place, "import", "scorecard", place / "card.json", message=f"error: {message}")


def test_evaluations_naming_options_or_questions_the_version_lacks_are_refused(place, capsys):
    rows = _wide_export(place, capsys)
    card_column = rows[0].index("scorecard")
    row = next(i for i, r in enumerate(rows) if i and r[card_column] == "Phone QA")
    with Workspace.open(place / "w.qagrader") as ws:
        card = ws.scorecards.get("Phone QA").card
    options = next(q for q in card.questions if q.type in ("options", "yes_no"))
    bad_label = [list(r) for r in rows]
    column = f"Phone QA: {options.key}"  # several scorecards exported: one column set each
    bad_label[row][rows[0].index(column)] = "Maybe"
    _write_rows(place / "bad.csv", bad_label)
    refused(capsys, place, "import", "evaluations", place / "bad.csv",
            message=f"row {row + 1}, column '{column}'")
    extra = [r + ["Yes" if i else "not_a_question"] for i, r in enumerate(rows)]
    _write_rows(place / "bad.csv", extra)
    refused(capsys, place, "import", "evaluations", place / "bad.csv", message="not_a_question")


# ------------------------------------------------------------------------------- encodings

def test_utf16_with_and_without_bom_is_read_as_utf16(place, capsys):
    text = HEADER + "U1,phone,José,5,olá\n"
    for data, ext in ((codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "U1"),
                      (text.replace("U1", "U2").encode("utf-16-le"), "U2"),
                      (text.replace("U1", "U3").encode("utf-16-be"), "U3")):
        code, out, err = import_csv(capsys, place, data)
        assert code == 0, err
        assert stored(place, ext) == ("phone", "José", "5", "olá")


def test_a_file_that_changes_encoding_part_way_is_refused_naming_the_line(place, capsys):
    data = (HEADER + "E1,phone,José,5,a\n").encode("utf-8") + "E2,phone,Renée,4,b\n".encode("cp1252")
    before = workspace_files(place)
    code, _, err = import_csv(capsys, place, data)
    assert code == 1
    assert err == ("error: in.csv, line 3: the text changes encoding here (the lines before are UTF-8, "
                   "this line is not). Save the whole file as UTF-8 and import it again.\n")
    assert workspace_files(place) == before


def test_a_windows_1252_file_is_still_read_as_such(place, capsys):
    code, _, err = import_csv(capsys, place, (HEADER + "W1,phone,Renée,5,ça\n").encode("cp1252"))
    assert code == 0, err
    assert stored(place, "W1") == ("phone", "Renée", "5", "ça")


def test_stray_byte_order_marks_are_removed(place, capsys):
    bom = codecs.BOM_UTF8
    data = bom + HEADER.encode() + b"B1,phone,Ana,5,a\n" + bom + b"B2,phone,Ana,4,b\xef\xbb\xbf\n"
    code, _, err = import_csv(capsys, place, data)
    assert code == 0, err
    assert stored(place, "B2") == ("phone", "Ana", "4", "b")
    assert stored(place, "\ufeffB2") is None


@pytest.mark.parametrize("header", ["id,channel,csat,csat", "id,channel,CSAT,csat ", "id,id,channel,csat"])
def test_a_header_naming_a_column_twice_is_refused(place, capsys, header):
    (place / "in.csv").write_text(header + "\nD1,phone,5,4\n")
    name = header.split(",")[-1].strip() if "id,id" not in header else "id"
    refused(capsys, place, "import", "interactions", place / "in.csv", "--map", "external_id=id",
            "--channel", "phone", message=f"in.csv, row 1, column '{name}': the column appears twice")


def test_a_header_naming_a_column_twice_is_refused_for_evaluations(place, capsys):
    rows = _wide_export(place, capsys)
    rows = [r + [r[rows[0].index("grader")]] for r in rows]
    rows[0][-1] = "Grader"
    _write_rows(place / "bad.csv", rows)
    refused(capsys, place, "import", "evaluations", place / "bad.csv",
            message="row 1, column 'Grader': the column appears twice")
