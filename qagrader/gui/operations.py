"""The one way the desktop app writes a workspace, and the one way screens hear about it.

Every write is a core operation run with `operations().run(ws, operation, *args)`: it runs on
a writer thread that owns a connection of its own to `ws`'s file (one thread per open
workspace, so the GUI thread never waits on the write lock), strictly in the order the writes
were asked for. When the operation returns, its callbacks run on the GUI thread and
`Operations.changed` is emitted once with what it changed (`Changes`, recorded by the core in
the operation's transaction). Screens subscribe to `changed` and refresh only that (Anki's
`CollectionOp` and `operation_did_execute`). Opening another workspace is announced as
`Changes.everything()`.

While another program holds the write lock, a write waits (a short attempt: the writer's
connection waits `ATTEMPT_S` for the lock), then is tried again with backoff, and the writes
after it wait their turn: nothing is reordered and nothing is dropped. `state_changed` tells the GUI whenever the writes not saved yet change, so
that screens can say so honestly (`pending`, `waiting_since`, `blocked`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Signal

from qagrader.core.errors import CancelledError, QAGraderError, WorkspaceBusy
from qagrader.core.faults import busy_message
from qagrader.core.faults import is_busy as is_sqlite_busy
from qagrader.core.storage.changes import Changes
from qagrader.core.storage.workspace import Workspace, busy_timeout

log = logging.getLogger(__name__)
ATTEMPT_S = 1.0
"""How long one attempt of a write waits for another program's lock (short, so that the writer
stays able to say so, to retry in order, and to stop at once when the writes are discarded)."""
BACKOFF_S: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Pauses between attempts of a write that found the workspace busy (then the last, again)."""


def is_busy(error: BaseException) -> bool:
    """True when `error` means another program holds the workspace's write lock."""
    return isinstance(error, WorkspaceBusy) or is_sqlite_busy(error)


class Write:
    """One write asked for: the operation, its callbacks, and where it stands."""

    def __init__(self, ws: Workspace, operation: Callable[..., Any], args: tuple, kwargs: dict, *,
                 done: Callable[[Any], None] | None, failed: Callable[[BaseException], None] | None,
                 cancelled: Callable[[], None] | None, progress: Callable[[float], None] | None,
                 owner: QObject | None, retry_for: float | None):
        self.id = next(_ids)
        self.ws = ws
        self.operation, self.args, self.kwargs = operation, args, kwargs
        self.on_done, self.on_failed, self.on_cancelled, self.on_progress = done, failed, cancelled, progress
        self.owner = owner
        self.retry_for = retry_for
        self.queued_at = time.monotonic()
        self.finished = False
        self.value: Any = None
        self.error: BaseException | None = None  # the failure, or the busy error it is waiting on
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the write to stop: not started, it never runs; running, an operation that takes
        `cancelled` stops and rolls back."""
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self) -> Any:
        """Keep the GUI painting until the write has finished; its value, or its error raised."""
        if not self.finished:
            loop = QEventLoop()
            operations().state_changed.connect(loop.quit)
            try:
                while not self.finished:
                    loop.exec()
            finally:
                operations().state_changed.disconnect(loop.quit)
        if self.error is not None:
            raise self.error
        return self.value

    def __repr__(self) -> str:
        return f"<Write {self.id} {getattr(self.operation, '__qualname__', self.operation)!s}>"


_ids = itertools.count(1)


class _Relay(QObject):
    """Carries the writer thread's news to the GUI thread (queued signals)."""

    finished = Signal(object, object, object)  # write, value, changes
    failed = Signal(object, object, object)  # write, error, changes
    cancelled = Signal(object)  # write
    waiting = Signal(object, object)  # write, busy error
    progress = Signal(object, float)  # write, fraction


class _Writer(threading.Thread):
    """Runs one workspace's writes, in order, on a connection of its own."""

    def __init__(self, ws: Workspace, relay: _Relay):
        super().__init__(name=f"qagrader-writer-{ws.path.name}", daemon=True)
        self.ws = ws
        self.relay = relay
        self.jobs: deque[Write] = deque()
        self.cond = threading.Condition()
        self.stopping = False
        self.discarding = False
        self.wake = False

    def submit(self, write: Write) -> None:
        with self.cond:
            self.jobs.append(write)
            self.cond.notify_all()

    def stop(self) -> None:
        """Finish the writes asked for so far, then close the connection and end."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def discard(self) -> list[Write]:
        """Drop every write not done yet (the running one stops retrying) and end."""
        with self.cond:
            dropped = list(self.jobs)
            self.jobs.clear()
            self.discarding = self.stopping = True
            self.cond.notify_all()
        return dropped

    def retry_now(self) -> None:
        with self.cond:
            self.wake = True
            self.cond.notify_all()

    def run(self) -> None:
        worker: Workspace | None = None
        try:
            while True:
                with self.cond:
                    self.cond.wait_for(lambda: self.jobs or self.stopping)
                    if not self.jobs:
                        return
                    write = self.jobs[0]
                if write.is_cancelled:
                    self.relay.cancelled.emit(write)
                else:
                    if worker is None:
                        try:
                            worker = Workspace.open(self.ws.path, create=False, busy_timeout_s=ATTEMPT_S)
                        except Exception as error:  # e.g. the file was moved away
                            self.relay.failed.emit(write, error, Changes())
                            self._pop(write)
                            continue
                    self._run(worker, write)
                self._pop(write)
        finally:
            if worker is not None:
                worker.close()

    def _pop(self, write: Write) -> None:
        with self.cond:
            if self.jobs and self.jobs[0] is write:
                self.jobs.popleft()

    def _run(self, worker: Workspace, write: Write) -> None:
        started = time.monotonic()
        kwargs = dict(write.kwargs)
        if write.on_progress is not None:
            kwargs["progress"] = lambda fraction: self.relay.progress.emit(write, float(fraction))
            kwargs["cancelled"] = write._cancel.is_set
        for attempt in itertools.count():
            worker.take_changes()
            try:
                value = write.operation(worker, *write.args, **kwargs)
            except CancelledError:
                self.relay.cancelled.emit(write)
                worker.take_changes()
                return
            except Exception as error:
                changes = worker.take_changes()
                if not is_busy(error):
                    self.relay.failed.emit(write, error, changes)
                    return
                within = write.retry_for is None or time.monotonic() - started < write.retry_for
                if not within or write.is_cancelled:
                    self.relay.failed.emit(write, WorkspaceBusy(busy_message(self.ws.path)), changes)
                    return
                self.relay.waiting.emit(write, error)
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                with self.cond:
                    self.cond.wait_for(lambda: self.wake or self.discarding, timeout=delay)
                    self.wake = False
                    if self.discarding:
                        return
            else:
                self.relay.finished.emit(write, value, worker.take_changes())
                return


class Operations(QObject):
    """Runs the GUI's writes (see the module's docstring). One per application: `operations()`."""

    changed = Signal(object)  # Changes: what a committed write changed (or everything, on opening)
    state_changed = Signal()  # the writes not saved yet changed (one more, one fewer, waiting)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finished)
        self._relay.failed.connect(self._failed)
        self._relay.cancelled.connect(self._cancelled)
        self._relay.waiting.connect(self._waiting)
        self._relay.progress.connect(self._progress)
        self._writers: dict[Workspace, _Writer] = {}
        self._pending: dict[int, Write] = {}
        self._blocked: dict[int, BaseException] = {}  # writes waiting for another program's lock
        self.announcing: Write | None = None
        """While `changed` is being emitted: the write whose Changes they are (None for `announce`),
        so that a screen can tell its own writes from the others (an import, a merge, a dispute)."""

    # ------------------------------------------------------------------ writing

    def run(self, ws: Workspace, operation: Callable[..., Any], *args: Any,
            done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None,
            cancelled: Callable[[], None] | None = None,
            progress: Callable[[float], None] | None = None,
            owner: QObject | None = None, until_saved: bool = False, retry_for: float | None = None,
            **kwargs: Any) -> Write:
        """Run `operation(writer_ws, *args, **kwargs)` after the writes asked for before it.

        Callbacks run on the GUI thread, unless `owner` (or the QObject a callback is a method
        of) is gone by then: `done(value)`, `failed(error)` (default: shown in a message box),
        `cancelled()`. With `progress`, the operation also gets `progress=` and `cancelled=`.
        A busy workspace is tried again, with backoff, for `retry_for` seconds (default: the
        core's busy budget, `busy_timeout()`), then the write fails with the core's one-line
        `WorkspaceBusy` message; with `until_saved` (a grader's answers) it is tried until it
        is saved or the user discards it."""
        budget = None if until_saved else busy_timeout() if retry_for is None else retry_for
        write = Write(ws, operation, args, kwargs, done=done, failed=failed, cancelled=cancelled,
                      progress=progress, owner=owner, retry_for=budget)
        self._pending[write.id] = write
        self._writer(ws).submit(write)
        self.state_changed.emit()
        return write

    def announce(self, changes: Changes) -> None:
        """Tell every screen that `changes` happened (e.g. everything: a workspace was opened)."""
        self._emit(changes, None)

    def _emit(self, changes: Changes, write: Write | None) -> None:
        outer, self.announcing = self.announcing, write
        try:
            self.changed.emit(changes)
        finally:
            self.announcing = outer

    def _writer(self, ws: Workspace) -> _Writer:
        writer = self._writers.get(ws)
        if writer is None:
            writer = self._writers[ws] = _Writer(ws, self._relay)
            writer.start()
        return writer

    # ------------------------------------------------------------------ what is not saved yet

    def pending(self, ws: Workspace | None = None) -> list[Write]:
        """The writes not finished yet (of `ws`, or of every workspace), oldest first."""
        return [w for w in self._pending.values() if ws is None or w.ws is ws]

    def blocked(self, ws: Workspace | None = None) -> bool:
        """True while a write (of `ws`) waits for another program to release the workspace."""
        return any(ws is None or self._pending[i].ws is ws for i in self._blocked)

    def waiting_since(self, ws: Workspace | None = None) -> float | None:
        """`time.monotonic()` when the oldest write not saved yet was asked for, or None."""
        pending = self.pending(ws)
        return min(w.queued_at for w in pending) if pending else None

    def retry_now(self, ws: Workspace) -> None:
        """Try a write that waits for the lock again now instead of after its pause."""
        writer = self._writers.get(ws)
        if writer is not None:
            writer.retry_now()

    def settle(self, ws: Workspace | None = None, timeout_s: float | None = None) -> bool:
        """Keep the GUI painting until every write (of `ws`) has finished, or `timeout_s` has
        passed; True when nothing is pending."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        self.state_changed.connect(loop.quit)
        try:
            while self.pending(ws):
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    timer.start(max(1, int(left * 1000)))
                loop.exec()
        finally:
            self.state_changed.disconnect(loop.quit)
        return not self.pending(ws)

    def close(self, ws: Workspace, *, discard: bool = False) -> None:
        """Stop `ws`'s writer once its writes are done (`discard`: drop the ones not done yet;
        their callbacks do not run). The writer closes its connection when it ends."""
        writer = self._writers.pop(ws, None)
        if writer is None:
            return
        if discard:
            for write in writer.discard():
                self._forget(write)
            for write in self.pending(ws):  # the one running when discarded
                self._forget(write)
            self.state_changed.emit()
        else:
            writer.stop()
        writer.join(0.05)  # usually at once; never long on the GUI thread

    def shutdown(self) -> None:
        """Stop every writer once its writes are done (at exit, and between tests)."""
        for ws in list(self._writers):
            self.close(ws)

    # ------------------------------------------------------------------ news from the writers

    def _forget(self, write: Write) -> bool:
        """Take `write` off the pending list; False when it was already off (discarded)."""
        self._blocked.pop(write.id, None)
        return self._pending.pop(write.id, None) is not None

    def _finished(self, write: Write, value: Any, changes: Changes) -> None:
        known = self._forget(write)
        write.value, write.error, write.finished = value, None, True
        if known and write.on_done is not None and _alive(write, write.on_done):
            write.on_done(value)
        if changes:
            self._emit(changes, write)
        self.state_changed.emit()

    def _failed(self, write: Write, error: BaseException, changes: Changes) -> None:
        known = self._forget(write)
        write.error, write.finished = error, True
        if known:
            if not isinstance(error, QAGraderError):
                log.error("A write failed: %r", write, exc_info=(type(error), error, error.__traceback__))
            if write.on_failed is not None:
                if _alive(write, write.on_failed):
                    write.on_failed(error)
            else:
                from qagrader.gui.messages import show_error

                owner = write.owner if write.owner is not None and shiboken6.isValid(write.owner) else None
                show_error(owner if owner is not None and owner.isWidgetType() else None, error, logged=True)
        if changes:
            self._emit(changes, write)
        self.state_changed.emit()

    def _cancelled(self, write: Write) -> None:
        known = self._forget(write)
        write.error, write.finished = CancelledError(), True
        if known and write.on_cancelled is not None and _alive(write, write.on_cancelled):
            write.on_cancelled()
        self.state_changed.emit()

    def _waiting(self, write: Write, error: BaseException) -> None:
        if write.id in self._pending:
            self._blocked[write.id] = error
            write.error = error
            self.state_changed.emit()

    def _progress(self, write: Write, fraction: float) -> None:
        if write.id in self._pending and write.on_progress is not None and _alive(write, write.on_progress):
            write.on_progress(fraction)


def _alive(write: Write, callback: Callable) -> bool:
    """False when the widget a callback belongs to is gone."""
    for owner in (write.owner, getattr(callback, "__self__", None)):
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return False
    return True


_shared: Operations | None = None


def operations() -> Operations:
    """The application's `Operations` (made on first use, owned by the QApplication)."""
    global _shared
    if _shared is None or not shiboken6.isValid(_shared):
        _shared = Operations(QCoreApplication.instance())
    return _shared
