"""The main window: screens, File menu, remembered settings, status bar, errors."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from qagrader.core.storage.workspace import Workspace
from qagrader.gui import messages
from qagrader.gui.grading import GradingView
from qagrader.gui.interactions_view import InteractionsView
from qagrader.gui.calibration import CalibrationView
from qagrader.gui.actions.view import ActionsView
from qagrader.gui.main_window import LAST_KEY, RECENT_KEY, MainWindow, Placeholder

from .conftest import make_workspace


@pytest.fixture
def window(qtbot, workspace):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(workspace.path)
    win.show()
    yield win
    win.close()


def message_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def close_boxes():
    for box in message_boxes():
        box.close()


def test_sidebar_screens_and_status_bar(qtbot, window, workspace):
    assert window.windowTitle() == "fixture.qagrader — QA Grader"
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == [
        "Grade", "Interactions", "Scorecards", "Agents & teams", "Analysis", "Calibration", "Follow-up"]
    assert window.path_label.text() == str(workspace.path)
    assert window.counts_label.text() == ("30 interactions  ·  0 grades submitted  ·  0 drafts  ·  3 agents  ·  "
                                          "2 scorecards")
    window.start()
    assert window.current_screen() == "grade"
    assert isinstance(window.stack.currentWidget().layout().itemAt(0).widget(), GradingView)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_screen() == "interactions"
    assert isinstance(window.screen("interactions"), InteractionsView)
    for number, key in ((3, "scorecards"), (4, "agents"), (5, "analysis"), (6, "calibration"), (7, "actions")):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{number}"), Qt.KeyboardModifier.ControlModifier)
        assert window.current_screen() == key
        widget = window.screen(key)
        assert window.stack.currentWidget().isAncestorOf(widget)
        assert hasattr(widget, "set_workspace") and hasattr(widget, "apply_changes")
    assert isinstance(window.screen("calibration"), CalibrationView)
    assert isinstance(window.screen("actions"), ActionsView)


def test_a_screen_that_cannot_be_built_says_so_and_the_window_goes_on(qtbot, window, monkeypatch, caplog):
    from qagrader.gui.team import profiles_view

    def broken(*args, **kwargs):
        raise RuntimeError("the agents query failed")

    monkeypatch.setattr(profiles_view, "PeopleView", broken)
    with caplog.at_level(logging.ERROR):
        window.show_screen("agents")
    page = window.screen("agents")
    assert isinstance(page, Placeholder)
    texts = " ".join(label.text() for label in page.findChildren(type(window.path_label)))
    assert "This screen could not be opened: the agents query failed" in texts
    assert "Cannot build screen agents" in caplog.text
    window.show_screen("grade")
    assert window.current_screen() == "grade"


def test_settings_remember_workspace_recent_list_and_geometry(qtbot, window, workspace, tmp_path):
    other = make_workspace(tmp_path / "other.qagrader", n=3)
    other.close()
    assert window.open_workspace(tmp_path / "other.qagrader")
    assert window.counts_label.text().startswith("3 interactions")
    settings = QSettings()
    assert settings.value(LAST_KEY) == str((tmp_path / "other.qagrader").resolve())
    assert settings.value(RECENT_KEY)[:2] == [str((tmp_path / "other.qagrader").resolve()),
                                              str(workspace.path.resolve())]
    window.resize(1111, 777)
    window.show_screen("interactions")
    window.close()
    assert settings.value("window/geometry") is not None
    again = MainWindow()
    qtbot.addWidget(again)
    # Restored (Qt fits it to the small offscreen screen), not the 1280x800 first-run default.
    assert (again.width(), again.height()) != (1280, 800)
    again.open_workspace(settings.value(LAST_KEY))
    again.start()
    assert again.current_screen() == "interactions"
    again.recent_menu.aboutToShow.emit()
    assert [a.text() for a in again.recent_menu.actions()][:2] == settings.value(RECENT_KEY)[:2]
    again.close()


def test_a_file_that_is_not_a_workspace_is_refused_with_a_message(qtbot, window, workspace, tmp_path):
    bogus = tmp_path / "notes.db"
    conn = sqlite3.connect(bogus)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    assert not window.open_workspace(bogus, create=False)
    boxes = message_boxes()
    assert boxes and "not a QA Grader workspace" in boxes[0].text()
    assert window.ws.path == workspace.path  # the open workspace stays
    close_boxes()


def test_save_a_copy_runs_in_the_background(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "copy.qagrader"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.save_copy()
    qtbot.waitUntil(lambda: "Saved a copy" in window.statusBar().currentMessage(), timeout=5000)
    with Workspace.open(target, create=False) as copy:
        assert copy.counts()["interactions"] == 30


def test_import_menu_runs_the_import_and_the_screens_hear_of_it(qtbot, window, monkeypatch, tmp_path):
    import json

    from .conftest import SUPPORT_CARD

    card = tmp_path / "imported.json"
    card.write_text(json.dumps({**SUPPORT_CARD, "name": "Imported QA"}), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(card), ""))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: told.append(text))
    window.show_screen("scorecards")
    file_menu = window.menuBar().actions()[0].menu()
    import_menu = next(a.menu() for a in file_menu.actions() if a.text() == "&Import")
    assert [a.text() for a in import_menu.actions()] == ["&Interactions CSV…", "&Scorecard JSON…",
                                                         "&Evaluations CSV…"]
    import_menu.actions()[1].trigger()
    assert told == ["Imported scorecard 'Imported QA' (v1)."]
    qtbot.waitUntil(lambda: window.counts_label.text().endswith("3 scorecards"), timeout=5000)
    names = window.screen("scorecards").list
    assert [names.topLevelItem(i).text(0) for i in range(names.topLevelItemCount())] == [
        "Imported QA", "Phone QA", "Support QA"]


def test_unexpected_errors_are_logged_and_shown_short(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(messages, "_log_path", None)
    path = messages.setup_logging(folder=tmp_path)
    try:
        try:
            {}["missing"]
        except KeyError as error:
            messages.excepthook(KeyError, error, error.__traceback__)
        boxes = message_boxes()
        assert boxes
        text = boxes[0].text()
        assert text.startswith("Something went wrong (KeyError: 'missing'). Your work is saved.")
        assert "Traceback" not in text and str(path) in text
        for handler in logging.getLogger().handlers:
            handler.flush()
        logged = path.read_text()
        assert "Traceback" in logged and "KeyError" in logged
        close_boxes()
        messages.show_error(window, messages.QAGraderError("row 5: bad date"))
        assert message_boxes()[0].text() == "row 5: bad date"
        close_boxes()
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", "").startswith(str(tmp_path)):
                root.removeHandler(handler)
                handler.close()


def test_the_shortcuts_dialog_lists_every_shortcut(qtbot, window):
    """Every menu command's and every screen's shortcut, as Qt has them bound, is in the list."""
    from PySide6.QtGui import QAction, QKeySequence, QShortcut
    from PySide6.QtWidgets import QLabel

    for screen in window.screens:  # build every screen: each binds its own keys
        window.show_screen(screen.key)
    bound = {a.shortcut() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    bound |= {s.key() for s in window.findChildren(QShortcut)}
    assert len(bound) >= 15
    dialog = window.show_shortcuts()
    text = dialog.findChild(QLabel, "shortcuts").text()
    for keys in bound:
        name = keys.toString(QKeySequence.SequenceFormat.NativeText).replace("Return", "Enter")
        assert f"<code>{name}" in text or f"/ {name}<" in text or f"{name} /" in text, name
    assert "File ▸ Export…" in text and "Go ▸ Analysis" in text
    dialog.close()


def test_preferences_change_grader_name_and_blind_grading(qtbot, window):
    from qagrader.gui.grading import settings
    from qagrader.gui.grading.settings import PreferencesDialog

    dialog = PreferencesDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.name.text() == "Tester" and dialog.blind.isChecked()
    dialog.name.setText("  Maya  ")
    dialog.blind.setChecked(False)
    dialog.accept()
    assert settings.grader_name() == "Maya"
    assert not settings.blind_grading()


STARTUP_CHILD = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
sys.path.insert(0, {root!r})
from tests.gui.conftest import use_settings_folder
app = QApplication([])
use_settings_folder(Path({settings!r}))

def shown():
    window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
    print(window.isVisible(), window.current_screen(), window.counts_label.text().split("  ")[0])
    print(sorted(m for m in ("sqlite_utils", "pandas", "numpy", "qagrader.gui.interactions_view")
                 if m in sys.modules))
    with window.ws.transaction():  # nested: a plain savepoint, neither sqlite-utils nor pandas
        window.ws.interactions.ensure_agent("Zed")
    print("sqlite_utils" in sys.modules, "pandas" in sys.modules)
    import pandas  # still there for the screens that need it
    print(pandas.__name__)
    app.quit()

QTimer.singleShot(0, shown)
from qagrader.gui.app import run
sys.exit(run({db!r}, argv=["qagrader"]))
"""


def test_start_up_loads_neither_storage_extras_nor_the_browser(workspace, isolated_settings):
    """Opening the window on an up-to-date workspace imports neither sqlite-utils (only a
    migration needs it; it would bring pandas) nor the Interactions browser (built when shown),
    and writing, nested transactions included, needs neither."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    workspace.close()
    script = STARTUP_CHILD.format(root=str(root), settings=str(isolated_settings), db=str(workspace.path))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                         cwd=str(root), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["True grade 30 interactions", "[]", "False False", "pandas"]
