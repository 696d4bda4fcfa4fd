"""Graders are people: the migration of grader names to rows, rename everywhere, merging spellings."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlite_utils import Database

from qagrader.core.errors import QAGraderError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import EVALUATIONS, GRADERS
from qagrader.core.storage.migrations import migrations
from qagrader.core.storage.workspace import APPLICATION_ID, Workspace
from tests.samples import SIMPLE_CARD


def _graded(ws: Workspace, grader: str, external_id: str = "T1"):
    interaction = ws.interactions.by_external_id(external_id)
    card = ws.scorecards.get("Simple QA")
    evaluation = ws.evaluations.start(interaction.id, card.id, grader)
    answers = {q.key: Answer("Yes" if q.type == "yes_no" else 3) for q in card.card.questions}
    ws.evaluations.save(evaluation.id, answers)
    return ws.evaluations.submit(evaluation.id)


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "team.qagrader")
    workspace.scorecards.import_json(json.dumps(SIMPLE_CARD))
    for n in (1, 2, 3):
        with workspace.transaction() as conn:
            conn.execute("INSERT INTO interactions (uuid, external_id, channel, created_at, updated_at) "
                         "VALUES (?, ?, 'phone', 'x', 'x')", (f"u{n}", f"T{n}"))
    yield workspace
    workspace.close()


def test_an_older_workspace_gets_one_grader_row_per_person(tmp_path):
    path = tmp_path / "old.qagrader"
    db = Database(path)
    migrations.apply(db, stop_before="0004_graders")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 3")
    conn = db.conn
    conn.execute("INSERT INTO interactions (id, uuid, external_id, channel, created_at, updated_at) "
                 "VALUES (1, 'u', 'T1', 'phone', 'x', 'x')")
    conn.execute("INSERT INTO scorecards (id, uuid, family_uuid, name, version, definition, created_at, updated_at) "
                 "VALUES (1, 's', 'f', 'Card', 1, '{}', 'x', 'x')")
    for n, grader in enumerate(["Ana", "ana", " Bo ", "Ana"], 1):
        conn.execute("INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader, status, answers, "
                     "created_at, updated_at) VALUES (?, ?, 1, 1, ?, 'submitted', '{}', 'x', 'x')",
                     (n, f"e{n}", grader))
    conn.execute("INSERT INTO evaluation_history (evaluation_id, saved_at, snapshot) VALUES "
                 "(1, 't', ?), (2, 't', ?)", (json.dumps({"answers": {}, "edited_by": "Cleo"}),
                                             json.dumps({"answers": {}})))
    conn.commit()
    db.close()

    with Workspace.open(path) as ws:
        assert [g.name for g in ws.graders.list()] == ["Ana", "Bo", "Cleo"]
        names = dict(ws.conn.execute("SELECT e.uuid, g.name FROM evaluations e JOIN graders g ON g.id = e.grader_id"))
        assert names == {"e1": "Ana", "e2": "Ana", "e3": "Bo", "e4": "Ana"}
        assert [s["edited_by"] for _, s in ws.evaluations.history(1)] == ["Cleo"]
        assert [s["edited_by"] for _, s in ws.evaluations.history(2)] == ["Ana"]  # default: the grader
        uuids = [r[0] for r in ws.conn.execute("SELECT uuid FROM evaluation_history")]
        assert len(set(uuids)) == 2 and all(uuids)
        with pytest.raises(sqlite3.IntegrityError, match="needs a grader"), ws.transaction() as conn:
            conn.execute("UPDATE evaluations SET grader_id = NULL WHERE id = 1")
    assert len(list(tmp_path.glob("old.before-migration-*.qagrader"))) == 1


def test_grading_creates_the_grader_once_whatever_the_spelling(ws):
    first = _graded(ws, "Priya Raman")
    second = _graded(ws, "  priya   RAMAN ", "T2")
    assert first.grader_id == second.grader_id
    assert [g.name for g in ws.graders.list()] == ["Priya Raman"]
    assert ws.graders.list()[0].evaluations == 2


def test_rename_renames_everywhere_and_reports_the_change(ws):
    evaluation = _graded(ws, "Tom")
    ws.evaluations.save(evaluation.id, overall_comment="edited", editor="Lead")
    tom = ws.graders.find("tom")
    _, changes = ws.apply(lambda w: w.graders.rename(tom, "Tom Becker"))
    assert changes.touches(GRADERS, EVALUATIONS)
    assert ws.evaluations.get(evaluation.id).grader == "Tom Becker"
    lead = ws.graders.find("Lead")
    ws.graders.rename(lead, "Lee Park")
    assert ws.evaluations.history(evaluation.id)[0][1]["edited_by"] == "Lee Park"
    with pytest.raises(QAGraderError, match="already exists; merge"):
        ws.graders.rename(tom, "lee park")
    with pytest.raises(QAGraderError, match="cannot be empty"):
        ws.graders.rename(tom, "   ")


def test_two_spellings_of_one_person_are_merged(ws):
    a = _graded(ws, "Sam Whitfield")
    b = _graded(ws, "Sam Whitfeld", "T2")
    ws.evaluations.save(a.id, overall_comment="second look", editor="Sam Whitfeld")
    keep, duplicate = ws.graders.find("Sam Whitfield"), ws.graders.find("Sam Whitfeld")
    assert ws.graders.merge(keep, duplicate) == 1
    assert ws.graders.find("Sam Whitfeld") is None
    assert {ws.evaluations.get(a.id).grader, ws.evaluations.get(b.id).grader} == {"Sam Whitfield"}
    assert ws.evaluations.history(a.id)[0][1]["edited_by"] == "Sam Whitfield"
    with pytest.raises(QAGraderError, match="two different"):
        ws.graders.merge(keep, keep)


def test_email_is_checked(ws):
    grader = ws.graders.ensure("Ana")
    ws.graders.set_email(grader, " ana@example.com ")
    assert ws.graders.get(grader).email == "ana@example.com"
    with pytest.raises(QAGraderError, match="not an email address"):
        ws.graders.set_email(grader, "ana at example")
    assert ws.graders.get(grader).email == "ana@example.com"


def test_registering_who_grades_is_one_transaction(ws):
    before = [g.name for g in ws.graders.list()]
    with pytest.raises(QAGraderError, match="not an email address"):
        ws.graders.register("Bea", "bea at example")
    assert [g.name for g in ws.graders.list()] == before  # no grader left without the email it came with
    grader = ws.graders.register("Bea", " bea@example.com ")
    assert ws.graders.get(grader).email == "bea@example.com"
    assert ws.graders.register("bea") == grader  # any case, and no email leaves the stored one alone
    assert ws.graders.get(grader).email == "bea@example.com"
