"""Labels and colours shared by the scorecard editor's widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QBoxLayout, QToolButton, QWidget

TYPE_LABELS = {"yes_no": "Yes / No", "scale": "Scale (numbers)", "options": "Options (labels with points)"}
AUTO_FAIL_LABELS = {None: "No auto-fail", "section": "Fails its section", "all": "Fails the whole evaluation"}
OPTION_AUTO_FAIL_LABELS = {None: "None", "section": "Section", "all": "Evaluation"}
NA_POLICY_LABELS = {"exclude": "N/A drops out of the score", "pass": "N/A counts as full points"}


def error_color() -> str:
    """A red that reads on both light and dark palettes."""
    dark = QApplication.palette().window().color().lightness() < 128
    return "#ef6b6b" if dark else "#c62828"


def ok_color() -> str:
    """A green that reads on both light and dark palettes."""
    dark = QApplication.palette().window().color().lightness() < 128
    return "#81c784" if dark else "#1b5e20"


def highlight(widget: QWidget, on: bool) -> None:
    """Mark a widget as the one a validation error names."""
    if on:
        name = widget.metaObject().className()
        widget.setStyleSheet(f"{name} {{ border: 2px solid {error_color()}; border-radius: 3px; }}")
    else:
        widget.setStyleSheet("")
    widget.setProperty("validationError", on)


def tool_button(row: QBoxLayout, text: str, icon: QIcon, tip: str, slot) -> QToolButton:
    """A tool button (icon, optional text beside it, tooltip and accessible name) added to `row`."""
    button = QToolButton()
    button.setIcon(icon)
    if text:
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.clicked.connect(slot)
    row.addWidget(button)
    return button
