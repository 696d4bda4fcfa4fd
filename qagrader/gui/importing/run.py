"""Run one import through `operations` while a modal progress dialog keeps the GUI alive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from qagrader.gui.operations import operations


def write_with_progress(parent: QWidget | None, title: str, label: str, ws,
                        operation: Callable[..., Any], *args: Any) -> Any:
    """Run `operation(writer_ws, *args, progress=..., cancelled=...)` through `operations` and
    wait for it (the GUI keeps painting). A progress dialog with Cancel appears after 0.4 s.
    Returns the operation's value; raises its error; Cancel raises `CancelledError`."""
    dialog = QProgressDialog(label, "Cancel", 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setValue(0)
    write = operations().run(ws, operation, *args, owner=dialog, failed=lambda _error: None,
                             progress=lambda f: dialog.setValue(int(max(0.0, min(f, 1.0)) * 1000)))
    dialog.canceled.connect(write.cancel)
    try:
        return write.wait()
    finally:
        dialog.close()
        dialog.deleteLater()
