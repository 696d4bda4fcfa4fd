"""Problems found in a CSV file, shown as a table (row, column, value, message)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableView, QVBoxLayout,
    QWidget,
)

from qagrader.core.errors import CsvProblem

_Index = QModelIndex | QPersistentModelIndex


class ProblemsModel(QAbstractTableModel):
    """A read-only table over a list of `CsvProblem`s (any number; rows are formatted lazily)."""

    HEADERS = ("Row", "Column", "Value", "Problem")

    def __init__(self, problems: Sequence[CsvProblem] = (), parent=None):
        super().__init__(parent)
        self.problems: Sequence[CsvProblem] = problems

    def set_problems(self, problems: Sequence[CsvProblem]) -> None:
        self.beginResetModel()
        self.problems = problems
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        problem = self.problems[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(problem, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def cell(problem: CsvProblem, column: int) -> str:
        if column == 0:
            return "whole file" if problem.row is None else ("header" if problem.row == 1 else str(problem.row))
        if column == 1:
            return problem.column or ""
        if column == 2:
            value = getattr(problem, "value", None)
            return "" if value is None else str(value)
        return problem.message[:1].upper() + problem.message[1:]

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Every row as the user sees it (for tests and copying)."""
        return [tuple(self.cell(p, c) for c in range(4)) for p in self.problems]  # type: ignore[misc]


class ProblemsView(QTableView):
    """The problems table with sensible column sizes."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.problems_model = ProblemsModel(parent=self)
        self.setModel(self.problems_model)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        width = self.fontMetrics().horizontalAdvance
        self.setColumnWidth(0, width("whole file") + 24)
        self.setColumnWidth(1, width("Satisfaction rating") + 24)
        self.setColumnWidth(2, width("2021-13-45 12:00") + 24)

    def set_problems(self, problems: Sequence[CsvProblem]) -> None:
        self.problems_model.set_problems(problems)
        has_values = any(getattr(p, "value", None) not in (None, "") for p in problems[:10_000])
        self.setColumnHidden(2, not has_values)


class ProblemsDialog(QDialog):
    """Lists every problem of a file; optionally offers to import the good rows only."""

    def __init__(self, title: str, summary: str, problems: Sequence[CsvProblem],
                 skip_text: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.skip = False
        layout = QVBoxLayout(self)
        label = QLabel(summary)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        self.table = ProblemsView()
        self.table.set_problems(problems)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        if skip_text:
            skip = buttons.addButton(skip_text, QDialogButtonBox.ButtonRole.AcceptRole)
            skip.clicked.connect(self._skip)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 460)

    def _skip(self) -> None:
        self.skip = True
        self.accept()
