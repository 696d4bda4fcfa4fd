"""Dialogs of the Calibration screen: a new session (interactions from the browser's selection or
a random sample by filters), the graders taking part, and more interactions for a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QRadioButton, QSpinBox, QVBoxLayout,
    QWidget,
)

from qagrader.core.browsing.sql import GRADED_STATES, BrowseFilters
from qagrader.core.storage.workspace import Workspace

CONSENSUS_LABEL = "Consensus of the graders (no benchmark)"


@dataclass(frozen=True)
class SampleSpec:
    """A random sample: how many, among which interactions."""

    count: int
    filters: BrowseFilters


@dataclass(frozen=True)
class SessionSpec:
    name: str
    held_on: str
    scorecard_id: int
    graders: tuple[str, ...]
    benchmark: str | None
    notes: str
    interaction_ids: tuple[int, ...]  # the browser's selection (used when `sample` is None)
    sample: SampleSpec | None


class GraderPicker(QWidget):
    """Graders taking part (a checklist, new names can be added) and the benchmark."""

    def __init__(self, ws: Workspace, chosen: tuple[str, ...] = (), benchmark: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.graders = QListWidget()
        self.graders.setMinimumHeight(120)
        known = ws.graders.names()
        for name in known:
            self._add(name, name in chosen or not chosen)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("Another grader's name")
        add = QPushButton("Add")
        add.clicked.connect(self._add_typed)
        self.new_name.returnPressed.connect(self._add_typed)
        self.benchmark = QComboBox()
        self.benchmark.setToolTip("Whose answers count as right: the lead's, or (without one) the most common answer")
        self.benchmark.addItem(CONSENSUS_LABEL, None)
        for name in known:
            self.benchmark.addItem(name, name)
        if benchmark:
            index = self.benchmark.findData(benchmark)
            self.benchmark.setCurrentIndex(max(index, 0))
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(add)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Graders:", self.graders)
        layout.addRow("", row)
        layout.addRow("Benchmark:", self.benchmark)

    def _add(self, name: str, checked: bool) -> None:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.graders.addItem(item)

    def _add_typed(self) -> None:
        name = " ".join(self.new_name.text().split())
        if not name:
            return
        existing = [self.graders.item(i) for i in range(self.graders.count())
                    if self.graders.item(i).text().casefold() == name.casefold()]
        if existing:
            existing[0].setCheckState(Qt.CheckState.Checked)
        else:
            self._add(name, True)
            self.benchmark.addItem(name, name)
        self.new_name.clear()

    def chosen(self) -> tuple[str, ...]:
        return tuple(self.graders.item(i).text() for i in range(self.graders.count())
                     if self.graders.item(i).checkState() == Qt.CheckState.Checked)

    def chosen_benchmark(self) -> str | None:
        return self.benchmark.currentData()


class SampleFilters(QWidget):
    """How many interactions to draw, and among which (the browser's filters)."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.count = QSpinBox()
        self.count.setRange(1, 500)
        self.count.setValue(10)
        self.team = QComboBox()
        self.agent = QComboBox()
        for combo, values in ((self.team, ws.interactions.teams()),
                              (self.agent, [a.name for a in ws.interactions.agents()])):
            combo.addItem("Any", None)
            for value in values:
                combo.addItem(value, value)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.graded = QComboBox()
        for state in GRADED_STATES:
            self.graded.addItem({"any": "Any", "ungraded": "Not graded yet", "draft": "Being graded",
                                 "submitted": "Graded"}[state], state)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        layout = QFormLayout(self)
        layout.addRow("Interactions:", self.count)
        layout.addRow("Dates:", dates)
        layout.addRow("Team:", self.team)
        layout.addRow("Agent:", self.agent)
        layout.addRow("Graded:", self.graded)

    def spec(self) -> SampleSpec:
        return SampleSpec(self.count.value(), BrowseFilters(
            team=self.team.currentData(), agent=self.agent.currentData(),
            date_from=self.date_from.date().toString("yyyy-MM-dd"), date_to=self.date_to.date().toString("yyyy-MM-dd"),
            graded=self.graded.currentData()))


class NewSessionDialog(QDialog):
    """Name, date, scorecard, graders and benchmark, and the interactions: the browser's
    selection or a random sample."""

    def __init__(self, ws: Workspace, selected: tuple[int, ...] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New calibration session")
        self.setMinimumWidth(560)
        self.selected = selected
        self.name = QLineEdit(f"{date.today():%B} calibration")
        self.held_on = QDateEdit(QDate.currentDate())
        self.held_on.setCalendarPopup(True)
        self.held_on.setDisplayFormat("yyyy-MM-dd")
        self.scorecard = QComboBox()
        for card in ws.scorecards.list():
            self.scorecard.addItem(f"{card.name} (v{card.version})", card.id)
        if selected:  # the scorecard that grades the selection's channel
            channel = ws.interactions.get(selected[0]).channel
            for index in range(self.scorecard.count()):
                if channel in ws.scorecards.get_by_id(self.scorecard.itemData(index)).card.channels:
                    self.scorecard.setCurrentIndex(index)
                    break
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("What this session is about (optional)")
        self.notes.setFixedHeight(54)
        self.people = GraderPicker(ws)
        self.from_selection = QRadioButton(f"The {len(selected)} interaction{'s' if len(selected) != 1 else ''} "
                                           "selected in Interactions")
        self.from_sample = QRadioButton("A random sample")
        group = QButtonGroup(self)
        group.addButton(self.from_selection)
        group.addButton(self.from_sample)
        self.from_selection.setEnabled(bool(selected))
        (self.from_selection if selected else self.from_sample).setChecked(True)
        self.sample = SampleFilters(ws)
        self.sample.setEnabled(not selected)
        self.from_sample.toggled.connect(self.sample.setEnabled)
        hint = QLabel("Tip: select interactions in the Interactions screen first to calibrate on exactly those.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        hint.setVisible(not selected)
        which = QGroupBox("Interactions to grade")
        box = QVBoxLayout(which)
        box.addWidget(self.from_selection)
        box.addWidget(self.from_sample)
        box.addWidget(self.sample)
        box.addWidget(hint)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Date:", self.held_on)
        form.addRow("Scorecard:", self.scorecard)
        form.addRow("Notes:", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create session")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.people)
        layout.addWidget(which)
        layout.addWidget(buttons)

    def spec(self) -> SessionSpec:
        return SessionSpec(
            name=self.name.text(), held_on=self.held_on.date().toString("yyyy-MM-dd"),
            scorecard_id=self.scorecard.currentData(), graders=self.people.chosen(),
            benchmark=self.people.chosen_benchmark(), notes=self.notes.toPlainText(),
            interaction_ids=self.selected if self.from_selection.isChecked() else (),
            sample=self.sample.spec() if self.from_sample.isChecked() else None)


class GradersDialog(QDialog):
    """The graders taking part in a session and its benchmark."""

    def __init__(self, ws: Workspace, graders: tuple[str, ...], benchmark: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Graders of the session")
        self.setMinimumWidth(420)
        self.people = GraderPicker(ws, graders, benchmark)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.people)
        layout.addWidget(buttons)


class SampleDialog(QDialog):
    """More interactions for a session, drawn at random."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add a random sample")
        self.filters = SampleFilters(ws)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add to the session")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(buttons)


class EditSessionDialog(QDialog):
    """A session's name, date and notes."""

    def __init__(self, name: str, held_on: str, notes: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit the session")
        self.setMinimumWidth(460)
        self.name = QLineEdit(name)
        self.held_on = QDateEdit(QDate.fromString(held_on, "yyyy-MM-dd"))
        self.held_on.setCalendarPopup(True)
        self.held_on.setDisplayFormat("yyyy-MM-dd")
        self.notes = QPlainTextEdit(notes)
        self.notes.setFixedHeight(70)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Date:", self.held_on)
        form.addRow("Notes:", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, str, str]:
        return self.name.text(), self.held_on.date().toString("yyyy-MM-dd"), self.notes.toPlainText()
