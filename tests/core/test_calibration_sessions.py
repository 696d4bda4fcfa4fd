"""Calibration sessions on real workspace files: the lifecycle, blind grading, what stays out of
agent scores, the analysis and exports, the migration of earlier calibration grades, and
sessions travelling between graders' workspaces by merge."""

from __future__ import annotations

import csv
import json
import uuid

import pytest
from sqlite_utils import Database

from qagrader.analysis.dataset import load_score_frame
from qagrader.analysis.frames import load_skill_frame
from qagrader.core.browsing.browser import fetch_rows
from qagrader.core.browsing.sql import BrowseFilters
from qagrader.core.calibration.grading import open_tasks, own_grade, save_calibration_grade
from qagrader.core.calibration.sampling import sample_interactions
from qagrader.core.calibration.sessions import CalibrationError
from qagrader.core.errors import NotFound, QAGraderError
from qagrader.core.exporting.csv_export import export_evaluations
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.merging.merge import merge_workspace
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import CALIBRATION_SESSIONS, EVALUATIONS
from qagrader.core.storage.migrations import EARLIER_CALIBRATION_NAMESPACE
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import ALL_YES, add_interaction, clock_past, copy_of, grade, team_workspace

GRADERS = ("Priya Raman", "Tom Becker")
LEAD = "Lee Park"


@pytest.fixture
def lead(tmp_path):
    ws = team_workspace(tmp_path / "lead.qagrader")
    yield ws
    ws.close()


def ids(ws: Workspace, *external_ids: str) -> list[int]:
    return [ws.interactions.by_external_id(e).id for e in external_ids]


def new_session(ws: Workspace, name: str = "March calibration", items=("T1", "T2", "T3"), *,
                benchmark: str | None = LEAD) -> int:
    return ws.calibration.create(name, ws.scorecards.get("Simple QA").id, interaction_ids=ids(ws, *items),
                                 graders=GRADERS, benchmark=benchmark, held_on="2026-03-12")


def grade_session(ws: Workspace, session_id: int, grader: str, answers=None, items=("T1", "T2", "T3")) -> None:
    for interaction_id in ids(ws, *items):
        save_calibration_grade(ws, session_id, interaction_id, grader, answers or ALL_YES, submit=True)


# --------------------------------------------------------------------------------- lifecycle

def test_a_session_is_created_listed_changed_closed_and_reopened(lead):
    lead.take_changes()
    session_id = new_session(lead)
    changes = lead.take_changes()
    assert changes.ids_of(CALIBRATION_SESSIONS) == {session_id}
    session = lead.calibration.get(session_id)
    assert (session.name, session.held_on, session.scorecard, session.status) == (
        "March calibration", "2026-03-12", "Simple QA v1", "open")
    assert session.graders == (LEAD, "Priya Raman", "Tom Becker")  # the benchmark takes part
    assert (session.benchmark, session.items, session.expected, session.submitted) == (LEAD, 3, 9, 0)
    assert [i.external_id for i in lead.calibration.items(session_id)] == ["T1", "T2", "T3"]

    assert lead.calibration.add_items(session_id, ids(lead, "T4", "T1")) == 1
    assert lead.calibration.remove_items(session_id, ids(lead, "T2")) == 1
    assert [i.external_id for i in lead.calibration.items(session_id)] == ["T1", "T3", "T4"]
    assert lead.calibration.add_items(session_id, ids(lead, "T2")) == 1  # comes back at its place
    assert [i.external_id for i in lead.calibration.items(session_id)] == ["T1", "T2", "T3", "T4"]
    lead.calibration.set_graders(session_id, ["Priya Raman", "Sam Whitfield"], benchmark=None)
    session = lead.calibration.get(session_id)
    assert (session.graders, session.benchmark) == (("Priya Raman", "Sam Whitfield"), None)
    lead.calibration.edit(session_id, name="  March   round ", held_on="2026-03-13", notes="tone guideline")
    assert lead.calibration.find("march round").held_on == "2026-03-13"

    lead.calibration.close(session_id)
    closed = lead.calibration.get(session_id)
    assert closed.closed and closed.closed_at
    with pytest.raises(CalibrationError, match="is closed; reopen it to add interactions"):
        lead.calibration.add_items(session_id, ids(lead, "T4"))
    with pytest.raises(CalibrationError, match="closed"):
        lead.calibration.set_graders(session_id, GRADERS, benchmark=None)
    lead.calibration.reopen(session_id)
    assert lead.calibration.get(session_id).status == "open" and lead.calibration.get(session_id).closed_at is None

    lead.calibration.delete(session_id)
    assert lead.calibration.list() == []
    with pytest.raises(NotFound):
        lead.calibration.get(session_id)


def test_sessions_refuse_what_a_lead_would_not_mean(lead):
    card = lead.scorecards.get("Simple QA").id
    new_session(lead)
    with pytest.raises(CalibrationError, match="already exists"):
        lead.calibration.create("march CALIBRATION", card)
    with pytest.raises(CalibrationError, match="Give the calibration session a name"):
        lead.calibration.create("   ", card)
    with pytest.raises(CalibrationError, match=r"The session name contains the control character U\+0007 \(bell\)"):
        lead.calibration.create("April\x07", card)
    with pytest.raises(CalibrationError, match="The session name is 201 characters long; at most 200"):
        lead.calibration.create("x" * 201, card)
    with pytest.raises(CalibrationError, match="'31/03/2026' is not a date"):
        lead.calibration.create("April", card, held_on="31/03/2026")
    with pytest.raises(NotFound, match="No interaction with id 999"):
        lead.calibration.create("April", card, interaction_ids=[999])
    before = len(lead.calibration.list())
    chat_only = lead.scorecards.import_json(json.dumps({
        "name": "Chat only", "channels": ["chat"],
        "sections": [{"name": "S", "questions": [{"key": "q", "text": "Q", "type": "yes_no"}]}]})).scorecard
    with pytest.raises(CalibrationError, match="T1 is a phone interaction; scorecard 'Chat only v1' grades chat"):
        lead.calibration.create("Chat round", chat_only.id, interaction_ids=ids(lead, "T1"))
    assert len(lead.calibration.list()) == before  # nothing was written
    with pytest.raises(QAGraderError, match="used by 1 calibration session"):
        lead.scorecards.delete("Simple QA")


def test_sessions_with_one_name_from_two_workspaces_are_told_apart(lead, tmp_path):
    other = copy_of(lead, tmp_path / "other.qagrader")
    new_session(lead)
    other.calibration.create("March calibration", other.scorecards.get("Simple QA").id, held_on="2026-03-20")
    other.close()
    merge_workspace(lead, tmp_path / "other.qagrader")
    labels = [s.label for s in lead.calibration.list()]
    assert labels == ["March calibration (Simple QA v1, 2026-03-20)", "March calibration (Simple QA v1, 2026-03-12)"]
    with pytest.raises(CalibrationError, match="2 calibration sessions are named 'March calibration'"):
        lead.calibration.find("march calibration")
    assert lead.calibration.find(labels[1]).held_on == "2026-03-12"
    with pytest.raises(NotFound, match="No calibration session named 'May'"):
        lead.calibration.find("May")


def test_a_random_sample_by_filters(lead):
    for n in range(5, 25):
        add_interaction(lead, f"T{n}", agent="Kwame Asante", team="Digital Care")
    drawn = sample_interactions(lead, BrowseFilters(agent="Kwame Asante"), 6, seed=3)
    assert len(drawn) == len(set(drawn)) == 6
    assert {lead.interactions.get(i).agent for i in drawn} == {"Kwame Asante"}
    assert drawn == sample_interactions(lead, BrowseFilters(agent="Kwame Asante"), 6, seed=3)
    assert len(sample_interactions(lead, BrowseFilters(agent="Maya Patel"), 50)) == 4
    with pytest.raises(CalibrationError, match="No interaction matches"):
        sample_interactions(lead, BrowseFilters(agent="Nobody"), 3)


# ------------------------------------------------------------------------------ blind grading

def test_graders_grade_blind_and_only_while_open(lead):
    session_id = new_session(lead)
    t1 = ids(lead, "T1")[0]
    lead.take_changes()
    draft = save_calibration_grade(lead, session_id, t1, "Priya Raman", {"empathy": Answer("No")})
    changes = lead.take_changes()
    assert draft.calibration and not draft.submitted
    assert changes.ids_of(EVALUATIONS) == {draft.id} and changes.ids_of(CALIBRATION_SESSIONS) == {session_id}
    again = save_calibration_grade(lead, session_id, t1, "Priya Raman", {**ALL_YES, "empathy": Answer("No")},
                                   submit=True)
    assert again.id == draft.id and again.submitted
    with pytest.raises(QAGraderError, match="still unanswered"):
        save_calibration_grade(lead, session_id, ids(lead, "T2")[0], "Tom Becker", {"tone": Answer(3)}, submit=True)
    assert own_grade(lead, session_id, ids(lead, "T2")[0], "Tom Becker") is None  # nothing saved

    # each grader sees only their own grade, and their own open items
    assert own_grade(lead, session_id, t1, "Priya Raman").id == draft.id
    assert own_grade(lead, session_id, t1, "Tom Becker") is None
    tasks = open_tasks(lead, "Priya Raman")
    assert [t.external_id for t in tasks] == ["T2", "T3"] and tasks[0].session == "March calibration"
    assert [t.external_id for t in open_tasks(lead, "Tom Becker")] == ["T1", "T2", "T3"]
    assert open_tasks(lead, "Sam Whitfield") == [] and open_tasks(lead, "") == []

    with pytest.raises(CalibrationError, match="Sam Whitfield does not take part in session 'March calibration'"):
        save_calibration_grade(lead, session_id, t1, "Sam Whitfield", ALL_YES)
    with pytest.raises(CalibrationError, match="not in session"):
        save_calibration_grade(lead, session_id, ids(lead, "T4")[0], "Tom Becker", ALL_YES)
    lead.calibration.close(session_id)
    with pytest.raises(CalibrationError, match="is closed; its grades can no longer change"):
        save_calibration_grade(lead, session_id, t1, "Priya Raman", ALL_YES)
    assert open_tasks(lead, "Tom Becker") == []


def test_one_interaction_in_two_sessions_keeps_two_grades(lead):
    first = new_session(lead, "First")
    second = new_session(lead, "Second")
    t1 = ids(lead, "T1")[0]
    a = save_calibration_grade(lead, first, t1, "Priya Raman", ALL_YES, submit=True)
    b = save_calibration_grade(lead, second, t1, "Priya Raman", {**ALL_YES, "tone": Answer(2)})
    assert a.id != b.id and own_grade(lead, first, t1, "Priya Raman").answers["tone"] == Answer(5)
    assert lead.calibration.get(first).submitted == 1 and lead.calibration.get(second).submitted == 0


def test_calibration_grades_stay_out_of_scores_analysis_browser_and_default_exports(lead, tmp_path):
    grade(lead, "T4", "Priya Raman")  # one ordinary grade
    session_id = new_session(lead)
    for grader in (*GRADERS, LEAD):
        grade_session(lead, session_id, grader, {**ALL_YES, "tone": Answer(1)})
    assert lead.counts()["submitted"] == 1
    assert len(load_skill_frame(lead)) == 1 and len(load_score_frame(lead)) == 1
    t1 = ids(lead, "T1")[0]
    assert (fetch_rows(lead.conn, [t1])[t1].state, fetch_rows(lead.conn, [t1])[t1].grader) == ("ungraded", None)

    def exported(**options) -> list[dict]:
        out = tmp_path / "out.csv"
        export_evaluations(lead, out, **options)
        with out.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    assert [r["calibration"] for r in exported()] == ["0"]
    assert exported(include_calibration=True)[1:] == []  # the session is open: its answers stay hidden
    lead.calibration.close(session_id)
    rows = exported(include_calibration=True)
    assert len(rows) == 10 and sum(r["calibration"] == "1" for r in rows) == 9
    assert len(exported(include_calibration=True, shape="long")) == 30


def test_merging_two_spellings_of_a_grader_keeps_their_sessions(lead):
    session_id = new_session(lead)
    other = lead.calibration.create("Other", lead.scorecards.get("Simple QA").id, graders=["priya  raman2"],
                                    benchmark="priya  raman2")
    keep, duplicate = lead.graders.find("Priya Raman"), lead.graders.find("priya raman2")
    lead.graders.merge(keep, duplicate)
    assert lead.calibration.get(session_id).graders == (LEAD, "Priya Raman", "Tom Becker")
    assert (lead.calibration.get(other).graders, lead.calibration.get(other).benchmark) == (
        ("Priya Raman",), "Priya Raman")


# --------------------------------------------------------------------------------- migration

def test_earlier_calibration_grades_become_one_closed_session_per_scorecard_version(tmp_path):
    # Calibration grades as the previous version made them (no session), in a schema-6 file.
    with Workspace.open(tmp_path / "build.qagrader") as ws:
        ws.scorecards.import_json(json.dumps({"name": "Simple QA", "channels": ["phone"], "sections": [
            {"name": "S", "questions": [{"key": "empathy", "text": "E", "type": "yes_no"}]}]}))
        v1 = ws.scorecards.get("Simple QA")
        for external_id in ("T1", "T2"):
            add_interaction(ws, external_id)
        for grader in ("Priya Raman", "Tom Becker"):
            for interaction_id in ids(ws, "T1", "T2"):
                e = ws.evaluations.start(interaction_id, v1.id, grader, calibration=True)
                ws.evaluations.save(e.id, {"empathy": Answer("Yes")})
                ws.evaluations.submit(e.id)
        grade(ws, "T1", "Priya Raman", {"empathy": Answer("No")})
    old = Database(tmp_path / "build.qagrader")
    for table in ("calibration_grades", "calibration_members", "calibration_items", "calibration_sessions"):
        old.execute(f"DROP TABLE {table}")
    old.execute("DELETE FROM _sqlite_migrations WHERE name = '0007_calibration'")
    old.execute("PRAGMA user_version = 6")
    old.conn.commit()
    old.close()

    with Workspace.open(tmp_path / "build.qagrader") as ws:
        sessions = ws.calibration.list()
        assert len(sessions) == 1
        session = sessions[0]
        assert (session.name, session.status, session.items, session.graders, session.submitted) == (
            "Earlier calibration", "closed", 2, ("Priya Raman", "Tom Becker"), 4)
        assert session.uuid == str(uuid.uuid5(EARLIER_CALIBRATION_NAMESPACE,
                                              ws.scorecards.get("Simple QA").uuid))
        assert ws.counts()["submitted"] == 1
        assert len(list(tmp_path.glob("build.before-migration-*"))) == 1


# ------------------------------------------------------------------------------------ merging

def test_two_graders_grade_a_session_in_their_own_workspaces_and_the_lead_sees_both(lead, tmp_path):
    session_id = new_session(lead)
    session_uuid = lead.calibration.get(session_id).uuid
    priya = copy_of(lead, tmp_path / "priya.qagrader")
    tom = copy_of(lead, tmp_path / "tom.qagrader")
    grade_session(lead, session_id, LEAD)
    grade_session(priya, priya.calibration.find(session_uuid).id, "Priya Raman")
    grade_session(tom, tom.calibration.find(session_uuid).id, "Tom Becker", {**ALL_YES, "tone": Answer(3)})
    priya.close()
    tom.close()

    lead.take_changes()
    report = merge_workspace(lead, tmp_path / "priya.qagrader")
    assert report.added == {"evaluations": 3}
    assert lead.take_changes().ids_of(CALIBRATION_SESSIONS) == {session_id}
    merge_workspace(lead, tmp_path / "tom.qagrader")
    session = lead.calibration.get(session_id)
    assert session.submitted == session.expected == 9
    assert [i.graded_by for i in lead.calibration.items(session_id)] == [(LEAD, "Priya Raman", "Tom Becker")] * 3
    assert lead.counts()["submitted"] == 0  # still out of the ordinary counts
    before = fingerprint(lead.conn)
    assert not merge_workspace(lead, tmp_path / "tom.qagrader").changed
    assert fingerprint(lead.conn) == before


def test_session_changes_travel_both_ways_and_both_sides_end_alike(lead, tmp_path):
    session_id = new_session(lead)
    uuid = lead.calibration.get(session_id).uuid
    priya = copy_of(lead, tmp_path / "priya.qagrader")
    priya_session = priya.calibration.find(uuid).id
    grade_session(priya, priya_session, "Priya Raman", items=("T1",))
    stamp = priya.calibration.get(priya_session).updated_at
    clock_past(stamp)
    # the lead, later: drops T2 and Tom, adds T4, closes the session
    lead.calibration.remove_items(session_id, ids(lead, "T2"))
    lead.calibration.add_items(session_id, ids(lead, "T4"))
    lead.calibration.set_graders(session_id, ["Priya Raman"], benchmark=LEAD)
    lead.calibration.close(session_id)
    lead.close()
    priya.close()

    with Workspace.open(tmp_path / "lead.qagrader") as a, Workspace.open(tmp_path / "priya.qagrader") as b:
        to_b = merge_workspace(b, tmp_path / "lead.qagrader")
        merge_workspace(a, tmp_path / "priya.qagrader")
        assert to_b.updated == {"calibration_sessions": 1, "calibration_items": 1, "calibration_members": 1}
        assert "1 calibration session" in to_b.summary()
        assert fingerprint(a.conn) == fingerprint(b.conn)
        for ws in (a, b):
            session = ws.calibration.find(uuid)
            assert session.closed and session.graders == (LEAD, "Priya Raman")
            assert [i.external_id for i in ws.calibration.items(session.id)] == ["T1", "T3", "T4"]
            assert session.submitted == 1
        assert not merge_workspace(a, tmp_path / "priya.qagrader").changed
        assert not merge_workspace(b, tmp_path / "lead.qagrader").changed
