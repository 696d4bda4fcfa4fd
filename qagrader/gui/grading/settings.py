"""The app's preferences (QSettings): the grader's name, blind grading, the grading sample, the
theme and CSV files for Excel; and the Preferences dialog that edits them."""

from __future__ import annotations

import getpass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
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
EXCEL_BOM = "export/excel_bom"


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


DEFAULT_SCORECARD = "grading/default_scorecard/"  # + channel: the family uuid chosen for it


def default_scorecard(channel: str) -> str | None:
    """The scorecard (family uuid) the user chose as the default for `channel`, if any."""
    value = QSettings().value(DEFAULT_SCORECARD + channel, None)
    return str(value) if value else None


def set_default_scorecard(channel: str, family_uuid: str) -> None:
    QSettings().setValue(DEFAULT_SCORECARD + channel, family_uuid)


def excel_bom() -> bool:
    """Whether CSV files the app writes start with the byte-order mark Excel needs to show
    accents correctly (on unless turned off)."""
    return _bool(QSettings().value(EXCEL_BOM, True))


def local_time_zone() -> str:
    """This computer's time zone (an IANA name such as ``Europe/Berlin``), for the times in
    exported files; ``UTC`` when the system names none the exports know."""
    from PySide6.QtCore import QTimeZone

    from qagrader.core.errors import QAGraderError
    from qagrader.core.exporting.times import UTC, time_zone

    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    try:
        time_zone(name)
    except QAGraderError:
        return UTC
    return UTC if name in ("UTC", "Etc/UTC", "UCT") else name


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
    """Grader name, blind grading, the grading sample, the theme and CSV files for Excel."""

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
        sample_help = QLabel("On the Grade screen, \u201cNext: random sample per agent per week\u201d picks up to "
                             "this many interactions of each agent in each week (among those the "
                             "browser's filters show) at random, so every agent is graded on a fair "
                             "share of their work, not on the calls that stood out. The sample number "
                             "decides which ones: the same number always draws the same sample, so "
                             "graders can share one.")
        sample_help.setWordWrap(True)
        sample_help.setEnabled(False)
        from qagrader.gui.theme import THEME_LABELS, theme_preference

        self.theme = QComboBox()
        for value, label in THEME_LABELS.items():
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(self.theme.findData(theme_preference()), 0))
        self.excel = QCheckBox("CSV files for Excel: UTF-8 with a byte-order mark")
        self.excel.setChecked(excel_bom())
        self.excel.setToolTip("Excel shows accents (é, ñ, ü) correctly only in CSV files that start with a "
                              "byte-order mark; other programs ignore it. Used for tables and charts' data; "
                              "the Export dialog has its own box.")
        form = QFormLayout()
        form.addRow("Grader name:", self.name)
        form.addRow("", self.blind)
        form.addRow("", blind_help)
        form.addRow("Grading sample:", self.sample)
        form.addRow("Sample number:", self.seed)
        form.addRow("", sample_help)
        form.addRow("Theme:", self.theme)
        form.addRow("", self.excel)
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
        settings.setValue(EXCEL_BOM, self.excel.isChecked())
        from qagrader.gui.theme import apply_theme, set_theme_preference, theme_preference

        theme = self.theme.currentData()
        if theme != theme_preference():
            set_theme_preference(theme)
            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, theme)
        super().accept()
