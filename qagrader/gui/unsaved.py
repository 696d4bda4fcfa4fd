"""Closing (or switching workspace) while answers are not saved yet: say so, wait, or let the
user retry or discard them explicitly. Never close quietly over unsaved work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from qagrader.gui.operations import operations

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

QUICK_S = 0.5  # writes usually land within milliseconds: wait this long before asking


def settle_writes(parent: QWidget | None, ws: "Workspace", doing: str) -> bool:
    """Let every write of `ws` finish before `doing` (e.g. "closing"). Waits quietly for a
    moment, then asks (`UnsavedDialog`); True when nothing is pending any more (saved, or
    discarded by the user), False when the user chose to go back."""
    ops = operations()
    if ops.settle(ws, timeout_s=QUICK_S):
        return True
    dialog = UnsavedDialog(ws, doing, parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return True
    if dialog.discarded:
        ops.close(ws, discard=True)
        return True
    return False


class UnsavedDialog(QDialog):
    """Waits for the writes of `ws` with Retry now, Discard and Go back; closes by itself (as
    accepted) once everything is saved."""

    def __init__(self, ws: "Workspace", doing: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self.doing = doing
        self.discarded = False
        self.setWindowTitle("Not saved yet")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setMinimumWidth(460)
        buttons = QDialogButtonBox()
        self.retry_button = QPushButton("Retry now")
        self.discard_button = QPushButton("Discard them…")
        self.back_button = QPushButton("Go back")
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.back_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.retry_button.clicked.connect(lambda: operations().retry_now(ws))
        self.discard_button.clicked.connect(self.discard)
        self.back_button.clicked.connect(self.reject)
        self.back_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        operations().state_changed.connect(self._update)
        self._timer = QTimer(self)  # the count can stay the same while the reason changes
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._update)
        self._timer.start()
        self._update()

    def _update(self) -> None:
        ops = operations()
        pending = len(ops.pending(self.ws))
        if pending == 0:
            if self.isVisible():
                self.accept()
            return
        why = ("another QA Grader or program is writing to it" if ops.blocked(self.ws)
               else "it has not answered yet; another program may be writing to it")
        self.text.setText(
            f"<b>{pending} change{'s' if pending != 1 else ''} {'are' if pending != 1 else 'is'} not saved "
            f"yet.</b><br>The workspace {self.ws.path.name} is busy: {why}.<br><br>QA Grader keeps "
            f"trying and goes on {self.doing} by itself as soon as everything is saved. You can also "
            f"go back and keep working, or discard what is not saved.")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._update()  # saved meanwhile: nothing to ask

    def discard(self) -> None:
        pending = len(operations().pending(self.ws))
        answer = QMessageBox.warning(
            self, "Discard unsaved changes",
            f"Throw away the {pending} change{'s' if pending != 1 else ''} not saved yet? They are lost "
            f"for good.", QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Discard:
            self.discarded = True
            self.reject()

    def done(self, result: int) -> None:
        self._timer.stop()
        try:
            operations().state_changed.disconnect(self._update)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
