"""The demo's calibration: a monthly session per scorecard in turn, in which every QA specialist
grades the same interactions, and this week's session still open.

Each grader grades what happened in the interaction as they grade everything in the demo (their
leniency and error, `build.GRADER_STYLE`), and besides reads some questions one step off: each
question has an ambiguity (rapport & personalisation and authenticity are hard to judge,
verification and data protection are not), larger for Sam Whitfield, the newest, who gets
closer to the others session by session. So the results show skills whose graders disagree
(alpha below 0.667), a lenient and a strict grader, and a trend.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from ..scorecards.model import NO, YES, Question, Scorecard
from ..scorecards.scoring import Answer, score
from ..storage import writers
from .cases import Case

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

# How often a grader reads a question one step off the interaction's answer (before the
# grader's own noise); questions not listed: `USUAL_AMBIGUITY`.
AMBIGUITY: dict[str, float] = {
    "rapport": 0.15, "authenticity": 0.08, "empathy": 0.03, "friendly_tone": 0.03, "writing": 0.02,
}
USUAL_AMBIGUITY = 0.0
# How much more often than usual a grader reads a question off, session by session (default 1).
SESSION_AMBIGUITY: dict[str, tuple[float, ...]] = {"Priya Raman": (0.5,), "Sam Whitfield": (2.5, 1.8, 1.3, 1.1)}


@dataclass(frozen=True)
class DemoSession:
    name: str
    day_before_end: int  # held this many days before the demo's last day
    channel: str
    items: int
    benchmark: str | None
    closed: bool = True


SESSIONS: tuple[DemoSession, ...] = (
    DemoSession("August calibration", 63, "phone", 12, "Priya Raman"),
    DemoSession("September calibration", 35, "chat", 12, None),
    DemoSession("October calibration", 14, "email", 12, "Priya Raman"),
    DemoSession("This week's calibration", 1, "phone", 6, "Priya Raman", closed=False),
)
# In the open session: how many items each grader has submitted (the rest not started).
OPEN_SUBMITTED = {"Tom Becker": 6, "Lucía Ortega": 3, "Priya Raman": 2, "Sam Whitfield": 0}


def insert_calibration(ws: "Workspace", cases: Sequence[Case], *, cards: Mapping[str, Scorecard],
                       card_ids: Mapping[str, int], graders: Sequence[str],
                       read: Callable[[Scorecard, Mapping, str], dict[str, Answer]], rng: random.Random,
                       new_uuid: Callable[[], str], end: date) -> int:
    """Write the demo's sessions and their grades inside the open transaction; the number of
    calibration grades. `read(card, case.seen, grader)` is how a grader grades what happened."""
    grader_ids = dict(ws.conn.execute("SELECT name, id FROM graders"))
    used: set[int] = set()
    count = 0
    for number, plan in enumerate(SESSIONS):
        day = _weekday(end - timedelta(days=plan.day_before_end))
        held = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
        pool = [c for c in cases if c.channel == plan.channel and c.status == "submitted" and c.id not in used
                and 3 <= (day - c.occurred.date()).days <= 40]
        chosen = sorted(_varied(pool, plan.items, rng), key=lambda c: c.occurred)
        used.update(c.id for c in chosen)
        stamp = _ts(held - timedelta(days=3))
        session_id = writers.insert_session(
            ws, name=plan.name, held_on=day.isoformat(), scorecard_id=card_ids[plan.channel],
            benchmark_grader_id=grader_ids[plan.benchmark] if plan.benchmark else None,
            notes=_NOTES.get(plan.channel, ""), uuid=new_uuid(), now=stamp)
        writers.set_session_members(ws, session_id, [grader_ids[g] for g in graders], now=stamp)
        writers.add_session_items(ws, session_id, [c.id for c in chosen], now=stamp)
        card = cards[plan.channel]
        next_id = ws.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluations").fetchone()[0]
        grades: list[tuple] = []
        skills: list[tuple] = []
        for grader in graders:
            factors = SESSION_AMBIGUITY.get(grader, (1.0,))
            factor = factors[min(number, len(factors) - 1)]
            done = len(chosen) if plan.closed else OPEN_SUBMITTED.get(grader, 0)
            for position, case in enumerate(chosen[:done]):
                answers = misread(card, read(card, case.seen, grader), factor, rng)
                result = score(card, answers)
                begun = held + timedelta(minutes=12 * position + rng.randint(0, 20))
                finished = _ts(begun + timedelta(minutes=rng.randint(5, 14)))
                evaluation_id = next_id + len(grades)
                grades.append((evaluation_id, new_uuid(), case.id, card_ids[plan.channel], grader_ids[grader],
                               "submitted", json.dumps({k: a.to_json() for k, a in answers.items()},
                                                       ensure_ascii=False), "",
                               result.total, int(result.auto_failed), json.dumps(list(result.auto_fail_reasons)),
                               1, _ts(begun), finished, finished, 1))  # calibration, always blind
                skills.extend((evaluation_id, skill, value) for skill, value in result.skills.items())
        writers.insert_evaluations(ws, grades, skills)
        writers.link_calibration_grades(ws, session_id, [g[0] for g in grades])
        count += len(grades)
        if plan.closed:
            closed_at = _ts(held + timedelta(days=2))
            writers.update_session(ws, session_id, status="closed", closed_at=closed_at, now=closed_at)
    return count


_NOTES = {"phone": "Monthly calibration on phone calls; Priya leads.",
          "chat": "Chat calibration; no benchmark, the team's consensus decides.",
          "email": "Email calibration; Priya leads."}


def misread(card: Scorecard, answers: Mapping[str, Answer], noise: float, rng: random.Random) -> dict[str, Answer]:
    """`answers` with each question read one step off (either way) with probability `AMBIGUITY x
    noise`, and now and then N/A given or missed where the question allows it."""
    out: dict[str, Answer] = {}
    for q in card.questions:
        answer = answers[q.key]
        chance = AMBIGUITY.get(q.key, USUAL_AMBIGUITY) * noise
        if q.allow_na and rng.random() < 0.01 * noise:
            out[q.key] = Answer(_labels(q)[-1], False) if answer.na else Answer(None, True)
            continue
        if answer.na or rng.random() >= chance:
            out[q.key] = answer
            continue
        labels = _labels(q)
        index = labels.index(answer.value)
        step = rng.choice((-1, 1))
        moved = index + step if 0 <= index + step < len(labels) else index - step
        out[q.key] = Answer(labels[moved], False)
    return out


def _labels(q: Question) -> tuple[str | int, ...]:
    """Possible answers, worst first."""
    if q.type == "scale":
        return tuple(range(q.min or 0, (q.max or 0) + 1))
    if q.type == "yes_no":
        return (NO, YES)
    return tuple(o.label for o in sorted(q.options, key=lambda o: o.points))


def _varied(pool: Sequence[Case], count: int, rng: random.Random) -> list[Case]:
    """`count` cases, half of them among the lower-scoring third (as a lead picks interactions
    with something to discuss), the rest at random."""
    ranked = sorted(pool, key=lambda c: (c.result.total if c.result.total is not None else 0.0, c.id))
    low = rng.sample(ranked[: len(ranked) // 3], min(count // 2, len(ranked) // 3))
    rest = [c for c in pool if c not in low]
    return low + rng.sample(rest, min(count - len(low), len(rest)))


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
