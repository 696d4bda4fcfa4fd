"""The team's GUI, offscreen on real workspaces: the first-start grader prompt, the status bar,
the merge dialog with its preview and report, the team folder, and the lead's profile screens."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from qagrader.core.demo.build import build_demo
from qagrader.core.merging.merge import merge_log
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.main_window import MainWindow
from qagrader.gui.team.grader_prompt import grader_known
from qagrader.gui.team.merge_dialog import set_team_folder
from qagrader.gui.team.profiles_view import PeopleView
from tests.core.test_merge import copy_of, grade, team_workspace
from tests.gui.conftest import open_on

SHOTS = Path(os.environ.get("QAGRADER_SHOTS") or tempfile.mkdtemp(prefix="qagrader-team-shots-"))
"""Where the screenshots go: set QAGRADER_SHOTS to keep them (e.g. /work/shots/team)."""


@pytest.fixture
def window(qtbot, tmp_path):
    with team_workspace(tmp_path / "lead.qagrader"):
        pass
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.open_workspace(tmp_path / "lead.qagrader", create=False)
    win.show()
    yield win
    win.close()


def test_first_start_asks_who_is_grading_once(qtbot, window):
    QSettings().remove("grading/grader")
    assert not grader_known()
    prompt = window.ask_who_is_grading()
    assert prompt.name.text()  # the system login, suggested
    prompt.name.setText("   ")
    prompt.accept()
    assert "cannot be empty" in prompt.problem.text() and prompt.isVisible()
    prompt.name.setText("Priya Raman")
    prompt.email.setText("priya@example.com")
    prompt.accept()
    assert grader_known() and "Grading as Priya Raman" in window.grader_label.text()
    qtbot.waitUntil(lambda: window.ws.graders.find("Priya Raman") is not None, timeout=5000)
    grader = window.ws.graders.get(window.ws.graders.find("Priya Raman"))
    assert grader.email == "priya@example.com"


def test_merge_dialog_previews_then_merges_and_reports(qtbot, window, tmp_path):
    with copy_of(window.ws, tmp_path / "tom.qagrader") as tom:
        grade(tom, "T1", "Tom Becker")
        grade(tom, "T2", "Tom Becker")
    dialog = window.merge_workspace(tmp_path / "tom.qagrader")
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=10000)
    assert dialog.headline.text() == "Would bring in: 1 grader, 2 evaluations new"
    assert "Dry run: nothing was written." in dialog.report.toPlainText()
    assert window.ws.counts()["submitted"] == 0
    with qtbot.waitSignal(dialog.merged, timeout=10000):
        dialog.run_button.click()
    assert dialog.headline.text().startswith("Done. 1 grader, 2 evaluations new")
    assert "Backup taken before the merge" in dialog.report.toPlainText()
    assert window.ws.counts()["submitted"] == 2
    qtbot.waitUntil(lambda: "2 grades submitted" in window.counts_label.text(), timeout=5000)  # heard of the merge
    assert merge_log(window.ws)[0][2] == "Tester"
    _shoot(dialog, "merge-dialog")
    dialog.close()
    again = window.merge_workspace(tmp_path / "tom.qagrader")
    qtbot.waitUntil(lambda: "Nothing new" in again.headline.text(), timeout=10000)
    assert not again.run_button.isEnabled()


def test_the_merge_dialog_says_how_many_records_a_merge_deletes(qtbot, window, tmp_path):
    """A draft the lead's workspace holds was deleted in Tom's since: the preview and the report
    say so, the merge deletes it and the status bar hears of it."""
    ws = window.ws
    interaction = ws.interactions.by_external_id("T1")
    draft = ws.evaluations.start(interaction.id, ws.scorecards.get("Simple QA").id, "Tom Becker")
    with copy_of(ws, tmp_path / "tom.qagrader") as tom:
        tom.evaluations.delete_draft(draft.id)
    dialog = window.merge_workspace(tmp_path / "tom.qagrader")
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=10000)
    assert dialog.headline.text() == "Would bring in: 1 evaluation deleted"
    assert "  Deleted: 1 evaluation" in dialog.report.toPlainText().splitlines()
    assert ws.counts()["drafts"] == 1
    with qtbot.waitSignal(dialog.merged, timeout=10000):
        dialog.run_button.click()
    assert dialog.headline.text().startswith("Done. 1 evaluation deleted")
    assert "  New: 1 deletion made elsewhere" in dialog.report.toPlainText().splitlines()
    assert ws.counts()["drafts"] == 0
    qtbot.waitUntil(lambda: "0 drafts" in window.counts_label.text(), timeout=5000)  # heard of the deletion
    _shoot(dialog, "merge-dialog-deletes")
    dialog.close()


def test_a_refused_file_is_one_line_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "notes.qagrader"
    bad.write_text("not a workspace")
    dialog = window.merge_workspace(bad)
    qtbot.waitUntil(lambda: "not a QA Grader workspace" in dialog.headline.text(), timeout=10000)
    assert "\n" not in dialog.headline.text() and not dialog.run_button.isEnabled()


def test_team_folder_counts_what_is_new_brings_it_in_and_publishes(qtbot, window, tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    for grader, external_id in (("Priya Raman", "T1"), ("Tom Becker", "T2"), ("Sam Whitfield", "T3")):
        with copy_of(window.ws, tmp_path / f"{grader}.qagrader") as laptop:
            grade(laptop, external_id, grader)
            from qagrader.core.merging.team_folder import publish
            publish(laptop, folder, grader)
    set_team_folder(folder)
    window.count_team_work()  # the status bar offers the team's work, with a count
    qtbot.waitUntil(window.team_button.isVisible, timeout=15000)
    assert window.team_button.text() == "Bring in the team's work (6 new)"
    dialog = window.open_team_folder()
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=15000)
    assert dialog.headline.text().startswith(f"Would bring in: 3 workspace files in {folder}: 6 new")
    with qtbot.waitSignal(dialog.merged, timeout=15000):
        dialog.run_button.click()
    assert window.ws.counts()["submitted"] == 3 and not window.team_button.isVisible()
    with qtbot.waitSignal(dialog.published, timeout=10000):
        dialog.publish_button.click()
    assert (folder / "Tester.qagrader").is_file()
    dialog.show_history()
    assert dialog.headline.text() == "Merge history: 3 merges"
    assert "by Tester: " in dialog.report.toPlainText()
    _shoot(dialog, "team-folder")


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    with Workspace.open(path) as ws:
        build_demo(ws, interactions=900, seed=5)
    return path


@pytest.fixture
def people(qtbot, demo_path):
    ws = Workspace.open(demo_path)
    view = PeopleView()
    qtbot.addWidget(view)
    view.resize(1440, 900)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20000):
        open_on(view, ws)
    yield view
    view.set_workspace(None)
    ws.close()


def test_agent_and_team_profiles(qtbot, people):
    team, agent = people.selection()
    assert agent is not None  # the first agent of the first team
    assert f"{agent}  ·  {team}" == people.profile.title.text()
    assert "Average QA score" in people.profile.score.text() and "n = " in people.profile.score.text()
    assert people.profile.skills.rowCount() >= 5
    compared = {people.profile.skills.item(r, 6).text() for r in range(people.profile.skills.rowCount())}
    assert compared <= {"below", "above", "in line", "n too small"}
    assert people.profile.recent.rowCount() > 0
    assert people.profile.canvas is not None
    with qtbot.waitSignal(people.open_interaction, timeout=2000) as opened:
        people.profile.recent.itemDoubleClicked.emit(people.profile.recent.item(0, 2))
    assert opened.args[0] > 0
    with qtbot.waitSignal(people.loaded, timeout=20000):
        people.select(team)
    assert people.profile.title.text() == team and "clustering by agent" in people.profile.team_line.text()
    with qtbot.waitSignal(people.loaded, timeout=20000):
        people.filters.channel.setCurrentIndex(people.filters.channel.findData("phone"))
        assert people.filters.channel.currentText() == "Phone"
    assert people.filters.filters().channels == ("phone",)


def test_team_overview_and_graders(qtbot, people):
    with qtbot.waitSignal(people.loaded, timeout=20000):
        people.tabs.setCurrentIndex(1)
    text = people.overview.top.text()
    assert "Top agent of" in text and "at least 10 evaluations" in text and "at least 30 evaluations" in text
    assert people.overview.agents.rowCount() >= 10 and people.overview.teams.rowCount() == 4
    with qtbot.waitSignal(people.loaded, timeout=20000):
        people.tabs.setCurrentIndex(2)
    assert people.graders.comparison.rowCount() == 4
    assert people.graders.weeks.rowCount() == 4 and people.graders.weeks.columnCount() >= 4
    with qtbot.waitSignal(people.changed, timeout=10000):
        people.rename_grader("Tom Becker", "Thomas Becker")
    qtbot.waitUntil(lambda: "Thomas Becker" in [people.graders.comparison.item(r, 0).text()
                                                for r in range(people.graders.comparison.rowCount())], timeout=20000)
    with qtbot.waitSignal(people.changed, timeout=10000):
        people.rename_grader("Thomas Becker", "Tom Becker")


def test_screenshots_of_the_team_screens(qtbot, demo_path, tmp_path):
    """Profiles, overview and graders at 1440x900 and 1280x800 in light and dark (looked at)."""
    from PySide6.QtWidgets import QApplication

    from qagrader.gui.theme import apply_theme

    app = QApplication.instance()
    try:
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width, height in ((1440, 900), (1280, 800)):
                ws = Workspace.open(demo_path)
                view = PeopleView()
                qtbot.addWidget(view)
                view.resize(width, height)
                view.show()
                with qtbot.waitSignal(view.loaded, timeout=20000):
                    open_on(view, ws)
                for index, name in ((0, "profile"), (1, "overview"), (2, "graders")):
                    if index:
                        with qtbot.waitSignal(view.loaded, timeout=20000):
                            view.tabs.setCurrentIndex(index)
                    image = _shoot(view, f"{name}-{width}x{height}-{theme}")
                    assert image is None or image.width() == width
                view.set_workspace(None)
                view.close()
                ws.close()
    finally:
        apply_theme(app, "light")


def _shoot(widget, name: str):
    """Save a screenshot into SHOTS."""
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # let pending layout requests settle before the grab
    image = widget.grab()
    image.save(str(SHOTS / f"{name}.png"))
    return image
