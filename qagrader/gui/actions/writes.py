"""The one function through which the disputes and coaching screens write, and the signal that
tells every screen what those writes changed.

`run_write(owner, ws, operation, *args, done=...)` runs the core operation `operation(ws,
*args)` (one transaction through the row writers, which record `Changes`) and emits
`action_writes().changed(changes)`; `done(value)` follows, or the error is shown in one line.
Callers never use a return value, so that this can become the app's op runner
(`gui/operations.py`: `operations().run(ws, operation, *args, done=done, owner=owner)`, which
runs writes off the GUI thread) by changing this module only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.messages import show_error


class ActionWrites(QObject):
    changed = Signal(object)  # Changes


_ANNOUNCER: ActionWrites | None = None


def action_writes() -> ActionWrites:
    """The object whose `changed(Changes)` follows every write made here."""
    global _ANNOUNCER
    if _ANNOUNCER is None:
        _ANNOUNCER = ActionWrites()
    return _ANNOUNCER


def run_write(owner: QWidget | None, ws: Workspace, operation: Callable[..., Any], *args: Any,
              done: Callable[[Any], None] | None = None,
              failed: Callable[[BaseException], None] | None = None) -> None:
    """Write with `operation(ws, *args)`; then `done(value)`, or `failed(error)` (default: the
    error shown in one line, nothing written)."""
    try:
        value, changes = ws.apply(operation, *args)
    except QAGraderError as error:
        if failed is not None:
            failed(error)
        else:
            show_error(owner, error)
        return
    if changes:
        action_writes().changed.emit(changes)
    if done is not None:
        done(value)
