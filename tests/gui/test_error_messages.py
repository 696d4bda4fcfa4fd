"""The desktop app words file-system and database faults as the command line does."""

from __future__ import annotations

import errno
import sqlite3

from qagrader.core.faults import describe
from qagrader.gui.messages import user_message


def test_os_and_database_errors_read_the_same_as_at_the_command_line(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.csv"))
    assert user_message(full) == describe(full) == (
        f"Not enough space to write {tmp_path / 'out.csv'}: the disk is full or the file is larger "
        f"than allowed. Free some space and try again; nothing was changed.")
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    assert user_message(denied).startswith(f"Permission denied for {tmp_path / 'x'}:")
    busy = sqlite3.OperationalError("database is locked")
    assert user_message(busy) == describe(busy) == (
        "The workspace is busy: another QA Grader or program is writing to it. Try again in a "
        "moment; nothing was changed.")
