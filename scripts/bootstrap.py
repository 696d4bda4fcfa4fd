"""Set up a virtual environment with QA Grader and its test tools, then run something.

    python3 scripts/bootstrap.py demo     # build the demo workspace and open the app on it
    python3 scripts/bootstrap.py test     # run the whole test suite (what CI runs)
    python3 scripts/bootstrap.py build    # build the standalone app into dist/qagrader/
    python3 scripts/bootstrap.py app ...  # run the qagrader command
    python3 scripts/bootstrap.py freeze   # pin what .venv holds now in constraints.txt

Needs only python3 with pip. Installs the exact versions in constraints.txt (the ones the suite
last passed with), so CI and every developer test the same stack; pip also applies any
machine-wide constraints of its own configuration. After changing dependencies in
pyproject.toml, run the tests, then `freeze`, and commit constraints.txt with the change.
Re-running is cheap: pip runs only when pyproject.toml, setup.py or constraints.txt changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "constraints.txt"
INSTALL_INPUTS = ("pyproject.toml", "setup.py", "constraints.txt")
CONSTRAINTS_HEADER = """\
# The exact versions the test suite last passed with; scripts/bootstrap.py installs these.
# Regenerate after a dependency change, once the suite is green: python3 scripts/bootstrap.py freeze
"""


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


def install_stamp() -> str:
    """Changes whenever what gets installed may change."""
    digest = hashlib.sha256()
    for name in INSTALL_INPUTS:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()


def install(python: Path) -> None:
    marker = VENV / ".installed"
    stamp = install_stamp()
    if marker.exists() and marker.read_text() == stamp:
        return
    pinned = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.exists() else []
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=False)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pinned, "-e", f"{ROOT}[test]"], check=True)
    if marker.parent.exists():
        marker.write_text(stamp)


def freeze(python: Path) -> int:
    """Write the versions installed in .venv (but QA Grader itself) to constraints.txt."""
    frozen = subprocess.run([str(python), "-m", "pip", "freeze", "--exclude-editable", "--local"],
                            capture_output=True, text=True, check=True).stdout
    pins = sorted((line for line in frozen.splitlines() if "==" in line and not line.startswith("qagrader==")),
                  key=str.lower)
    temporary = CONSTRAINTS.with_name(CONSTRAINTS.name + ".tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(CONSTRAINTS_HEADER + "\n".join(pins) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, CONSTRAINTS)
    print(f"Pinned {len(pins)} packages in {CONSTRAINTS}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "app", "build", "freeze"):
        print(__doc__)
        return 2
    python = venv_python()
    install(python)
    command, rest = argv[0], argv[1:]
    if command == "freeze":
        return freeze(python)
    if command == "test":
        args = [str(python), "-m", "pytest", "-n", "2", "--dist", "loadfile", *rest]
    elif command == "demo":
        args = [str(python), "-m", "qagrader", "--db", str(ROOT / "demo.qagrader"), "demo", "--open", *rest]
    elif command == "build":
        args = [str(python), str(ROOT / "scripts" / "build_app.py"), *rest]
    else:
        args = [str(python), "-m", "qagrader", *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
