"""Two pieces of work on two cores: one in a forked process, one here.

`qagrader analyze` spends most of its time in Python (the statistics, matplotlib laying out and
rendering text), which one process runs on one core. `in_two_processes(theirs, mine)` forks:
the child runs `theirs` (which returns bytes, e.g. a pickle, or raises), the parent runs
`mine`; the parent gets both results, or the child's failure as the `QAGraderError` it raised
(its one-line message) or an `OutputError`. Only for single-threaded callers (the command
line): a process with threads (the app) must not fork. `can_fork()` says whether it is possible
here (not on Windows).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.files import OutputError

T = TypeVar("T")


def can_fork() -> bool:
    return hasattr(os, "fork")


def in_two_processes(theirs: Callable[[], bytes], mine: Callable[[], T]) -> tuple[T, bytes]:
    """(`mine()`, `theirs()`), `theirs` run in a forked child. A failure of `mine` stops the
    child; a failure of the child is raised here (after `mine` finished)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, pass back the result or the failure, leave at once
        os.close(read)
        status = 1
        try:
            try:
                payload = b"R" + theirs()
                status = 0
            except QAGraderError as error:
                payload = b"E" + pickle.dumps((type(error).__name__, str(error)))
            except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
                payload = b"E" + pickle.dumps(("", f"{type(error).__name__}: {error}"))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            value = mine()
            payload = pipe.read()
    except BaseException:
        try:
            os.kill(pid, 15)
        except OSError:
            pass
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    if status == 0 and payload[:1] == b"R":
        return value, payload[1:]
    kind, message = pickle.loads(payload[1:]) if payload[:1] == b"E" else ("", "")
    if kind:
        raise (OutputError if kind == OutputError.__name__ else QAGraderError)(message)
    raise OutputError(message or "The second process of the analysis stopped unexpectedly.")
