"""The Grade screen while another write changes what it shows, on real workspace files: an
evaluation import and a merge from a second workspace file reload the open grade in place
(keeping the place in the form); answers not saved yet are never overwritten (a one-line notice
with Reload instead); the queue and the weekly sample offer interactions a merge or an import
brought in."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from qagrader.core.exporting.csv_export import export_evaluations
from qagrader.core.importing.interactions import import_interactions
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.records import utc_now
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.importing import import_evaluations_file
from qagrader.gui.interactions_view import COLUMN_INDEX
from qagrader.gui.operations import operations

from .conftest import GRADER, announce_writes, interaction_id, make_workspace, shown_main_window

TIMEOUT = 10_000
MINE = {"greeting": Answer("Yes"), "right_name": Answer("Yes"), "empathy": Answer("Yes"),
        "tone": Answer(4), "resolved": Answer("Yes")}


def submit(ws: Workspace, external_id: str, answers=MINE, grader: str = GRADER) -> int:
    card = ws.scorecards.get("Support QA")
    evaluation = ws.evaluations.start(interaction_id(ws, external_id), card.id, grader)
    ws.evaluations.save(evaluation.id, answers)
    return ws.evaluations.submit(evaluation.id).id


@pytest.fixture
def lead(tmp_path) -> Path:
    """The lead's workspace file: six interactions, T-001 (chat) submitted by the tester."""
    with make_workspace(tmp_path / "lead.qagrader", n=6) as ws:
        submit(ws, "T-001")
    return tmp_path / "lead.qagrader"


@pytest.fixture
def window(qtbot, lead):
    win = shown_main_window(qtbot, lead, size=(1024, 640), create=False)  # small: the form scrolls
    win.show_screen("grade")
    yield win
    win.close()


def open_at_tone(qtbot, window) -> tuple[int, int]:
    """Open T-001, scroll the form to the bottom and put the keyboard on "tone" (question 4):
    the place a reload must keep. Returns (scroll position, evaluation id)."""
    grading = window.grading
    assert grading.open_interaction(interaction_id(window.ws, "T-001"))
    qtbot.waitUntil(lambda: grading.form.verticalScrollBar().maximum() > 0, timeout=TIMEOUT)
    bar = grading.form.verticalScrollBar()
    grading.form.questions[3].setFocus(Qt.FocusReason.OtherFocusReason)
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    return bar.value(), grading.session.evaluation.id


def exported_with(ws: Workspace, folder: Path, **cells: str) -> Path:
    """The wide evaluations export of `ws` with T-001's `cells` changed (another tool's edit)."""
    path = folder / "wide.csv"
    export_evaluations(ws, path)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("interaction_id")] == "T-001")
    for column, value in cells.items():
        row[header.index(column)] = value
    edited = folder / "edited.csv"
    with open(edited, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return edited


def import_file(window, path: Path, monkeypatch) -> None:
    """File > Import evaluations… with `path` chosen (its report box answered)."""
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    assert import_evaluations_file(window, window.ws, path)


def test_an_evaluation_import_reloads_the_open_grade_in_place(qtbot, window, tmp_path, monkeypatch):
    grading = window.grading
    position, evaluation_id = open_at_tone(qtbot, window)
    path = exported_with(window.ws, tmp_path, tone="2", overall_comment="Imported from the coaching sheet")

    import_file(window, path, monkeypatch)

    stored = window.ws.evaluations.get(evaluation_id)
    assert stored.answers["tone"] == Answer(2) and stored.overall_comment == "Imported from the coaching sheet"
    qtbot.waitUntil(lambda: grading.form.question("tone").answer == Answer(2), timeout=TIMEOUT)
    assert grading.session.evaluation.updated_at == stored.updated_at
    assert grading.form.overall.toPlainText() == "Imported from the coaching sheet"
    assert grading.score_panel.total.text() == f"{stored.score:.1f}%"
    assert grading.history.title() == "History (1 edit)"  # the import's edit, with the version before it
    assert grading.header.title.text().startswith("T-001")
    assert grading.header.state.text().startswith(f"Submitted by {GRADER}")
    assert "changed elsewhere" in grading.message.text()
    assert not grading.changed_notice.isVisible()
    # the place in the form is kept: the scroll position and the question with the keyboard
    assert grading.form.verticalScrollBar().value() == position
    assert window.focusWidget() is grading.form.questions[3]  # the window's own (the progress dialog was active)
    assert not grading.back_button.isEnabled()  # a reload is no step in the history of opened ones


def test_a_merge_from_a_second_workspace_reloads_the_open_grade(qtbot, window, lead, tmp_path):
    grading = window.grading
    position, evaluation_id = open_at_tone(qtbot, window)
    laptop_path = tmp_path / "priya.qagrader"
    window.ws.backup_to(laptop_path)
    with Workspace.open(laptop_path, create=False) as laptop:  # Priya's copy: her edit is the later one
        before = laptop.evaluations.get(evaluation_id).updated_at
        while utc_now() <= before:
            pass
        laptop.evaluations.save(evaluation_id, {**MINE, "empathy": Answer("No")}, editor="Priya Raman")

    dialog = window.merge_workspace(laptop_path)
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.merged, timeout=TIMEOUT):
        dialog.run_button.click()
    dialog.close()

    qtbot.waitUntil(lambda: grading.form.question("empathy").answer == Answer("No"), timeout=TIMEOUT)
    assert window.ws.evaluations.get(evaluation_id).answers["empathy"] == Answer("No")
    assert grading.session.evaluation.answers["empathy"] == Answer("No")
    assert grading.form.verticalScrollBar().value() == position
    assert window.focusWidget() is grading.form.questions[3]  # the window's own (the dialog was active)
    assert "changed elsewhere" in grading.message.text()


def test_answers_not_saved_yet_are_never_overwritten_by_an_import(qtbot, window, tmp_path, monkeypatch):
    grading = window.grading
    _, evaluation_id = open_at_tone(qtbot, window)
    grading.start_editing()
    grading.form.questions[3].setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(grading.form.questions[3], "5")  # tone 5: an edit kept here until saved
    assert grading.session.unsaved and grading.form.question("tone").answer == Answer(5)
    assert grading.saved_label.text() == "Edit not saved yet (Ctrl+S saves it)"  # nothing is being saved
    path = exported_with(window.ws, tmp_path, tone="2")

    import_file(window, path, monkeypatch)

    assert window.ws.evaluations.get(evaluation_id).answers["tone"] == Answer(2)  # the import landed
    qtbot.waitUntil(grading.changed_notice.isVisible, timeout=TIMEOUT)
    notice = grading.changed_notice.text.text()
    assert "changed elsewhere" in notice and "your answers here are kept" in notice
    assert grading.form.question("tone").answer == Answer(5)  # not overwritten
    assert grading.session.editing and grading.session.unsaved
    assert grading.saved_label.text() == "Edit not saved yet (Ctrl+S saves it)"
    assert grading.changed_notice.reload_button.isEnabled()

    # Keep mine: the grader's edit is saved over the import (which stays in the history)
    qtbot.mouseClick(grading.changed_notice.keep_button, Qt.MouseButton.LeftButton)
    assert not grading.changed_notice.isVisible()
    grading.save()
    qtbot.waitUntil(lambda: not grading.session.unsaved, timeout=TIMEOUT)
    stored = window.ws.evaluations.get(evaluation_id)
    assert stored.answers["tone"] == Answer(5)
    assert [s["answers"]["tone"]["value"] for _, s in window.ws.evaluations.history(evaluation_id)] == [4, 2]

    # another import while editing again: Reload drops the edit and shows the stored grade
    grading.start_editing()
    grading.form.questions[0].setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(grading.form.questions[0], "n")
    assert grading.session.unsaved
    import_file(window, exported_with(window.ws, tmp_path, tone="3"), monkeypatch)
    qtbot.waitUntil(grading.changed_notice.isVisible, timeout=TIMEOUT)
    qtbot.mouseClick(grading.changed_notice.reload_button, Qt.MouseButton.LeftButton)
    assert not grading.changed_notice.isVisible() and not grading.session.unsaved
    assert grading.form.question("tone").answer == Answer(3)
    assert grading.form.question("greeting").answer == Answer("Yes")
    stored = window.ws.evaluations.get(evaluation_id)
    assert stored.answers["tone"] == Answer(3) and stored.answers["greeting"] == Answer("Yes")


def test_the_queue_offers_interactions_a_merge_brought_in(qtbot, window, tmp_path):
    grading = window.grading
    with Workspace.open(window.ws.path, create=False) as ws:  # everything here is graded already
        for number in range(2, 7):
            external_id = f"T-{number:03d}"
            if ws.interactions.get(interaction_id(ws, external_id)).channel != "phone":
                submit(ws, external_id)
            else:
                card = ws.scorecards.get("Phone QA")
                evaluation = ws.evaluations.start(interaction_id(ws, external_id), card.id, GRADER)
                ws.evaluations.save(evaluation.id, {"greeting": Answer("Yes"), "hold": Answer(None, True)})
                ws.evaluations.submit(evaluation.id)
        announce_writes(ws)
    window.show_screen("interactions")  # the browser's full id list, in an order SQL cannot walk fast
    browser = window.interactions
    qtbot.waitUntil(lambda: browser.model.complete and browser.model.rowCount() == 6, timeout=TIMEOUT)
    browser.table.sortByColumn(COLUMN_INDEX["agent"], Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: browser.model.complete and browser.model.sort_column != "date", timeout=TIMEOUT)
    window.show_screen("grade")
    assert not grading.open_next()
    assert "Nothing left to grade" in grading.message.text()

    laptop_path = tmp_path / "priya.qagrader"
    window.ws.backup_to(laptop_path)
    new_calls = tmp_path / "new.csv"
    new_calls.write_text("id,channel,agent,date\nT-100,chat,Ann,2024-03-30T10:00:00\n", encoding="utf-8")
    with Workspace.open(laptop_path, create=False) as laptop:
        import_interactions(laptop, new_calls)
    dialog = window.merge_workspace(laptop_path)
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.merged, timeout=TIMEOUT):
        dialog.run_button.click()
    dialog.close()

    assert grading.message.text() == ""  # "nothing left" is no longer said
    assert grading.open_next()
    assert grading.header.title.text().startswith("T-100")


def test_the_weekly_sample_takes_in_interactions_an_import_brought(qtbot, window, tmp_path):
    grading = window.grading
    grading.queue_mode.setCurrentIndex(1)
    grading._queue_mode_chosen(1)
    qtbot.waitUntil(lambda: len(grading.queue.sample) == 6, timeout=TIMEOUT)
    assert "(1 of 6 graded)" in grading.queue_mode.itemText(1)
    new_calls = tmp_path / "april.csv"  # a week nobody had calls in: all of them are in the sample
    new_calls.write_text("id,channel,agent,date\nT-200,chat,Ann,2024-04-15T10:00:00\n"
                         "T-201,email,Bob,2024-04-16T11:00:00\n", encoding="utf-8")
    with qtbot.waitSignal(operations().changed, timeout=TIMEOUT):
        operations().run(window.ws, import_interactions, new_calls)  # the import wizard's operation
    qtbot.waitUntil(lambda: len(grading.queue.sample) == 8, timeout=TIMEOUT)
    new = {interaction_id(window.ws, "T-200"), interaction_id(window.ws, "T-201")}
    assert new <= set(grading.queue.sample)
    assert "(1 of 8 graded)" in grading.queue_mode.itemText(1)
