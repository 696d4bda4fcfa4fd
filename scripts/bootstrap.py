"""Set up a virtual environment with QA Grader and its test tools, then run something.

    python3 scripts/bootstrap.py demo   # build the demo workspace and open the app on it
    python3 scripts/bootstrap.py test   # run the whole test suite

Needs only python3 with pip. Re-running is cheap: pip skips what is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"


def venv_python() -> Path:
    """The virtualenv's python, created on first use; this python if venv is unavailable."""
    python = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as error:  # e.g. Debian without python3-venv
            print(f"Cannot create {VENV} ({error}); installing into {sys.executable} instead.")
            return Path(sys.executable)
    return python


def install(python: Path) -> None:
    marker = VENV / ".installed"
    stamp = (ROOT / "pyproject.toml").stat().st_mtime_ns
    if marker.exists() and marker.read_text() == str(stamp):
        return
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=False)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    if marker.parent.exists():
        marker.write_text(str(stamp))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "app"):
        print(__doc__)
        return 2
    python = venv_python()
    install(python)
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = [str(python), "-m", "pytest", "-n", "2", "--dist", "loadfile", *rest]
    elif command == "demo":
        args = [str(python), "-m", "qagrader.cli.main", "--db", str(ROOT / "demo.qagrader"), "demo", "--open", *rest]
    else:
        args = [str(python), "-m", "qagrader.cli.main", *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
