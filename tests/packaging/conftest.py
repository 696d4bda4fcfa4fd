"""Packaging tests run the installed or built app in subprocesses, as a user would, with the
user's folders (settings, data, logs) in a temporary folder and Qt offscreen."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "qagrader", "resources")  # what a build reads


def user_env(home: Path) -> dict[str, str]:
    """This environment with HOME and the XDG folders under `home`, and Qt offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QAGRADER_", "PYTHON"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def copy_sources(target: Path) -> Path:
    """A copy of what a build reads, so that builds never write into the checkout."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture()
def env(tmp_path) -> dict[str, str]:
    return user_env(tmp_path / "home")
