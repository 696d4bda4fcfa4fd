"""Run one piece of long work in a worker while a modal progress dialog keeps the GUI alive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from qagrader.core.errors import CancelledError
from qagrader.gui.workers import Task


def run_with_progress(parent: QWidget | None, title: str, label: str,
                      fn: Callable[..., Any], *, show_after_ms: int = 400) -> Any:
    """Run `fn(progress=..., cancelled=...)` in the thread pool and wait for it with a local
    event loop (the GUI keeps painting). A progress dialog with Cancel appears after
    `show_after_ms`. Returns the result; re-raises the worker's exception; Cancel raises
    `CancelledError`."""
    dialog = QProgressDialog(label, "Cancel", 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(show_after_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setValue(0)
    loop = QEventLoop()
    outcome: dict[str, Any] = {}
    task = Task(fn)
    task.signals.progress.connect(lambda f: dialog.setValue(int(max(0.0, min(f, 1.0)) * 1000)))
    task.signals.finished.connect(lambda result: (outcome.setdefault("result", result), loop.quit()))
    task.signals.failed.connect(lambda error: (outcome.setdefault("error", error), loop.quit()))
    task.signals.cancelled.connect(lambda: (outcome.setdefault("error", CancelledError()), loop.quit()))
    dialog.canceled.connect(task.cancel)
    task.start()
    loop.exec()
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
