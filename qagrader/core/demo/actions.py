"""The demo's disputes and coaching notes, so that every screen has something to show.

The QA lead (`LEAD`) enters the agents' disputes of low grades, mostly of the questions that are
hard to judge (rapport & personalisation, authenticity, empathy); those of the last week are
still open, the others were resolved a few days later: accepted (re-graded, with the answer
before kept in the evaluation's history) a third of the time, more often for the newest grader,
else rejected with a reason (always when the transcript shows the grade was right). The lead also coached most agents on their weakest skill (the
furthest below everyone's) in the first half of the twelve weeks, with a follow-up four weeks later: most were followed up, some
are still due.

Deterministic: everything derives from the demo's random source and fixed dates, like the rest
of the demo.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from ..grading.evaluations import answers_json
from ..scorecards.model import Question
from ..scorecards.scoring import Answer, answer_fraction, score
from ..storage import writers

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

LEAD = "Morgan Hayes"
DISPUTE_SHARE = 0.06  # of the submitted grades below 80
OPEN_DAYS = 7  # disputes raised in the demo's last week are still open
HARD_TO_JUDGE = {"rapport": 5.0, "authenticity": 4.0, "empathy": 3.0, "friendly_tone": 2.0}
IN_TRANSCRIPT = {"empathy", "negative_tone"}  # the demo's transcripts show these: their grades stand
ACCEPT_RATE = {"Sam Whitfield": 0.55}
USUAL_ACCEPT_RATE = 0.3
REASONS = (
    "I did acknowledge how the customer felt, right at the start of the call.",
    "The customer was happy with the tone; please listen to the end.",
    "I used the customer's name twice.",
    "Company policy says to do it this way for this order type.",
    "The information I gave was correct at the time.",
    "I was asked to keep the call short because of the queue.",
    "The customer interrupted me before I could finish.",
    "I offered an alternative in my second reply.",
)
REJECTIONS = (
    "Listened again: the guideline was not met.",
    "The grade follows the guideline; let's go through it together.",
    "Not visible in the transcript.",
)
ACCEPTANCES = (
    "Listened again: the agent is right.",
    "Borderline case; benefit of the doubt per the guideline.",
    "Missed it on the first listen.",
)
AGREEMENTS = (
    "Practise naming the customer's feeling before solving; listen to two calls together next week.",
    "Use the checklist before closing; role-play the hand-over.",
    "Slow down at the start of the call and confirm the customer's name.",
    "Read the order history before answering; ask one clarifying question.",
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")


def insert_actions(ws: "Workspace", *, rng: random.Random, new_uuid: Callable[[], str], start: date,
                   end: date) -> dict[str, int]:
    """Disputes and coaching notes for the demo's grades (see the module docstring); how many
    of each."""
    made = _stamp(datetime.combine(start - timedelta(days=28), datetime.min.time()).replace(hour=9))
    lead_uuid = new_uuid()  # drawn whether or not the lead exists: one seed, one workspace
    lead = ws.graders.find(LEAD) or writers.insert_graders(ws, [LEAD], uuids=[lead_uuid], now=made)[LEAD]
    return {"disputes": _disputes(ws, lead, rng, new_uuid, end),
            "coaching_notes": _coaching(ws, lead, rng, new_uuid, start, end)}


def _disputes(ws: "Workspace", lead: int, rng: random.Random, new_uuid: Callable[[], str], end: date) -> int:
    rows = ws.conn.execute(
        """SELECT e.id, e.interaction_id, e.scorecard_id, e.answers, e.overall_comment, e.score, e.auto_failed,
                  e.submitted_at, g.name
           FROM evaluations e JOIN graders g ON g.id = e.grader_id
           WHERE e.status = 'submitted' AND e.calibration = 0 AND e.score < 80 ORDER BY e.id""").fetchall()
    last = datetime.combine(end, datetime.min.time()).replace(hour=17)
    count = 0
    for evaluation_id, interaction_id, card_id, answers, comment, total, auto_failed, submitted, grader in rows:
        if rng.random() >= DISPUTE_SHARE:
            continue
        card = ws.scorecards.get_by_id(card_id).card
        current = {k: Answer.from_json(v) for k, v in json.loads(answers).items()}
        failed = [q for q in card.questions if _failed(q, current.get(q.key))]
        if not failed:
            continue
        question = rng.choices(failed, weights=[HARD_TO_JUDGE.get(q.key, 1.0) for q in failed])[0]
        raised = _moment(submitted) + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
        if raised > last:
            continue
        uuid = new_uuid()
        values = dict(evaluation_id=evaluation_id, question_key=question.key, reason=rng.choice(REASONS),
                      raised_by=lead, raised_at=_stamp(raised))
        resolved = raised + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        if (end - raised.date()).days < OPEN_DAYS or resolved > last:
            writers.insert_dispute(ws, uuid=uuid, now=_stamp(raised), status="open", **values)
        elif question.key not in IN_TRANSCRIPT and rng.random() < ACCEPT_RATE.get(grader, USUAL_ACCEPT_RATE):
            why = rng.choice(ACCEPTANCES)
            entry = new_uuid()
            new_answers = {**current, question.key: Answer(_best(question), False, current[question.key].comment)}
            result = score(card, new_answers)
            snapshot = writers.history_snapshot(
                answers={k: a.to_json() for k, a in current.items()}, overall_comment=comment, score=total,
                auto_failed=bool(auto_failed), updated_at=submitted, reason=why, dispute=uuid)
            writers.add_history(ws, [(entry, evaluation_id, _stamp(resolved), snapshot, lead)])
            writers.update_evaluation(
                ws, evaluation_id, interaction_id, answers=answers_json(new_answers), overall_comment=comment,
                score=result.total, auto_failed=result.auto_failed,
                auto_fail_reasons=json.dumps(list(result.auto_fail_reasons)), status="submitted",
                updated_at=_stamp(resolved), submitted_at=submitted, skills=result.skills)
            writers.insert_dispute(ws, uuid=uuid, now=_stamp(resolved), created_at=_stamp(raised), status="accepted",
                                   resolved_by=lead, resolved_at=_stamp(resolved), resolution=why,
                                   regrade_uuid=entry, **values)
        else:
            writers.insert_dispute(ws, uuid=uuid, now=_stamp(resolved), created_at=_stamp(raised), status="rejected",
                                   resolved_by=lead, resolved_at=_stamp(resolved), resolution=rng.choice(REJECTIONS),
                                   **values)
        count += 1
    return count


def _failed(question: Question, answer: Answer | None) -> bool:
    if answer is None or answer.na or answer.value is None:
        return False
    return answer_fraction(question, answer.value)[0] < 1.0


def _best(question: Question) -> str | int:
    if question.type == "yes_no":
        return "Yes"
    if question.type == "scale":
        return question.max  # type: ignore[return-value]
    return max(question.options, key=lambda o: o.points).label


def _coaching(ws: "Workspace", lead: int, rng: random.Random, new_uuid: Callable[[], str], start: date,
              end: date) -> int:
    middle = start + (end - start) / 2
    weakest = ws.conn.execute(  # each agent's skill furthest below everyone's mean, in the first half
        """WITH graded AS (
               SELECT i.agent_id, k.skill, k.score FROM evaluation_skills k
               JOIN evaluations e ON e.id = k.evaluation_id JOIN interactions i ON i.id = e.interaction_id
               WHERE e.status = 'submitted' AND e.calibration = 0 AND i.agent_id IS NOT NULL
                 AND substr(i.occurred_at, 1, 10) < ?),
           everyone AS (SELECT skill, avg(score) AS mean FROM graded GROUP BY skill),
           gaps AS (SELECT g.agent_id, g.skill, avg(g.score) - w.mean AS gap FROM graded g
                    JOIN everyone w ON w.skill = g.skill GROUP BY g.agent_id, g.skill)
           SELECT agent_id, skill FROM (
               SELECT agent_id, skill, row_number() OVER (PARTITION BY agent_id ORDER BY gap, skill) AS place
               FROM gaps)
           WHERE place = 1 ORDER BY agent_id""", (middle.isoformat(),)).fetchall()
    count = 0
    for agent_id, skill in weakest:
        if count and rng.random() >= 0.7:  # the first agent always: every demo shows a note
            continue
        day = start + timedelta(weeks=3, days=rng.randint(0, 35))
        day += timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
        follow_up = day + timedelta(weeks=4)
        done = follow_up <= end - timedelta(days=3) and rng.random() < 0.75
        when = _stamp(datetime.combine(day, datetime.min.time()).replace(hour=rng.randint(9, 16)))
        followed = datetime.combine(follow_up, datetime.min.time()).replace(hour=15)
        writers.insert_coaching_note(
            ws, uuid=new_uuid(), now=_stamp(followed) if done else when, created_at=when, agent_id=agent_id,
            coach_id=lead, coached_on=day.isoformat(), skills=json.dumps([skill]), agreed=rng.choice(AGREEMENTS),
            follow_up_on=follow_up.isoformat(), followed_up_on=follow_up.isoformat() if done else None,
            follow_up_note="Went through three recent calls together; on track." if done else "")
        count += 1
    return count
