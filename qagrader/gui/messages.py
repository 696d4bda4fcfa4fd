"""Errors as short, readable messages; unexpected ones also go to a log file.

`QAGraderError`s (bad input, workspace state) are shown with their own message. Anything else
is a bug: it is logged with its traceback to `qagrader.log` in the user's log folder and the
user sees one short sentence and where the details are.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from qagrader.core.errors import QAGraderError
from qagrader.core.faults import describe, is_environment_error
from qagrader.core.logs import open_log_handler

log = logging.getLogger("qagrader")
_log_path: Path | None = None


def setup_logging(level: int = logging.INFO, folder: Path | None = None) -> Path:
    """Log to a rotating file in the user's log folder (once per process); returns its path."""
    global _log_path
    if _log_path is not None:
        return _log_path
    path, handler = open_log_handler(folder)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    _log_path = path
    return path


def log_path() -> Path:
    return _log_path or setup_logging()


def user_message(error: BaseException) -> str:
    """What the user reads for `error`."""
    if isinstance(error, QAGraderError):
        return str(error)
    if is_environment_error(error):  # the same words as the command line
        return describe(error)
    kind = type(error).__name__
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (f"Something went wrong ({kind}{': ' + detail if detail else ''}). Your work is saved. "
            f"The details were written to {log_path()}.")


def show_error(parent: QWidget | None, error: BaseException | str, title: str = "QA Grader",
               *, logged: bool = False) -> QMessageBox:
    """Show `error` as a short message box that does not block the caller.

    A `QAGraderError` (or plain text) is shown as it is; anything else is logged first
    (unless `logged`)."""
    if isinstance(error, BaseException) and not isinstance(error, QAGraderError) and not logged:
        log.error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
    text = error if isinstance(error, str) else user_message(error)
    icon = QMessageBox.Icon.Warning if isinstance(error, (str, QAGraderError)) else QMessageBox.Icon.Critical
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if parent is not None:
        box.open()
    else:
        box.show()
    return box


_in_hook = False


def excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """`sys.excepthook`: log the traceback, show a short message, keep the app running."""
    global _in_hook
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    if not isinstance(error, QAGraderError):
        log.error("Unhandled exception:\n%s", "".join(traceback.format_exception(kind, error, tb)))
    if _in_hook or QApplication.instance() is None:
        return
    _in_hook = True
    try:
        show_error(QApplication.activeWindow(), error, logged=True)
    finally:
        _in_hook = False


def install_excepthook() -> None:
    sys.excepthook = excepthook
