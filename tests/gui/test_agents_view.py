"""Agents & teams: what a team lead sees while renaming, moving, deactivating and merging agents."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from qagrader.core.importing.interactions import import_interactions
from qagrader.core.storage.workspace import Workspace
from qagrader.gui import agents_view
from qagrader.gui.agents_view import AgentsView, MergeDialog

from .conftest import open_on

ROWS = [("Diane", "Billing", 5), ("diane s.", None, 3), ("Becky", "Support", 4), ("Jim", None, 2)]


@pytest.fixture
def ws(tmp_path):
    lines = ["id,agent,team"]
    n = 0
    for agent, team, count in ROWS:
        for _ in range(count):
            n += 1
            lines.append(f"T{n},{agent},{team or ''}")
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace = Workspace.open(tmp_path / "ws.qagr")
    from qagrader.core.importing.interactions import ImportOptions

    import_interactions(workspace, path, ImportOptions(default_channel="email"))
    yield workspace
    workspace.close()


@pytest.fixture
def errors(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(agents_view, "show_error", lambda parent, error: shown.append(str(error)))
    return shown


@pytest.fixture
def view(qtbot, ws):
    widget = AgentsView()
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=5000):
        open_on(widget, ws)
    return widget


def table(view: AgentsView) -> list[tuple[str, ...]]:
    return [tuple(view.table.item(r, c).text() for c in range(5)) for r in range(view.table.rowCount())]


def teams(view: AgentsView) -> list[tuple[str, str]]:
    return [(view.team_list.topLevelItem(i).text(0), view.team_list.topLevelItem(i).text(1))
            for i in range(view.team_list.topLevelItemCount())]


def reload(qtbot, view: AgentsView, action) -> None:
    with qtbot.waitSignal(view.loaded, timeout=5000):
        assert action()


def test_lists_agents_and_teams(view):
    assert table(view) == [
        ("Becky", "Support", "Active", "4", "0"),
        ("Diane", "Billing", "Active", "5", "0"),
        ("diane s.", "—", "Active", "3", "0"),
        ("Jim", "—", "Active", "2", "0"),
    ]
    assert teams(view) == [("All teams", "4"), ("Billing", "1"), ("Support", "1"), ("(no team)", "2")]
    assert view.status.text() == "4 of 4 agents shown · 0 inactive · 2 teams"
    view.team_list.setCurrentItem(view.team_list.topLevelItem(2))
    assert [row[0] for row in table(view)] == ["Becky"]
    view.team_list.setCurrentItem(view.team_list.topLevelItem(0))
    view.search.setText("dia")
    assert [row[0] for row in table(view)] == ["Diane", "diane s."]


def test_merge_two_spellings(qtbot, view, ws, monkeypatch):
    view.select_agents(["Diane", "diane s."])
    assert view.merge_action.isEnabled()
    seen = {}

    def accept(dialog: MergeDialog) -> int:
        seen["keep"], seen["duplicate"] = dialog.keep(), dialog.duplicate()
        seen["summary"] = dialog.summary.text()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MergeDialog, "exec", accept)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.merge_action.trigger()
    assert (seen["keep"], seen["duplicate"]) == ("Diane", "diane s.")  # the one with more interactions is kept
    assert seen["summary"].startswith("<b>3 interactions</b> (with 0 grades) will move from 'diane s.' to 'Diane'")
    assert view.status.text() == "Merged 'diane s.' into 'Diane': 3 interactions moved."
    assert [row[0] for row in table(view)] == ["Becky", "Diane", "Jim"]
    assert table(view)[1] == ("Diane", "Billing", "Active", "8", "0")
    assert ws.interactions.by_external_id("T6").agent == "Diane"


def test_merge_dialog_suggests_the_closest_spelling(qtbot, view):
    dialog = MergeDialog(view.agents, [next(a for a in view.agents if a.name == "diane s.")])
    qtbot.addWidget(dialog)
    assert (dialog.keep(), dialog.duplicate()) == ("diane s.", "Diane")
    dialog.set_names("Diane", "Diane")
    assert dialog.summary.text() == "Choose two different agents."
    assert not dialog.merge_button.isEnabled()


def test_rename_move_and_deactivate(qtbot, view, ws, errors):
    view.select_agents(["Jim"])
    reload(qtbot, view, lambda: view.rename_agent("Jim Beam"))
    assert "Jim Beam" in [row[0] for row in table(view)]

    view.select_agents(["Jim Beam", "diane s."])
    reload(qtbot, view, lambda: view.move_agents("Night shift"))
    assert ("Night shift", "2") in teams(view)
    assert {row[0]: row[1] for row in table(view)}["Jim Beam"] == "Night shift"

    view.select_agents(["Jim Beam"])
    assert view.active_action.text() == "Mark inactive"
    reload(qtbot, view, view.toggle_active)
    assert {row[0]: row[2] for row in table(view)}["Jim Beam"] == "Inactive"
    view.select_agents(["Jim Beam"])
    assert view.active_action.text() == "Mark active"
    view.show_inactive.setChecked(False)
    assert "Jim Beam" not in [row[0] for row in table(view)]
    assert view.status.text().startswith("3 of 4 agents shown · 1 inactive")

    view.select_agents(["Becky"])
    view.rename_agent("Diane")  # a clash is explained, nothing changes
    qtbot.waitUntil(lambda: errors == ["An agent named 'Diane' already exists; merge the two instead."],
                    timeout=5000)
    assert "Becky" in [agent.name for agent in ws.interactions.agents()]


def test_new_and_renamed_team(qtbot, view, errors):
    reload(qtbot, view, lambda: view.new_team("Escalations"))
    assert ("Escalations", "0") in teams(view)
    assert not view.new_team("billing")
    assert errors == ["A team named 'billing' already exists."]

    view.team_list.setCurrentItem(view.team_list.topLevelItem(1))  # Billing
    assert view.rename_team_action.isEnabled()
    reload(qtbot, view, lambda: view.rename_team("Billing & Refunds"))
    assert view.current_team() == "Billing & Refunds"
    assert [row[:2] for row in table(view)] == [("Diane", "Billing & Refunds")]
