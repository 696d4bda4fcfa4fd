"""`--smoke`: prove that an installation works, then quit.

Opens the main window (with its icon) on a workspace, imports every module of QA Grader (a standalone build that
left one out fails here, not when a user first opens that screen), shows every screen, lets the
background work they start finish, and quits: status 0 when all of that happened without an
error logged, 1 with one line per problem on stderr otherwise.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import time

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

import qagrader

from .main_window import MainWindow

BACKGROUND_WAIT_S = 120  # the Analysis screen's first run on a large workspace


class _ErrorRecorder(logging.Handler):
    """Keeps every record at ERROR or above, wherever it was logged."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}"
                             + (f" ({record.exc_info[1]!r})" if record.exc_info and record.exc_info[1] else ""))


def every_module() -> list[str]:
    """The dotted names of all QA Grader modules, found as the running installation sees them."""
    return ["qagrader", *(info.name for info in pkgutil.walk_packages(qagrader.__path__, "qagrader."))]


def run_smoke(app: QApplication, window: MainWindow) -> int:
    """Check the open `window` (see the module docstring); returns the exit status."""
    recorder = _ErrorRecorder()
    logging.getLogger().addHandler(recorder)
    problems: list[str] = []
    where = str(window.ws.path) if window.ws is not None else ""
    try:
        if window.ws is None:
            problems.append("no workspace could be opened")
        modules = every_module()
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 - every failure is a finding
                problems.append(f"module {name} cannot be imported: {error!r}")
        app.processEvents()
        if not window.isVisible():
            problems.append("the main window is not shown")
        if window.windowIcon().isNull():
            problems.append("the window has no icon (resources/icons missing)")
        first = window.current_screen()
        for screen in window.screens:
            window.show_screen(screen.key)
            app.processEvents()
        _wait_for_background_work(app)
        if first:  # the app remembers the last screen: leave the user's choice as it was
            window.show_screen(first)
        window.close()
        app.processEvents()
        _wait_for_background_work(app)
    finally:
        logging.getLogger().removeHandler(recorder)
    problems += recorder.messages
    if problems:
        for problem in problems:
            print(f"smoke test failed: {problem}", file=sys.stderr)
        return 1
    print(f"Smoke test passed: {len(window.screens)} screens and {len(modules)} modules "
          f"opened on {where}.")
    return 0


def _wait_for_background_work(app: QApplication) -> None:
    pool = QThreadPool.globalInstance()
    deadline = time.monotonic() + BACKGROUND_WAIT_S
    while True:
        app.processEvents()
        if pool.waitForDone(50) or time.monotonic() > deadline:
            break
    app.processEvents()  # deliver the results the last tasks emitted
