"""A workspace this user cannot write opens read-only in the app: a plain banner says so, the
writing commands are off, grading shows the form without letting it change, a write tried
anyway is refused in one line, and the file is not changed by a byte.

Root (the CI user) may write any file, so the permission check itself is replaced here by its
answer for a read-only file; tests/faults/test_read_only.py runs the real check as an
unprivileged user."""

from __future__ import annotations

import hashlib
import os

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from qagrader.core.storage import workspace as workspace_module
from qagrader.gui import read_only
from qagrader.gui.main_window import MainWindow
from qagrader.gui.operations import operations

from .conftest import interaction_id, make_workspace

SHOTS = os.environ.get("QAGRADER_SHOTS")  # e.g. /work/shots/faultsweep: save the screenshots there


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def read_only_path(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "shared.qagrader")
    ws.close()
    monkeypatch.setattr(workspace_module, "can_write", lambda path: False)
    yield tmp_path / "shared.qagrader"
    read_only.set_read_only(False)  # the next test's screens start writable


def test_a_read_only_workspace_opens_with_a_banner_and_no_writing(qtbot, read_only_path):
    before = digest(read_only_path.parent)
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(read_only_path)
    win.resize(1440, 900)
    win.show()
    win.start()
    assert win.ws.read_only
    assert win.windowTitle() == "shared.qagrader (read-only) — QA Grader"
    assert win.workspace_banner.isVisible()
    assert win.workspace_banner.text().startswith(f"<b>Read-only.</b> {read_only_path} cannot be written")
    assert [a.isEnabled() for a in win.writing_actions] == [False, False, False]
    # grading: the interaction and its form show, nothing can be answered or submitted
    grading = win.grading
    assert grading.open_interaction(interaction_id(win.ws, "T-001"))
    assert grading.session.readonly
    assert not grading.submit_button.isEnabled() and not grading.save_button.isEnabled()
    # every screen's writing controls are off, whatever the screen's own logic says
    scorecards = win.screen("scorecards")
    scorecards.list.setCurrentItem(scorecards.list.topLevelItem(0))
    assert not any(a.isEnabled() for a in (scorecards.new_action, scorecards.duplicate_action,
                                           scorecards.archive_action, scorecards.delete_action,
                                           scorecards.import_action))
    assert scorecards.export_json_action.isEnabled()  # reading stays
    agents = win.screen("agents").manage
    assert not any(a.isEnabled() for a in (agents.rename_action, agents.merge_action, agents.new_team_action))
    calibration = win.screen("calibration")
    assert not calibration.new_button.isEnabled()
    win.show_screen("grade")
    # a write asked for anyway (another screen's) is refused in one line, nothing changed
    failures = []
    operations().run(win.ws, lambda ws: ws.interactions.ensure_agent("Dee", team="Support"),
                     failed=failures.append, owner=win)
    qtbot.waitUntil(lambda: bool(failures), timeout=10_000)
    assert str(failures[0]) == (f"{read_only_path} is read-only (the file or its folder cannot be written): ask "
                                f"for write access or open a copy; nothing was changed.")
    if SHOTS:
        from qagrader.gui.theme import apply_theme

        for theme in ("light", "dark"):
            apply_theme(QApplication.instance(), theme)
            for size in ((1440, 900), (1280, 800)):
                win.resize(*size)
                QApplication.processEvents()
                for screen in ("grade", "scorecards"):
                    win.show_screen(screen)
                    QApplication.processEvents()
                    win.grab().save(os.path.join(SHOTS, f"read-only-{screen}-{theme}-{size[0]}x{size[1]}.png"))
                win.show_screen("grade")
        apply_theme(QApplication.instance(), "light")
    win.close()
    assert digest(read_only_path.parent) == before


def test_a_writable_workspace_after_a_read_only_one_hides_the_banner(qtbot, read_only_path, tmp_path, monkeypatch):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(read_only_path)
    monkeypatch.undo()
    other = make_workspace(tmp_path / "mine.qagrader")
    other.close()
    assert win.open_workspace(tmp_path / "mine.qagrader")
    win.show()
    assert not win.ws.read_only and win.workspace_banner.isHidden()
    assert all(a.isEnabled() for a in win.writing_actions)
    assert win.screen("agents").manage.new_team_action.isEnabled() and win.screen("calibration").new_button.isEnabled()
    assert win.windowTitle() == "mine.qagrader — QA Grader"
    win.close()
    for box in [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]:
        box.close()


def test_a_workspace_with_damaged_pages_gets_a_banner_after_the_background_check(qtbot, tmp_path):
    path = tmp_path / "w.qagrader"
    ws = make_workspace(path, n=300)
    ws.close()
    data = bytearray(path.read_bytes())
    page = 4096
    start = len(data) - 2 * page  # the last pages: opening reads none of them
    data[start:start + 2 * page] = os.urandom(2 * page)
    path.write_bytes(bytes(data))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(path)
    win.show()
    qtbot.waitUntil(lambda: win.workspace_banner.isVisible(), timeout=10_000)
    text = win.workspace_banner.text()
    assert text.startswith(f"<b>Damaged.</b> {path} is damaged (") and "a copy you saved" in text
    win.close()
    for box in [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]:
        box.close()


def test_a_whole_workspace_gets_no_banner(qtbot, workspace):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(workspace.path)
    win.show()
    task = win.check_pages()
    qtbot.waitUntil(lambda: win._integrity_task.current is None, timeout=10_000)
    assert task is not None and win.workspace_banner.isHidden()
    win.close()
