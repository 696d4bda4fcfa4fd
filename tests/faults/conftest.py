"""Fixtures shared by the fault tests: one demo workspace per test module, copied per test."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.tools import demo_workspace


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    """A demo workspace built once per test module (do not change it: copy it)."""
    return demo_workspace(tmp_path_factory.mktemp("demo-source") / "w.qagrader", interactions=120)


@pytest.fixture()
def demo_copy(tmp_path, demo_source):
    """This test's own copy of the module's demo workspace, `w.qagrader` in `tmp_path`."""
    shutil.copy(demo_source, tmp_path / "w.qagrader")
    return tmp_path / "w.qagrader"
