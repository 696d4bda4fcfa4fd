"""Evaluations: drafts saved on every change, submit, edits of submitted grades with history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import EvaluationError, NotFound
from ..input_rules import clean as clean_text
from ..input_rules import text_problem
from ..scorecards.model import Scorecard
from ..scorecards.scoring import Answer, ScoreResult, normalize_value, score
from ..storage import writers
from ..storage.records import new_uuid, utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

DRAFT, SUBMITTED = "draft", "submitted"


@dataclass(frozen=True)
class Evaluation:
    id: int
    uuid: str
    interaction_id: int
    scorecard_id: int
    grader: str
    status: str
    answers: Mapping[str, Answer]
    overall_comment: str
    score: float | None
    auto_failed: bool
    auto_fail_reasons: tuple[str, ...]
    calibration: bool
    created_at: str
    updated_at: str
    submitted_at: str | None
    grader_id: int = 0

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED


_SELECT = ("SELECT e.id, e.uuid, e.interaction_id, e.scorecard_id, g.name, e.status, e.answers, e.overall_comment, "
           "e.score, e.auto_failed, e.auto_fail_reasons, e.calibration, e.created_at, e.updated_at, e.submitted_at, "
           "e.grader_id FROM evaluations e JOIN graders g ON g.id = e.grader_id")


def checked_text(text: str, what: str) -> str:
    """Free text under the input rules (byte-order marks removed; control characters other
    than tab and line breaks refused with `EvaluationError` naming `what`)."""
    text = clean_text(text or "")
    problem = text_problem(text)
    if problem:
        raise EvaluationError(f"{what} {problem}")
    return text


def validate_answers(card: Scorecard, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """Canonical answers for `card`, or `EvaluationError` naming the question at fault."""
    known = {q.key: q for q in card.questions}
    clean: dict[str, Answer] = {}
    for key, answer in answers.items():
        question = known.get(key)
        if question is None:
            raise EvaluationError(f"question '{key}' is not on scorecard '{card.name}'")
        answer = replace(answer, comment=checked_text(answer.comment, f"question '{key}': the comment"))
        if answer.na:
            if not question.allow_na:
                raise EvaluationError(f"question '{key}' does not allow N/A")
            clean[key] = Answer(None, True, answer.comment)
        elif answer.value is None or answer.value == "":
            if answer.comment:
                clean[key] = Answer(None, False, answer.comment)
        else:
            clean[key] = Answer(normalize_value(question, answer.value), False, answer.comment)
    return clean


class Evaluations:
    """Grades of interactions. Each write is one operation (one transaction through the row
    writers, recording the evaluation and its interaction as changed) and recomputes the score."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    def get(self, evaluation_id: int) -> Evaluation:
        row = self._ws.conn.execute(f"{_SELECT} WHERE e.id = ?", (evaluation_id,)).fetchone()
        if row is None:
            raise NotFound(f"No evaluation with id {evaluation_id}.")
        return _evaluation(row)

    def for_interaction(self, interaction_id: int) -> list[Evaluation]:
        rows = self._ws.conn.execute(
            f"{_SELECT} WHERE e.interaction_id = ? ORDER BY e.id", (interaction_id,)
        ).fetchall()
        return [_evaluation(r) for r in rows]

    def latest_draft(self, grader: str) -> Evaluation | None:
        """The grader's most recently saved draft (not calibration), e.g. to reopen after a restart."""
        grader_id = self._ws.graders.find(grader)
        row = None if grader_id is None else self._ws.conn.execute(
            f"{_SELECT} WHERE e.grader_id = ? AND e.status = 'draft' AND e.calibration = 0 "
            "ORDER BY e.updated_at DESC LIMIT 1", (grader_id,)).fetchone()
        return None if row is None else _evaluation(row)

    def start(self, interaction_id: int, scorecard_id: int, grader: str, *, calibration: bool = False,
              blind: bool | None = None) -> Evaluation:
        """The grader's open draft of this interaction on this scorecard, or a new empty one.
        `blind`: whether the grader works with the customer's CSAT hidden (recorded, see
        `record_blind`; None = not known)."""
        grader = clean_text(grader)
        if not grader.strip():
            raise EvaluationError("Enter your name as grader before grading.")
        problem = text_problem(grader.strip(), name=True)
        if problem:
            raise EvaluationError(f"The grader's name {problem}.")
        grader_id = self._ws.graders.find(grader)
        existing = grader_id is not None and self._ws.conn.execute(
            "SELECT id FROM evaluations WHERE interaction_id = ? AND scorecard_id = ? AND grader_id = ? "
            "AND status = 'draft' AND calibration = ? ORDER BY id DESC LIMIT 1",
            (interaction_id, scorecard_id, grader_id, int(calibration)),
        ).fetchone()
        if existing:
            if blind is False:
                with self._ws.transaction():
                    record_blind(self._ws, existing[0], blind)
            return self.get(existing[0])
        card = self._ws.scorecards.get_by_id(scorecard_id).card
        result = score(card, {})
        with self._ws.transaction() as conn:
            if conn.execute("SELECT 1 FROM interactions WHERE id = ?", (interaction_id,)).fetchone() is None:
                raise NotFound(f"No interaction with id {interaction_id}.")
            grader_id = self._ws.graders.ensure(grader)
            evaluation_id = writers.insert_evaluation(
                self._ws, interaction_id=interaction_id, scorecard_id=scorecard_id, grader_id=grader_id,
                score=result.total, calibration=calibration, blind=blind)
        return self.get(evaluation_id)

    def save(
        self,
        evaluation_id: int,
        answers: Mapping[str, Answer] | None = None,
        overall_comment: str | None = None,
        *,
        editor: str | None = None,
        blind: bool | None = None,
        context: Mapping[str, object] | None = None,
    ) -> tuple[Evaluation, ScoreResult]:
        """Replace the answers and/or overall comment and rescore, in one transaction.
        Saving a submitted evaluation keeps a snapshot of the previous state in its history,
        with who made the edit (`editor`, default: the evaluation's grader) and why (`context`,
        kept in the snapshot: e.g. ``{"reason": ..., "dispute": uuid}`` for a re-grade).
        `blind=False` records that this change was made with CSAT visible (see `record_blind`)."""
        with self._ws.transaction():
            current = self.get(evaluation_id)
            card = self._ws.scorecards.get_by_id(current.scorecard_id).card
            new_answers = validate_answers(card, current.answers if answers is None else answers)
            comment = (current.overall_comment if overall_comment is None
                       else checked_text(overall_comment, "the overall comment"))
            if current.submitted and new_answers != dict(current.answers):
                missing = [q.key for q in card.questions if not new_answers.get(q.key, Answer()).answered]
                if missing:
                    raise EvaluationError(
                        f"A submitted evaluation needs every answer; question '{missing[0]}' is empty."
                    )
            if new_answers == dict(current.answers) and comment == current.overall_comment:
                return current, score(card, new_answers)
            if current.submitted:
                editor_id = self._ws.graders.ensure(editor) if editor and editor.strip() else current.grader_id
                snapshot = writers.history_snapshot(
                    answers={k: a.to_json() for k, a in current.answers.items()},
                    overall_comment=current.overall_comment, score=current.score,
                    auto_failed=current.auto_failed, updated_at=current.updated_at, **(context or {}))
                writers.add_history(self._ws, [(new_uuid(), evaluation_id, utc_now(), snapshot, editor_id)])
            result = self._write(current, new_answers, comment, current.status)
            record_blind(self._ws, evaluation_id, blind)
        return self.get(evaluation_id), result

    def save_grade(self, interaction_id: int, scorecard_id: int, grader: str, answers: Mapping[str, Answer],
                   overall_comment: str, *, evaluation_id: int | None = None, submit: bool = False,
                   editor: str | None = None, blind: bool | None = None) -> Evaluation:
        """A grader's answers, saved in one transaction: into `evaluation_id`, else into the
        grader's open draft of the interaction on this scorecard (made when there is none);
        with `submit`, then submitted (refused, with nothing saved, while a question is
        unanswered). `blind`: whether the grader works with CSAT hidden (see `record_blind`).
        What the grading screen writes on every change and on submit."""
        with self._ws.transaction():
            if evaluation_id is None:
                evaluation_id = self.start(interaction_id, scorecard_id, grader, blind=blind).id
            evaluation, _result = self.save(evaluation_id, answers, overall_comment, editor=editor or grader,
                                            blind=blind)
            if submit and not evaluation.submitted:
                evaluation = self.submit(evaluation_id, blind=blind)
        return evaluation

    def set_answer(self, evaluation_id: int, key: str, answer: Answer, *,
                   editor: str | None = None) -> tuple[Evaluation, ScoreResult]:
        """Change one answer (autosave of a single keystroke or click)."""
        current = self.get(evaluation_id)
        answers = dict(current.answers)
        answers[key] = answer
        return self.save(evaluation_id, answers, editor=editor)

    def submit(self, evaluation_id: int, *, blind: bool | None = None) -> Evaluation:
        """Mark a complete draft as submitted; refuses while any question is unanswered.
        `blind=False` records that CSAT was visible at submission (see `record_blind`)."""
        with self._ws.transaction():
            current = self.get(evaluation_id)
            if current.submitted:
                return current
            card = self._ws.scorecards.get_by_id(current.scorecard_id).card
            result = score(card, current.answers)
            if result.unanswered:
                count = len(result.unanswered)
                raise EvaluationError(
                    f"{count} question{'s' if count > 1 else ''} still unanswered "
                    f"(first: '{result.unanswered[0]}'); answer or mark N/A before submitting."
                )
            self._write(current, dict(current.answers), current.overall_comment, SUBMITTED)
            record_blind(self._ws, evaluation_id, blind)
        return self.get(evaluation_id)

    def delete_draft(self, evaluation_id: int) -> None:
        """Delete a draft (a tombstone naming its grader keeps the deletion, so that merging
        a colleague's copy does not bring it back); a submitted evaluation is never deleted."""
        with self._ws.transaction():
            current = self.get(evaluation_id)
            if current.submitted:
                raise EvaluationError("A submitted evaluation cannot be deleted.")
            writers.delete_evaluation(self._ws, evaluation_id, current.interaction_id,
                                      deleted_by=current.grader_id)

    def history(self, evaluation_id: int) -> list[tuple[str, dict]]:
        """Earlier states of a submitted evaluation, oldest first: (saved_at, snapshot). The
        snapshot holds answers, overall_comment, score, auto_failed, updated_at and edited_by
        (the grader who made the edit that replaced it, by their current name); a state replaced
        by a merge of workspaces also holds ``merge_conflict`` (see core/merging), one replaced
        by the re-grade of an accepted dispute ``reason`` and ``dispute`` (its uuid)."""
        rows = self._ws.conn.execute(
            "SELECT h.saved_at, h.snapshot, g.name FROM evaluation_history h JOIN graders g ON g.id = h.editor_id "
            "WHERE h.evaluation_id = ? ORDER BY h.saved_at, h.id",
            (evaluation_id,),
        ).fetchall()
        return [(saved_at, {**json.loads(snapshot), "edited_by": editor}) for saved_at, snapshot, editor in rows]

    def _write(self, current: Evaluation, answers: dict[str, Answer], comment: str, status: str) -> ScoreResult:
        card = self._ws.scorecards.get_by_id(current.scorecard_id).card
        result = score(card, answers)
        now = utc_now()
        writers.update_evaluation(
            self._ws, current.id, current.interaction_id, answers=answers_json(answers), overall_comment=comment,
            score=result.total, auto_failed=result.auto_failed,
            auto_fail_reasons=json.dumps(list(result.auto_fail_reasons)), status=status, updated_at=now,
            submitted_at=current.submitted_at or (now if status == SUBMITTED else None), skills=result.skills)
        return result


def record_blind(ws: "Workspace", evaluation_id: int, blind: bool | None) -> None:
    """Record whether the grader worked blind to CSAT (inside the caller's transaction): an
    evaluation stays blind (1) only while every change to it is made blind; one change made
    with CSAT visible makes it 0 for good. None (not known) changes nothing; an evaluation of
    unknown blindness stays unknown when edited blind (its first grading is still unknown)."""
    if blind is False:
        writers.update_evaluations(ws, [(0, evaluation_id)], None, columns=("blind",))


def answers_json(answers: Mapping[str, Answer]) -> str:
    """Answers as stored in `evaluations.answers`."""
    return json.dumps({k: a.to_json() for k, a in answers.items()}, ensure_ascii=False)


def _evaluation(row: tuple) -> Evaluation:
    (id_, uuid, interaction_id, scorecard_id, grader, status, answers, comment, score_, auto_failed,
     reasons, calibration, created_at, updated_at, submitted_at, grader_id) = row
    return Evaluation(
        id=id_, uuid=uuid, interaction_id=interaction_id, scorecard_id=scorecard_id, grader=grader,
        status=status, answers={k: Answer.from_json(v) for k, v in json.loads(answers).items()},
        overall_comment=comment, score=score_, auto_failed=bool(auto_failed),
        auto_fail_reasons=tuple(json.loads(reasons)), calibration=bool(calibration),
        created_at=created_at, updated_at=updated_at, submitted_at=submitted_at, grader_id=grader_id,
    )
