"""The one way the GUI writes: a writer thread per workspace, in order, one `changed` per write."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QWidget

from qagrader.core.errors import EvaluationError, WorkspaceBusy
from qagrader.core.storage.changes import AGENTS, TEAMS, Changes
from qagrader.gui.operations import is_busy, operations

TIMEOUT = 10_000


def add_team(ws, name: str) -> tuple[str, int]:
    """An operation: a team, recorded as changed; (the thread it ran on, the team's id)."""
    team_id = ws.interactions.ensure_team(name)
    with ws.transaction():
        ws.record(TEAMS, [team_id])
    return threading.current_thread().name, team_id


def test_writes_run_in_order_off_the_gui_thread_and_each_announces_what_it_changed(qtbot, workspace):
    ops = operations()
    heard: list[Changes] = []
    ops.changed.connect(heard.append)
    done: list[tuple[str, int]] = []
    try:
        writes = [ops.run(workspace, add_team, f"Team {i}", done=done.append) for i in range(5)]
        assert len(ops.pending(workspace)) == 5
        qtbot.waitUntil(lambda: not ops.pending(workspace), timeout=TIMEOUT)
    finally:
        ops.changed.disconnect(heard.append)
    assert all(w.finished and w.error is None for w in writes)
    assert {thread for thread, _ in done} == {f"qagrader-writer-{workspace.path.name}"}
    assert threading.current_thread().name not in {thread for thread, _ in done}
    ids = [team_id for _, team_id in done]
    assert ids == sorted(ids)  # in the order asked for
    assert workspace.interactions.teams()[-5:] == [f"Team {i}" for i in range(5)]
    assert [c.ids_of(TEAMS) for c in heard] == [frozenset({i}) for i in ids]


def test_a_refused_write_changes_nothing_and_the_next_ones_still_run(qtbot, workspace):
    ops = operations()
    errors: list[BaseException] = []
    heard: list[Changes] = []
    ops.changed.connect(heard.append)

    def refused(ws):
        with ws.transaction():
            ws.interactions.ensure_agent("Never")
            ws.record(AGENTS)
            raise EvaluationError("refused on purpose")

    try:
        ops.run(workspace, refused, failed=errors.append)
        last = ops.run(workspace, add_team, "After")
        qtbot.waitUntil(lambda: last.finished, timeout=TIMEOUT)
    finally:
        ops.changed.disconnect(heard.append)
    assert [str(e) for e in errors] == ["refused on purpose"]
    assert "Never" not in [a.name for a in workspace.interactions.agents()]
    assert "After" in workspace.interactions.teams()
    assert [c.touches(AGENTS) for c in heard] == [False]


def test_a_busy_workspace_is_tried_again_with_backoff_and_the_order_is_kept(qtbot, workspace):
    ops = operations()
    attempts: list[str] = []
    blocked_seen: list[bool] = []

    def busy_twice(ws):
        attempts.append("busy")
        if len(attempts) <= 2:
            raise WorkspaceBusy("held by another program")
        return add_team(ws, "First")

    def note() -> None:
        blocked_seen.append(ops.blocked(workspace))

    ops.state_changed.connect(note)
    try:
        first = ops.run(workspace, busy_twice, until_saved=True)
        second = ops.run(workspace, add_team, "Second")
        qtbot.waitUntil(lambda: second.finished, timeout=TIMEOUT)
    finally:
        ops.state_changed.disconnect(note)
    assert first.finished and first.error is None and len(attempts) == 3
    assert True in blocked_seen and not ops.blocked(workspace)
    assert first.value[1] < second.value[1]  # written in the order asked for


def test_a_write_that_stays_busy_past_its_budget_fails_with_one_line(qtbot, workspace):
    ops = operations()
    errors: list[BaseException] = []

    def always_busy(ws):
        raise WorkspaceBusy("held")

    write = ops.run(workspace, always_busy, failed=errors.append, retry_for=0.3)
    qtbot.waitUntil(lambda: write.finished, timeout=TIMEOUT)
    assert len(errors) == 1 and is_busy(errors[0])
    assert str(errors[0]) == (f"{workspace.path} is busy: another QA Grader or program is writing to it. "
                              "Try again in a moment; nothing was changed.")


def test_cancel_before_it_runs_and_callbacks_of_a_closed_widget_are_dropped(qtbot, workspace):
    ops = operations()
    gate = threading.Event()
    blocker = ops.run(workspace, lambda ws: gate.wait(TIMEOUT / 1000))
    cancelled: list[bool] = []
    skipped = ops.run(workspace, add_team, "Skipped", cancelled=lambda: cancelled.append(True))
    skipped.cancel()
    widget = QWidget()
    got: list = []
    widget.got = got.append
    orphan = ops.run(workspace, add_team, "Orphan", done=widget.got, owner=widget)
    widget.deleteLater()
    qtbot.waitUntil(lambda: widget_gone(widget), timeout=TIMEOUT)
    gate.set()
    qtbot.waitUntil(lambda: orphan.finished, timeout=TIMEOUT)
    assert blocker.finished and cancelled == [True] and got == []
    teams = workspace.interactions.teams()
    assert "Orphan" in teams and "Skipped" not in teams


def widget_gone(widget) -> bool:
    import shiboken6

    return not shiboken6.isValid(widget)


def test_closing_with_discard_drops_the_writes_not_done(qtbot, workspace):
    ops = operations()
    gate = threading.Event()
    ops.run(workspace, lambda ws: gate.wait(TIMEOUT / 1000))
    dropped = ops.run(workspace, add_team, "Dropped")
    ops.close(workspace, discard=True)
    assert not ops.pending(workspace)
    gate.set()
    assert not dropped.finished
    assert "Dropped" not in workspace.interactions.teams()


@pytest.fixture(autouse=True)
def no_writes_left(qtbot):
    yield
    assert operations().settle(timeout_s=TIMEOUT / 1000)
