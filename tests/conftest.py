"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """A file of the shared test data (`../shared/data` beside the project; CI has it). A
    missing one fails the test with its path, instead of an error deep in the code."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.fail(f"test data missing: {path} (the shared call-centre export that lives in "
                    f"../shared/data beside the project; copy or link it there)", pytrace=False)
    return path


@pytest.fixture
def call_centre_csv() -> Path:
    """The real call-centre export of ../shared/data (5,000 calls)."""
    return shared_file("call-center-5000.csv")
