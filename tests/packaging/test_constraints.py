"""CI is reproducible: the suite runs on exactly the versions in constraints.txt, and those
versions satisfy what pyproject.toml asks for."""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import ROOT

NOT_PINNED = {"qagrader", "pip", "setuptools", "wheel"}  # the project itself and the installers
FREEZE = "run the suite green, then `python3 scripts/bootstrap.py freeze` and commit constraints.txt"


def pins() -> dict[str, Version]:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = Version(version)
    return pinned


def test_the_suite_runs_on_the_pinned_versions():
    installed = {canonicalize_name(d.metadata["Name"]): Version(d.version) for d in metadata.distributions()}
    unpinned = sorted(set(installed) - set(pins()) - NOT_PINNED)
    assert not unpinned, f"installed but not in constraints.txt: {unpinned}; {FREEZE}"
    differ = {name: f"{installed.get(name)} installed, {version} pinned"
              for name, version in pins().items() if installed.get(name) != version}
    assert not differ, f"{differ}; run `python3 scripts/bootstrap.py test` to install the pins, or {FREEZE}"


def test_the_pins_satisfy_the_declared_requirements():
    """pyproject.toml's dependencies and test extras, as installed (bootstrap reinstalls on a change)."""
    declared = [Requirement(r) for r in metadata.requires("qagrader") or []]
    wanted = [r for r in declared if r.marker is None or r.marker.evaluate({"extra": "test"})]
    assert any(canonicalize_name(r.name) == "pyside6-essentials" for r in wanted)
    pinned = pins()
    outside = [f"{r} (pinned {pinned.get(canonicalize_name(r.name))})" for r in wanted
               if pinned.get(canonicalize_name(r.name)) is None or pinned[canonicalize_name(r.name)] not in r.specifier]
    assert not outside, f"constraints.txt breaks pyproject.toml: {outside}"
