"""One grader grading one interaction on one scorecard: the answers in memory and their saving.

Every answer is written as a draft at once, comment typing after a short pause (and when the
comment loses focus, the interaction changes or the window closes), so that killing the app
loses at most the last half second of typing. The draft row is created on the first change,
so merely looking at an interaction does not mark it "draft".

Writes go through `operations` (the writer thread, in order): the session never waits for
them. The answers in memory are the truth until the write that carries them has committed:
`unsaved` says whether anything is still on its way (e.g. while another program holds the
workspace's lock), `saved` is emitted only once everything entered has been committed.

A submitted evaluation is read-only until `start_editing()`; its edits are kept in memory and
written in one save (one history entry) by `flush()`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from qagrader.core.grading.evaluations import Evaluation
from qagrader.core.scorecards.scoring import Answer, ScoreResult, score
from qagrader.core.scorecards.store import StoredScorecard
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.operations import Write, operations

from .settings import blind_grading

log = logging.getLogger(__name__)
COMMENT_DELAY_MS = 400


class GradingSession(QObject):
    saved = Signal()  # everything entered so far is committed
    submitted_now = Signal(object, bool)  # a submit committed: the Evaluation, and whether it was an edit
    failed = Signal(object)  # a write was refused: the exception (the answers stay in memory)
    changed = Signal()  # answers or comments changed (for the live score)

    def __init__(self, ws: Workspace, interaction_id: int, stored: StoredScorecard, grader: str,
                 evaluation: Evaluation | None, parent: QObject | None = None, *, name: str = ""):
        super().__init__(parent)
        self.ws = ws
        self.interaction_id = interaction_id
        self.name = name or f"interaction {interaction_id}"  # how the grader knows it (its external id)
        self.stored = stored
        self.grader = grader
        self.evaluation = evaluation
        self.answers: dict[str, Answer] = dict(evaluation.answers) if evaluation else {}
        self.overall = evaluation.overall_comment if evaluation else ""
        self.editing = False
        self.submitting = False  # a submit is on its way
        self._dirty = False  # changes not handed to a write yet
        self._writes: list[Write] = []  # handed over, not committed yet
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COMMENT_DELAY_MS)
        self._timer.timeout.connect(self.flush)

    # ------------------------------------------------------------ state

    @property
    def card(self):
        return self.stored.card

    @property
    def submitted(self) -> bool:
        return self.submitting or (self.evaluation is not None and self.evaluation.submitted)

    @property
    def readonly(self) -> bool:
        """A submitted evaluation not being edited, or any on a read-only workspace."""
        return (self.submitted and not self.editing) or self.ws.read_only

    @property
    def dirty(self) -> bool:
        """Changes not handed to a write yet."""
        return self._dirty

    @property
    def writing(self) -> bool:
        """Writes handed over and not committed yet."""
        return bool(self._writes)

    @property
    def unsaved(self) -> bool:
        """True until everything entered has been committed."""
        return self._dirty or bool(self._writes)

    def result(self) -> ScoreResult:
        return score(self.card, self.answers)

    # ------------------------------------------------------------ changes

    def set_answer(self, key: str, answer: Answer) -> None:
        """A new value or N/A for `key` (its comment kept): saved at once."""
        if self.readonly:
            return
        comment = self.answers.get(key, Answer()).comment
        self.answers[key] = Answer(answer.value, answer.na, comment)
        self._dirty = True
        self.changed.emit()
        if not self.submitted:
            self.flush()

    def set_comment(self, key: str, text: str) -> None:
        """Comment typing: saved after a short pause."""
        if self.readonly:
            return
        old = self.answers.get(key, Answer())
        self.answers[key] = Answer(old.value, old.na, text)
        self._schedule()

    def set_overall(self, text: str) -> None:
        if self.readonly or text == self.overall:
            return
        self.overall = text
        self._schedule()

    def _schedule(self) -> None:
        self._dirty = True
        self.changed.emit()
        if not self.submitted:
            self._timer.start()

    def start_editing(self) -> None:
        self.editing = True

    def drop_unwritten(self) -> None:
        """Forget the changes not handed to a write yet (the grader chose the stored version)."""
        self._timer.stop()
        self._dirty = False

    # ------------------------------------------------------------ writing

    def flush(self) -> Write | None:
        """Hand the changes not written yet to the writer (a draft, or the edit of a submitted
        evaluation); None when there were none."""
        self._timer.stop()
        if not self._dirty:
            return None
        self._dirty = False
        return self._write(submit=False, edit=False)

    def submit(self) -> Write:
        """Submit the answers (or save the edit of a submitted evaluation, with history)."""
        self._timer.stop()
        self._dirty = False
        edit = self.submitted
        self.submitting = not edit
        return self._write(submit=True, edit=edit)

    def _write(self, *, submit: bool, edit: bool) -> Write:
        evaluation_id = self.evaluation.id if self.evaluation is not None else None
        answers, overall = dict(self.answers), self.overall
        write = operations().run(
            self.ws, _save_grade, self.interaction_id, self.stored.id, self.grader, answers, overall,
            evaluation_id=evaluation_id, submit=submit, blind=blind_grading(), owner=self, until_saved=True,
            done=lambda evaluation: self._written(write, evaluation, submit, edit),
            failed=lambda error: self._refused(write, error, submit))
        self._writes.append(write)
        return write

    def _written(self, write: Write, evaluation: Evaluation, submit: bool, edit: bool) -> None:
        self._writes.remove(write)
        self.evaluation = evaluation
        if submit:
            self.submitting = False
            self.editing = False
            self.submitted_now.emit(evaluation, edit)
        if not self.unsaved:
            self.saved.emit()

    def _refused(self, write: Write, error: BaseException, submit: bool) -> None:
        self._writes.remove(write)
        self._dirty = True  # the answers in memory were not saved: the next flush tries again
        if submit:
            self.submitting = False
        self.failed.emit(error)

    def discard_empty_draft(self) -> None:
        """Remove this session's draft if it holds nothing (e.g. the scorecard was switched)."""
        if (self.evaluation is not None and not self.submitted and not self.answers and not self.overall
                and not self.ws.read_only):
            operations().run(self.ws, _delete_empty_draft, self.evaluation.id, owner=self)
            self.evaluation = None

    def history(self) -> list[tuple[str, dict]]:
        if self.evaluation is None:
            return []
        return self.ws.evaluations.history(self.evaluation.id)


def _save_grade(ws: Workspace, interaction_id: int, scorecard_id: int, grader: str, answers: dict,
                overall: str, *, evaluation_id: int | None, submit: bool, blind: bool | None) -> Evaluation:
    return ws.evaluations.save_grade(interaction_id, scorecard_id, grader, answers, overall,
                                     evaluation_id=evaluation_id, submit=submit, blind=blind)


def _delete_empty_draft(ws: Workspace, evaluation_id: int) -> None:
    try:
        ws.evaluations.delete_draft(evaluation_id)
    except Exception:  # already gone, or no longer empty: nothing to do
        log.debug("draft %s not deleted", evaluation_id, exc_info=True)
