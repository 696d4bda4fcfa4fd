"""The Grade screen as a QA specialist uses it: keyboard only, autosave, kill and restore,
blind grading, edits of submitted grades with history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from qagrader.core.scorecards.scoring import Answer, score
from qagrader.gui.main_window import MainWindow

from .conftest import GRADER, interaction_id, shown_main_window

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, workspace):
    win = shown_main_window(qtbot, workspace.path)
    win.show_screen("grade")
    yield win
    win.close()


def focused():
    return QApplication.focusWidget()


def key(qtbot, text_or_key, modifier=Qt.KeyboardModifier.NoModifier):
    """Press a key where the keyboard focus is, as a user would."""
    qtbot.keyClick(focused(), text_or_key, modifier)


def stored(qtbot, win):
    """The open evaluation as the database has it, once the writes handed over have landed."""
    session = win.grading.session
    qtbot.waitUntil(lambda: not session.writing, timeout=5000)
    return win.ws.evaluations.get(session.evaluation.id)


def test_grade_with_the_keyboard_only_and_submit(qtbot, window):
    grading = window.grading
    # Ctrl+Enter on the empty Grade screen opens the first of the queue: the newest interaction.
    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert grading.header.title.text().startswith("T-028")
    assert grading.scorecard.currentText() == "Support QA v1"  # chat -> the chat/email scorecard
    assert grading.header.state.text() == "Not graded yet"
    assert focused() is grading.form.questions[0]

    key(qtbot, "y")  # greeting: Yes, focus moves on
    assert focused() is grading.form.questions[1]
    key(qtbot, "n")  # right name: No -> the whole evaluation auto-fails
    assert grading.score_panel.banner.isVisible()
    assert "Used the right customer name" in grading.score_panel.banner.text()
    assert grading.score_panel.total.text() == "0.0%"
    key(qtbot, Qt.Key.Key_Up)
    key(qtbot, "1")  # changed my mind: Yes
    assert not grading.score_panel.banner.isVisible()
    key(qtbot, "2")  # empathy: Partial
    key(qtbot, Qt.Key.Key_Up)
    key(qtbot, "c")  # comment on empathy
    qtbot.keyClicks(focused(), "Said sorry twice")
    key(qtbot, Qt.Key.Key_Escape)
    assert focused() is grading.form.questions[2]
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, "4")  # tone 4 of 1-5
    key(qtbot, "1")  # resolved: Yes -> focus lands in the overall comment
    assert focused() is grading.form.overall
    qtbot.keyClicks(focused(), "Good chat")

    answers = {"greeting": Answer("Yes"), "right_name": Answer("Yes"), "empathy": Answer("Partial"),
               "tone": Answer(4), "resolved": Answer("Yes")}
    expected = score(grading.session.card, answers)
    assert grading.score_panel.total.text() == f"{expected.total:.1f}%"
    assert grading.score_panel.progress.text() == "5 of 5 answered"
    assert "Soft&nbsp;skills:&nbsp;<b>58.3%</b>" in grading.score_panel.sections.text()  # (1 + 0.75) / 3
    first = stored(qtbot, window).id  # the draft written on the first answer

    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: grading.saved_label.text().startswith("Submitted "), timeout=5000)

    evaluation = window.ws.evaluations.get(first)
    external = window.ws.interactions.get(evaluation.interaction_id).external_id  # the helpdesk's id, not a uuid
    assert grading.saved_label.text() == f"Submitted {external}: {evaluation.score:.1f}%."
    assert evaluation.status == "submitted" and evaluation.grader == GRADER
    assert {k: (a.value, a.na) for k, a in evaluation.answers.items()} == {
        "greeting": ("Yes", False), "right_name": ("Yes", False), "empathy": ("Partial", False),
        "tone": (4, False), "resolved": ("Yes", False)}
    assert evaluation.answers["empathy"].comment == "Said sorry twice"
    assert evaluation.overall_comment == "Good chat"
    assert evaluation.score == pytest.approx(expected.total)
    # ... and the next one of the queue (newest first, ungraded) is open, on its channel's card.
    assert grading.header.title.text().startswith("T-027")
    assert grading.scorecard.currentText() == "Phone QA v1"
    assert focused() is grading.form.questions[0]
    qtbot.waitUntil(lambda: "1 grade submitted" in window.counts_label.text(), timeout=2000)


def test_submit_refuses_unanswered_questions_and_points_at_them(qtbot, window, workspace):
    window.grading.open_interaction(interaction_id(workspace, "T-001"))
    key(qtbot, "y")
    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "4 questions still unanswered" in window.grading.message.text()
    assert window.grading.header.title.text().startswith("T-001")
    assert focused() is window.grading.form.questions[1]
    assert stored(qtbot, window).status == "draft"


def test_every_answer_is_a_draft_at_once_and_comments_after_a_pause(qtbot, window, workspace):
    grading = window.grading
    grading.open_interaction(interaction_id(workspace, "T-002"))
    key(qtbot, "a")  # greeting has no N/A: nothing happens
    assert grading.session.evaluation is None
    key(qtbot, "n")
    assert stored(qtbot, window).answers["greeting"] == Answer("No")
    assert stored(qtbot, window).status == "draft"
    key(qtbot, "a")  # right name: N/A allowed
    assert stored(qtbot, window).answers["right_name"].na
    key(qtbot, "c")
    qtbot.keyClicks(focused(), "typed")
    assert stored(qtbot, window).answers.get("empathy", Answer()).comment == ""
    qtbot.waitUntil(lambda: stored(qtbot, window).answers.get("empathy", Answer()).comment == "typed", timeout=2000)
    assert "Draft saved" in grading.saved_label.text()
    # The browser shows the draft too.
    window.show_screen("interactions")
    view = window.interactions
    qtbot.waitUntil(lambda: view.model.complete and view.model.row_of(interaction_id(workspace, "T-002")) is not None)
    row = view.model.row_of(interaction_id(workspace, "T-002"))
    assert view.model.index(row, 7).data() == "Draft"


def test_blind_grading_hides_csat_until_turned_off(qtbot, window, workspace):
    grading = window.grading
    grading.open_interaction(interaction_id(workspace, "T-004"))  # CSAT 5
    assert grading.header.csat.text() == "CSAT hidden (blind grading)"
    assert "5" not in grading.header.meta.text()
    window.show_screen("interactions")
    assert window.interactions.table.isColumnHidden(6)

    window.show_screen("grade")
    key(qtbot, "y")  # an answer given with CSAT hidden
    qtbot.waitUntil(lambda: not grading.unsaved(), timeout=5000)
    blind = lambda: window.ws.conn.execute(  # noqa: E731
        "SELECT blind FROM evaluations WHERE interaction_id = ?", (interaction_id(workspace, "T-004"),)).fetchone()[0]
    assert blind() == 1

    QSettings().setValue("grading/blind", False)
    window._preferences_changed()
    assert grading.header.csat.text() == "CSAT 5 on 1-5"
    assert not window.interactions.table.isColumnHidden(6)
    window.show_screen("grade")
    key(qtbot, "n")  # the next answer is given with CSAT in view: recorded for the analysis
    qtbot.waitUntil(lambda: not grading.unsaved(), timeout=5000)
    assert blind() == 0


def test_editing_a_submitted_evaluation_keeps_history(qtbot, window, workspace):
    ws = workspace_ws = window.ws
    target = interaction_id(workspace, "T-005")  # email -> Support QA
    card = ws.scorecards.get("Support QA")
    draft = ws.evaluations.start(target, card.id, "Maya")
    ws.evaluations.save(draft.id, {"greeting": Answer("Yes"), "right_name": Answer("Yes"),
                                   "empathy": Answer("Yes"), "tone": Answer(5), "resolved": Answer("Yes")})
    ws.evaluations.submit(draft.id)
    grading = window.grading
    grading.open_interaction(target)
    assert grading.header.state.text().startswith("Submitted by Maya")
    assert grading.history.isVisible() and grading.history.list.count() == 1
    assert grading.history.list.item(0).text().startswith("Now: 100.0% — submitted by Maya")
    assert not grading.form.questions[3].buttons[0].isEnabled()  # read-only
    key(qtbot, "1")
    assert workspace_ws.evaluations.get(draft.id).answers["greeting"] == Answer("Yes")

    key(qtbot, "e", Qt.KeyboardModifier.ControlModifier)
    assert grading.header.state.text().startswith("Editing")
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, "2")  # tone 5 -> 2
    assert ws.evaluations.get(draft.id).answers["tone"] == Answer(5)  # kept until saved
    key(qtbot, "s", Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not grading.session.unsaved, timeout=5000)

    evaluation = ws.evaluations.get(draft.id)
    assert evaluation.answers["tone"] == Answer(2) and evaluation.status == "submitted"
    history = ws.evaluations.history(draft.id)
    assert len(history) == 1 and history[0][1]["score"] == pytest.approx(100.0)
    assert grading.history.list.count() == 2
    assert grading.history.list.item(1).text().startswith("Edited ")
    assert "before the edit: 100.0%" in grading.history.list.item(1).text()
    assert grading.header.state.text().startswith("Submitted by Maya")


def test_reopening_resumes_my_draft_on_its_scorecard(qtbot, window, workspace):
    grading = window.grading
    target = interaction_id(workspace, "T-003")  # phone
    grading.open_interaction(target)
    assert grading.scorecard.currentText() == "Phone QA v1"
    grading.scorecard.setCurrentIndex(grading.scorecard.findText("Support QA v1"))
    grading._scorecard_chosen(grading.scorecard.currentIndex())
    key(qtbot, "y")
    grading.open_interaction(interaction_id(workspace, "T-006"))
    grading.open_interaction(target)
    assert grading.scorecard.currentText() == "Support QA v1"
    assert grading.form.questions[0].buttons[0].isChecked()
    assert grading.header.state.text().startswith("Draft by Tester")
    assert not grading.scorecard.isEnabled()  # a started draft keeps its scorecard


def test_nothing_left_to_grade_is_said_on_the_start_page(qtbot, window, workspace):
    window.show_screen("interactions")
    view = window.interactions
    qtbot.waitUntil(lambda: view.model.complete and view.agent.count() > 1, timeout=5000)
    view.graded.setCurrentIndex(view.graded.findText("Submitted"))  # nothing is submitted yet
    window.show_screen("grade")
    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.grading.stack.currentWidget() is window.grading.empty
    assert window.grading.empty.note.text() == "Nothing left to grade with the filters set in Interactions."


def test_random_sample_queue(qtbot, window, workspace):
    grading = window.grading
    grading.queue_mode.setCurrentIndex(1)
    grading._queue_mode_chosen(1)
    qtbot.waitUntil(lambda: bool(grading.queue.sample), timeout=5000)
    # 30 interactions, one a day, 3 agents: at most 5 per agent per week -> every one of them
    # except where an agent had more than 5 in a week (never here: 2-3 per week each).
    assert sorted(grading.queue.sample) == sorted(r[0] for r in window.ws.conn.execute("SELECT id FROM interactions"))
    assert grading.open_next()
    assert grading.interaction.id == grading.queue.sample[0]
    assert "graded" in grading.queue_mode.itemText(1)


KILLED_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest
from PySide6.QtCore import QEventLoop
from tests.gui.conftest import use_settings_folder
app = QApplication([])
use_settings_folder(Path({settings!r}))
from qagrader.gui.main_window import MainWindow
window = MainWindow()
window.open_workspace({db!r})
window.show()
window.activateWindow()
window.start()
window.grading.open_interaction({target})
questions = window.grading.form.questions
QTest.keyClick(questions[0], "n")
QTest.keyClick(questions[2], "2")
QTest.keyClick(questions[2], "c")
QTest.keyClicks(questions[2].comment, "Kill me")
from qagrader.gui.operations import operations
loop = QEventLoop()
operations().state_changed.connect(loop.quit)
while window.grading.unsaved():  # the comment is written after a short pause
    loop.exec()
print("READY", flush=True)
app.exec()  # until killed
"""


def test_killing_the_app_mid_grade_and_reopening_restores_the_draft(qtbot, workspace, isolated_settings):
    target = interaction_id(workspace, "T-007")
    script = KILLED_CHILD.format(root=str(ROOT), settings=str(isolated_settings), db=str(workspace.path),
                                 target=target)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT)) as child:
        try:
            line = child.stdout.readline()
            if line.strip() != "READY":
                child.kill()
                pytest.fail(child.stderr.read())
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == -signal.SIGKILL

    QSettings().sync()
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_workspace(workspace.path)
    window.show()
    window.start()  # on start-up the grader's last draft is reopened
    grading = window.grading
    assert window.current_screen() == "grade"
    assert grading.header.title.text().startswith("T-007")
    assert "Restored your draft" in grading.saved_label.text()
    questions = grading.form.questions
    assert questions[0].buttons[1].isChecked() and questions[0].answer == Answer("No")
    assert questions[2].answer == Answer("Partial", False, "Kill me")
    assert questions[2].comment.text() == "Kill me"
    assert not any(q.answer.answered for q in questions[3:])
    assert grading.score_panel.progress.text() == "2 of 5 answered"
    window.close()


def test_with_two_scorecards_for_a_channel_the_one_chosen_becomes_its_default(qtbot, workspace, tmp_path):
    import json

    from .conftest import SUPPORT_CARD

    workspace.scorecards.import_json(json.dumps({**SUPPORT_CARD, "name": "Chat QA 2", "channels": ["chat"]}))
    win = MainWindow()
    qtbot.addWidget(win)
    win.open_workspace(workspace.path)
    win.show()
    win.show_screen("grade")
    grading = win.grading
    assert grading.open_interaction(interaction_id(workspace, "T-001"))  # a chat
    first = grading.session.stored.name  # the first meant for chat
    other = "Support QA" if first == "Chat QA 2" else "Chat QA 2"
    index = grading.scorecard.findText(f"{other} v1")
    grading.scorecard.setCurrentIndex(index)
    grading.scorecard.activated.emit(index)
    assert grading.session.stored.name == other
    assert grading.message.text().startswith(f"{other} is now the default scorecard for Chat interactions")
    assert grading.open_interaction(interaction_id(workspace, "T-004"))  # another chat
    assert grading.session.stored.name == other
    assert grading.open_interaction(interaction_id(workspace, "T-002"))  # an email: only Support QA is for email
    assert grading.session.stored.name == "Support QA"
    win.close()
