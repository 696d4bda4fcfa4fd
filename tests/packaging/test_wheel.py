"""`pip install .` (not editable) gives a working app: the wheel carries resources/, the
commands are installed, and `qagrader demo` builds a workspace from the shipped scorecards.

The wheel is installed into a fresh virtual environment; its dependencies come from the suite's
own environment (a .pth line) so that nothing is downloaded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from qagrader import __version__
from qagrader.core.storage.workspace import Workspace

from .conftest import ROOT, copy_sources

BIN = "Scripts" if os.name == "nt" else "bin"


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` builds, from a copy of the sources."""
    work = tmp_path_factory.mktemp("wheel")
    source = copy_sources(work / "src")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", source])
    assert built.returncode == 0, built.stderr
    (path,) = (work / "dist").glob("qagrader-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; returns its bin folder."""
    target = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / BIN / ("python.exe" if os.name == "nt" else "python")
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    suite = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "suite-dependencies.pth").write_text("\n".join(sorted(suite)) + "\n", encoding="utf-8")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                 "--quiet", wheel])
    assert done.returncode == 0, done.stderr
    return target / BIN


def test_wheel_ships_resources_and_both_commands(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"qagrader-{__version__}.dist-info/entry_points.txt").decode()
    shipped = {str(p.relative_to(ROOT / "resources").as_posix())
               for p in (ROOT / "resources").rglob("*") if p.is_file()}
    assert shipped >= {"scorecards/phone.json", "icons/qagrader.svg", "icons/qagrader-256.png",
                       "qagrader.desktop"}
    assert {f"qagrader/resources/{name}" for name in shipped} <= names
    assert "qagrader/__main__.py" in names
    assert "[console_scripts]\nqagrader = qagrader.cli.main:main" in entry_points
    assert "[gui_scripts]\nqagrader-gui = qagrader.gui.app:main" in entry_points


def test_installed_demo_builds_from_the_shipped_scorecards(installed, env, tmp_path):
    where = _run([installed / "python", "-c", "import qagrader.core.resources as r; print(r.resource_path())"],
                 cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout + where.stderr
    db = tmp_path / "demo.qagrader"
    demo = _run([installed / "qagrader", "--db", db, "demo", "--interactions", "150"], cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith(f"Demo workspace {db}: 150 interactions")
    with Workspace.open(db) as ws:
        assert ws.interactions.count() == 150
        assert sorted(card.name for card in ws.scorecards.list()) == ["Chat QA", "Email QA", "Phone QA"]


def test_python_dash_m_and_the_gui_script(installed, env, tmp_path):
    version = _run([installed / "python", "-m", "qagrader", "--version"], cwd=tmp_path, env=env)
    assert (version.returncode, version.stdout) == (0, f"qagrader {__version__}\n")
    db = tmp_path / "smoke.qagrader"
    assert _run([installed / "qagrader", "--db", db, "demo", "--interactions", "60"], env=env).returncode == 0
    smoke = _run([installed / "qagrader-gui", "--db", db, "--smoke"], cwd=tmp_path, env=env)
    assert smoke.returncode == 0, smoke.stderr
    modules = len(list((ROOT / "qagrader").rglob("*.py")))  # every package and module, all imported
    assert re.fullmatch(rf"Smoke test passed: \d+ screens and {modules} modules opened on {re.escape(str(db))}\.\n",
                        smoke.stdout), smoke.stdout
