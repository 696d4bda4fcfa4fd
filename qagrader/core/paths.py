"""Where things live on the user's machine (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path, user_log_path

APP_NAME = "QA Grader"
ENV_DB = "QAGRADER_DB"


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False, ensure_exists=True)


def log_dir() -> Path:
    return user_log_path(APP_NAME, appauthor=False, ensure_exists=True)


def default_workspace_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db PATH` wins, then `$QAGRADER_DB`, then `workspace.qagrader` in the user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    return data_dir() / "workspace.qagrader"
