"""The controls that write to the workspace, kept off while it is read-only.

A screen marks its writing buttons and actions once, where it builds them:
``writing(self.new_action, self.delete_action)``: every button, action or keyboard shortcut (a
QAction with a shortcut, added to its widget) that writes, or that edits what only a write
could keep (a scorecard draft). The marks are the registry the read-only tests walk
(`is_writing`). The main window calls
`set_read_only(ws.read_only)` before it gives a workspace to the screens. While read-only, a
marked control that the screen's own logic enables (a selection changed, say) is turned off again
at once, so no screen needs to know; afterwards the screens' own logic decides again (they reload
when a workspace opens). A write asked for anyway is still refused by the op runner in one line.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QRadioButton, QTextEdit,
    QWidget,
)

READ_ONLY_TIP = "The workspace is read-only: nothing can be changed in it"


class _Keeper(QObject):
    """Turns marked widgets off again whenever they are turned on while read-only."""

    def __init__(self) -> None:
        super().__init__()
        self.read_only = False
        self.controls: "weakref.WeakSet[QObject]" = weakref.WeakSet()
        self.forced: "weakref.WeakSet[QObject]" = weakref.WeakSet()  # turned off here, to turn back on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (self.read_only and event.type() == QEvent.Type.EnabledChange and isinstance(watched, QWidget)
                and watched.isEnabled()):
            self.keep_off(watched)
        return False

    def keep_off(self, control: QObject) -> None:
        try:
            if control.isEnabled():
                self.forced.add(control)
                control.setEnabled(False)
        except RuntimeError:  # its widget is gone
            self.controls.discard(control)


_keeper: _Keeper | None = None


def _the_keeper() -> _Keeper:
    global _keeper
    if _keeper is None:
        _keeper = _Keeper()
    return _keeper


def writing(*controls: QObject) -> None:
    """Mark buttons and actions that write to the workspace (see the module docstring)."""
    keeper = _the_keeper()
    for control in controls:
        keeper.controls.add(control)
        if isinstance(control, QAction):
            control.enabledChanged.connect(lambda on, c=control: _action_changed(c, on))
        else:
            control.installEventFilter(keeper)
        if keeper.read_only:
            keeper.keep_off(control)


def _action_changed(action: QAction, enabled: bool) -> None:
    keeper = _the_keeper()
    if keeper.read_only and enabled:
        keeper.keep_off(action)


def set_read_only(read_only: bool) -> None:
    """Turn every marked control off (True), or give back what was turned off here (False: the
    screens' own logic refines it when they reload)."""
    keeper = _the_keeper()
    if keeper.read_only == read_only:
        return
    keeper.read_only = read_only
    if read_only:
        for control in list(keeper.controls):
            keeper.keep_off(control)
        return
    forced, keeper.forced = list(keeper.forced), weakref.WeakSet()
    for control in forced:
        try:
            control.setEnabled(True)
        except RuntimeError:  # its widget is gone
            keeper.controls.discard(control)


def is_read_only() -> bool:
    return _the_keeper().read_only


def is_writing(control: QObject) -> bool:
    """True for a control marked with `writing`."""
    return control in _the_keeper().controls


_TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
_CHOICES = (QComboBox, QCheckBox, QRadioButton)


def view_only(root: QWidget, on: bool) -> None:
    """Make the input fields under `root` view only (`on`) or editable again: text fields and
    number boxes read-only on the window's colour (their text still selectable and copyable),
    lists and check boxes off but drawn in a readable shade of the text colour, light or dark.
    Call it again after building new fields, and when the palette changes (`on` = the same)."""
    palette = QApplication.palette()
    text, window = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Window)
    readable = QColor(*(round(0.75 * t + 0.25 * w) for t, w in
                        zip(text.getRgb()[:3], window.getRgb()[:3], strict=True)))
    for widget in root.findChildren(QWidget):
        if isinstance(widget, _TEXT_INPUTS):
            if widget.property("viewOnly") is None and not on:
                continue  # never touched here: its own look and state
            widget.setReadOnly(on)
            own = QPalette()
            if on:
                own.setColor(QPalette.ColorRole.Base, window)
            widget.setPalette(own)
        elif isinstance(widget, _CHOICES):
            if widget.property("viewOnly") is None and not on:
                continue
            widget.setEnabled(not on)
            own = QPalette()
            if on:
                for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
                    own.setColor(QPalette.ColorGroup.Disabled, role, readable)
            widget.setPalette(own)
        else:
            continue
        widget.setProperty("viewOnly", on)
