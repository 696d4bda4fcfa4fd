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


def default_workspace_path(explicit: str | os.PathLike | None = None, *,
                           create_folder: bool = True) -> Path:
    """`--db PATH` wins, then `$QAGRADER_DB`, then `workspace.qagrader` in the user data folder
    (made when missing unless `create_folder` is False: a command that only reads creates
    nothing)."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    folder = data_dir() if create_folder else user_data_path(APP_NAME, appauthor=False)
    return folder / "workspace.qagrader"
