"""A read-only, sortable Qt model over a small pandas DataFrame (the table behind a chart)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from PySide6.QtCore import (
    QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt,
)
from PySide6.QtGui import QBrush, QColor, QPalette

Formatter = Callable[[Any], str]
SORT_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_value(value: Any, column: str = "") -> str:
    """Plain display text: counts with thousands separators, 3 decimals, p-values readable,
    dates as days, flags as yes / blank, missing as an en dash."""
    if _missing(value):
        return "–"
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int,)) or type(value).__name__.startswith("int"):
        return f"{int(value):,}"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        value = float(value)
        if column in ("p_value", "q_value"):
            return "< 0.001" if value < 0.001 else f"{value:.3f}"
        return f"{value:.3f}"
    return str(value)


def _sort_key(value: Any) -> Any:
    if _missing(value):
        return None  # Qt sorts invalid values last
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str):
        return value.casefold()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


class DataFrameModel(QAbstractTableModel):
    """Shows `frame` as it is; `formatters` override the text of some columns, `muted_rows`
    (row positions) are drawn grey (e.g. cells with too few evaluations)."""

    def __init__(self, frame: pd.DataFrame | None = None, parent=None):
        super().__init__(parent)
        self._frame = pd.DataFrame()
        self._values: list[list[Any]] = []
        self._formatters: dict[str, Formatter] = {}
        self._muted: set[int] = set()
        if frame is not None:
            self.set_frame(frame)

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def set_frame(self, frame: pd.DataFrame, formatters: dict[str, Formatter] | None = None,
                  muted_rows: Iterable[int] = ()) -> None:
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self._values = self._frame.astype(object).values.tolist()
        self._formatters = dict(formatters or {})
        self._muted = set(muted_rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._values)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._frame.shape[1]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._values[index.row()][index.column()]
        column = str(self._frame.columns[index.column()])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):  # tip: elided text
            formatter = self._formatters.get(column)
            return formatter(value) if formatter else format_value(value, column)
        if role == SORT_ROLE:
            return _sort_key(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = not isinstance(value, str) and not _missing(value)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and index.row() in self._muted:
            return QBrush(QPalette().color(QPalette.ColorRole.PlaceholderText))  # the theme's muted text
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_title(str(self._frame.columns[section]))
        return str(section + 1)


_WORDS = {"ci": "CI", "csat": "CSAT", "r2": "R²", "adj": "adjusted", "n": "n", "p": "p", "q": "q",
          "rho": "rho", "diff": "difference", "x": "x", "y": "y", "vs": "vs", "a": "A", "b": "B"}
_TITLES = {"p_value": "p-value", "q_value": "q-value", "csat_diff_p": "CSAT difference p-value",
           "n_a": "n (A)", "n_b": "n (B)", "rho_a": "rho (A)", "rho_b": "rho (B)", "channel_a": "Channel A",
           "channel_b": "Channel B", "share_of_r2": "Share of R²", "simpson_flag": "Pooled and within disagree",
           "too_few": "Too few", "team_n": "Team n", "x_cut": "x cut", "y_cut": "y cut"}


_LOWER = ("n", "p", "q", "rho", "x", "y", "#")  # symbols that keep their case at the start


def column_title(name: str) -> str:
    """A table column's name in words for the screen (``ci_low`` -> "CI low", ``q_value`` ->
    "q-value"); exported files keep the names as they are. Names with a space or a capital
    (skills, "agent (n)") are already words: only their first letter is raised."""
    if name in _TITLES:
        return _TITLES[name]
    words = name.split(" ") if " " in name or name != name.lower() else [_WORDS.get(w, w) for w in name.split("_")]
    if words[0] in _LOWER:
        return " ".join(words)
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def sortable(model: DataFrameModel, view: QObject) -> QSortFilterProxyModel:
    """A proxy for `view` that sorts `model` by its raw values (numbers as numbers, missing
    last). It belongs to the view: owned by the model, the two would form a reference cycle
    that PySide crashes on when the garbage collector clears it after the widgets are gone."""
    proxy = QSortFilterProxyModel(view)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy
