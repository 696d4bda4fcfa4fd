"""Background reads, with progress and cancel: one task pattern for every screen.

A widget owns a `Tasks` (Orange's `ConcurrentWidgetMixin`, as a member): `tasks.start(fn,
done=...)` runs `fn(progress=..., cancelled=...)` on the global `QThreadPool` and calls the
widget's callbacks on the GUI thread. Starting a new task cancels the one before it, and a
cancelled task is disconnected, so a late result never reaches the widget; when the widget is
destroyed its `Tasks` goes with it and nothing more is delivered. `tasks.read(ws, fn, ...)` runs
`fn(worker_ws, progress=..., cancelled=...)` on a workspace of its own, opened for the run and
closed after it (a SQLite connection belongs to the thread that made it).

Writes do not run here: they go through `operations` (one writer, in order, reporting what
changed).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

log = logging.getLogger(__name__)


class _Running(QObject):
    """Holds every started task until its thread is done, then lets it go on the GUI thread.

    A task dropped by its owner (cancelled, or its screen closed) must not be collected while
    it still emits, nor on the worker thread: its signals object belongs to the GUI thread. The
    worker hands the task back through a queued signal, which also keeps it alive until the
    GUI thread has delivered everything it emitted before."""

    ended = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.tasks: set[Task] = set()
        self.ended.connect(self._release)

    def _release(self, task: "Task") -> None:
        self.tasks.discard(task)


_RUNNING = _Running()


def running() -> int:
    """Tasks started and not let go yet: while non-zero, signals they emitted may still come."""
    return len(_RUNNING.tasks)


class TaskSignals(QObject):
    progress = Signal(float)
    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception
    cancelled = Signal()


class Task(QRunnable):
    """Run `fn(progress=..., cancelled=...)` in the thread pool; its signals arrive on the GUI
    thread. Use it through a widget's `Tasks`; alone only for fire-and-forget work."""

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
            _RUNNING.ended.emit(self)

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
        _RUNNING.tasks.add(self)
        QThreadPool.globalInstance().start(self, priority)
        return self


class _Callbacks:
    __slots__ = ("done", "failed", "progress", "cancelled")

    def __init__(self, done, failed, progress, cancelled):
        self.done, self.failed, self.progress, self.cancelled = done, failed, progress, cancelled


class Tasks(QObject):
    """The background task of one widget (one at a time: starting another cancels it).

    Callbacks run on the GUI thread, only for the current task and only while the owner lives:
    `done(result)`, `failed(error)`, `progress(fraction)`, `cancelled()` (the task stopped
    because it was asked to, by `cancel()` elsewhere or a core `CancelledError`)."""

    def __init__(self, owner: QObject):
        super().__init__(owner)
        self.current: Task | None = None
        self._callbacks: _Callbacks | None = None

    @property
    def running(self) -> bool:
        return self.current is not None

    def start(self, fn: Callable[..., Any], *, done: Callable[[Any], None],
              failed: Callable[[BaseException], None] | None = None,
              progress: Callable[[float], None] | None = None,
              cancelled: Callable[[], None] | None = None, priority: int = 0) -> Task:
        """Run `fn(progress=..., cancelled=...)`, cancelling the task before it."""
        self.cancel()
        task = Task(fn)
        signals = task.signals
        signals.finished.connect(self._finished)
        signals.failed.connect(self._failed)
        signals.progress.connect(self._progress)
        signals.cancelled.connect(self._cancelled)
        self.current, self._callbacks = task, _Callbacks(done, failed, progress, cancelled)
        return task.start(priority)

    def read(self, ws: "Workspace", fn: Callable[..., Any], **callbacks) -> Task:
        """Like `start`, for `fn(worker_ws, progress=..., cancelled=...)` on a workspace opened
        for this run (the same file as `ws`) and closed after it."""
        return self.start(on_reopened(ws, fn), **callbacks)

    def stop(self) -> None:
        """Ask the current task to stop and still hear how it ended (`cancelled`, or `done` /
        `failed` when it finished first)."""
        if self.current is not None:
            self.current.cancel()

    def cancel(self) -> None:
        """Stop the current task; none of its callbacks will run."""
        task, self.current, self._callbacks = self.current, None, None
        if task is None:
            return
        task.cancel()
        signals = task.signals
        for signal, slot in ((signals.finished, self._finished), (signals.failed, self._failed),
                             (signals.progress, self._progress), (signals.cancelled, self._cancelled)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):  # already gone with its task
                pass

    # Queued signals of a task that was just disconnected may still arrive: the sender is checked.

    def _is_current(self) -> bool:
        return self.current is not None and self.sender() is self.current.signals

    def _end(self) -> _Callbacks:
        callbacks, self.current, self._callbacks = self._callbacks, None, None
        return callbacks

    def _finished(self, result: Any) -> None:
        if self._is_current():
            self._end().done(result)

    def _failed(self, error: BaseException) -> None:
        if self._is_current():
            callbacks = self._end()
            if callbacks.failed is not None:
                callbacks.failed(error)
            else:
                from qagrader.gui.messages import show_error

                owner = self.parent()
                show_error(owner if owner is not None and owner.isWidgetType() else None, error)

    def _progress(self, fraction: float) -> None:
        if self._is_current() and self._callbacks.progress is not None:
            self._callbacks.progress(fraction)

    def _cancelled(self) -> None:
        if self._is_current():
            callbacks = self._end()
            if callbacks.cancelled is not None:
                callbacks.cancelled()


def on_reopened(ws: "Workspace", fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(worker_ws, progress=..., cancelled=...)` as a task body: it runs on its own
    connection to `ws`'s file, closed when it returns."""

    def run(progress: Callable[[float], None], cancelled: Callable[[], bool]) -> Any:
        with ws.reopen() as worker:
            return fn(worker, progress=progress, cancelled=cancelled)

    return run


def _is_user_error(error: BaseException) -> bool:
    from qagrader.core.errors import QAGraderError

    return isinstance(error, QAGraderError)
