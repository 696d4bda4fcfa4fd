"""The Analysis tab's filter bar: date range, channel, team, agent, brand, scorecard, grader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QGridLayout, QLabel, QPushButton, QWidget

from qagrader.core.interactions.channels import channel_label

if TYPE_CHECKING:  # the analysis package loads pandas: imported by the worker, not here
    from qagrader.analysis.dataset import FilterOptions

ALL = "All"
ANY = "any"
NO_DATE = QDate(2000, 1, 1)  # shown as "any" until the workspace's dates are known
COMBOS = (  # (AnalysisFilters field, label): two rows of three, right of the dates
    ("channels", "Channel"), ("teams", "Team"), ("agents", "Agent"),
    ("brands", "Brand"), ("scorecards", "Scorecard"), ("graders", "Grader"),
)


def _date_edit(tooltip: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setSpecialValueText(ANY)  # shown when the date is at its minimum
    edit.setMinimumDate(NO_DATE)
    edit.setDate(NO_DATE)
    edit.setToolTip(tooltip + " (the lowest date shows 'any': no limit)")
    edit.setMinimumWidth(120)
    return edit


class FilterBar(QWidget):
    """Emits `changed` on every user change, and `chosen` too when it was a choice made at once
    (a list's entry, reset: no need to wait for more typing); `values()` gives `AnalysisFilters`
    keywords."""

    changed = Signal()
    chosen = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.options: FilterOptions | None = None  # until the first run tells
        self.date_from = _date_edit("First day analysed (interaction date)")
        self.date_to = _date_edit("Last day analysed, inclusive")
        self.combos: dict[str, QComboBox] = {}
        grid = QGridLayout(self)  # (label, field) column pairs: the dates, then three combos
        grid.setContentsMargins(8, 6, 8, 6)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, (label, edit) in enumerate((("From", self.date_from), ("To", self.date_to))):
            grid.addWidget(QLabel(label), row, 0, right)
            grid.addWidget(edit, row, 1)
        for i, (key, label) in enumerate(COMBOS):
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            combo.addItem(ALL, None)
            combo.setToolTip(f"Only evaluations of this {label.lower()}")
            combo.currentIndexChanged.connect(self._combo_changed)
            self.combos[key] = combo
            row, column = divmod(i, 3)
            grid.addWidget(QLabel(label), row, 2 + 2 * column, right)
            grid.addWidget(combo, row, 3 + 2 * column)
            grid.setColumnStretch(3 + 2 * column, 1)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Analyse every submitted evaluation again")
        self.reset_button.clicked.connect(self.reset)
        grid.addWidget(self.reset_button, 0, 8)
        self._quiet = False
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._date_changed)

    # ------------------------------------------------------------------ options and values

    def set_options(self, options: FilterOptions) -> None:
        """Fill the combos; keep the current choices that still exist (without emitting)."""
        self.options = options
        self._quiet = True
        try:
            for key, _ in COMBOS:
                if key == "channels":
                    values = list(options.channels)
                    self._fill(self.combos[key], values, [channel_label(v) for v in values])
                elif key != "agents":
                    self._fill(self.combos[key], getattr(options, key))
            self._fill_agents()
            self._set_date_range()
        finally:
            self._quiet = False

    def values(self) -> dict[str, Any]:
        """Keyword arguments of `AnalysisFilters` for the current choices."""
        values: dict[str, Any] = {
            "date_from": self._date(self.date_from), "date_to": self._date(self.date_to)}
        for key, combo in self.combos.items():
            data = combo.currentData()
            values[key] = None if data is None else (data,)
        return values

    def reset(self) -> None:
        """Back to everything: dates 'any', every combo 'All' (one `changed`)."""
        self._quiet = True
        try:
            for edit in (self.date_from, self.date_to):
                edit.setDate(edit.minimumDate())
            for combo in self.combos.values():
                combo.setCurrentIndex(0)
            self._fill_agents()
        finally:
            self._quiet = False
        self.changed.emit()
        self.chosen.emit()

    def choose(self, key: str, value: str | None) -> None:
        """Select `value` in the combo `key` (None = All), as a user would."""
        combo = self.combos[key]
        index = 0 if value is None else combo.findData(value)
        if index < 0:
            raise ValueError(f"No {key} '{value}' in the filter.")
        combo.setCurrentIndex(index)

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _date(edit: QDateEdit) -> str | None:
        if edit.date() == edit.minimumDate():
            return None
        return edit.date().toString("yyyy-MM-dd")

    def _set_date_range(self) -> None:
        """'any' sits one day before the first evaluation, so the calendar opens near the data."""
        first = QDate.fromString((self.options.first_day if self.options else None) or "", "yyyy-MM-dd")
        floor = first.addDays(-1) if first.isValid() else NO_DATE
        for edit in (self.date_from, self.date_to):
            was_any = edit.date() == edit.minimumDate()
            edit.blockSignals(True)
            edit.setMinimumDate(floor)
            if was_any:
                edit.setDate(floor)
            edit.blockSignals(False)

    @staticmethod
    def _fill(combo: QComboBox, values: tuple[str, ...] | list[tuple[str, str]],
              labels: list[str] | None = None) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(ALL, None)
        for i, value in enumerate(values):
            combo.addItem(labels[i] if labels else str(value), value)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 28)

    def _fill_agents(self) -> None:
        """Agents of the chosen team only (all agents when no team is chosen)."""
        team = self.combos["teams"].currentData()
        agents = [(a, t) for a, t in (self.options.agents if self.options else ()) if team is None or t == team]
        names = [a for a, _ in agents]
        labels = [a if team is not None else f"{a} ({t})" for a, t in agents]
        self._fill(self.combos["agents"], names, labels)

    def _date_changed(self) -> None:
        if not self._quiet:
            self.changed.emit()

    def _combo_changed(self) -> None:
        if self._quiet:
            return
        if self.sender() is self.combos["teams"]:
            self._fill_agents()
        self.changed.emit()
        self.chosen.emit()
