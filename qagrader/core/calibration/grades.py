"""The grades a calibration session's results are computed from: every submitted calibration
grade of a current item by a current grader, answer by answer. Only closed sessions' grades are
read (`results_visible`): an open session's answers stay hidden."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..scorecards.model import Scorecard
from .grading import results_visible
from .sessions import CalibrationError, CalibrationSession

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

NA = "N/A"


@dataclass(frozen=True)
class CalibrationGrade:
    """One grader's submitted grade of one item of a session."""

    interaction_id: int
    external_id: str
    grader: str
    answers: Mapping[str, str | int | None]  # per question key: a label, a scale number, `NA`, or None
    score: float | None  # the evaluation's score (0..100)
    skills: Mapping[str, float]  # skill scores (0..1), as the analysis sees them


@dataclass(frozen=True)
class SessionGrades:
    session: CalibrationSession
    card: Scorecard
    grades: tuple[CalibrationGrade, ...]


def session_grades(ws: "Workspace", sessions: Sequence[CalibrationSession]) -> list[SessionGrades]:
    """The answers of each of `sessions` (all closed, or `CalibrationError`)."""
    hidden = [s for s in sessions if not results_visible(s)]
    if hidden:
        raise CalibrationError(f"Session '{hidden[0].label}' is still open: its answers stay hidden until the "
                               "lead closes it.")
    out = []
    for session in sessions:
        card = ws.scorecards.get_by_id(session.scorecard_id).card
        rows = ws.conn.execute(
            """SELECT e.id, e.interaction_id, i.external_id, g.name, e.answers, e.score,
                      (SELECT json_group_object(skill, score) FROM evaluation_skills WHERE evaluation_id = e.id)
               FROM calibration_grades k JOIN evaluations e ON e.id = k.evaluation_id
               JOIN interactions i ON i.id = e.interaction_id JOIN graders g ON g.id = e.grader_id
               JOIN calibration_items ci ON ci.session_id = k.session_id AND ci.interaction_id = e.interaction_id
                    AND ci.removed = 0
               JOIN calibration_members m ON m.session_id = k.session_id AND m.grader_id = e.grader_id
                    AND m.removed = 0
               WHERE k.session_id = ? AND e.status = 'submitted' AND e.scorecard_id = ?
               ORDER BY ci.position, i.id, g.name COLLATE NOCASE, e.id""",
            (session.id, session.scorecard_id)).fetchall()
        grades = []
        seen: set[tuple[int, str]] = set()
        for _id, interaction_id, external_id, grader, stored, score, skills in rows:
            if (interaction_id, grader) in seen:  # one grade per grader and item (the first)
                continue
            seen.add((interaction_id, grader))
            given = json.loads(stored)
            answers = {q.key: _answer(given.get(q.key)) for q in card.questions}
            grades.append(CalibrationGrade(interaction_id, external_id, grader, answers, score, json.loads(skills)))
        out.append(SessionGrades(session, card, tuple(grades)))
    return out


def _answer(stored: Mapping | None) -> str | int | None:
    if not stored:
        return None
    return NA if stored.get("na") else stored.get("value")
