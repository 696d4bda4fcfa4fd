"""The grader's preferences (QSettings) and the small dialog that edits them."""

from __future__ import annotations

import getpass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

GRADER = "grading/grader"
BLIND = "grading/blind"
SAMPLE_SIZE = "grading/sample_per_agent_week"
SAMPLE_SEED = "grading/sample_seed"


def _default_grader() -> str:
    try:
        return getpass.getuser().strip().title()
    except Exception:  # no user name on this system
        return ""


def grader_name() -> str:
    """The name stored on evaluations; defaults to the system user name."""
    value = QSettings().value(GRADER, None)
    return str(value).strip() if value else _default_grader()


def set_grader_name(name: str) -> None:
    QSettings().setValue(GRADER, name.strip())


def blind_grading() -> bool:
    """Blind grading (CSAT hidden while grading) is on unless turned off."""
    return _bool(QSettings().value(BLIND, True))


def set_blind_grading(on: bool) -> None:
    QSettings().setValue(BLIND, bool(on))


def sample_size() -> int:
    return _int(QSettings().value(SAMPLE_SIZE, 5), 5)


def sample_seed() -> int:
    return _int(QSettings().value(SAMPLE_SEED, 1), 1)


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


class PreferencesDialog(QDialog):
    """Grader name, blind grading and the grading-sample size."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(440)
        self.name = QLineEdit(grader_name())
        self.name.setPlaceholderText("Your name, as it appears on your evaluations")
        self.blind = QCheckBox("Blind grading: hide CSAT while grading")
        self.blind.setChecked(blind_grading())
        blind_help = QLabel("Knowing the customer's rating biases the grade and inflates the "
                            "skill-CSAT correlations the analysis reports. Keep this on.")
        blind_help.setWordWrap(True)
        blind_help.setEnabled(False)
        self.sample = QSpinBox()
        self.sample.setRange(1, 100)
        self.sample.setValue(sample_size())
        self.sample.setSuffix(" per agent per week")
        self.seed = QSpinBox()
        self.seed.setRange(1, 999_999)
        self.seed.setValue(sample_seed())
        self.seed.setToolTip("Another number draws another random sample; the same number "
                             "always draws the same one.")
        form = QFormLayout()
        form.addRow("Grader name:", self.name)
        form.addRow("", self.blind)
        form.addRow("", blind_help)
        form.addRow("Grading sample:", self.sample)
        form.addRow("Sample number:", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if not self.name.text().strip():
            self.name.setFocus()
            self.name.setPlaceholderText("Enter your name: it is stored on every evaluation")
            return
        set_grader_name(self.name.text())
        set_blind_grading(self.blind.isChecked())
        settings = QSettings()
        settings.setValue(SAMPLE_SIZE, self.sample.value())
        settings.setValue(SAMPLE_SEED, self.seed.value())
        super().accept()
