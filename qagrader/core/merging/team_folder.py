"""The team folder: a shared folder (network drive, synced folder) where every grader's app
publishes a copy of its workspace and the lead's app merges them all (`merge.merge_folder`).

A published copy is one self-contained file (no ``-wal``), written to a temporary file in the
folder, fsynced and renamed over the previous copy, so that a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import QAGraderError, WorkspaceError
from ..storage.files import OutputError, copy_database
from ..storage.integrity import refuse_if_damaged

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


def published_name(owner: str) -> str:
    """The file name a grader's copy gets in the team folder, e.g. ``Priya Raman.qagrader``."""
    name = _UNSAFE.sub("-", " ".join(owner.split())).strip(" .-") or "workspace"
    return f"{name[:80]}.qagrader"


def publish(ws: "Workspace", folder: str | os.PathLike, owner: str) -> Path:
    """Write a copy of `ws` into the team `folder` as `published_name(owner)`, atomically; the
    path written. Refuses to write over the open workspace itself."""
    folder_path = Path(folder).expanduser()
    if not folder_path.is_dir():
        raise QAGraderError(f"The team folder {folder_path} does not exist or is not a folder.")
    target = folder_path / published_name(owner)
    refuse_if_damaged(ws.conn, ws.path, doing="published")  # never spread a damaged copy
    try:
        copy_database(ws.conn, target)  # refuses the open workspace itself, atomically replaces
    except OutputError as error:
        raise WorkspaceError(f"Cannot publish to {target}: {error} The previous copy there, if "
                             f"any, is unchanged.") from error
    return target
