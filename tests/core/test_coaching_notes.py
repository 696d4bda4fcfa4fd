"""Coaching notes on real workspace files: adding, editing, follow-ups due and done, deletion,
what is refused, agents and graders merged with their notes; and "did it work?": the before/after
numbers of a planted agent against a hand computation, the difference's interval against scipy
and Newcombe's published examples."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from qagrader.analysis.coaching_follow_up import (
    COMPARED, NOT_YET, TOO_FEW_AFTER, TOO_FEW_BEFORE, before_after, describe_row, newcombe_difference,
    note_follow_up, priority_note, welch_difference,
)
from qagrader.analysis.frames import load_skill_frame
from qagrader.core.coaching.notes import end_of_week
from qagrader.core.errors import CoachingError, EvaluationError, NotFound
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import COACHING_NOTES
from qagrader.core.storage.records import new_uuid, utc_now
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import grade
from tests.samples import SIMPLE_CARD

COACHED = date(2026, 3, 16)


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.open(tmp_path / "w.qagrader")
    ws.scorecards.import_json(json.dumps(SIMPLE_CARD))
    yield ws
    ws.close()


def agent_id(ws: Workspace, name: str = "Maya Patel", team: str = "Phone") -> int:
    return ws.interactions.ensure_agent(name, team)


def graded_on(ws: Workspace, day: date, agent: str, empathy: str, tone: int, *, grader: str = "Priya Raman"):
    """An interaction of `agent` on `day`, graded (submitted) with these answers."""
    external_id = f"{agent[:4]}-{day}-{new_uuid()[:8]}"
    agent_key = agent_id(ws, agent)
    now = utc_now()
    with ws.transaction() as conn:
        conn.execute(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, occurred_at, csat_raw,
               csat_scale, csat_norm, satisfied, created_at, updated_at)
               VALUES (?, ?, 'phone', ?, (SELECT team_id FROM agents WHERE id = ?), ?, '4', '1-5', 0.75, 1, ?, ?)""",
            (new_uuid(), external_id, agent_key, agent_key, f"{day}T10:00:00", now, now))
    return grade(ws, external_id, grader, {"empathy": Answer(empathy), "tone": Answer(tone), "accuracy": Answer("Yes")})


# --------------------------------------------------------------------------- the notes

def test_a_note_lists_on_its_agent_with_a_follow_up_in_four_weeks(ws):
    maya = agent_id(ws)
    ws.take_changes()
    note = ws.coaching.add(maya, coach="Lee Park", skills=["empathy", "Friendly tone", "EMPATHY"],
                           agreed="Name the customer's feeling before solving", coached_on="2026-03-16")
    assert ws.take_changes().ids_of(COACHING_NOTES) == {note.id}
    assert note.skills == ("Empathy", "Friendly tone")  # the scorecards' spelling, once each
    assert (note.agent, note.team, note.coach) == ("Maya Patel", "Phone", "Lee Park")
    assert (note.coached_on, note.follow_up_on, note.follow_up_done) == ("2026-03-16", "2026-04-13", False)
    assert [n.id for n in ws.coaching.for_agent(maya)] == [note.id]
    assert ws.coaching.for_agent(agent_id(ws, "Kwame Asante")) == []


def test_due_follow_ups_are_those_up_to_the_end_of_the_week_not_done(ws):
    maya, kwame, ana = agent_id(ws), agent_id(ws, "Kwame Asante", "Email"), agent_id(ws, "Ana Lima")
    monday = date(2026, 3, 16)
    assert end_of_week(monday) == date(2026, 3, 22) and end_of_week(date(2026, 3, 22)) == date(2026, 3, 22)
    overdue = ws.coaching.add(maya, coach="Lee", skills=["Empathy"], coached_on="2026-02-01", follow_up_on="2026-03-01")
    this_week = ws.coaching.add(kwame, coach="Lee", skills=["Accuracy"], coached_on="2026-02-20",
                                follow_up_on="2026-03-20")
    next_week = ws.coaching.add(ana, coach="Lee", skills=["Accuracy"], coached_on="2026-02-20",
                                follow_up_on="2026-03-25")
    ws.coaching.add(ana, coach="Lee", skills=["Empathy"], coached_on="2026-02-20", follow_up_on=None)
    done = ws.coaching.add(ana, coach="Lee", skills=["Empathy"], coached_on="2026-02-10", follow_up_on="2026-03-10")
    ws.coaching.complete_follow_up(done.id, on="2026-03-11", note="Acknowledges feelings now")
    due = ws.coaching.due(end_of_week(monday))
    assert [n.id for n in due] == [overdue.id, this_week.id]
    assert due[0].overdue(monday) and not due[1].overdue(monday)
    assert [n.id for n in ws.coaching.due(end_of_week(monday), teams=["email"])] == [this_week.id]
    assert next_week.id in {n.id for n in ws.coaching.due(date(2026, 3, 29))}
    finished = ws.coaching.get(done.id)
    assert (finished.followed_up_on, finished.follow_up_note, finished.follow_up_done) == (
        "2026-03-11", "Acknowledges feelings now", True)
    ws.coaching.reopen_follow_up(done.id)
    assert done.id in {n.id for n in ws.coaching.due(end_of_week(monday))}


def test_editing_and_deleting_a_note(ws):
    maya = agent_id(ws)
    evaluation = graded_on(ws, date(2026, 3, 10), "Maya Patel", "No", 2)
    note = ws.coaching.add(maya, coach="Lee", skills=["Empathy"], coached_on="2026-03-16")
    edited = ws.coaching.update(note.id, skills=["Accuracy"], agreed="Check the order first", coach="Sam",
                                evaluations=[evaluation.uuid], follow_up_on="2026-04-01")
    assert (edited.skills, edited.agreed, edited.coach, edited.evaluations, edited.follow_up_on) == (
        ("Accuracy",), "Check the order first", "Sam", (evaluation.uuid,), "2026-04-01")
    assert edited.updated_at > note.updated_at
    assert ws.coaching.update(note.id, follow_up_on=None).follow_up_on is None
    ws.take_changes()
    ws.coaching.delete(note.id)
    assert ws.take_changes().ids_of(COACHING_NOTES) == {note.id}
    assert ws.coaching.for_agent(maya) == [] and ws.coaching.list() == []
    with pytest.raises(NotFound):
        ws.coaching.get(note.id)


@pytest.mark.parametrize("case", ["no skill", "unknown skill", "follow-up before coaching", "not a date",
                                  "evaluation of another agent", "unknown evaluation", "control character",
                                  "no agent"])
def test_refused_notes_change_nothing(ws, case):
    maya = agent_id(ws)
    other = graded_on(ws, date(2026, 3, 1), "Kwame Asante", "Yes", 5)
    before = fingerprint(ws.conn)
    arguments = dict(coach="Lee", skills=["Empathy"], coached_on="2026-03-16")
    target, expected, message = maya, CoachingError, ""
    if case == "no skill":
        arguments["skills"], message = [" "], "needs at least one skill"
    elif case == "unknown skill":
        arguments["skills"], message = ["Empaty"], "Skill 'Empaty' is not on any scorecard; choose one of: Accuracy"
    elif case == "follow-up before coaching":
        arguments["follow_up_on"], message = "2026-03-01", "before the coaching date"
    elif case == "not a date":
        arguments["coached_on"], message = "16/03/2026", "The coaching date: '16/03/2026' is not a date"
    elif case == "evaluation of another agent":
        arguments["evaluations"], message = [other.uuid], "of another agent's interaction"
    elif case == "unknown evaluation":
        arguments["evaluations"], message = ["nope"], "'nope' is not a submitted evaluation"
    elif case == "control character":
        arguments["agreed"], message, expected = "ok\x1b[31m", "control character U\\+001B", EvaluationError
    else:
        target, message, expected = 999, "No agent with id 999", NotFound
    with pytest.raises(expected, match=message):
        ws.coaching.add(target, **arguments)
    assert fingerprint(ws.conn) == before


def test_merging_agents_and_graders_keeps_their_notes(ws):
    maya, duplicate = agent_id(ws), agent_id(ws, "Maya Patell")
    note = ws.coaching.add(duplicate, coach="lee park", skills=["Empathy"])
    ws.interactions.merge_agents("Maya Patel", "Maya Patell")
    ws.graders.ensure("Lee Park (lead)")
    ws.graders.merge(ws.graders.find("Lee Park (lead)"), ws.graders.find("lee park"))
    moved = ws.coaching.get(note.id)
    assert (moved.agent_id, moved.agent, moved.coach) == (maya, "Maya Patel", "Lee Park (lead)")


# ------------------------------------------------------------------------ did it work?

def planted_agent(ws: Workspace) -> None:
    """Maya's grades around a coaching on 2026-03-16 (four weeks: 02-16..03-15 and 03-17..04-13)."""
    before = [("Yes", 2), ("No", 3), ("Yes", 3), ("No", 2), ("Yes", 4), ("Yes", 3), ("No", 1), ("Yes", 3),
              ("No", 2), ("Yes", 4)]
    after = [("Yes", 4), ("Yes", 5), ("Yes", 3), ("No", 4), ("Yes", 5), ("Yes", 4), ("Yes", 4), ("Yes", 5)]
    for i, (empathy, tone) in enumerate(before):
        graded_on(ws, date(2026, 2, 16) + timedelta(days=2 * i), "Maya Patel", empathy, tone)
    for i, (empathy, tone) in enumerate(after):
        graded_on(ws, date(2026, 3, 17) + timedelta(days=3 * i), "Maya Patel", empathy, tone)
    # outside the windows, on the coaching day, or another agent's: never counted
    graded_on(ws, date(2026, 2, 15), "Maya Patel", "No", 1)
    graded_on(ws, COACHED, "Maya Patel", "No", 1)
    graded_on(ws, date(2026, 4, 14), "Maya Patel", "No", 1)
    graded_on(ws, date(2026, 3, 20), "Kwame Asante", "No", 1)


def test_before_and_after_numbers_match_a_hand_computation(ws):
    planted_agent(ws)
    note = ws.coaching.add(agent_id(ws), coach="Lee", skills=["Empathy", "Friendly tone", "Accuracy"],
                           coached_on=COACHED)
    table = note_follow_up(ws, note, weeks=4, today=date(2026, 5, 1)).set_index("skill")

    empathy = table.loc["Empathy"]
    assert (empathy["measure"], empathy["status"]) == ("pass rate", COMPARED)
    assert (empathy["before_n"], empathy["after_n"]) == (10, 8)
    assert empathy["before"] == pytest.approx(6 / 10) and empathy["after"] == pytest.approx(7 / 8)
    assert empathy["difference"] == pytest.approx(7 / 8 - 6 / 10)
    # Newcombe's interval from the two Wilson intervals that scipy computes
    (l1, u1), (l2, u2) = (stats.binomtest(k, n).proportion_ci(method="wilson") for k, n in ((7, 8), (6, 10)))
    d = 7 / 8 - 6 / 10
    assert empathy["ci_low"] == pytest.approx(d - np.hypot(7 / 8 - l1, u2 - 6 / 10), abs=1e-9)
    assert empathy["ci_high"] == pytest.approx(d + np.hypot(u1 - 7 / 8, 6 / 10 - l2), abs=1e-9)
    assert empathy["direction"] == "no clear change" and empathy["ci_low"] < 0 < empathy["ci_high"]

    tone = table.loc["Friendly tone"]
    before = np.array([2, 3, 3, 2, 4, 3, 1, 3, 2, 4]) - 1
    after = np.array([4, 5, 3, 4, 5, 4, 4, 5]) - 1
    assert tone["measure"] == "mean" and (tone["before_n"], tone["after_n"]) == (10, 8)
    assert tone["before"] == pytest.approx(before.mean() / 4) and tone["after"] == pytest.approx(after.mean() / 4)
    welch = stats.ttest_ind(after / 4, before / 4, equal_var=False).confidence_interval()
    assert (tone["ci_low"], tone["ci_high"]) == pytest.approx((welch.low, welch.high))
    assert tone["difference"] == pytest.approx(after.mean() / 4 - before.mean() / 4)
    assert tone["direction"] == "better" and tone["ci_low"] > 0

    accuracy = table.loc["Accuracy"]  # always met: no spread, a difference of 0 and no interval to claim
    assert (accuracy["measure"], accuracy["difference"], accuracy["direction"]) == ("pass rate", 0.0,
                                                                                    "no clear change")
    assert "percentage points" in describe_row(table.reset_index().iloc[0])


def test_too_few_grades_after_says_not_enough_grades_yet(ws):
    planted_agent(ws)
    frame = load_skill_frame(ws)
    maya = frame[frame["agent"] == "Maya Patel"]
    so_far = maya[maya["occurred_at"] < "2026-03-21"]  # on 03-25, two grades after the coaching
    row = before_after(so_far, COACHED, ["Empathy"], today=date(2026, 3, 25)).iloc[0]
    assert (row["before_n"], row["after_n"], row["status"], row["direction"]) == (10, 2, NOT_YET, "")
    assert np.isnan(row["difference"]) and "not enough grades yet" in describe_row(row)
    late = before_after(so_far, COACHED, ["Empathy"], today=date(2026, 6, 1)).iloc[0]
    assert late["status"] == TOO_FEW_AFTER  # the four weeks are over: no more will come
    nothing_before = before_after(maya, date(2026, 2, 17), ["Empathy"], today=date(2026, 6, 1)).iloc[0]
    assert nothing_before["status"] == TOO_FEW_BEFORE and nothing_before["before_n"] == 2
    unknown = before_after(maya, COACHED, ["Never graded"], today=date(2026, 6, 1)).iloc[0]
    assert (unknown["before_n"], unknown["after_n"], unknown["status"]) == (0, 0, TOO_FEW_BEFORE)


@pytest.mark.parametrize("counts, expected", [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
])
def test_newcombe_interval_matches_the_published_examples(counts, expected):
    d, low, high = newcombe_difference(*counts)
    assert d == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (round(low, 4), round(high, 4)) == expected


def test_the_difference_intervals_cover_as_they_claim_in_simulation():
    rng = np.random.default_rng(11)
    hits_rate = hits_mean = 0
    runs = 2000
    for _ in range(runs):
        before, after = rng.random(15) < 0.6, rng.random(12) < 0.8
        _, low, high = newcombe_difference(after.sum(), after.size, before.sum(), before.size)
        hits_rate += low <= 0.2 <= high
        b, a = rng.normal(0.5, 0.2, 15), rng.normal(0.6, 0.1, 12)
        _, low, high = welch_difference(a, b)
        hits_mean += low <= 0.1 <= high
    assert 0.93 <= hits_rate / runs <= 0.98 and 0.93 <= hits_mean / runs <= 0.97


def test_a_priority_becomes_a_note_text_worded_as_an_association():
    row = {"skill": "Empathy", "polarity": "positive", "rate": 0.55, "team_rate": 0.8, "n": 40,
           "compared_with": "rest of team", "priority_points": 0.12}
    text = priority_note(row)
    assert text.startswith("Focus on Empathy; met in 55% of 40 graded interactions (rest of team: 80%)")
    assert "+0.12 CSAT points" in text and "association, not a promise" in text
    negative = priority_note({**row, "skill": "Negative tone", "polarity": "negative", "rate": 0.2,
                              "team_rate": 0.05, "priority_points": float("nan")})
    assert "happened in 20%" in negative and "CSAT" not in negative

