"""The core and the analysis never import Qt (Anki's pylib/aqt split)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "matplotlib.backends.backend_qt")
CORE_PACKAGES = ("core", "analysis")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_sources_import_no_qt_or_gui():
    offenders = []
    for package in CORE_PACKAGES:
        for path in (ROOT / "qagrader" / package).rglob("*.py"):
            for name in _imports(path):
                if name.startswith(QT_PACKAGES) or name.startswith(("qagrader.gui", "qagrader.cli")):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in CORE_PACKAGES
        for path in sorted((ROOT / "qagrader" / package).rglob("*.py"))
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
        f"print(sorted(m for m in sys.modules if m.startswith({QT_PACKAGES!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
