"""How the Calibration screen writes: each change is one core operation (a function of the
workspace, one transaction) whose `Changes` are announced by `Writer.changed`, so that the
screen's parts refresh from one signal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.messages import show_error


class Writer(QObject):
    """Runs the screen's write operations and announces what they changed."""

    changed = Signal(object)  # Changes

    def __init__(self, owner: QWidget):
        super().__init__(owner)
        self._owner = owner

    def run(self, ws: Workspace, operation: Callable[..., Any], *args: Any,
            done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None) -> bool:
        """Run `operation(ws, *args)`; `done(value)` after it, or `failed(error)` (default: the
        error shown in one line). True when it was written."""
        try:
            value, changes = ws.apply(operation, *args)
        except QAGraderError as error:
            if failed is not None:
                failed(error)
            else:
                show_error(self._owner, error)
            return False
        if changes:
            self.changed.emit(changes)
        if done is not None:
            done(value)
        return True
