"""The log file in the user's log folder: where unexpected errors leave their traceback.

The desktop app and the command line share it (`qagrader.log`, rotated at 1 MB, 3 kept). When
the log folder cannot be written (a read-only home), the system's temporary folder is used.
"""

from __future__ import annotations

import logging
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .paths import log_dir

LOG_NAME = "qagrader.log"
log = logging.getLogger("qagrader")
_handler_path: Path | None = None


def open_log_handler(folder: Path | None = None) -> tuple[Path, logging.Handler]:
    """A rotating file handler on the log file (the log folder, else the temporary folder)."""
    candidates = [folder] if folder is not None else []
    if folder is None:
        try:
            candidates.append(log_dir())
        except OSError:
            pass
        candidates.append(Path(tempfile.gettempdir()))
    for place in candidates:
        try:
            path = place / LOG_NAME
            handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        except OSError:
            continue
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        return path, handler
    handler = logging.StreamHandler()
    return Path("<stderr>"), handler


def log_unexpected(error: BaseException, context: str = "") -> Path:
    """Write `error` with its traceback to the log file; returns the file's path."""
    global _handler_path
    if _handler_path is None:
        _handler_path, handler = open_log_handler()
        log.addHandler(handler)
        log.setLevel(min(log.level or logging.INFO, logging.INFO))
    log.error("Unexpected error%s", f" in {context}" if context else "",
              exc_info=(type(error), error, error.__traceback__))
    for handler in log.handlers:
        handler.flush()
    return _handler_path
