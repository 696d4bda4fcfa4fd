"""One grader grading one interaction on one scorecard: the in-memory answers and their
saving.

A draft is written on every answer at once and on comment typing after a short pause (and
when the comment loses focus, the interaction changes or the window closes), so that killing
the app loses at most the last half second of typing. The draft row is created on the first
change, so merely looking at an interaction does not mark it "draft".

A submitted evaluation is read-only until `start_editing()`; its edits are kept in memory and
written in one save (one history entry) by `flush()`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from qagrader.core.grading.evaluations import Evaluation
from qagrader.core.scorecards.store import StoredScorecard
from qagrader.core.scorecards.scoring import Answer, ScoreResult, score
from qagrader.core.storage.workspace import Workspace

from .settings import blind_grading

log = logging.getLogger(__name__)
COMMENT_DELAY_MS = 400


class GradingSession(QObject):
    saved = Signal()  # a write reached the database
    failed = Signal(object)  # an exception from the core
    changed = Signal()  # answers or comments changed (for the live score)

    def __init__(self, ws: Workspace, interaction_id: int, stored: StoredScorecard, grader: str,
                 evaluation: Evaluation | None, parent: QObject | None = None):
        super().__init__(parent)
        self.ws = ws
        self.interaction_id = interaction_id
        self.stored = stored
        self.grader = grader
        self.evaluation = evaluation
        self.answers: dict[str, Answer] = dict(evaluation.answers) if evaluation else {}
        self.overall = evaluation.overall_comment if evaluation else ""
        self.editing = False
        self._dirty = False
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
        return self.evaluation is not None and self.evaluation.submitted

    @property
    def readonly(self) -> bool:
        return self.submitted and not self.editing

    @property
    def dirty(self) -> bool:
        return self._dirty

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

    # ------------------------------------------------------------ writing

    def flush(self) -> bool:
        """Write pending changes now (a draft, or the edit of a submitted evaluation).
        Returns False when the core refused them (the error is emitted)."""
        self._timer.stop()
        if not self._dirty:
            return True
        try:
            blind = blind_grading()
            if self.evaluation is None:
                self.evaluation = self.ws.evaluations.start(self.interaction_id, self.stored.id, self.grader,
                                                            blind=blind)
            self.evaluation, _result = self.ws.evaluations.save(
                self.evaluation.id, self.answers, self.overall, editor=self.grader, blind=blind)
        except Exception as error:  # shown by the view; the answers stay in memory
            self.failed.emit(error)
            return False
        self._dirty = False
        self.saved.emit()
        return True

    def submit(self) -> Evaluation | None:
        """Save and submit; an edited submitted evaluation is saved (with history)."""
        if not self.flush():
            return None
        try:
            blind = blind_grading()
            if self.evaluation is None:
                self.evaluation = self.ws.evaluations.start(self.interaction_id, self.stored.id, self.grader,
                                                            blind=blind)
            if not self.evaluation.submitted:
                self.evaluation = self.ws.evaluations.submit(self.evaluation.id, blind=blind)
        except Exception as error:
            self.failed.emit(error)
            return None
        self.editing = False
        self.saved.emit()
        return self.evaluation

    def discard_empty_draft(self) -> None:
        """Remove this session's draft if it holds nothing (e.g. the scorecard was switched)."""
        if self.evaluation is not None and not self.submitted and not self.answers and not self.overall:
            try:
                self.ws.evaluations.delete_draft(self.evaluation.id)
            except Exception:  # already gone
                log.debug("draft %s already gone", self.evaluation.id)
            self.evaluation = None

    def history(self) -> list[tuple[str, dict]]:
        if self.evaluation is None:
            return []
        return self.ws.evaluations.history(self.evaluation.id)
