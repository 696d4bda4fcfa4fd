"""Who is grading: asked once on first start (and after File > New), with the system login as
the suggestion; the name is kept in the preferences and becomes a grader of the workspace."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from qagrader.core.errors import QAGraderError
from qagrader.core.grading.graders import clean_grader_name
from qagrader.gui.grading import settings

EMAIL = "grading/grader_email"


def grader_known() -> bool:
    """Whether this app has been told who is grading (not just guessed from the login)."""
    return bool(str(QSettings().value(settings.GRADER, "") or "").strip())


def grader_email() -> str:
    return str(QSettings().value(EMAIL, "") or "").strip()


class GraderPrompt(QDialog):
    """"Who is grading?": name (the login suggested) and an optional email."""

    chosen = Signal(str, str)  # name, email

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Who is grading?")
        self.setMinimumWidth(460)
        intro = QLabel("Your name goes on every evaluation you make, and tells your work apart when the "
                       "team's workspaces are merged. You can change it later in Preferences.")
        intro.setWordWrap(True)
        self.name = QLineEdit(settings.grader_name())
        self.name.selectAll()
        self.email = QLineEdit(grader_email())
        self.email.setPlaceholderText("optional")
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: palette(highlight);")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Email:", self.email)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def accept(self) -> None:
        try:
            name = clean_grader_name(self.name.text())
        except QAGraderError as error:
            self.problem.setText(str(error))
            self.name.setFocus()
            return
        email = self.email.text().strip()
        if email and "@" not in email:
            self.problem.setText(f"'{email}' is not an email address (or leave it empty).")
            self.email.setFocus()
            return
        settings.set_grader_name(name)
        QSettings().setValue(EMAIL, email)
        self.chosen.emit(name, email)
        super().accept()

    def reject(self) -> None:  # Esc keeps the suggestion: grading needs a name
        self.accept()
