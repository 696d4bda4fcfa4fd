"""Changes recorded by transactions: reported once committed, never when rolled back."""

from __future__ import annotations

import pytest

from qagrader.core.storage.changes import EVALUATIONS, INTERACTIONS, KINDS, Changes
from qagrader.core.storage.workspace import Workspace


def test_union_keeps_ids_and_any():
    a = Changes.of(EVALUATIONS, [1, 2]) | Changes.of(EVALUATIONS, [3])
    assert a.ids_of(EVALUATIONS) == frozenset({1, 2, 3})
    assert (a | Changes.of(EVALUATIONS)).ids_of(EVALUATIONS) is None
    assert a.ids_of(INTERACTIONS) == frozenset()
    assert a.touches(INTERACTIONS, EVALUATIONS) and not a.touches(INTERACTIONS)
    assert not Changes() and a
    assert all(Changes.everything().touches(k) for k in KINDS)


def test_committed_changes_are_taken_once(tmp_path):
    with Workspace.open(tmp_path / "ws.qagrader") as ws:
        with ws.transaction():
            ws.record(EVALUATIONS, [7])
        assert ws.take_changes().ids_of(EVALUATIONS) == frozenset({7})
        assert not ws.take_changes()


def test_rolled_back_transaction_reports_nothing(tmp_path):
    with Workspace.open(tmp_path / "ws.qagrader") as ws:
        with pytest.raises(ValueError):
            with ws.transaction():
                ws.record(EVALUATIONS, [7])
                raise ValueError("refused")
        assert not ws.take_changes()


def test_apply_returns_value_and_changes(tmp_path):
    def operation(ws, value):
        with ws.transaction():
            ws.record(INTERACTIONS)
        return value * 2

    with Workspace.open(tmp_path / "ws.qagrader") as ws:
        value, changes = ws.apply(operation, 21)
    assert value == 42 and changes.ids_of(INTERACTIONS) is None
