"""The files QA Grader ships (`resources/`): sample scorecards, the application icon, the Linux
.desktop file.

Installed (a wheel, the standalone build) they are package data, `qagrader/resources/`, found
with importlib.resources; in a source checkout or an editable install they are the repository's
top-level `resources/` folder beside the package.
"""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path

import qagrader

from .errors import QAGraderError

PACKAGED = "resources"  # the folder's name inside the installed package


def resource_folders() -> list[Path]:
    """Where shipped files are looked for, in order: inside the package, then the checkout."""
    folders = [Path(str(importlib_resources.files(qagrader) / PACKAGED))]
    checkout = Path(qagrader.__file__).resolve().parent.parent / "resources"
    if checkout not in folders:
        folders.append(checkout)
    return folders


def resource_path(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. `resource_path("scorecards", "phone.json")`.

    Raises QAGraderError naming every place looked in when it is missing (a broken install)."""
    candidates = [folder.joinpath(*parts) for folder in resource_folders()]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise QAGraderError(f"QA Grader's file {'/'.join(parts)} is missing (looked in "
                        f"{', '.join(str(c.parent) for c in candidates)}); reinstall QA Grader.")
