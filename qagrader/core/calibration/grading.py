"""Grading a calibration session, blind: a grader sees and writes only their own grades, and
only while the session is open; nobody sees another grader's answers until it is closed (see
`results_visible`), and the grading screen keeps CSAT hidden for session items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..grading.evaluations import Evaluation
from ..scorecards.scoring import Answer, score
from ..storage import writers
from .sessions import CalibrationError, CalibrationSession

if TYPE_CHECKING:
    from ..storage.workspace import Workspace


@dataclass(frozen=True)
class CalibrationTask:
    """One item of an open session that a grader has still to submit."""

    session_id: int
    session: str  # its label
    scorecard_id: int
    interaction_id: int
    external_id: str
    channel: str
    drafted: bool  # the grader has started it


def results_visible(session: CalibrationSession) -> bool:
    """Answers side by side, agreement and alignment are shown once a session is closed."""
    return session.closed


def open_tasks(ws: "Workspace", grader: str) -> list[CalibrationTask]:
    """The items of open sessions that `grader` takes part in and has not submitted, oldest
    session first, in each session's order."""
    grader_id = ws.graders.find(grader) if grader and grader.strip() else None
    if grader_id is None:
        return []
    labels = {s.id: s.label for s in ws.calibration.list()}
    found = ws.conn.execute(
        """SELECT c.id, c.scorecard_id, i.id, i.external_id, i.channel,
                  (SELECT e.status FROM calibration_grades k JOIN evaluations e ON e.id = k.evaluation_id
                   WHERE k.session_id = c.id AND e.interaction_id = i.id AND e.grader_id = m.grader_id
                   ORDER BY e.id DESC LIMIT 1)
           FROM calibration_sessions c
           JOIN calibration_members m ON m.session_id = c.id AND m.removed = 0 AND m.grader_id = ?
           JOIN calibration_items ci ON ci.session_id = c.id AND ci.removed = 0
           JOIN interactions i ON i.id = ci.interaction_id
           WHERE c.status = 'open' AND c.deleted = 0
           ORDER BY c.held_on, c.id, ci.position, i.id""", (grader_id,))
    return [CalibrationTask(sid, labels.get(sid, ""), card, iid, ext, channel, status == "draft")
            for sid, card, iid, ext, channel, status in found if status != "submitted"]


def own_grade(ws: "Workspace", session_id: int, interaction_id: int, grader: str) -> Evaluation | None:
    """`grader`'s calibration grade of an item of a session, or None. Never another grader's."""
    grader_id = ws.graders.find(grader) if grader and grader.strip() else None
    if grader_id is None:
        return None
    row = ws.conn.execute(
        """SELECT e.id FROM calibration_grades k JOIN evaluations e ON e.id = k.evaluation_id
           WHERE k.session_id = ? AND e.interaction_id = ? AND e.grader_id = ? ORDER BY e.id DESC LIMIT 1""",
        (session_id, interaction_id, grader_id)).fetchone()
    return ws.evaluations.get(row[0]) if row else None


def save_calibration_grade(ws: "Workspace", session_id: int, interaction_id: int, grader: str,
                           answers: Mapping[str, Answer], overall_comment: str = "", *,
                           submit: bool = False) -> Evaluation:
    """Save `grader`'s answers to an item of an open session they take part in, in one
    transaction (made on first save; with `submit`, then submitted, refused with nothing saved
    while a question is unanswered). A submitted calibration grade can still be corrected while
    the session is open."""
    with ws.transaction():
        session = _check_taking_part(ws, session_id, interaction_id, grader)
        current = own_grade(ws, session_id, interaction_id, grader)
        if current is None:
            card = ws.scorecards.get_by_id(session.scorecard_id).card
            evaluation_id = writers.insert_evaluation(
                ws, interaction_id=interaction_id, scorecard_id=session.scorecard_id,
                grader_id=ws.graders.find(grader), score=score(card, {}).total, calibration=True,
                blind=True)  # calibration items are always graded with CSAT hidden
            writers.link_calibration_grades(ws, session_id, [evaluation_id])
        else:
            evaluation_id = current.id
        evaluation, _result = ws.evaluations.save(evaluation_id, answers, overall_comment, editor=grader)
        if submit and not evaluation.submitted:
            evaluation = ws.evaluations.submit(evaluation_id)
    return evaluation


def _check_taking_part(ws: "Workspace", session_id: int, interaction_id: int, grader: str) -> CalibrationSession:
    session = ws.calibration.get(session_id)
    if session.closed:
        raise CalibrationError(f"Session '{session.label}' is closed; its grades can no longer change "
                               "(the lead can reopen it).")
    grader_id = ws.graders.find(grader) if grader and grader.strip() else None
    if grader_id is None or not ws.conn.execute(
            "SELECT 1 FROM calibration_members WHERE session_id = ? AND grader_id = ? AND removed = 0",
            (session_id, grader_id)).fetchone():
        raise CalibrationError(f"{grader or 'This grader'} does not take part in session '{session.label}'; "
                               "the lead can add graders to it.")
    if not ws.conn.execute("SELECT 1 FROM calibration_items WHERE session_id = ? AND interaction_id = ? "
                           "AND removed = 0", (session_id, interaction_id)).fetchone():
        raise CalibrationError(f"That interaction is not in session '{session.label}'.")
    return session
