"""Disputes and coaching in the app, offscreen on real workspace files: a dispute raised and
resolved on the grading screen (the re-grade shown, its history kept), the disputes list with
its filters, rates and refusals, coaching notes on the agent profile (a priority becomes a note
in one click), the follow-ups due, "did it work?", the monthly report dialog, and screenshots."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from qagrader.analysis.coaching_follow_up import priority_note
from qagrader.core.coaching.notes import end_of_week
from qagrader.core.disputes.store import ACCEPTED, OPEN, REJECTED
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.actions.report_dialog import MonthlyReportDialog
from qagrader.gui.actions.view import ActionsView
from qagrader.gui.main_window import MainWindow
from qagrader.gui.team.profiles_view import PeopleView
from tests.core.test_merge import ALL_YES, add_interaction, grade
from tests.gui.conftest import GRADER, open_on
from tests.gui.test_team import demo_path  # noqa: F401  (the 900-interaction demo, built once per module)
from tests.samples import SIMPLE_CARD

SHOTS = Path(os.environ.get("QAGRADER_SHOTS") or tempfile.mkdtemp(prefix="qagrader-actions-shots-"))
"""Where the screenshots go: set QAGRADER_SHOTS to keep them (e.g. /work/shots/actions)."""
TIMEOUT = 20_000


def graded_workspace(path: Path) -> Workspace:
    ws = Workspace.open(path)
    ws.scorecards.import_json(json.dumps(SIMPLE_CARD))
    for external_id, agent in (("T1", "Maya Patel"), ("T2", "Maya Patel"), ("T3", "Kwame Asante")):
        add_interaction(ws, external_id, agent=agent)
    grade(ws, "T1", "Priya Raman", {**ALL_YES, "tone": Answer(2)})
    grade(ws, "T2", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
    grade(ws, "T3", "Sam Whitfield", ALL_YES)
    return ws


@pytest.fixture
def window(qtbot, tmp_path):
    graded_workspace(tmp_path / "lead.qagrader").close()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.open_workspace(tmp_path / "lead.qagrader", create=False)
    win.show()
    yield win
    win.close()


@pytest.fixture
def demo_copy(demo_path, tmp_path):
    """A copy of the demo each test may write to."""
    target = tmp_path / "demo.qagrader"
    with Workspace.open(demo_path, create=False) as ws:
        ws.backup_to(target)
    return target


def test_a_dispute_raised_and_accepted_on_the_grading_screen(qtbot, window):
    ws = window.ws
    t1 = ws.interactions.by_external_id("T1").id
    assert window.grading.open_interaction(t1)
    bar = window.grading.dispute_bar
    assert bar.isVisible() and "No dispute" in bar.text.text() and not bar.resolve_button.isVisible()

    bar.raise_button.click()
    dialog = bar.dialog
    dialog.question.setCurrentIndex(dialog.question.findData("tone"))
    assert "graded: 2" in dialog.question.currentText()
    dialog.reason.setPlainText("I was friendly all along, listen at 01:10")
    assert dialog.raised_by.text() == GRADER
    dialog.accept()
    qtbot.waitUntil(lambda: "Disputed" in bar.text.text(), timeout=TIMEOUT)
    (dispute,) = ws.disputes.list()
    assert (dispute.status, dispute.question_key, dispute.raised_by) == (OPEN, "tone", GRADER)
    assert "listen at 01:10" in bar.text.text() and bar.resolve_button.isVisible()

    bar.resolve_button.click()
    resolve = bar.dialog
    assert resolve.accepting and list(resolve.pickers) == ["tone"]  # the disputed question only
    ok = resolve.buttons.button(QDialogButtonBox.StandardButton.Ok)  # it says what it does
    assert ok.text() == "Accept and re-grade"
    resolve.reject_choice.setChecked(True)
    assert ok.text() == "Reject dispute" and not resolve.regrade.isEnabled()
    resolve.accept_choice.setChecked(True)
    resolve.pickers["tone"].setCurrentIndex(resolve.pickers["tone"].findData(5))
    resolve.reason.setPlainText("Heard it: warm throughout")
    resolve.accept()
    qtbot.waitUntil(lambda: ws.disputes.get(dispute.id).status == ACCEPTED, timeout=TIMEOUT)
    evaluation = ws.evaluations.get(dispute.evaluation_id)
    assert evaluation.answers["tone"] == Answer(5) and evaluation.score == 100
    _, snapshot = ws.evaluations.history(evaluation.id)[-1]
    assert snapshot["edited_by"] == GRADER and snapshot["answers"]["tone"]["value"] == 2
    assert snapshot["reason"] == "Heard it: warm throughout" and snapshot["dispute"] == dispute.uuid
    assert ws.disputes.answer_before(ws.disputes.get(dispute.id)) == Answer(2)
    # the grading screen shows the re-grade and the resolved dispute
    qtbot.waitUntil(lambda: "accepted" in window.grading.dispute_bar.text.text(), timeout=TIMEOUT)
    assert window.grading.session.answers["tone"] == Answer(5)

    window.show_screen("actions")
    view = window.screen("actions")
    view.disputes.status.setCurrentText("Accepted")
    assert view.disputes.list.rowCount() == 1 and view.disputes.list.item(0, 7).text() == ACCEPTED
    view.disputes.list.selectRow(0)
    detail = view.disputes.detail.text()
    assert "Accepted" in detail and "The answer before was <b>2</b>" in detail
    assert not view.disputes.accept_button.isEnabled()


def test_the_disputes_list_filters_rejects_with_a_reason_and_counts_rates(qtbot, tmp_path):
    ws = graded_workspace(tmp_path / "w.qagrader")
    with ws:
        t2 = ws.evaluations.for_interaction(ws.interactions.by_external_id("T2").id)[0]
        t3 = ws.evaluations.for_interaction(ws.interactions.by_external_id("T3").id)[0]
        on_t2 = ws.disputes.create(t2.id, "I did acknowledge it", raised_by="Lee Park", question_key="empathy")
        ws.disputes.create(t3.id, "The whole grade is unfair", raised_by="Lee Park")
        view = ActionsView()
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        with qtbot.waitSignal(view.disputes.rates_shown, timeout=TIMEOUT):
            open_on(view, ws)
        panel = view.disputes
        assert panel.list.rowCount() == 2 and view.tabs.tabText(0) == "Disputes (2 open)"
        panel.agent.setCurrentText("Maya Patel")
        assert panel.list.rowCount() == 1 and panel.list.item(0, 6).text() == "Acknowledged feelings"
        panel.agent.setCurrentText("All")
        panel.grader.setCurrentText("Sam Whitfield")
        assert panel.list.rowCount() == 1 and panel.list.item(0, 6).text() == "whole evaluation"
        panel.grader.setCurrentText("All")
        rates = {panel.graders_rates.item(r, 0).text(): (panel.graders_rates.item(r, 1).text(),
                                                         panel.graders_rates.item(r, 2).text())
                 for r in range(panel.graders_rates.rowCount())}
        assert rates == {"Priya Raman": ("2", "1"), "Sam Whitfield": ("1", "1")}
        assert panel.question_rates.rowCount() >= 1

        for row in range(panel.list.rowCount()):
            if panel.list.item(row, 1).text() == "T2":
                panel.list.selectRow(row)
        assert panel.chosen().id == on_t2.id
        before = ws.conn.execute("SELECT * FROM disputes ORDER BY id").fetchall()
        panel.resolve(accept=False)
        panel.dialog.accept()  # no reason: refused in one line, nothing changed

        def message_box():
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()),
                        None)
        qtbot.waitUntil(lambda: message_box() is not None, timeout=TIMEOUT)  # the writer refused it
        box = message_box()
        assert "reason for rejecting" in box.text().lower()
        box.close()
        assert ws.conn.execute("SELECT * FROM disputes ORDER BY id").fetchall() == before
        panel.resolve(accept=False)
        panel.dialog.reason.setPlainText("Listened again: no acknowledgement at all")
        panel.dialog.accept()
        qtbot.waitUntil(lambda: panel.list.rowCount() == 1, timeout=TIMEOUT)  # open ones only
        assert ws.disputes.get(on_t2.id).status == REJECTED
        assert view.tabs.tabText(0) == "Disputes (1 open)"
        view.set_workspace(None)


def _agent_with_priorities(qtbot, people: PeopleView) -> None:
    """Choose the first agent whose profile has ranked coaching priorities."""
    for i in range(people.tree.topLevelItemCount()):
        team = people.tree.topLevelItem(i)
        for k in range(team.childCount()):
            with qtbot.waitSignal(people.loaded, timeout=TIMEOUT):
                people.tree.setCurrentItem(team.child(k))
            if people.profile.notes.quick_buttons:
                return
    raise AssertionError("no agent of the demo has a ranked coaching priority")


def test_coaching_notes_on_the_agent_profile_and_a_priority_in_one_click(qtbot, demo_copy, window):
    window.open_workspace(demo_copy, create=False)
    ws = window.ws
    window.show_screen("agents")
    people = window.screen("agents")
    qtbot.waitUntil(lambda: people.selection() is not None and people.selection()[1] is not None, timeout=TIMEOUT)
    _agent_with_priorities(qtbot, people)
    box = people.profile.notes
    team, agent = people.selection()
    agent_id = ws.interactions.agent_id(agent)
    before = len(ws.coaching.for_agent(agent_id))
    assert box.isVisible() and box.notes.rowCount() == before
    ranked = box.priorities[box.priorities["rank"].notna()].sort_values("rank").iloc[0].to_dict()
    assert box.quick_buttons[0].text() == f"Coaching note: {ranked['skill']}"

    box.quick_buttons[0].click()  # one click
    qtbot.waitUntil(lambda: box.notes.rowCount() == before + 1, timeout=TIMEOUT)
    note = ws.coaching.for_agent(agent_id)[0]
    assert note.skills == (ranked["skill"].removesuffix(" (skill)"),) and note.coach == GRADER
    assert note.agreed == priority_note(ranked) and note.coached_on == date.today().isoformat()
    assert note.follow_up_on == (date.today() + timedelta(weeks=4)).isoformat()
    assert "Coaching note saved" in box.message.text()

    box.add_note()
    dialog = box.dialog
    assert dialog.chosen_skills() == [ranked["skill"].removesuffix(" (skill)")]  # the top priority, ticked
    dialog.agreed.setPlainText("Verify before sharing any order detail")
    dialog.follow.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: box.notes.rowCount() == before + 2, timeout=TIMEOUT)
    assert ws.coaching.for_agent(agent_id)[0].follow_up_on is None

    window.show_screen("actions")  # the note due in four weeks is listed among every follow-up
    view = window.screen("actions")
    view.tabs.setCurrentIndex(1)
    view.coaching.which.setCurrentIndex(1)
    agents = [view.coaching.notes.item(r, 0).text() for r in range(view.coaching.notes.rowCount())]
    assert agent in agents
    row = agents.index(agent)
    view.coaching.notes.selectRow(row)
    with qtbot.waitSignal(window.screen("agents").loaded, timeout=TIMEOUT):
        view.coaching.profile_button.click()  # back to the agent's profile
    assert window.current_screen() == "agents" and people.selection() == (team, agent)


def test_follow_ups_due_this_week_and_did_it_work(qtbot, demo_copy):
    ws = Workspace.open(demo_copy, create=False)
    with ws:
        today = date.fromisoformat(ws.conn.execute(
            "SELECT max(substr(occurred_at, 1, 10)) FROM interactions").fetchone()[0])
        view = ActionsView()
        view.coaching.today = lambda: today
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        open_on(view, ws)
        view.tabs.setCurrentIndex(1)
        panel = view.coaching
        due = ws.coaching.due(end_of_week(today))
        assert due and panel.notes.rowCount() == len(due)
        assert view.tabs.tabText(1) == f"Coaching follow-ups ({len(due)} due)"
        statuses = {panel.notes.item(r, 6).text() for r in range(panel.notes.rowCount())}
        assert statuses <= {"due", "overdue"}

        with qtbot.waitSignal(panel.results_shown, timeout=TIMEOUT):
            panel.notes.selectRow(0)
        note = panel.chosen()
        from qagrader.analysis.coaching_follow_up import note_follow_up

        expected = note_follow_up(ws, note, today=today)
        assert panel.results.rowCount() == len(expected)
        first = expected.iloc[0]
        assert panel.results.item(0, 2).text().endswith(f"({first['before_n']})")
        assert panel.results.item(0, 3).text().endswith(f"({first['after_n']})")
        assert panel.results.item(0, 5).text() == (first["direction"] or first["status"])
        assert "not proof" in panel.caveat.text()

        panel.follow_up_done()
        panel.dialog.note.setPlainText("Better: asks before sharing")
        panel.dialog.accept()
        qtbot.waitUntil(lambda: ws.coaching.get(note.id).follow_up_done, timeout=TIMEOUT)
        done = ws.coaching.get(note.id)
        assert done.follow_up_done and done.follow_up_note == "Better: asks before sharing"
        qtbot.waitUntil(lambda: panel.notes.rowCount() == len(due) - 1, timeout=TIMEOUT)
        panel.which.setCurrentIndex(2)  # every note, the done one included
        assert panel.notes.rowCount() == len(ws.coaching.list())
        view.set_workspace(None)
        QThreadPool.globalInstance().waitForDone(TIMEOUT)


def test_the_monthly_report_dialog_writes_the_pdf(qtbot, demo_copy, tmp_path):
    ws = Workspace.open(demo_copy, create=False)
    with ws:
        last = ws.conn.execute("SELECT max(substr(occurred_at, 1, 7)) FROM interactions").fetchone()[0]
        dialog = MonthlyReportDialog(ws, today=date.fromisoformat(f"{last}-15"))
        qtbot.addWidget(dialog)
        dialog.show()
        month = dialog.month.itemText(1)
        dialog.month.setCurrentText(month)
        dialog.team.setCurrentIndex(1)
        team = dialog.team.currentText()
        out = tmp_path / "report.pdf"
        dialog.path.setText(str(out))
        with qtbot.waitSignal(dialog.written, timeout=60_000) as written:
            dialog.build()
        assert written.args[0] == [out] and f"Saved {out}" in dialog.status.text()
        text = "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)
        assert "Monthly quality report" in text and f"Filters: Team: {team}" in text
        dialog.format.setCurrentIndex(2)
        assert dialog.path.text().endswith(".csv")
        dialog.month.setCurrentText("2026-13")  # refused in one line, nothing written
        dialog.path.setText(str(tmp_path / "bad.pdf"))
        task = dialog.build()
        qtbot.waitUntil(lambda: "is not a month" in dialog.status.text(), timeout=TIMEOUT)
        assert task is not None and not (tmp_path / "bad.pdf").exists()


def test_screenshots_of_disputes_and_coaching(qtbot, demo_copy, tmp_path):
    """The Follow-up screen (both tabs), a disputed grade, a profile's notes and the report dialog
    at 1440x900 and 1280x800 in light and dark (looked at)."""
    from qagrader.gui.app import apply_theme

    app = QApplication.instance()
    try:
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for width, height in ((1440, 900), (1280, 800)):
                win = MainWindow()
                qtbot.addWidget(win)
                win.resize(width, height)
                win.open_workspace(demo_copy, create=False)
                win.show()
                win.show_screen("actions")
                view = win.screen("actions")
                view.disputes.status.setCurrentText("All")
                qtbot.waitUntil(lambda: view.disputes.graders_rates.rowCount() > 0, timeout=TIMEOUT)
                _shoot(win, f"disputes-{width}x{height}-{theme}")
                view.tabs.setCurrentIndex(1)
                qtbot.waitUntil(lambda: view.coaching.results.rowCount() > 0, timeout=TIMEOUT)
                _shoot(win, f"coaching-{width}x{height}-{theme}")
                dispute = win.ws.disputes.list()[0]
                win.grade_interaction(dispute.interaction_id)
                _shoot(win, f"grading-dispute-{width}x{height}-{theme}")
                win.show_agent(dispute.team or "", dispute.agent or "")
                people = win.screen("agents")
                qtbot.waitUntil(lambda: people.selection() == (dispute.team, dispute.agent)
                                and people.profile.notes.isVisible(), timeout=TIMEOUT)
                qtbot.waitUntil(lambda: people.status.text() == "", timeout=TIMEOUT)
                scroll = people.profile.findChild(type(people.profile.layout().itemAt(0).widget()))
                scroll.ensureWidgetVisible(people.profile.notes)
                _shoot(win, f"profile-notes-{width}x{height}-{theme}")
                win.monthly_report()
                _shoot(win.report_dialog, f"report-dialog-{width}x{height}-{theme}")
                win.report_dialog.close()
                win.close()
                QThreadPool.globalInstance().waitForDone(TIMEOUT)
    finally:
        apply_theme(app, "light")


def _shoot(widget, name: str) -> None:
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    QApplication.processEvents()
    widget.grab().save(str(SHOTS / f"{name}.png"))


def test_disputes_and_notes_export_to_csv_from_the_screen(qtbot, demo_copy, tmp_path):
    import csv

    with Workspace.open(demo_copy, create=False) as ws:
        view = ActionsView()
        qtbot.addWidget(view)
        open_on(view, ws)
        view.disputes.status.setCurrentText("Accepted")
        view.disputes.export(str(tmp_path / "disputes.csv"))
        view.coaching.export(str(tmp_path / "notes.csv"))
        disputes = list(csv.DictReader((tmp_path / "disputes.csv").read_text(encoding="utf-8-sig").splitlines()))
        notes = list(csv.DictReader((tmp_path / "notes.csv").read_text(encoding="utf-8-sig").splitlines()))
        assert len(disputes) == view.disputes.list.rowCount() == len(ws.disputes.list()) - sum(
            d.status != ACCEPTED for d in ws.disputes.list())
        assert len(notes) == len(ws.coaching.list())
        view.disputes.export(str(ws.path))  # the open workspace: refused in one line, left as it was
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        assert "open workspace" in box.text()
        box.close()
        view.set_workspace(None)
        QThreadPool.globalInstance().waitForDone(TIMEOUT)

