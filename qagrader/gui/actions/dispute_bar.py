"""The grading screen's dispute bar: the disputes of the evaluation shown, and buttons to raise
one (for a submitted grade) or resolve the open one."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from qagrader.core.disputes.store import Dispute
from qagrader.core.grading.evaluations import Evaluation
from qagrader.core.storage.changes import DISPUTES, EVALUATIONS, Changes
from qagrader.core.storage.workspace import Workspace

from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing

from .dialogs import RaiseDisputeDialog, ResolveDisputeDialog


def write_resolution(owner: QWidget, ws: Workspace, dispute: Dispute, dialog: ResolveDisputeDialog) -> None:
    """Accept `dispute` with the dialog's re-grade, or reject it, as the dialog says."""
    reason, by = dialog.reason.toPlainText(), dialog.by.text()
    if dialog.accepting:
        answers = dialog.new_answers()
        operations().run(ws, lambda w: w.disputes.accept(dispute.id, answers, by=by, reason=reason), owner=owner)
    else:
        operations().run(ws, lambda w: w.disputes.reject(dispute.id, by=by, reason=reason), owner=owner)


class DisputeBar(QFrame):
    """Disputes of one submitted evaluation (hidden for drafts and calibration grades)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("disputeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.ws: Workspace | None = None
        self.evaluation: Evaluation | None = None
        self.user: Callable[[], str] = lambda: ""  # who is grading (set by the grading screen)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.raise_button = QPushButton("Dispute…")
        self.raise_button.setToolTip("The agent disputes this grade: enter it on their behalf")
        self.raise_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.raise_button.clicked.connect(self.raise_dispute)
        self.resolve_button = QPushButton("Resolve…")
        writing(self.raise_button, self.resolve_button)
        self.resolve_button.setToolTip("Accept the open dispute (re-grade) or reject it with a reason")
        self.resolve_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.resolve_button.clicked.connect(self.resolve)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.resolve_button)
        layout.addWidget(self.raise_button)
        self.dialog = None
        self.hide()
        operations().changed.connect(self.apply_changes)

    def show_evaluation(self, ws: Workspace | None, evaluation: Evaluation | None) -> None:
        self.ws, self.evaluation = ws, evaluation
        if ws is None or evaluation is None or not evaluation.submitted or evaluation.calibration:
            self.hide()
            return
        disputes = ws.disputes.for_evaluation(evaluation.id)
        open_ = [d for d in disputes if d.is_open]
        if open_:
            d = open_[0]
            self.text.setText(f"<b>Disputed</b>: {escape(d.about)} — <i>{escape(d.reason)}</i> "
                              f"(raised {d.raised_at[:10]} by {escape(d.raised_by)})"
                              + (f" and {len(open_) - 1} more open" if len(open_) > 1 else ""))
        elif disputes:
            last = disputes[-1]
            self.text.setText(f"Dispute of {escape(last.about)} {last.status} {(last.resolved_at or '')[:10]} by "
                              f"{escape(last.resolved_by or '')}: {escape(last.resolution or last.reason)}")
        else:
            self.text.setText("No dispute on this grade.")
        self.resolve_button.setVisible(bool(open_))
        self.show()

    def apply_changes(self, changes: Changes) -> None:
        """The disputes or the evaluation shown changed: show them again."""
        if self.ws is not None and self.evaluation is not None and changes.touches(DISPUTES, EVALUATIONS):
            self.show_evaluation(self.ws, self.ws.evaluations.get(self.evaluation.id) if self.ws else None)

    def raise_dispute(self) -> None:
        ws, evaluation = self.ws, self.evaluation
        if ws is None or evaluation is None:
            return
        card = ws.scorecards.get_by_id(evaluation.scorecard_id).card
        dialog = RaiseDisputeDialog(card, evaluation.answers, self.user(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def write() -> None:
            key, reason, by = dialog.values()
            operations().run(ws, lambda w: w.disputes.create(evaluation.id, reason, raised_by=by, question_key=key),
                             owner=self)
        dialog.accepted.connect(write)
        dialog.open()
        self.dialog = dialog

    def resolve(self) -> None:
        ws, evaluation = self.ws, self.evaluation
        if ws is None or evaluation is None:
            return
        open_ = [d for d in ws.disputes.for_evaluation(evaluation.id) if d.is_open]
        if not open_:
            return
        d = open_[0]
        card = ws.scorecards.get_by_id(evaluation.scorecard_id).card
        dialog = ResolveDisputeDialog(d, card, evaluation.answers, self.user(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: write_resolution(self, ws, d, dialog))
        dialog.open()
        self.dialog = dialog
