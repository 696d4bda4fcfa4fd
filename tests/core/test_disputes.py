"""Disputes on real workspace files: the lifecycle with the evaluation's history, what is
refused (and leaves everything as it was), the list's filters, the current answers in the
analysis, dispute counts per grader and question, and graders merged with their disputes."""

from __future__ import annotations

import json

import pytest

from qagrader.analysis.frames import load_skill_frame
from qagrader.core.disputes.counts import counts_by_grader, counts_by_question
from qagrader.core.disputes.store import ACCEPTED, OPEN, REJECTED, DisputeFilters
from qagrader.core.errors import DisputeError, EvaluationError, NotFound
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import DISPUTES, EVALUATIONS, INTERACTIONS
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import ALL_YES, add_interaction, grade
from tests.samples import SIMPLE_CARD

NO_EMPATHY = {**ALL_YES, "empathy": Answer("No")}


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.open(tmp_path / "w.qagrader")
    ws.scorecards.import_json(json.dumps(SIMPLE_CARD))
    for external_id, agent in (("T1", "Maya Patel"), ("T2", "Maya Patel"), ("T3", "Kwame Asante")):
        add_interaction(ws, external_id, agent=agent)
    yield ws
    ws.close()


def state(ws: Workspace) -> tuple:
    """Everything a refused operation must leave as it was."""
    return (fingerprint(ws.conn),
            ws.conn.execute("SELECT count(*) FROM evaluation_history").fetchone()[0],
            ws.conn.execute("SELECT * FROM disputes ORDER BY id").fetchall())


def test_a_dispute_accepted_regrades_the_evaluation_with_who_when_and_why(ws):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    score_before = evaluation.score
    ws.take_changes()

    dispute = ws.disputes.create(evaluation.id, "I acknowledged her frustration at 2:30", raised_by="Lee Park",
                                 question_key="empathy")
    assert dispute.status == OPEN and dispute.is_open
    assert (dispute.agent, dispute.grader, dispute.raised_by) == ("Maya Patel", "Priya Raman", "Lee Park")
    assert dispute.question_text == "Acknowledged feelings" and dispute.about == "'Acknowledged feelings'"
    assert ws.take_changes().ids_of(DISPUTES) == {dispute.id}
    assert ws.disputes.open_count() == 1

    accepted = ws.disputes.accept(dispute.id, {"empathy": Answer("Yes")}, by="Lee Park",
                                  reason="Heard it at 2:30: clear acknowledgement")
    changes = ws.take_changes()
    assert changes.ids_of(DISPUTES) == {dispute.id} and changes.ids_of(EVALUATIONS) == {evaluation.id}
    assert changes.ids_of(INTERACTIONS) == {evaluation.interaction_id}
    assert (accepted.status, accepted.resolved_by, accepted.resolution) == (
        ACCEPTED, "Lee Park", "Heard it at 2:30: clear acknowledgement")
    assert accepted.resolved_at >= accepted.raised_at

    now = ws.evaluations.get(evaluation.id)
    assert now.answers["empathy"] == Answer("Yes") and now.score == 100.0 and score_before < 100
    (saved_at, snapshot), = ws.evaluations.history(evaluation.id)
    assert snapshot["edited_by"] == "Lee Park" and dispute.raised_at <= saved_at <= accepted.resolved_at
    assert snapshot["reason"] == "Heard it at 2:30: clear acknowledgement"
    assert snapshot["dispute"] == dispute.uuid
    assert snapshot["answers"]["empathy"]["value"] == "No" and snapshot["score"] == score_before
    entry = ws.conn.execute("SELECT uuid FROM evaluation_history WHERE evaluation_id = ?", (evaluation.id,)).fetchone()
    assert accepted.regrade_uuid == entry[0]
    assert ws.disputes.answer_before(accepted) == Answer("No")
    assert ws.disputes.open_count() == 0

    # the analysis reads the current answers: Empathy is now met
    frame = load_skill_frame(ws)
    assert frame["Empathy"].tolist() == [1.0]
    skill = ws.conn.execute("SELECT score FROM evaluation_skills WHERE evaluation_id = ? AND skill = 'Empathy'",
                            (evaluation.id,)).fetchone()[0]
    assert skill == 1.0


def test_an_accept_without_a_reason_keeps_the_agents_reason_in_the_history(ws):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    dispute = ws.disputes.create(evaluation.id, "Empathy was there", raised_by="Lee Park")
    assert dispute.question_key is None and dispute.about == "the whole evaluation"
    ws.disputes.accept(dispute.id, {"empathy": Answer("Yes"), "tone": Answer(4)}, by="Sam Whitfield")
    (_, snapshot), = ws.evaluations.history(evaluation.id)
    assert snapshot["reason"] == "Dispute accepted: Empathy was there"
    assert snapshot["edited_by"] == "Sam Whitfield"
    assert ws.evaluations.get(evaluation.id).answers["tone"] == Answer(4)


def test_a_rejected_dispute_needs_a_reason_and_leaves_the_grade(ws):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    dispute = ws.disputes.create(evaluation.id, "Not fair", raised_by="Lee Park", question_key="empathy")
    before = state(ws)
    with pytest.raises(DisputeError, match="reason for rejecting cannot be empty"):
        ws.disputes.reject(dispute.id, by="Lee Park", reason="  ")
    assert state(ws) == before
    rejected = ws.disputes.reject(dispute.id, by="Lee Park", reason="No acknowledgement anywhere in the call")
    assert (rejected.status, rejected.resolution, rejected.regrade_uuid) == (
        REJECTED, "No acknowledgement anywhere in the call", None)
    assert ws.evaluations.get(evaluation.id).answers["empathy"] == Answer("No")
    assert ws.evaluations.history(evaluation.id) == []
    assert ws.disputes.answer_before(rejected) is None
    with pytest.raises(DisputeError, match="already rejected .* by Lee Park"):
        ws.disputes.accept(dispute.id, {"empathy": Answer("Yes")}, by="Lee Park")
    # once resolved, the same question can be disputed again
    again = ws.disputes.create(evaluation.id, "Please listen again at 4:10", raised_by="Lee Park",
                               question_key="empathy")
    assert again.is_open and [d.id for d in ws.disputes.for_evaluation(evaluation.id)] == [dispute.id, again.id]


@pytest.mark.parametrize("case", ["draft", "calibration", "unknown question", "empty reason", "control character",
                                  "second open dispute", "no evaluation"])
def test_refused_disputes_change_nothing(ws, case):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    ws.disputes.create(evaluation.id, "First", raised_by="Lee Park", question_key="tone")
    draft = ws.evaluations.start(ws.interactions.by_external_id("T2").id, evaluation.scorecard_id, "Priya Raman")
    calibration = ws.evaluations.start(ws.interactions.by_external_id("T3").id, evaluation.scorecard_id, "Tom",
                                       calibration=True)
    ws.evaluations.save(calibration.id, ALL_YES)
    ws.evaluations.submit(calibration.id)
    before = state(ws)
    target, reason, key = evaluation.id, "The agent's reason", "empathy"
    expected: type[Exception] = DisputeError
    if case == "draft":
        target, message = draft.id, "still a draft"
    elif case == "calibration":
        target, message = calibration.id, "calibration grade cannot be disputed"
    elif case == "unknown question":
        key, message = "greeting", "Question 'greeting' is not on this evaluation's scorecard"
    elif case == "empty reason":
        reason, message = " \n ", "The agent's reason cannot be empty"
    elif case == "control character":
        reason, message, expected = "bad\x07text", "control character U\\+0007", EvaluationError
    elif case == "second open dispute":
        key, message = "tone", "'Friendly tone' already has an open dispute"
    else:
        target, message, expected = 999, "No evaluation with id 999", NotFound
    with pytest.raises(expected, match=message):
        ws.disputes.create(target, reason, raised_by="Lee Park", question_key=key)
    assert state(ws) == before


def test_an_accept_that_changes_nothing_or_cannot_be_saved_changes_nothing(ws):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    dispute = ws.disputes.create(evaluation.id, "Wrong", raised_by="Lee Park", question_key="empathy")
    before = state(ws)
    with pytest.raises(DisputeError, match="changes no answer"):
        ws.disputes.accept(dispute.id, {"empathy": Answer("no")}, by="Lee Park")  # the same answer, spelt otherwise
    with pytest.raises(EvaluationError, match="'empathy'"):
        ws.disputes.accept(dispute.id, {"empathy": Answer("Maybe")}, by="Lee Park")
    with pytest.raises(EvaluationError, match="needs every answer"):
        ws.disputes.accept(dispute.id, {"empathy": Answer("Yes"), "tone": Answer()}, by="Lee Park")
    assert state(ws) == before and ws.disputes.get(dispute.id).is_open


def test_the_list_filters_by_status_agent_grader_and_scorecard(ws):
    other_card = {**SIMPLE_CARD, "name": "Email QA"}
    ws.scorecards.import_json(json.dumps(other_card))
    first = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    second = grade(ws, "T2", "Tom Becker", NO_EMPATHY)
    third = grade(ws, "T3", "Priya Raman", NO_EMPATHY, card="Email QA")
    a = ws.disputes.create(first.id, "a", raised_by="Lee Park", question_key="empathy")
    b = ws.disputes.create(second.id, "b", raised_by="Lee Park")
    c = ws.disputes.create(third.id, "c", raised_by="Lee Park", question_key="accuracy")
    ws.disputes.reject(b.id, by="Lee Park", reason="no")

    def ids(**filters) -> set[int]:
        return {d.id for d in ws.disputes.list(DisputeFilters(**filters))}

    assert ids() == {a.id, b.id, c.id}
    assert [d.id for d in ws.disputes.list()][-1] == b.id  # open ones first
    assert ids(statuses=("open",)) == {a.id, c.id} and ids(statuses=("rejected",)) == {b.id}
    assert ids(agents=("maya patel",)) == {a.id, b.id} and ids(agents=("Kwame Asante",)) == {c.id}
    assert ids(graders=("PRIYA RAMAN",)) == {a.id, c.id}
    assert ids(scorecards=("Email QA",)) == {c.id} and ids(teams=("Phone",)) == {a.id, b.id, c.id}
    assert ids(statuses=("open",), graders=("Priya Raman",), scorecards=("Simple QA",)) == {a.id}
    today = a.raised_at[:10]
    assert ids(raised_from=today, raised_to=today) == {a.id, b.id, c.id} and ids(raised_to="2000-01-01") == set()
    with pytest.raises(DisputeError, match="'closed' is not a dispute status"):
        ws.disputes.list(DisputeFilters(statuses=("closed",)))


def test_dispute_counts_per_grader_and_question(ws):
    for external_id in ("T4", "T5", "T6", "T7"):
        add_interaction(ws, external_id)
    priya = [grade(ws, t, "Priya Raman", NO_EMPATHY) for t in ("T1", "T2", "T3", "T4")]
    tom = [grade(ws, t, "Tom Becker") for t in ("T5", "T6", "T7")]
    ws.disputes.accept(ws.disputes.create(priya[0].id, "x", raised_by="Lee", question_key="empathy").id,
                       {"empathy": Answer("Yes")}, by="Lee")
    ws.disputes.reject(ws.disputes.create(priya[1].id, "x", raised_by="Lee", question_key="empathy").id,
                       by="Lee", reason="no")
    ws.disputes.create(priya[1].id, "y", raised_by="Lee", question_key="tone")  # a second dispute, same grade
    ws.disputes.create(tom[0].id, "z", raised_by="Lee")  # the whole evaluation: no question counted

    graders = {c.grader: c for c in counts_by_grader(ws)}
    assert (graders["Priya Raman"].evaluations, graders["Priya Raman"].disputed) == (4, 2)
    assert (graders["Priya Raman"].accepted, graders["Priya Raman"].rejected, graders["Priya Raman"].open) == (1, 1, 1)
    assert (graders["Tom Becker"].evaluations, graders["Tom Becker"].disputed, graders["Tom Becker"].open) == (3, 1, 1)
    assert "Lee" not in graders  # raised and resolved disputes, graded nothing

    questions = {c.question_key: c for c in counts_by_question(ws)}
    assert set(questions) == {"empathy", "tone", "accuracy"}
    assert (questions["empathy"].evaluations, questions["empathy"].disputed, questions["empathy"].accepted,
            questions["empathy"].rejected) == (7, 2, 1, 1)
    assert (questions["tone"].disputed, questions["tone"].open, questions["accuracy"].disputed) == (1, 1, 0)
    assert questions["empathy"].question_text == "Acknowledged feelings" and questions["empathy"].scorecard == "Simple QA"
    assert counts_by_grader(ws, graded_to="2000-01-01") == []


def test_merging_two_spellings_of_a_grader_keeps_their_disputes(ws):
    evaluation = grade(ws, "T1", "Priya Raman", NO_EMPATHY)
    dispute = ws.disputes.create(evaluation.id, "x", raised_by="lee park")
    ws.disputes.reject(dispute.id, by="lee park", reason="no")
    ws.graders.ensure("Lee Park (lead)")
    keep, duplicate = ws.graders.find("Lee Park (lead)"), ws.graders.find("lee park")
    ws.take_changes()
    ws.graders.merge(keep, duplicate)
    assert ws.take_changes().ids_of(DISPUTES) == {dispute.id}
    moved = ws.disputes.get(dispute.id)
    assert (moved.raised_by, moved.resolved_by) == ("Lee Park (lead)", "Lee Park (lead)")
