"""Shared set-up of the GUI benchmarks: the project on sys.path, offscreen Qt, and throwaway
user folders so that a benchmark never reads or writes the real settings."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SETTINGS = tempfile.mkdtemp(prefix="qagrader-bench-settings-")
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = os.path.join(SETTINGS, _name.lower())
