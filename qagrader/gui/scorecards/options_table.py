"""The options of an 'options' question: label, points and auto-fail per row."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLineEdit, QStyle,
    QTableWidget, QVBoxLayout, QWidget,
)

from qagrader.gui.read_only import writing

from .draft import parse_field
from .style import AUTO_FAIL_LABELS, OPTION_AUTO_FAIL_LABELS, highlight, tool_button


class OptionsTable(QWidget):
    """Options of an 'options' question: label, points and auto-fail per row."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Label", "Points", "Auto-fail"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setToolTip("Auto-fail: choosing this option zeroes its section or the whole evaluation")
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        std, sp = self.style().standardIcon, QStyle.StandardPixmap
        for text, tip, icon, slot in (
            ("Add option", "Add an option", QIcon.fromTheme("list-add", std(sp.SP_FileDialogNewFolder)), self.add),
            ("Remove", "Remove the selected option", QIcon.fromTheme("list-remove", std(sp.SP_TrashIcon)),
             self.remove),
            ("", "Move the selected option up", std(sp.SP_ArrowUp), lambda: self.move(-1)),
            ("", "Move the selected option down", std(sp.SP_ArrowDown), lambda: self.move(1)),
        ):
            writing(tool_button(buttons, text, icon, tip, slot))  # edits the draft: off while read-only
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._loading = False

    def load(self, options: list[dict[str, Any]]) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for option in options:
            self._append(option)
        self._fit_height()
        self._loading = False

    def _append(self, option: dict[str, Any]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        label = QLineEdit(str(option.get("label", "")))
        label.setFrame(False)
        label.textEdited.connect(self._emit)
        points = QDoubleSpinBox()
        points.setRange(0, 1000)
        points.setDecimals(2)
        points.setFrame(False)
        value = option.get("points", 0)
        points.setValue(value if isinstance(value, (int, float)) else 0)
        points.valueChanged.connect(self._emit)
        auto_fail = QComboBox()
        auto_fail.setFrame(False)
        for value, text in OPTION_AUTO_FAIL_LABELS.items():
            auto_fail.addItem(text, value)
            auto_fail.setItemData(auto_fail.count() - 1, AUTO_FAIL_LABELS[value], Qt.ItemDataRole.ToolTipRole)
        auto_fail.setCurrentIndex(max(0, auto_fail.findData(option.get("auto_fail"))))
        auto_fail.currentIndexChanged.connect(self._emit)
        self.table.setCellWidget(row, 0, label)
        self.table.setCellWidget(row, 1, points)
        self.table.setCellWidget(row, 2, auto_fail)
        self.table.setRowHeight(row, max(points.sizeHint().height(), auto_fail.sizeHint().height()) + 2)
        self._fit_height()

    def _fit_height(self) -> None:
        """Show every option (up to eight) without an empty area below them."""
        rows = sum(self.table.rowHeight(r) for r in range(min(self.table.rowCount(), 8)))
        height = self.table.horizontalHeader().sizeHint().height() + max(rows, 60) + 2 * self.table.frameWidth()
        self.table.setFixedHeight(height)

    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()

    def values(self) -> list[dict[str, Any]]:
        out = []
        for row in range(self.table.rowCount()):
            label = self.table.cellWidget(row, 0).text()
            points = self.table.cellWidget(row, 1).value()
            auto_fail = self.table.cellWidget(row, 2).currentData()
            option: dict[str, Any] = {"label": label, "points": int(points) if points.is_integer() else points}
            if auto_fail:
                option["auto_fail"] = auto_fail
            out.append(option)
        return out

    def add(self) -> None:
        self._append({"label": f"Option {self.table.rowCount() + 1}", "points": 0})
        self.table.selectRow(self.table.rowCount() - 1)
        self._emit()

    def remove(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            row = self.table.rowCount() - 1
        if row >= 0:
            values = self.values()
            del values[row]
            self.load(values)
            self._emit()

    def move(self, step: int) -> None:
        row = self.table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        values = self.values()
        values[row], values[target] = values[target], values[row]
        self.load(values)
        self.table.selectRow(target)
        self._emit()

    def cell_for(self, field: str) -> QWidget | None:
        """The cell widget an `options[i].label|points|auto_fail` path names."""
        where = parse_field("sections[0].questions[0]." + field)
        if where.option is None or where.option >= self.table.rowCount():
            return self.table
        column = {"label": 0, "points": 1, "auto_fail": 2}.get(where.field, 0)
        return self.table.cellWidget(where.option, column)

    def clear_highlights(self) -> None:
        highlight(self.table, False)
        for row in range(self.table.rowCount()):
            for column in range(3):
                widget = self.table.cellWidget(row, column)
                if widget is not None and widget.property("validationError"):
                    highlight(widget, False)
