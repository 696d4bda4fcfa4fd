"""CSV export of evaluations (wide, long) and scorecards; formula neutralisation; round trips."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qagrader.core.errors import CancelledError, NotFound, QAGraderError
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.exporting.csv_export import (
    FORMULA_TRIGGERS,
    LONG_COLUMNS,
    SCORECARD_COLUMNS,
    WIDE_COLUMNS,
    export_evaluations,
    export_scorecard,
    export_scorecard_csv,
    format_number,
    neutralise_cell,
    restore_cell,
)
from qagrader.core.scorecards.model import scorecard_from_dict
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage.workspace import Workspace
from tests.samples import EXAMPLE

# A second scorecard: section weights, N/A counted as a pass, a section auto-fail on a yes/no,
# a label that looks like a formula, a key shared with EXAMPLE ("tone").
PHONE = {
    "name": "Phone QA", "channels": ["phone"], "na_policy": "pass",
    "sections": [
        {"name": "Call handling", "weight": 70, "questions": [
            {"key": "greeting", "text": "Greeted by name", "skill": "Etiquette", "type": "yes_no",
             "auto_fail": "section"},
            {"key": "tone", "text": "Friendly tone", "skill": "Friendly tone", "type": "scale",
             "min": 0, "max": 10, "allow_na": True},
            {"key": "hold", "text": "Hold etiquette", "type": "options", "allow_na": True,
             "options": [{"label": "Good", "points": 3}, {"label": "+OK", "points": 1.5},
                         {"label": "Poor", "points": 0}]},
        ]},
        {"name": "Resolution", "weight": 30, "questions": [
            {"key": "accuracy", "text": "=Accurate answer", "guideline": "- check the KB\n- cite it",
             "skill": "Accuracy", "type": "yes_no"},
        ]},
    ],
}
HYPERLINK = '=HYPERLINK("http://evil.example","click me")'
FULL = {"empathy": Answer("Yes"), "tone": Answer(4), "wrong_name": Answer("Yes"),
        "data_leak": Answer("No"), "resolution": Answer("Partial"), "wow": Answer("No")}

# (external_id, channel, agent, team, brand, csat_raw, csat_scale, csat_norm, satisfied)
INTERACTIONS = [
    ("T-1001", "chat", "Ana", "Blue", "Acme", "5", "1-5", 1.0, 1),
    ("=2+3", "chat", "+Plus", "-Ops", None, "👍", "binary", 1.0, 1),
    ("0042", "chat", None, None, None, None, None, None, None),
    ("T-1004", "chat", "Ana", None, None, "2", "1-5", 0.25, 0),
    ("CALL-9", "phone", "Bo", "Blue", None, "87%", "0-100", 0.87, 1),
    ("CALL-10", "phone", "Ana", "Blue", None, "9", "0-10", 0.9, 1),
]


def add_interactions(ws: Workspace, rows=INTERACTIONS) -> None:
    with ws.transaction() as conn:
        for ext, channel, agent, team, brand, raw, scale, norm, satisfied in rows:
            agent_id = ws.interactions.ensure_agent(agent, team=team) if agent else None
            team_id = ws.interactions.ensure_team(team) if team else None
            conn.execute(
                """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand,
                   csat_raw, csat_scale, csat_norm, satisfied, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'now', 'now')""",
                (f"u-{ext}", ext, channel, agent_id, team_id, brand, raw, scale, norm, satisfied))


def grade(ws: Workspace, ext: str, card: str, grader: str, answers: dict, comment: str = "",
          submit: bool = True, calibration: bool = False) -> int:
    interaction = ws.interactions.by_external_id(ext)
    stored = ws.scorecards.get(card)
    ev = ws.evaluations.start(interaction.id, stored.id, grader, calibration=calibration)
    if answers or comment:
        ws.evaluations.save(ev.id, answers, overall_comment=comment)
    if submit:
        ws.evaluations.submit(ev.id)
    return ev.id


def empty_workspace(path: Path) -> Workspace:
    """A workspace holding only the two scorecards (imported from JSON)."""
    ws = Workspace.open(path)
    ws.scorecards.import_json(json.dumps(EXAMPLE))
    ws.scorecards.import_json(json.dumps(PHONE))
    return ws


def build_workspace(path: Path) -> Workspace:
    """Evaluations covering every answer type, N/A, comments that need quoting or look like
    formulas, auto-fail (all and section), drafts, calibration, two scorecards."""
    ws = empty_workspace(path)
    add_interactions(ws)
    grade(ws, "T-1001", "Chat QA", "Grace", {
        **FULL, "empathy": Answer("Yes", comment='Said "sorry", twice,\nthen fixed it'),
        "tone": Answer(4, comment=HYPERLINK)}, comment="-great call")
    grade(ws, "=2+3", "Chat QA", "@bob", {**FULL, "data_leak": Answer("Yes", comment="+read card no.")})
    grade(ws, "0042", "Chat QA", "Grace", {**FULL, "empathy": Answer(na=True), "wow": Answer(na=True)},
          comment="line one\r\nline two")
    grade(ws, "T-1004", "Chat QA", "Grace", {"tone": Answer(3), "wrong_name": Answer(comment="'=quoted already")},
          comment="\ttabbed", submit=False)
    grade(ws, "T-1001", "Chat QA", "Lin", {**FULL, "resolution": Answer("No")}, calibration=True)
    grade(ws, "CALL-9", "Phone QA", "Grace", {"greeting": Answer("No"), "tone": Answer(na=True),
                                               "hold": Answer("+OK"), "accuracy": Answer("Yes")})
    grade(ws, "CALL-10", "Phone QA", "Grace", {}, submit=False)
    return ws


def read_csv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def ws(tmp_path):
    workspace = build_workspace(tmp_path / "source.qagrader")
    yield workspace
    workspace.close()


# ------------------------------------------------------------------ formula neutralisation

@pytest.mark.parametrize("text, safe", [
    ("=1+2", "'=1+2"), ("+44 20 7946", "'+44 20 7946"), ("-great", "'-great"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-1", "-1"), ("+5", "+5"), ("-2.5e3", "-2.5e3"), ("-1+2", "'-1+2"),
    ("'=x", "''=x"), ("'hello", "'hello"), ("'-1", "'-1"), ("plain", "plain"), ("", ""), ("'", "'"),
    ("-", "'-"), ("1+2", "1+2"),
])
def test_neutralise_examples(text, safe):
    assert neutralise_cell(text) == safe
    assert restore_cell(safe) == text


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r'1.e a")) | st.characters(), max_size=12))
@settings(max_examples=400)
def test_neutralise_is_safe_and_reversible(text):
    safe = neutralise_cell(text)
    assert restore_cell(safe) == text
    if safe and safe[0] in FORMULA_TRIGGERS:
        float(safe)  # only plain numbers may start with a trigger


def test_format_number():
    assert [format_number(v) for v in (87.5, 100.0, 0.0, 66.666666, None, 3)] == \
        ["87.5", "100", "0", "66.67", "", "3"]


# ---------------------------------------------------------------------------- wide export

def test_wide_export_columns_values_and_neutralised_cells(ws, tmp_path):
    out = tmp_path / "wide.csv"
    assert export_evaluations(ws, out) == 6  # calibration grades only on request
    assert all(r[WIDE_COLUMNS.index("calibration")] == "0" for r in read_csv(out)[1:])
    assert export_evaluations(ws, out, include_calibration=True) == 7
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") >= 8
    rows = read_csv(out)
    header = rows[0]
    assert header[:len(WIDE_COLUMNS)] == [
        "evaluation_id", "interaction_id", "interaction_date (UTC)", "channel", "brand", "agent", "team",
        "subject", "scorecard", "version", "grader", "graded_at (UTC)", "status", "calibration", "blind",
        "score", "auto_failed", "csat", "csat_scale", "overall_comment"]
    # two scorecards: columns per scorecard, so Chat QA's 1-5 tone and Phone QA's 0-10 tone never share one
    assert header[len(WIDE_COLUMNS):] == [
        "Chat QA: empathy", "Chat QA: empathy.comment", "Chat QA: tone", "Chat QA: tone.comment",
        "Chat QA: wrong_name", "Chat QA: wrong_name.comment", "Chat QA: data_leak", "Chat QA: data_leak.comment",
        "Chat QA: resolution", "Chat QA: wow", "Phone QA: greeting", "Phone QA: tone", "Phone QA: hold",
        "Phone QA: accuracy"]
    records = [{k.removeprefix("Chat QA: ").removeprefix("Phone QA: ") if k.startswith("Chat") else k: v
                for k, v in zip(header, r)} for r in rows[1:]]
    first = records[0]
    assert first["interaction_id"] == "T-1001" and first["agent"] == "Ana" and first["team"] == "Blue"
    assert (first["scorecard"], first["version"], first["status"]) == ("Chat QA", "1", "submitted")
    assert first["score"] == format_number(score(scorecard_from_dict(EXAMPLE), FULL).total)
    assert first["empathy.comment"] == 'Said "sorry", twice,\nthen fixed it'
    assert first["tone"] == "4" and first["tone.comment"] == "'" + HYPERLINK
    assert first["overall_comment"] == "'-great call" and first["csat"] == "5"
    assert records[1]["interaction_id"] == "'=2+3" and records[1]["agent"] == "'+Plus"
    assert records[1]["grader"] == "'@bob" and records[1]["team"] == "'-Ops"
    assert (records[1]["score"], records[1]["auto_failed"]) == ("0", "1")
    assert records[2]["empathy"] == "N/A" and records[2]["overall_comment"] == "line one\r\nline two"
    draft = records[3]
    assert draft["status"] == "draft" and draft["empathy"] == "" and draft["tone"] == "3"
    assert draft["wrong_name"] == "" and draft["wrong_name.comment"] == "''=quoted already"
    assert draft["overall_comment"] == "'\ttabbed"
    assert records[4]["calibration"] == "1" and records[4]["resolution"] == "No"
    phone = records[5]
    assert phone["Phone QA: hold"] == "'+OK" and phone["Phone QA: tone"] == "N/A" and phone["tone"] == ""
    assert phone["empathy"] == "" and phone["brand"] == "" and records[0]["brand"] == "Acme"
    assert phone["csat"] == "87%" and phone["csat_scale"] == "0-100"
    assert records[6]["score"] == "" and records[6]["team"] == "Blue"
    for record in rows[1:]:
        for cell in record:
            assert not cell or cell[0] not in FORMULA_TRIGGERS or float(cell) is not None
    assert b",4," in raw  # numbers are written bare, never quoted


def test_graded_at_is_submission_time_or_last_save(ws, tmp_path):
    out = tmp_path / "wide.csv"
    export_evaluations(ws, out, include_calibration=True)
    rows = read_csv(out)
    expected = ws.conn.execute(
        "SELECT CASE status WHEN 'submitted' THEN submitted_at ELSE updated_at END FROM evaluations ORDER BY id"
    ).fetchall()
    column = rows[0].index("graded_at (UTC)")
    assert [r[column] for r in rows[1:]] == [f"{e[0][:10]} {e[0][11:19]}" for e in expected]


def test_filters_and_bom(ws, tmp_path):
    out = tmp_path / "phone.csv"
    assert export_evaluations(ws, out, scorecard="phone qa", excel_bom=True) == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(out, "utf-8-sig")
    assert rows[0][len(WIDE_COLUMNS):] == ["greeting", "tone", "hold", "accuracy"]
    assert export_evaluations(ws, tmp_path / "drafts.csv", status="draft") == 2
    assert export_evaluations(ws, tmp_path / "sub.csv", status="submitted", scorecard="Chat QA") == 3
    assert export_evaluations(ws, tmp_path / "sub.csv", status="submitted", scorecard="Chat QA",
                              include_calibration=True) == 4
    with pytest.raises(NotFound, match="No scorecard named 'Email QA'"):
        export_evaluations(ws, tmp_path / "x.csv", scorecard="Email QA")
    with pytest.raises(QAGraderError, match="use draft or submitted"):
        export_evaluations(ws, tmp_path / "x.csv", status="done")
    with pytest.raises(QAGraderError, match="use wide or long"):
        export_evaluations(ws, tmp_path / "x.csv", shape="tall")  # type: ignore[arg-type]
    assert not (tmp_path / "x.csv").exists()


def test_cancel_leaves_no_file_and_progress_ends_at_one(ws, tmp_path):
    out = tmp_path / "wide.csv"
    with pytest.raises(CancelledError):
        export_evaluations(ws, out, cancelled=lambda: True)
    assert list(tmp_path.glob("wide.csv*")) == [] and list(tmp_path.glob(".wide.csv*")) == []
    seen: list[float] = []
    export_evaluations(ws, out, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


# ------------------------------------------------------------------------------ round trip

def test_round_trip_into_empty_workspace_is_byte_identical(ws, tmp_path):
    first = tmp_path / "first.csv"
    export_evaluations(ws, first, include_calibration=True)  # everything, the calibration grade too
    target = empty_workspace(tmp_path / "target.qagrader")
    report = import_evaluations(target, first)
    assert (report.created, report.updated, report.interactions_created, report.rescored) == (7, 0, 6, 0)
    second = tmp_path / "second.csv"
    export_evaluations(target, second, include_calibration=True)
    assert second.read_bytes() == first.read_bytes()
    for shape in ("long",):
        export_evaluations(ws, tmp_path / "a.csv", shape=shape, include_calibration=True)
        export_evaluations(target, tmp_path / "b.csv", shape=shape, include_calibration=True)
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    again = import_evaluations(target, first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    skills = "SELECT e.uuid, s.skill, s.score FROM evaluation_skills s JOIN evaluations e ON e.id = s.evaluation_id ORDER BY 1, 2"
    assert target.conn.execute(skills).fetchall() == ws.conn.execute(skills).fetchall()
    agents = "SELECT a.name, t.name FROM agents a LEFT JOIN teams t ON t.id = a.team_id ORDER BY 1"
    assert target.conn.execute(agents).fetchall() == ws.conn.execute(agents).fetchall()
    target.close()


def test_round_trip_with_excel_bom(ws, tmp_path):
    first = tmp_path / "first.csv"
    export_evaluations(ws, first, excel_bom=True, include_calibration=True)
    target = empty_workspace(tmp_path / "target.qagrader")
    import_evaluations(target, first)
    export_evaluations(target, tmp_path / "second.csv", excel_bom=True, include_calibration=True)
    assert (tmp_path / "second.csv").read_bytes() == first.read_bytes()
    target.close()


_CARD = scorecard_from_dict(EXAMPLE)
# any text the input rules accept (core/input_rules.py): no control characters but tab and line
# breaks, no unpaired surrogates
_TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n'\",; aZé1.")) | st.characters(
    blacklist_categories=("Cs", "Cc")), max_size=15)


def _answer_strategy(q):
    values = list(q.labels) if q.type != "scale" else list(range(q.min, q.max + 1))
    value = st.sampled_from(values).map(lambda v: Answer(v))
    options = [value, st.just(None)] + ([st.just(Answer(na=True))] if q.allow_na else [])
    return st.tuples(st.one_of(options), _TEXT).map(
        lambda pair: None if pair[0] is None and not pair[1] else
        Answer(pair[0].value if pair[0] else None, pair[0].na if pair[0] else False, pair[1]))


_EVALUATION = st.fixed_dictionaries({q.key: _answer_strategy(q) for q in _CARD.questions})


@given(st.lists(st.tuples(_EVALUATION, _TEXT, st.booleans()), min_size=1, max_size=3))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_property(evaluations):
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        source = empty_workspace(tmp_path / "s.qagrader")
        add_interactions(source, INTERACTIONS[:4])
        for (answers, comment, submit), ext in zip(evaluations, ("T-1001", "=2+3", "0042")):
            answers = {k: a for k, a in answers.items() if a is not None}
            complete = all(k in answers and answers[k].answered for k in (q.key for q in _CARD.questions))
            grade(source, ext, "Chat QA", "Grace", answers, comment, submit=submit and complete)
        first, second = tmp_path / "1.csv", tmp_path / "2.csv"
        export_evaluations(source, first)
        target = empty_workspace(tmp_path / "t.qagrader")
        import_evaluations(target, first)
        export_evaluations(target, second)
        assert second.read_bytes() == first.read_bytes()
        source.close()
        target.close()


# ----------------------------------------------------------------------------- long export

def test_long_export_points_match_score(ws, tmp_path):
    out = tmp_path / "long.csv"
    count = export_evaluations(ws, out, shape="long", include_calibration=True)
    rows = read_csv(out)
    assert rows[0] == [c + " (UTC)" if c in ("interaction_date", "graded_at") else c for c in LONG_COLUMNS]
    assert len(rows) - 1 == count
    records = [dict(zip(rows[0], r)) for r in rows[1:]]
    cards = {"Chat QA": scorecard_from_dict(EXAMPLE), "Phone QA": scorecard_from_dict(PHONE)}
    checked = 0
    for evaluation in ws.conn.execute("SELECT e.uuid, s.name, e.answers FROM evaluations e "
                                      "JOIN scorecards s ON s.id = e.scorecard_id"):
        uuid, name, answers_json = evaluation
        answers = {k: Answer.from_json(v) for k, v in json.loads(answers_json).items()}
        result = score(cards[name], answers)
        mine = [r for r in records if r["evaluation_id"] == uuid]
        assert len(mine) == len(answers)
        for section in result.sections:
            rows_in = [r for r in mine if r["section"] == section.name]
            possible = sum(float(r["points_possible"] or 0) for r in rows_in)
            earned = sum(float(r["points_earned"] or 0) for r in rows_in)
            assert possible == pytest.approx(section.possible, abs=1e-3)
            if not section.auto_failed:
                assert earned == pytest.approx(section.earned, abs=1e-3)
                checked += 1
    assert checked > 10
    phone = [r for r in records if r["scorecard"] == "Phone QA"]
    assert [(r["question"], r["answer"], r["points_earned"], r["points_possible"]) for r in phone] == [
        ("greeting", "No", "0", "1"), ("tone", "N/A", "1", "1"), ("hold", "'+OK", "1.5", "3"),
        ("accuracy", "Yes", "1", "1")]
    na = [r for r in records if r["answer"] == "N/A" and r["scorecard"] == "Chat QA"]
    assert na and all(r["points_earned"] == r["points_possible"] == "" for r in na)
    assert {r["skill"] for r in records} >= {"Empathy", "Friendly tone", "Etiquette", ""}


# ------------------------------------------------------------------------ scorecard export

def test_scorecard_csv(ws, tmp_path):
    out = tmp_path / "phone.csv"
    assert export_scorecard_csv(ws.scorecards.get("Phone QA").card, out) == 4
    rows = read_csv(out)
    assert rows[0] == list(SCORECARD_COLUMNS)
    records = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert records[0] == {"section": "Call handling", "section_weight": "70", "bonus": "no",
                          "key": "greeting", "text": "Greeted by name", "guideline": "",
                          "type": "yes_no", "options": "Yes=1; No=0", "weight": "1",
                          "allow_na": "no", "auto_fail": "No=section", "skill": "Etiquette",
                          "polarity": "positive"}
    assert records[1]["options"] == "0..10" and records[1]["allow_na"] == "yes"
    assert records[2]["options"] == "Good=3; +OK=1.5; Poor=0"
    assert records[3]["text"] == "'=Accurate answer" and records[3]["guideline"] == "'- check the KB\n- cite it"
    chat = tmp_path / "chat.csv"
    export_scorecard(ws, "chat qa", chat)
    chat_rows = [dict(zip(SCORECARD_COLUMNS, r)) for r in read_csv(chat)[1:]]
    assert [r["key"] for r in chat_rows] == ["empathy", "tone", "wrong_name", "data_leak", "resolution", "wow"]
    assert chat_rows[3]["auto_fail"] == "Yes=all" and chat_rows[4]["options"] == "Yes=2; Partial=1; No=0"
    assert chat_rows[5]["bonus"] == "yes" and chat_rows[0]["section_weight"] == "" and chat_rows[0]["weight"] == "2"


def test_export_scorecard_by_suffix(ws, tmp_path):
    out = export_scorecard(ws, "Chat QA", tmp_path / "chat.json")
    assert scorecard_from_dict(json.loads(out.read_text(encoding="utf-8"))) == scorecard_from_dict(EXAMPLE)
    with pytest.raises(QAGraderError, match="use a .json or .csv"):
        export_scorecard(ws, "Chat QA", tmp_path / "chat.xlsx")
    with pytest.raises(NotFound):
        export_scorecard(ws, "Nope", tmp_path / "nope.csv")
    assert not (tmp_path / "nope.csv").exists()


def test_export_opens_in_pandas(ws, tmp_path):
    import pandas as pd
    out = tmp_path / "wide.csv"
    export_evaluations(ws, out, excel_bom=True, include_calibration=True)
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert len(frame) == 7 and frame["version"].dtype.kind == "i"
