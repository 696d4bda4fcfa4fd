"""Long work off the GUI thread, with progress and cancel.

Core functions take `progress(fraction)` and `cancelled() -> bool` callbacks; `Task` adapts
them to Qt signals and runs them on the global `QThreadPool`. Signals arrive on the GUI thread.
A newer request cancels the older one when both go through the same `TaskSlot`.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)
# Started tasks stay referenced here until their thread is done: a task dropped by its owner
# (cancelled, or its screen closed) must not be garbage-collected while it still emits.
_RUNNING: set["Task"] = set()
_RUNNING_LOCK = threading.Lock()


class TaskSignals(QObject):
    progress = Signal(float)
    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception
    cancelled = Signal()


class Task(QRunnable):
    """Run `fn(progress=..., cancelled=...)` in the thread pool.

    `fn` must open its own `Workspace` (e.g. `ws.reopen()`) if it touches the database:
    a SQLite connection belongs to the thread that made it.
    """

    def __init__(self, fn: Callable[..., Any]):
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = TaskSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            self._run()
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(self)

    def _run(self) -> None:
        from qagrader.core.errors import CancelledError

        try:
            result = self.fn(progress=self.signals.progress.emit, cancelled=self._cancel.is_set)
        except CancelledError:
            self.signals.cancelled.emit()
        except Exception as error:  # shown by the GUI, logged when unexpected
            if not _is_user_error(error):
                log.error("Background task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(error)
        else:
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)

    def start(self, priority: int = 0) -> "Task":
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        QThreadPool.globalInstance().start(self, priority)
        return self


class TaskSlot:
    """Holds at most one running task: starting a new one cancels the previous one."""

    def __init__(self) -> None:
        self.current: Task | None = None

    def start(self, task: Task, priority: int = 0) -> Task:
        if self.current is not None:
            self.current.cancel()
        self.current = task
        return task.start(priority)

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()
            self.current = None


def _is_user_error(error: BaseException) -> bool:
    from qagrader.core.errors import QAGraderError

    return isinstance(error, QAGraderError)
