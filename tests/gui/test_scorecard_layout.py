"""The Scorecards editor's layout: the form and the live preview side by side in a wide window,
taking turns under Edit / Preview tabs in a narrow one, neither squeezed nor cut."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from qagrader.core.scorecards.model import scorecard_from_dict
from qagrader.gui.main_window import MainWindow
from tests.samples import EXAMPLE


@pytest.fixture
def window(qtbot, workspace):
    workspace.scorecards.save(scorecard_from_dict(EXAMPLE))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(workspace.path)
    win.show()
    win.show_screen("scorecards")
    view = win.screen("scorecards")
    qtbot.waitUntil(lambda: view.list.topLevelItemCount() > 0, timeout=10_000)
    view.select("Chat QA")
    yield win
    win.close()


def settle(qtbot, window, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width, timeout=5_000)
    qtbot.wait(50)  # layouts run on the next turns of the event loop


def test_at_the_minimum_size_form_and_preview_take_turns_under_tabs(qtbot, window):
    editor = window.screen("scorecards").editor
    settle(qtbot, window, 1024, 640)
    assert not editor.side_by_side and editor.panes.isVisible()
    assert editor.form_pane.isVisible() and not editor.preview.isVisible()
    editor.select(("question", 0, 0))  # the widest form: options with points and auto-fail
    qtbot.wait(50)
    assert editor.form_pane.horizontalScrollBar().maximum() == 0, "the question form is cut or scrolls sideways"

    editor.panes.setCurrentIndex(1)
    assert editor.preview.isVisible() and not editor.form_pane.isVisible()
    qtbot.waitUntil(lambda: editor.preview.width() >= 450, timeout=5_000)  # the whole width, not a share
    # choosing an item of the structure shows its fields again
    item = editor.item_for(("question", 0, 1))
    rect = editor.tree.visualItemRect(item)
    qtbot.mouseClick(editor.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.form_pane.isVisible() and editor.question_form.key.text() == "tone"

    editor.panes.setCurrentIndex(1)  # a validation error shows its field, even from the preview
    editor.question_form.text.clear()
    editor.question_form._set("text", "")
    editor.save()
    assert editor.form_pane.isVisible() and editor.question_form.error_text("text")
    editor.discard()  # closing the window would ask about the unsaved edit


@pytest.mark.parametrize("size", [(1280, 800), (1366, 768), (1440, 900)])
def test_wider_windows_show_form_and_preview_side_by_side(qtbot, window, size):
    editor = window.screen("scorecards").editor
    settle(qtbot, window, *size)
    assert editor.side_by_side and not editor.panes.isVisible()
    assert editor.form_pane.isVisible() and editor.preview.isVisible()
    qtbot.waitUntil(lambda: editor.form_pane.width() >= 400 and editor.preview.width() >= 320, timeout=5_000)
    editor.select(("question", 0, 0))
    qtbot.wait(50)
    assert editor.form_pane.horizontalScrollBar().maximum() == 0


def test_narrowing_and_widening_the_window_moves_between_the_layouts(qtbot, window):
    editor = window.screen("scorecards").editor
    settle(qtbot, window, 1440, 900)
    assert editor.side_by_side
    settle(qtbot, window, 1024, 640)
    editor.panes.setCurrentIndex(1)
    assert not editor.side_by_side and editor.preview.isVisible()
    settle(qtbot, window, 1440, 900)
    assert editor.side_by_side and editor.form_pane.isVisible() and editor.preview.isVisible()
