"""Tests that need ../shared/data say which file is missing, instead of failing deep inside."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_DATA, shared_file


def test_a_missing_shared_file_fails_naming_it():
    with pytest.raises(pytest.fail.Exception, match=r"test data missing: .*no-such-export\.csv"):
        shared_file("no-such-export.csv")


def test_the_call_centre_export_is_found(call_centre_csv):
    assert call_centre_csv.parent == SHARED_DATA and call_centre_csv.stat().st_size > 0
