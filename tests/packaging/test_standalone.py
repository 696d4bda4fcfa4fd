"""The standalone build (scripts/build_app.py, PyInstaller one-folder) runs without Python:
`--version`, a demo built from the bundled scorecards, and `--smoke` (every module and screen,
offscreen). PyInstaller takes a minute or more: the app is built once for this file."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qagrader import __version__
from qagrader.core.storage.workspace import Workspace

from .conftest import ROOT


def _load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_app = _load_script(ROOT / "scripts" / "build_app.py")  # the script under test


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    """The built executable."""
    work = tmp_path_factory.mktemp("standalone")
    built = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_app.py"),
                            "--dist", str(work / "dist"), "--work", str(work / "build")],
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    executable = build_app.executable(work / "dist")
    assert built.stdout.startswith(f"Built {executable} in ")
    return executable


def _run(app: Path, *args, env, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(app), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


def test_the_folder_carries_the_resources(app):
    bundled = app.parent / "_internal" / "qagrader" / "resources"
    shipped = sorted(p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*") if p.is_file())
    assert shipped and all((bundled / path).is_file() for path in shipped)


def test_version(app, env, tmp_path):
    done = _run(app, "--version", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"qagrader {__version__}\n", "")


def test_demo_then_smoke_on_it(app, env, tmp_path):
    db = tmp_path / "demo.qagrader"
    demo = _run(app, "--db", db, "demo", "--interactions", "200", env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith(f"Demo workspace {db}: 200 interactions")
    with Workspace.open(db) as ws:
        assert len(ws.scorecards.list()) == 3
    smoke = _run(app, "--db", db, "--smoke", env=env, cwd=tmp_path)
    assert smoke.returncode == 0, smoke.stderr
    modules = len(list((ROOT / "qagrader").rglob("*.py")))
    assert re.fullmatch(rf"Smoke test passed: \d+ screens and {modules} modules opened on {re.escape(str(db))}\.\n",
                        smoke.stdout), smoke.stdout


def test_smoke_fails_on_a_workspace_that_cannot_open(app, env, tmp_path):
    broken = tmp_path / "broken.qagrader"
    broken.write_bytes(b"this is not a database" * 100)
    smoke = _run(app, "--db", broken, "--smoke", env=env, cwd=tmp_path)
    assert smoke.returncode == 1
    assert "smoke test failed: no workspace could be opened\n" in smoke.stderr
