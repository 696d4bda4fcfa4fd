"""The Interactions browser: filters, sorting by header clicks, lazy rows, open to grade."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt

from qagrader.core.scorecards.scoring import Answer
from qagrader.gui import interactions_view
from qagrader.gui.interactions_view import COLUMN_INDEX, InteractionsView
from qagrader.gui.main_window import MainWindow

from .conftest import announce_writes, interaction_id, make_workspace, open_on


@pytest.fixture
def view(qtbot, workspace):
    widget = InteractionsView()
    qtbot.addWidget(widget)
    widget.resize(1280, 700)
    open_on(widget, workspace)
    widget.show()
    wait_loaded(qtbot, widget)
    return widget


def wait_loaded(qtbot, view):
    """Until the rows and the filter lists (both loaded in the background) are in."""
    qtbot.waitUntil(lambda: view.model.complete and view.agent.count() > 1, timeout=5000)


def column(view, name):
    model = view.model
    return [model.index(r, COLUMN_INDEX[name]).data() for r in range(model.rowCount())]


def choose(qtbot, view, combo, text):
    combo.setCurrentIndex(combo.findText(text))
    wait_loaded(qtbot, view)


def test_lists_every_interaction_newest_first(qtbot, view):
    assert view.count.text() == "30 interactions"
    ids = column(view, "external_id")
    assert ids[:3] == ["T-028", "T-027", "T-026"]
    assert set(ids) == {f"T-{i:03d}" for i in range(1, 31)}
    assert column(view, "state") == ["Ungraded"] * 30
    first = view.model.row(0)
    assert (first.channel, first.agent, first.team) == ("chat", "Ann", "Billing")
    assert view.model.index(0, COLUMN_INDEX["date"]).data() == "2024-03-28 13:00"


def test_filters_give_the_right_rows(qtbot, view):
    choose(qtbot, view, view.channel, "Chat")
    assert view.count.text() == "10 interactions"
    assert set(column(view, "channel")) == {"Chat"}
    choose(qtbot, view, view.agent, "Ann")  # every chat is Ann's in the fixture
    assert view.count.text() == "10 interactions"
    choose(qtbot, view, view.agent, "Bob")
    assert view.count.text() == "0 interactions"
    view.clear_filters()
    wait_loaded(qtbot, view)
    choose(qtbot, view, view.team, "Support")
    assert set(column(view, "agent")) == {"Bob", "Cy"} and view.model.rowCount() == 20
    choose(qtbot, view, view.brand, "Contoso")  # odd i
    assert view.model.rowCount() == 10
    view.clear_filters()
    wait_loaded(qtbot, view)
    view.date_from.setDate(QDate(2024, 3, 10))
    view.date_to.setDate(QDate(2024, 3, 12))
    wait_loaded(qtbot, view)
    assert sorted(column(view, "external_id")) == ["T-010", "T-011", "T-012"]


def test_search_box_filters_after_a_pause(qtbot, view):
    qtbot.keyClicks(view.search, "LAMP")
    assert view.model.rowCount() == 30  # debounced: not yet
    qtbot.waitUntil(lambda: view.model.rowCount() == 7 and view.model.complete, timeout=3000)
    assert set(column(view, "subject")) == {"Refund for a broken lamp"}
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 30 and view.model.complete, timeout=3000)


def test_graded_state_filter_and_score_column(qtbot, view, workspace):
    card = workspace.scorecards.get("Support QA")
    done = workspace.evaluations.start(interaction_id(workspace, "T-001"), card.id, "Maya")
    workspace.evaluations.save(done.id, {"greeting": Answer("Yes"), "right_name": Answer("Yes"),
                                         "empathy": Answer("No"), "tone": Answer(3), "resolved": Answer("Yes")})
    workspace.evaluations.submit(done.id)
    draft = workspace.evaluations.start(interaction_id(workspace, "T-002"), card.id, "Maya")
    workspace.evaluations.set_answer(draft.id, "greeting", Answer("No"))
    announce_writes(workspace)
    wait_loaded(qtbot, view)
    choose(qtbot, view, view.graded, "Submitted")
    assert column(view, "external_id") == ["T-001"]
    assert column(view, "score") == ["64.3"]  # (1 + 1 + 0 + 0.5 + 2) / 7
    choose(qtbot, view, view.graded, "Draft")
    assert column(view, "external_id") == ["T-002"] and column(view, "state") == ["Draft"]
    choose(qtbot, view, view.graded, "Ungraded")
    assert view.model.rowCount() == 28


def test_header_clicks_sort_in_sql(qtbot, view):
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(COLUMN_INDEX["agent"]) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.viewport().rect().topLeft() + _pt(x))
    wait_loaded(qtbot, view)
    assert view.model.sort_column == "agent"
    agents = column(view, "agent")
    assert agents == sorted(agents)
    assert agents[0] == "Ann"
    ascending = view.model.descending
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.viewport().rect().topLeft() + _pt(x))
    wait_loaded(qtbot, view)
    assert view.model.descending != ascending
    assert column(view, "agent")[0] == ("Cy" if view.model.descending else "Ann")
    view.table.sortByColumn(COLUMN_INDEX["external_id"], Qt.SortOrder.AscendingOrder)
    wait_loaded(qtbot, view)
    assert column(view, "external_id")[:2] == ["T-001", "T-002"]


def _pt(x):
    from PySide6.QtCore import QPoint

    return QPoint(x, 5)


def test_rows_are_fetched_lazily_in_pages(qtbot, tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "big.qagrader", n=2000)
    fetched = []
    real = interactions_view.fetch_rows
    monkeypatch.setattr(interactions_view, "fetch_rows", lambda conn, ids: fetched.append(len(ids)) or real(conn, ids))
    view = InteractionsView()
    qtbot.addWidget(view)
    view.resize(1000, 600)
    open_on(view, ws)
    view.show()
    wait_loaded(qtbot, view)
    qtbot.waitUntil(lambda: bool(fetched), timeout=5000)  # the first paint fetched what it shows
    assert view.model.rowCount() == 2000
    assert sum(fetched) <= 2 * interactions_view.PAGE  # only what is on screen
    view.table.scrollToBottom()
    view.table.viewport().repaint()
    assert view.model.index(1999, COLUMN_INDEX["external_id"]).data() == view.model.row(1999).external_id
    assert sum(fetched) <= 4 * interactions_view.PAGE
    ws.close()


def test_double_click_and_enter_open_the_grade_screen(qtbot, workspace):
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_workspace(workspace.path)
    window.show()
    window.show_screen("interactions")
    view = window.interactions
    wait_loaded(qtbot, view)
    rect = view.table.visualRect(view.model.index(2, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # is press+dclick
    assert window.current_screen() == "grade"
    assert window.grading.header.title.text().startswith("T-026")
    window.show_screen("interactions")
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(4, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert window.current_screen() == "grade"
    assert window.grading.header.title.text().startswith("T-024")
    window.close()


def test_grading_queue_follows_the_browser_filters(qtbot, workspace):
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_workspace(workspace.path)
    window.show()
    window.show_screen("interactions")
    view = window.interactions
    wait_loaded(qtbot, view)
    choose(qtbot, view, view.channel, "Email")
    window.show_screen("grade")
    assert window.grading.open_next()
    assert window.grading.interaction.channel == "email"
    assert window.grading.header.title.text().startswith("T-026")  # newest email
    window.grading.skip()
    assert window.grading.header.title.text().startswith("T-023")
    window.close()


def test_custom_fields_kept_at_import_are_columns(qtbot, view, workspace, tmp_path):
    from qagrader.core.importing.interactions import ImportOptions, import_interactions

    path = tmp_path / "extra.csv"
    path.write_text("Ticket,Channel,Handle time,Resolved\nT-001,email,315,yes\nT-002,email,,no\n", encoding="utf-8")
    import_interactions(workspace, path, ImportOptions(mapping={"external_id": "Ticket"},
                                                       keep_columns=("Handle time", "Resolved")))
    announce_writes(workspace)
    qtbot.waitUntil(lambda: view.model.columnCount() == len(interactions_view.COLUMNS) + 2, timeout=5000)
    wait_loaded(qtbot, view)
    model = view.model
    first = len(interactions_view.COLUMNS)
    assert [model.headerData(first + i, Qt.Orientation.Horizontal) for i in range(2)] == ["Handle time", "Resolved"]
    rows = {model.index(r, COLUMN_INDEX["external_id"]).data(): (model.index(r, first).data(),
                                                                  model.index(r, first + 1).data())
            for r in range(model.rowCount())}
    assert rows["T-001"] == ("315", "yes") and rows["T-002"] == ("", "no") and rows["T-003"] == ("", "")
    before = (model.sort_column, model.descending)
    view.table.sortByColumn(first, Qt.SortOrder.AscendingOrder)  # not sortable: the order stays
    assert (model.sort_column, model.descending) == before
    assert view.table.horizontalHeader().sortIndicatorSection() == COLUMN_INDEX[before[0]]
