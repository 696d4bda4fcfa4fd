"""The Calibration screen, offscreen: the empty state, a session made from the browser's
selection and graded blind with the keyboard, closing it to see the results, a random sample,
reopening."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QTextBrowser

from qagrader.core.calibration.grading import own_grade, save_calibration_grade
from qagrader.core.scorecards.scoring import Answer
from qagrader.gui.calibration.dialogs import EditSessionDialog, NewSessionDialog
from qagrader.gui.main_window import MainWindow
from tests.gui.conftest import GRADER, announce_writes, interaction_id, open_on
from tests.gui.test_team import demo_path  # noqa: F401  (the 900-interaction demo, built once per module)

LEAD = "Lee Park"
SECRET = "LEE-ONLY-COMMENT"


@pytest.fixture
def window(qtbot, workspace):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(workspace.path)
    win.resize(1440, 900)
    win.show()
    yield win
    win.close()


def visible_text(widget) -> str:
    labels = [w.text() for w in widget.findChildren(QLabel) if w.isVisible()]
    texts = [w.toPlainText() for w in widget.findChildren(QTextBrowser) if w.isVisible()]
    return "\n".join(labels + texts)


def fill_dialog(monkeypatch, *, sample: dict | None = None, name: str = "March calibration"):
    """Answer the New session dialog: name, graders (the tester and the lead), the lead as
    benchmark, and the selection or a sample."""
    def accept(dialog: NewSessionDialog) -> int:
        dialog.name.setText(name)
        for grader in (GRADER, LEAD):
            dialog.people.new_name.setText(grader)
            dialog.people._add_typed()
        dialog.people.benchmark.setCurrentIndex(dialog.people.benchmark.findData(LEAD))
        if sample is not None:
            dialog.from_sample.setChecked(True)
            dialog.sample.count.setValue(sample["count"])
            dialog.sample.date_from.setDate(sample["from"])
            dialog.sample.date_to.setDate(sample["to"])
        return NewSessionDialog.DialogCode.Accepted
    monkeypatch.setattr(NewSessionDialog, "exec", accept)


def test_the_empty_screen_explains_calibration(qtbot, window):
    window.show_screen("calibration")
    view = window.screen("calibration")
    assert view.pages.currentIndex() == 0
    text = visible_text(view)
    assert "Do your graders agree?" in text and "Krippendorff's alpha" in text and "blind" in text
    assert "select a few interactions in the Interactions screen" in text
    assert not view.my_items_button.isEnabled()


def test_a_session_from_the_browsers_selection_is_graded_blind_then_closed(qtbot, window, workspace, monkeypatch):
    window.show_screen("interactions")
    browser = window.screen("interactions")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 30, timeout=10000)
    wanted = {interaction_id(workspace, e) for e in ("T-001", "T-002", "T-004")}  # chat, email, chat
    selection = browser.table.selectionModel()
    for row in range(browser.model.rowCount()):
        if browser.model.id_at(row) in wanted:
            selection.select(browser.model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    assert set(browser.selected_interaction_ids()) == wanted
    fill_dialog(monkeypatch)
    browser.calibrate.emit(browser.selected_interaction_ids())  # what the context menu's action sends
    assert window.current_screen() == "calibration"
    view = window.screen("calibration")
    qtbot.waitUntil(lambda: view.session_page.title.text() == "March calibration", timeout=10000)
    session = workspace.calibration.find("March calibration")
    assert (session.items, session.graders, session.benchmark, session.scorecard) == (
        3, (LEAD, GRADER), LEAD, "Support QA v1")
    assert view.session_page.title.text() == "March calibration"
    assert view.session_page.items.rowCount() == 3

    # the lead grades in the same workspace (say, merged in): the tester must never see it
    for external_id in ("T-001", "T-002", "T-004"):
        save_calibration_grade(workspace, session.id, interaction_id(workspace, external_id), LEAD, {
            "greeting": Answer("Yes"), "right_name": Answer("Yes"), "empathy": Answer("Partial"),
            "tone": Answer(4), "resolved": Answer("Yes")}, SECRET, submit=True)
    announce_writes(workspace)
    assert view.session_page.grade_button.text() == "Grade my items (3)"
    view.tabs.setCurrentIndex(1)
    assert "Results are hidden while the session is open" in view.results_state.text()

    qtbot.mouseClick(view.session_page.grade_button, Qt.MouseButton.LeftButton)
    grading = view.grading
    assert view.pages.currentWidget() is grading and not view.left.isVisible()
    for _ in range(3):
        assert "CSAT hidden" in grading.header.csat.text()
        assert SECRET not in visible_text(view)
        grading.form.focus_first_unanswered()
        for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_5, Qt.Key.Key_1):
            qtbot.keyClick(grading.focusWidget(), key)
        qtbot.keyClick(grading.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert grading.items.count() == 0 and "Nothing left to grade" in grading.header.title.text()
    qtbot.waitUntil(lambda: not grading.unsaved, timeout=10000)
    for external_id in ("T-001", "T-002", "T-004"):
        mine = own_grade(workspace, session.id, interaction_id(workspace, external_id), GRADER)
        assert mine.submitted and mine.calibration and mine.answers["tone"] == Answer(5)
    assert workspace.counts()["submitted"] == 0  # calibration grades are not team grades

    qtbot.mouseClick(grading.back_button, Qt.MouseButton.LeftButton)
    assert view.left.isVisible() and view.session_page.session.submitted == 6
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail("all grades are in: no question"))
    qtbot.mouseClick(view.session_page.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.results_stack.currentWidget() is view.results, timeout=20000)
    assert workspace.calibration.get(session.id).closed
    assert view.tabs.currentIndex() == 1
    split = view.results.split
    headers = [split.horizontalHeaderItem(c).text() for c in range(split.columnCount())]
    assert headers == ["Interaction", "Question", "Agreement", "Benchmark", LEAD, GRADER]
    questions = {split.item(r, 1).text() for r in range(split.rowCount())}
    assert questions == {"Acknowledged how the customer felt", "Friendly tone"}  # Partial vs Yes, 4 vs 5
    split.selectRow(0)
    assert "Guideline" in view.results.detail.text()
    assert view.results.questions.rowCount() == 5
    graders = view.results.graders
    rows = {graders.item(r, 0).text(): graders.item(r, 2).text() for r in range(graders.rowCount())}
    assert rows == {f"{LEAD} (benchmark)": "–", GRADER: "60.0%"}  # 9 of 15 answers equal the lead's


def test_a_random_sample_then_close_and_reopen(qtbot, window, workspace, monkeypatch):
    from PySide6.QtCore import QDate

    fill_dialog(monkeypatch, sample={"count": 4, "from": QDate(2024, 3, 1), "to": QDate(2024, 3, 31)},
                name="Sampled")
    window.show_screen("calibration")
    view = window.screen("calibration")
    qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.session_page.title.text() == "Sampled", timeout=10000)
    session = workspace.calibration.find("Sampled")
    items = workspace.calibration.items(session.id)
    channels = workspace.scorecards.get_by_id(session.scorecard_id).card.channels
    assert len(items) == 4 and {i.channel for i in items} <= set(channels)
    assert all("2024-03-01" <= i.occurred_at[:10] <= "2024-03-31" for i in items)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(view.session_page.close_button, Qt.MouseButton.LeftButton)  # 0 of 8 grades: asked
    qtbot.waitUntil(lambda: view.session_page.close_button.text() == "Reopen session", timeout=10000)
    assert workspace.calibration.get(session.id).closed
    view.tabs.setCurrentIndex(0)
    assert not view.session_page.add_sample_button.isEnabled()
    qtbot.mouseClick(view.session_page.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.session_page.close_button.text() == "Close session", timeout=10000)
    assert not workspace.calibration.get(session.id).closed

    def rename(dialog: EditSessionDialog) -> int:
        dialog.name.setText("April round")
        dialog.notes.setPlainText("tone guideline rewritten")
        return EditSessionDialog.DialogCode.Accepted
    monkeypatch.setattr(EditSessionDialog, "exec", rename)
    qtbot.mouseClick(view.session_page.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.session_page.title.text() == "April round", timeout=10000)
    assert workspace.calibration.get(session.id).notes == "tone guideline rewritten"
    assert view.sessions.currentItem().text(0) == "April round"


def test_the_analysis_tab_shows_the_calibration_alphas_of_the_demo(qtbot, tmp_path):
    from qagrader.analysis.calibration import UNDERSTATED, skill_alphas
    from qagrader.core.demo.build import build_demo
    from qagrader.core.storage.workspace import Workspace
    from qagrader.gui.analysis import AnalysisTab

    ws = Workspace.open(tmp_path / "demo.qagrader")
    build_demo(ws, interactions=1200, seed=4)
    alphas = skill_alphas(ws).set_index("skill")["alpha"].dropna()
    tab = AnalysisTab()
    qtbot.addWidget(tab)
    tab.resize(1440, 900)
    tab.show()
    with qtbot.waitSignal(tab.result_shown, timeout=20000):
        open_on(tab, ws)
    chart = tab.correlations.chart
    qtbot.waitUntil(lambda: chart.figure is not None and len(chart.figure.axes) > 0, timeout=20000)
    labels = {t.get_text(): t for t in chart.figure.axes[0].get_yticklabels()}
    for skill, alpha in alphas.items():
        label = next(text for text in labels if text.startswith(skill))
        assert f"α {alpha:.2f}" in label
        assert (UNDERSTATED in label) == (alpha < 0.667)
    assert "closed calibration sessions" in chart.caption.text()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=20000)
    ws.close()


@pytest.mark.parametrize("size", [(1280, 800), (1024, 640)])
def test_the_results_charts_fit_their_area_at_laptop_sizes(qtbot, demo_path, size):
    """No chart is clipped sideways: each is made for its area's width (down to a readable
    minimum), needs no sideways scrolling at these sizes, and every label lies inside it."""
    from matplotlib.text import Text

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(*size)
    assert win.open_workspace(demo_path, create=False)
    win.show()
    win.show_screen("calibration")
    view = win.screen("calibration")
    qtbot.waitUntil(lambda: view.sessions.topLevelItemCount() > 1, timeout=20_000)
    view.sessions.setCurrentItem(view.sessions.topLevelItem(0))  # all closed sessions: every chart drawn
    qtbot.waitUntil(lambda: view.results_stack.currentWidget() is view.results, timeout=20_000)
    results = view.results
    for index, holder in enumerate((results.agreement_chart, results.graders_chart, results.trends_chart)):
        results.tabs.setCurrentWidget(holder.parentWidget() if index < 2 else holder)
        qtbot.waitUntil(holder.isVisible, timeout=5_000)
        QApplication.processEvents()
        assert holder.horizontalScrollBar().maximum() == 0, f"chart {index} scrolls sideways at {size}"
        canvas = holder.canvas
        canvas.draw()
        figure = canvas.figure
        renderer = canvas.get_renderer()
        width = figure.bbox.width
        assert abs(width - canvas.width() * canvas.device_pixel_ratio) <= 2  # laid out for the canvas shown
        hidden_ticks = {id(label) for ax in figure.axes for label in ax.get_xticklabels()
                        if not min(ax.get_xlim()) <= label.get_position()[0] <= max(ax.get_xlim())}
        for text in figure.findobj(Text):
            if not text.get_visible() or not text.get_text().strip() or id(text) in hidden_ticks:
                continue  # (tick labels beyond the axis limits are not drawn)
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= width + 1, f"{text.get_text()!r} clipped in chart {index} at {size}"
    win.close()
