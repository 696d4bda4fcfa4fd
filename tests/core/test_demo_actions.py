"""The demo's disputes and coaching notes: every status, re-grades that are real edits with
history, notes on the agents' weakest skills with follow-ups, all deterministic."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from qagrader.core.demo.actions import IN_TRANSCRIPT, LEAD, OPEN_DAYS
from qagrader.core.demo.build import DEMO_END, WEEKS, build_demo
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    build_demo(path, interactions=1500, seed=4)
    with Workspace.open(path) as ws:
        yield ws


def test_the_demo_has_disputes_of_every_status_entered_by_the_lead(demo):
    disputes = demo.disputes.list()
    statuses = {d.status for d in disputes}
    assert statuses == {"open", "accepted", "rejected"}
    assert {d.raised_by for d in disputes} == {LEAD}
    assert all(d.question_key is not None and d.reason for d in disputes)
    assert all(d.resolved_by == LEAD and d.resolution for d in disputes if not d.is_open)
    assert all(d.score is not None for d in disputes)
    last_week = (DEMO_END - timedelta(days=OPEN_DAYS)).isoformat()
    assert all(d.raised_at[:10] > last_week for d in disputes if d.is_open)
    assert all(d.raised_at[:10] <= DEMO_END.isoformat() for d in disputes)


def test_accepted_demo_disputes_are_regrades_with_history_and_scores_that_add_up(demo):
    accepted = [d for d in demo.disputes.list() if d.status == "accepted"]
    assert accepted
    for dispute in accepted:
        assert dispute.question_key not in IN_TRANSCRIPT
        evaluation = demo.evaluations.get(dispute.evaluation_id)
        before = demo.disputes.answer_before(dispute)
        assert before is not None and before != evaluation.answers[dispute.question_key]
        history = demo.evaluations.history(dispute.evaluation_id)
        (snapshot,) = [s for _, s in history if s.get("dispute") == dispute.uuid]
        assert snapshot["edited_by"] == LEAD and snapshot["reason"] == dispute.resolution
        card = demo.scorecards.get_by_id(evaluation.scorecard_id).card
        assert evaluation.score == pytest.approx(score(card, evaluation.answers).total)
        stored = dict(demo.conn.execute("SELECT skill, score FROM evaluation_skills WHERE evaluation_id = ?",
                                        (evaluation.id,)))
        assert stored == pytest.approx(dict(score(card, evaluation.answers).skills))
        assert snapshot["score"] == pytest.approx(score(card, {k: Answer.from_json(v) for k, v in
                                                               snapshot["answers"].items()}).total)


def test_the_demo_coaches_agents_on_their_weakest_skill_with_follow_ups(demo):
    notes = demo.coaching.list()
    assert len(notes) >= 10 and {n.coach for n in notes} == {LEAD}
    assert any(n.follow_up_done for n in notes) and any(not n.follow_up_done for n in notes)
    for note in notes:
        assert len(note.skills) == 1 and note.agreed and note.follow_up_on > note.coached_on
    first = DEMO_END - timedelta(weeks=WEEKS) + timedelta(days=1)
    start = first + timedelta(days=(7 - first.weekday()) % 7)
    middle = start + (DEMO_END - start) / 2
    agent = notes[0].agent_id

    def means(where: str, params: tuple) -> dict[str, float]:
        return dict(demo.conn.execute(
            f"""SELECT k.skill, avg(k.score) FROM evaluation_skills k JOIN evaluations e ON e.id = k.evaluation_id
                JOIN interactions i ON i.id = e.interaction_id WHERE e.status = 'submitted' AND e.calibration = 0
                AND substr(i.occurred_at, 1, 10) < ? {where} GROUP BY k.skill""", (middle.isoformat(), *params)))

    everyone, own = means("", ()), means("AND i.agent_id = ?", (agent,))
    gaps = {skill: own[skill] - everyone[skill] for skill in own}
    assert notes[0].skills[0] == min(gaps, key=lambda s: (gaps[s], s))


def test_the_demo_actions_are_deterministic(tmp_path):
    def dump(path) -> list:
        with Workspace.open(path) as ws:
            return [ws.conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                    for t in ("disputes", "coaching_notes", "evaluation_history")]

    build_demo(tmp_path / "a.qagrader", interactions=400, seed=9)
    build_demo(tmp_path / "b.qagrader", interactions=400, seed=9)
    assert dump(tmp_path / "a.qagrader") == dump(tmp_path / "b.qagrader")
    assert json.dumps(dump(tmp_path / "a.qagrader"))  # plain values only
