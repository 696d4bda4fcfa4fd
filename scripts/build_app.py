"""Build the standalone QA Grader app with PyInstaller: one folder that runs without Python.

    python3 scripts/bootstrap.py build                      # sets up .venv, then runs this
    .venv/bin/python scripts/build_app.py [--dist DIR] [--work DIR] [--clean]

Produces DIR/qagrader/ (default dist/qagrader/): the `qagrader` executable (`qagrader.exe` on
Windows; on macOS also `qagrader.app`) with everything it needs in `_internal/` beside it,
including resources/ (sample scorecards, icons). Ship the whole folder (zip it). Without a
command the executable opens the desktop app; it also takes every `qagrader` command, e.g.
`qagrader --db demo.qagrader demo` or `qagrader --db demo.qagrader --smoke` (opens the main
window and every screen, then quits with status 0: a check that the build works).

PyInstaller builds for the system it runs on: build on Windows for Windows, and so on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "qagrader"
# Not used by QA Grader, and large: keep them out even when something would pull them in.
EXCLUDED = ("tkinter", "_tkinter", "IPython", "jupyter_client", "notebook", "pytest", "hypothesis",
            "PyInstaller", "setuptools", "pip")


def executable(dist: Path) -> Path:
    """Where the build puts the executable."""
    return dist / NAME / (f"{NAME}.exe" if os.name == "nt" else NAME)


def pyinstaller_args(dist: Path, work: Path, clean: bool) -> list[str]:
    args = [
        "--noconfirm", "--onedir", "--name", NAME, "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work), "--specpath", str(work),
        "--paths", str(ROOT),
        "--add-data", f"{ROOT / 'resources'}{os.pathsep}{NAME}/resources",
        # screens and commands import some modules by name: take the whole package
        "--collect-submodules", NAME,
    ]
    for module in EXCLUDED:
        args += ["--exclude-module", module]
    if sys.platform == "win32":  # a desktop app: no console window
        args += ["--windowed", "--icon", str(ROOT / "resources" / "icons" / "qagrader.ico")]
    elif sys.platform == "darwin":
        args += ["--windowed", "--icon", str(ROOT / "resources" / "icons" / "qagrader-512.png")]
    if clean:
        args.append("--clean")
    return [*args, str(ROOT / NAME / "__main__.py")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's working folder (default: build/pyinstaller/)")
    parser.add_argument("--clean", action="store_true", help="rebuild from nothing (ignore PyInstaller's cache)")
    args = parser.parse_args(argv)
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print("error: PyInstaller is not installed here; run `python3 scripts/bootstrap.py build` "
              "(or `pip install pyinstaller`) and try again.", file=sys.stderr)
        return 1
    dist, work = args.dist.resolve(), args.work.resolve()
    started = time.monotonic()
    built = subprocess.run([sys.executable, "-m", "PyInstaller", *pyinstaller_args(dist, work, args.clean)])
    if built.returncode != 0:
        print(f"error: PyInstaller failed (status {built.returncode}); see its messages above.", file=sys.stderr)
        return 1
    print(f"Built {executable(dist)} in {time.monotonic() - started:.0f} s; ship the folder {dist / NAME}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
