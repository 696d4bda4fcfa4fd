"""On a read-only workspace no control of the window can write: every control marked as
writing (`read_only.writing`, the registry) is off on every screen, including context menus and
the keys' actions; every control left on, triggered with its dialogs answered, asks the op
runner for no write; the grading keys and the save/submit shortcuts change nothing; and the
scorecard editor only shows.

Root (the CI user) may write any file, so the permission check is replaced by its answer for a
read-only file, as in test_read_only_workspace.py."""

from __future__ import annotations

import hashlib
import os

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton, QApplication, QCheckBox, QComboBox, QDialog, QFileDialog, QInputDialog, QLineEdit, QMenu,
    QMessageBox, QPlainTextEdit, QWidget,
)

from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage import workspace as workspace_module
from qagrader.gui import read_only
from qagrader.gui.main_window import MainWindow
from qagrader.gui.operations import Operations

from .conftest import GRADER, interaction_id, make_workspace, shown_main_window

SHOTS = os.environ.get("QAGRADER_SHOTS")  # e.g. /work/shots/ropolish: save the screenshots there


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def read_only_path(tmp_path, monkeypatch):
    """A workspace with something on every screen (a submitted grade, a draft, a calibration
    session, a coaching note, a dispute), then seen as one this user cannot write."""
    path = tmp_path / "shared.qagrader"
    ws = make_workspace(path)
    support = ws.scorecards.get("Support QA")
    full = {"greeting": Answer("yes"), "right_name": Answer("yes"), "empathy": Answer("Yes"),
            "tone": Answer(4), "resolved": Answer("Yes")}
    submitted = ws.evaluations.save_grade(interaction_id(ws, "T-001"), support.id, GRADER, full, "Fine", submit=True)
    ws.evaluations.save_grade(interaction_id(ws, "T-002"), support.id, GRADER, {"greeting": Answer("no")}, "")
    ws.calibration.create("March round", support.id, interaction_ids=[interaction_id(ws, "T-004")],
                          graders=[GRADER, "Lee"])
    ws.coaching.add(ws.interactions.agent_id("Ann"), coach=GRADER, skills=["Empathy"], agreed="Name the feeling")
    ws.disputes.create(submitted.id, "The customer was greeted", raised_by="Ann", question_key="greeting")
    ws.close()
    monkeypatch.setattr(workspace_module, "can_write", lambda _path: False)
    yield path
    read_only.set_read_only(False)  # the next test's screens start writable


@pytest.fixture
def asked_writes(monkeypatch) -> list:
    """Every write asked of the op runner (still run: the runner refuses it on a read-only workspace)."""
    asked: list = []
    original = Operations.run

    def run(self, ws, operation, *args, **kwargs):
        asked.append(getattr(operation, "__qualname__", repr(operation)))
        return original(self, ws, operation, *args, **kwargs)

    monkeypatch.setattr(Operations, "run", run)
    return asked


def open_read_only(qtbot, path) -> MainWindow:
    win = shown_main_window(qtbot, path, size=(1440, 900))
    assert win.ws.read_only
    win.start()
    return win


def focused() -> QWidget:
    """Where the keyboard focus is: where a user's keys go."""
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def visit_every_screen(qtbot, win: MainWindow) -> None:
    """Build every screen and choose something on each, so that the controls a selection turns
    on have been asked to turn on."""
    for screen in win.screens:
        win.show_screen(screen.key)
        QApplication.processEvents()
    interactions = win.interactions
    qtbot.waitUntil(lambda: interactions.model.rowCount() > 0, timeout=10_000)
    interactions.table.selectRow(0)
    scorecards = win.screen("scorecards")
    choose_scorecard(scorecards)
    editor = scorecards.editor
    editor.select(("question", 0, 0))  # a question: Question, Remove and the moves would turn on
    calibration = win.screen("calibration")
    if calibration.sessions.topLevelItemCount():
        calibration.sessions.setCurrentItem(calibration.sessions.topLevelItem(0))
    QApplication.processEvents()


def choose_scorecard(scorecards, name: str = "Support QA") -> None:
    items = [scorecards.list.topLevelItem(i) for i in range(scorecards.list.topLevelItemCount())]
    scorecards.list.setCurrentItem(next(item for item in items if item.text(0) == name))


def controls_of(qtbot, win: MainWindow) -> list:
    """Every action and button of the window: menus, toolbars, screens, the keys' actions, and
    the Interactions screen's context menu."""
    interactions = win.interactions  # a row selected again: a control may have reloaded the list

    def selected() -> bool:
        interactions.table.selectRow(0)
        return bool(interactions.selected_interaction_ids())

    qtbot.waitUntil(selected, timeout=10_000)
    menu = interactions.context_menu()
    assert menu is not None
    controls = [*win.findChildren(QAction), *win.findChildren(QAbstractButton), *menu.actions()]
    menu.close()
    return list({id(c): c for c in controls}.values())


def test_no_control_that_writes_is_on_on_a_read_only_workspace(qtbot, read_only_path):
    before = digest(read_only_path.parent)
    win = open_read_only(qtbot, read_only_path)
    visit_every_screen(qtbot, win)
    controls = controls_of(qtbot, win)
    marked = [c for c in controls if read_only.is_writing(c)]
    on = [(type(c).__name__, c.text()) for c in marked if c.isEnabled()]
    assert on == []
    # the registry reaches every screen's kind of write, context menu and keys included
    assert win.interactions.calibrate_action in marked
    assert win.grading.submit_action in marked and win.screen("scorecards").editor.save_action in marked
    assert len(marked) >= 40
    win.close()
    assert digest(read_only_path.parent) == before


class AnsweredDialogs:
    """Answers every dialog a control opens as a user who says yes to everything would, without
    blocking: file choosers are cancelled (nothing to read or write), questions get Yes, input
    dialogs get a name, and a dialog shown by `open()` or `exec()` is accepted."""

    def __init__(self, monkeypatch):
        self.opened: list[QDialog] = []
        for name in ("getOpenFileName", "getSaveFileName", "getOpenFileNames"):
            monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
        yes = QMessageBox.StandardButton.Yes
        for name in ("question", "warning", "information", "critical"):
            monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: yes))
        monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda *a, **k: None))
        monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Renamed", True)))
        monkeypatch.setattr(QInputDialog, "getItem", staticmethod(
            lambda parent, title, label, items, *a, **k: (items[0] if items else "", True)))
        monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (1, True)))
        monkeypatch.setattr(QMenu, "exec", lambda self, *a, **k: None)
        monkeypatch.setattr(QMessageBox, "exec", lambda self: yes)
        monkeypatch.setattr(QDialog, "exec", lambda dialog, *_: self._exec(dialog))

    def _exec(self, dialog: QDialog) -> int:
        self.opened.append(dialog)
        dialog.accepted.emit()
        return QDialog.DialogCode.Accepted

    def answer_open_ones(self) -> None:
        """Accept (as its OK would: `accepted`) every dialog left open, then close it."""
        for dialog in [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]:
            if not isinstance(dialog, QMessageBox):
                dialog.accepted.emit()
            dialog.close()
        QApplication.processEvents()


def test_no_control_left_on_asks_for_a_write(qtbot, read_only_path, asked_writes, monkeypatch):
    """The registry is checked against behaviour: whatever is on, triggered, writes nothing."""
    before = digest(read_only_path.parent)
    win = open_read_only(qtbot, read_only_path)
    visit_every_screen(qtbot, win)
    dialogs = AnsweredDialogs(monkeypatch)
    triggered: dict[int, QObject] = {}  # kept: an id stays unique while its wrapper lives
    for _round in range(3):  # controls that triggering built (a page, a panel) get their turn
        fresh = [c for c in controls_of(qtbot, win) if id(c) not in triggered]
        for control in fresh:
            if not shiboken6.isValid(control):  # a control that an earlier one rebuilt
                continue
            triggered[id(control)] = control
            if read_only.is_writing(control) or not control.isEnabled():
                continue
            opens_a_menu = getattr(control, "menu", lambda: None)() is not None  # its actions are walked
            if opens_a_menu or control.objectName().startswith("qt_") or control.text() == "&Quit":
                continue  # and Qt's own arrows, and leaving the app
            if isinstance(control, QAction):
                control.trigger()
            else:
                control.click()
            QApplication.processEvents()
            dialogs.answer_open_ones()
    assert len(triggered) >= 100
    assert asked_writes == [], f"writes asked for on a read-only workspace: {asked_writes}"
    win.close()
    assert digest(read_only_path.parent) == before


def test_grading_keys_and_shortcuts_change_nothing(qtbot, read_only_path, asked_writes):
    before = digest(read_only_path.parent)
    win = open_read_only(qtbot, read_only_path)
    grading = win.grading
    keys = [Qt.Key.Key_1, Qt.Key.Key_Y, Qt.Key.Key_N, Qt.Key.Key_A, Qt.Key.Key_Right, Qt.Key.Key_Backspace,
            Qt.Key.Key_Down, Qt.Key.Key_2, Qt.Key.Key_5]
    for external_id in ("T-001", "T-002", "T-003"):  # submitted, a draft, ungraded
        win.show_screen("grade")
        assert grading.open_interaction(interaction_id(win.ws, external_id))
        answers = dict(grading.session.answers)
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
        grading.form.focus_question(0)
        assert grading.form.isAncestorOf(QApplication.focusWidget())  # the keys go to the first question
        for key in keys:
            qtbot.keyClick(focused(), key)
        qtbot.keyClick(focused(), Qt.Key.Key_C)  # a comment: read-only
        qtbot.keyClicks(focused(), "typed")
        qtbot.keyClick(focused(), Qt.Key.Key_Escape)
        for key, modifier in ((Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier),
                              (Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)):
            qtbot.keyClick(focused(), key, modifier)
        assert grading.session.answers == answers and not grading.session.editing
        assert not any(q.comment.text().endswith("typed") for q in grading.form.questions if hasattr(q, "comment"))
        qtbot.keyClick(focused(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        grading.flush()
    # the scorecard editor's Ctrl+S, and the calibration screen's Ctrl+Enter
    win.show_screen("scorecards")
    scorecards = win.screen("scorecards")
    choose_scorecard(scorecards)
    editor = scorecards.editor
    editor.card_form.name.setFocus()
    qtbot.keyClicks(editor.card_form.name, " renamed")
    qtbot.keyClick(editor.card_form.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not editor.is_dirty
    win.show_screen("calibration")
    qtbot.keyClick(win.screen("calibration"), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert asked_writes == []
    win.close()
    assert digest(read_only_path.parent) == before


def test_the_scorecard_editor_only_shows_on_a_read_only_workspace(qtbot, read_only_path, tmp_path, monkeypatch):
    win = open_read_only(qtbot, read_only_path)
    win.show_screen("scorecards")
    scorecards = win.screen("scorecards")
    choose_scorecard(scorecards)
    editor = scorecards.editor
    assert "view only: the workspace is read-only" in editor.title.text()
    for where in (("card",), ("section", 0), ("question", 1, 0)):  # the last: an options question
        editor.select(where)
        QApplication.processEvents()
        form = editor.forms.currentWidget()
        texts = [w for w in form.findChildren(QWidget)
                 if isinstance(w, (QLineEdit, QPlainTextEdit)) and not w.objectName().startswith("qt_")]
        choices = [w for w in form.findChildren(QWidget) if isinstance(w, (QComboBox, QCheckBox))]
        assert texts and all(w.isReadOnly() and w.isEnabled() for w in texts)  # readable, selectable, copyable
        assert choices and not any(w.isEnabled() for w in choices)
    editor.select(("question", 0, 0))
    assert editor.question_form.text.text() == "Greeted the customer by name"
    editor.question_form.text.selectAll()
    assert editor.question_form.text.selectedText() == "Greeted the customer by name"
    qtbot.keyClicks(editor.question_form.text, "x")
    assert editor.question_form.text.text() == "Greeted the customer by name" and not editor.is_dirty
    # the tree still chooses what is shown; nothing changes its structure
    assert editor.tree.isEnabled()
    assert not any(b.isEnabled() for b in (editor.add_section_button, editor.add_question_button,
                                           editor.move_up_button, editor.move_down_button, editor.remove_button))
    # the live preview still scores clicks: it writes nothing
    assert editor.preview.isEnabled()
    if SHOTS:
        from qagrader.gui.theme import apply_theme

        for theme in ("light", "dark"):
            apply_theme(QApplication.instance(), theme)
            for size in ((1440, 900), (1280, 800)):
                win.resize(*size)
                for where, name in ((("card",), "card"), (("question", 1, 0), "question")):
                    editor.select(where)
                    QApplication.processEvents()
                    win.grab().save(os.path.join(SHOTS, f"scorecards-{name}-{theme}-{size[0]}x{size[1]}.png"))
                win.show_screen("interactions")
                interactions = win.interactions
                qtbot.waitUntil(lambda: interactions.model.rowCount() > 0, timeout=10_000)
                interactions.table.selectRow(0)
                menu = interactions.context_menu()
                rect = interactions.table.visualRect(interactions.model.index(0, 1))
                menu.popup(interactions.table.viewport().mapToGlobal(rect.center()))
                qtbot.waitUntil(menu.isVisible, timeout=5_000)
                window_shot = win.grab()
                from PySide6.QtGui import QPainter

                painter = QPainter(window_shot)
                painter.drawPixmap(win.mapFromGlobal(menu.pos()), menu.grab())
                painter.end()
                window_shot.save(os.path.join(SHOTS, f"interactions-menu-{theme}-{size[0]}x{size[1]}.png"))
                menu.close()
                win.show_screen("scorecards")
        apply_theme(QApplication.instance(), "light")
    # a writable workspace afterwards: the same editor edits again
    monkeypatch.undo()
    other = make_workspace(tmp_path / "mine.qagrader")
    other.close()
    assert win.open_workspace(tmp_path / "mine.qagrader")
    choose_scorecard(scorecards)
    editor.select(("question", 0, 0))
    assert not editor.question_form.text.isReadOnly() and editor.question_form.polarity.isEnabled()
    assert editor.add_section_button.isEnabled() and editor.remove_button.isEnabled()
    assert "view only" not in editor.title.text()
    win.close()
