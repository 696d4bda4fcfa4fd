"""How often grades are disputed, per grader and per question: the counts behind the dispute
rates (`analysis/dispute_rates.py` adds the intervals).

The denominator is the submitted, non-calibration evaluations graded in the period (by
submission time); the numerators are the disputes raised on those evaluations, by status. A
question's evaluations are those on a scorecard version that has the question (its key), per
scorecard name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..errors import QAGraderError

if TYPE_CHECKING:
    from ..storage.workspace import Workspace


@dataclass(frozen=True)
class DisputeCount:
    """One grader's or one question's grades and their disputes."""

    grader: str | None  # per grader
    scorecard: str | None  # per question: the scorecard's name and the question
    question_key: str | None
    question_text: str | None
    evaluations: int
    disputed: int  # evaluations with at least one dispute (of the question, per question)
    accepted: int  # disputes accepted (the grade was changed)
    rejected: int
    open: int


def _period(graded_from: str | None, graded_to: str | None) -> tuple[str, list]:
    where, params = "e.status = 'submitted' AND e.calibration = 0", []
    if graded_from:
        where += " AND substr(coalesce(e.submitted_at, e.updated_at), 1, 10) >= ?"
        params.append(_day(graded_from, "The start of the period"))
    if graded_to:
        where += " AND substr(coalesce(e.submitted_at, e.updated_at), 1, 10) <= ?"
        params.append(_day(graded_to, "The end of the period"))
    return where, params


def _day(value: object, what: str) -> str:
    """``YYYY-MM-DD`` of a date or its text, or `QAGraderError` (a wrong day would silently
    count nothing, or everything)."""
    text = str(value).strip()[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise QAGraderError(f"{what}: '{value}' is not a date (expected YYYY-MM-DD).") from None


def counts_by_grader(ws: "Workspace", graded_from: str | None = None,
                     graded_to: str | None = None) -> list[DisputeCount]:
    """Per grader with evaluations in the period: evaluations, disputed evaluations, and
    disputes by status; by name."""
    where, params = _period(graded_from, graded_to)
    rows = ws.conn.execute(
        f"""SELECT g.name, count(*),
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM disputes d WHERE d.evaluation_id = e.id)),
                   coalesce(sum((SELECT count(*) FROM disputes d WHERE d.evaluation_id = e.id
                                 AND d.status = 'accepted')), 0),
                   coalesce(sum((SELECT count(*) FROM disputes d WHERE d.evaluation_id = e.id
                                 AND d.status = 'rejected')), 0),
                   coalesce(sum((SELECT count(*) FROM disputes d WHERE d.evaluation_id = e.id
                                 AND d.status = 'open')), 0)
            FROM evaluations e JOIN graders g ON g.id = e.grader_id
            WHERE {where} GROUP BY g.id ORDER BY g.name COLLATE NOCASE""", params).fetchall()
    return [DisputeCount(name, None, None, None, *counts) for name, *counts in rows]


def counts_by_question(ws: "Workspace", graded_from: str | None = None,
                       graded_to: str | None = None) -> list[DisputeCount]:
    """Per scorecard question with evaluations in the period: evaluations of a version that
    has it, how many of them had a dispute of that question, and those disputes by status;
    by scorecard and question order."""
    where, params = _period(graded_from, graded_to)
    per_version = ws.conn.execute(
        f"SELECT e.scorecard_id, count(*) FROM evaluations e WHERE {where} GROUP BY e.scorecard_id",
        params).fetchall()
    disputes = ws.conn.execute(
        f"""SELECT e.scorecard_id, d.question_key, count(DISTINCT e.id),
                   count(*) FILTER (WHERE d.status = 'accepted'), count(*) FILTER (WHERE d.status = 'rejected'),
                   count(*) FILTER (WHERE d.status = 'open')
            FROM disputes d JOIN evaluations e ON e.id = d.evaluation_id
            WHERE {where} AND d.question_key IS NOT NULL GROUP BY e.scorecard_id, d.question_key""",
        params).fetchall()
    found: dict[tuple[str, str], list] = {}
    for scorecard_id, evaluations in per_version:
        stored = ws.scorecards.get_by_id(scorecard_id)
        for question in stored.card.questions:
            entry = found.setdefault((stored.name, question.key), [question.text, 0, 0, 0, 0, 0])
            entry[1] += evaluations
    for scorecard_id, key, disputed, accepted, rejected, still_open in disputes:
        stored = ws.scorecards.get_by_id(scorecard_id)
        entry = found.get((stored.name, key))
        if entry is not None:
            for index, value in enumerate((disputed, accepted, rejected, still_open), start=2):
                entry[index] += value
    return [DisputeCount(None, card, key, text, *counts)
            for (card, key), (text, *counts) in found.items()]
