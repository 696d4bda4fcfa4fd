"""The Scorecards screen: list, editor forms, validation next to the field, live preview, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QToolButton

from qagrader.core.importing.interactions import import_interactions
from qagrader.core.scorecards.model import scorecard_from_dict, scorecard_to_json
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage.changes import Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.scorecards import ScorecardsView
from tests.gui.conftest import announce_writes, open_on
from tests.samples import EXAMPLE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "ws.qagr")
    workspace.scorecards.save(scorecard_from_dict(EXAMPLE))
    yield workspace
    workspace.close()


@pytest.fixture
def view(qtbot, ws):
    widget = ScorecardsView()
    qtbot.addWidget(widget)
    open_on(widget, ws)
    widget.resize(1280, 800)
    widget.show()
    widget.select("Chat QA")
    return widget


def grade(ws: Workspace, tmp_path: Path, count: int) -> list[int]:
    """`count` submitted evaluations on the latest 'Chat QA'."""
    path = tmp_path / "chats.csv"
    path.write_text("id,channel\n" + "".join(f"C{i},chat\n" for i in range(count)), encoding="utf-8")
    import_interactions(ws, path)
    card = ws.scorecards.get("Chat QA")
    ids = []
    for interaction_id in range(1, count + 1):
        evaluation = ws.evaluations.start(interaction_id, card.id, "Sam")
        ws.evaluations.save(evaluation.id, {
            "empathy": Answer("Yes"), "tone": Answer(4), "wrong_name": Answer("Yes"),
            "data_leak": Answer("No"), "resolution": Answer("Yes"), "wow": Answer(None, True)})
        ws.evaluations.submit(evaluation.id)
        ids.append(evaluation.id)
    return ids


def finished(qtbot, editor) -> None:
    """Wait until the save handed to the writer has finished (committed or refused)."""
    qtbot.waitUntil(lambda: not editor.saving, timeout=10_000)


def list_rows(view: ScorecardsView) -> list[tuple[str, str, str]]:
    return [tuple(view.list.topLevelItem(i).text(c) for c in range(3)) for i in range(view.list.topLevelItemCount())]


def test_list_shows_scorecards_with_version_and_evaluations(qtbot, view, ws, tmp_path):
    grade(ws, tmp_path, 2)
    card = ws.scorecards.get("Chat QA")
    ws.evaluations.start(1, card.id, "Lin")  # a draft: not a submitted grade, said in the tooltip
    announce_writes(ws)
    assert list_rows(view) == [("Chat QA", "v1", "2")]
    assert view.list.headerItem().text(2) == "Grades"
    assert view.list.topLevelItem(0).toolTip(2) == "2 submitted, 1 draft, 0 calibration grades"
    assert not view.delete_action.isEnabled()
    assert "archive it instead" in view.delete_action.toolTip()
    tree = view.editor.tree
    root = tree.topLevelItem(0)
    assert [root.child(i).text(0) for i in range(root.childCount())] == ["Soft skills", "Process", "Bonus  (bonus)"]
    assert root.child(0).child(1).text(0) == "tone — Friendly tone"


def test_editing_a_used_scorecard_creates_a_new_version(qtbot, view, ws, tmp_path):
    old_ids = grade(ws, tmp_path, 3)
    announce_writes(ws)
    view.select("Chat QA")
    editor = view.editor
    assert "3 grades (drafts and calibration included) use this version; saving changes creates v2" in \
        editor.title.text()
    assert not editor.save_button.isEnabled()

    editor.select(("question", 0, 1))
    form = editor.question_form
    assert form.key.text() == "tone"
    form.text.selectAll()
    qtbot.keyClicks(form.text, "Friendly, warm tone")
    assert editor.dirty_label.isVisible()
    assert editor.tree.currentItem().text(0) == "tone — Friendly, warm tone"

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    finished(qtbot, editor)
    assert editor.message.text() == "v2 created; 3 evaluations keep v1."
    assert not editor.dirty_label.isVisible()
    assert list_rows(view) == [("Chat QA", "v2", "3")]
    assert ws.scorecards.get("Chat QA").card.question("tone").text == "Friendly, warm tone"
    v1 = ws.scorecards.get("Chat QA", 1)
    assert v1.card.question("tone").text == "Friendly tone"
    assert {ws.evaluations.get(i).scorecard_id for i in old_ids} == {v1.id}

    # v2 has no grades yet: a second save edits it in place.
    form.guideline.setPlainText("Warm and polite throughout.")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    finished(qtbot, editor)
    assert editor.message.text() == "Saved 'Chat QA' v2."
    assert ws.scorecards.get("Chat QA").version == 2


def test_validation_error_is_shown_next_to_its_field(qtbot, view, ws):
    editor = view.editor
    editor.select(("question", 1, 0))
    form = editor.question_form
    form.key.clear()
    qtbot.keyClicks(form.key, "empathy")  # already used in section 1
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    finished(qtbot, editor)

    assert editor.selected() == ("question", 1, 0)
    assert form.error_text("key") == "Duplicate key 'empathy' (also at sections[0].questions[0].key)."
    assert form.key.property("validationError") is True
    assert form.key.hasFocus() or not form.isActiveWindow()
    assert editor.message.text().startswith(
        "Cannot save: Section 2 'Process', question 1 'empathy' — key duplicate key 'empathy'")
    assert ws.scorecards.get("Chat QA").card.question("resolution")  # nothing was saved

    qtbot.keyClicks(form.key, "_2")  # editing clears the error
    assert form.error_text("key") == ""
    assert not form.key.property("validationError")


def test_section_and_option_errors_point_at_their_widgets(qtbot, view):
    editor = view.editor
    editor.select(("section", 0))
    editor.section_form.weighted.setChecked(True)  # only one section weighted
    editor.save()
    finished(qtbot, editor)
    assert editor.selected() == ("section", 1)
    assert editor.section_form.error_text("weight") == "Give every section a weight, or none of them."
    assert editor.section_form.weight.property("validationError") is True
    editor.discard()
    assert not editor.is_dirty

    editor.select(("question", 1, 0))
    table = editor.question_form.options.table
    label = table.cellWidget(1, 0)
    label.clear()
    qtbot.keyClicks(label, "yes")  # same as option 1, ignoring case
    editor.save()
    finished(qtbot, editor)
    assert editor.question_form.error_text("options") == "Option 2 label: duplicate label 'yes'."
    assert label.property("validationError") is True


def test_live_preview_scores_as_you_click(qtbot, view):
    preview = view.editor.preview
    card = scorecard_from_dict(EXAMPLE)
    assert preview.total_label.text() == "Score: —"
    assert preview.progress_label.text() == "0 of 6 questions answered"

    def click(key: str, label: str) -> None:
        button = preview.findChild(QToolButton, f"answer_{key}_{label}")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert button.isChecked()

    for key, label in (("empathy", "Yes"), ("tone", "3"), ("wrong_name", "Yes"), ("data_leak", "No"),
                       ("resolution", "Partial")):
        click(key, label)
    expected = score(card, {"empathy": Answer("Yes"), "tone": Answer(3), "wrong_name": Answer("Yes"),
                            "data_leak": Answer("No"), "resolution": Answer("Partial")})
    assert preview.total_label.text() == f"Score: {expected.total:.1f}%"
    assert preview.progress_label.text() == "5 of 6 questions answered"
    assert preview.section_titles()[1] == "Process — 50%"
    assert preview.banner.isHidden()

    click("data_leak", "Yes")
    assert preview.total_label.text() == "Score: 0.0%"
    assert not preview.banner.isHidden()
    data_leak = card.question("data_leak").text
    assert f"\u201c{data_leak}\u201d = Yes: the whole evaluation scores 0" in preview.banner.text()  # words


def test_the_preview_forgets_answers_when_another_scorecard_is_shown(qtbot, view, ws):
    other = json.loads(json.dumps(EXAMPLE))
    other["name"] = "Chat QA copy"
    ws.scorecards.import_json(json.dumps(other))
    view.apply_changes(Changes.everything())
    preview = view.editor.preview
    qtbot.mouseClick(preview.findChild(QToolButton, "answer_empathy_Yes"), Qt.MouseButton.LeftButton)
    assert preview.progress_label.text() == "1 of 6 questions answered"
    view.select("Chat QA copy")
    assert preview.answers == {} and preview.progress_label.text() == "0 of 6 questions answered"
    assert not preview.findChild(QToolButton, "answer_empathy_Yes").isChecked()


def test_preview_follows_edits(qtbot, view):
    editor = view.editor
    editor.select(("question", 0, 0))
    form = editor.question_form
    form.type.setCurrentIndex(form.type.findData("scale"))
    assert form.min.isVisibleTo(form) and not form.auto_fail.isVisibleTo(form)
    editor.refresh_preview()
    buttons = editor.preview.findChildren(QToolButton)
    labels = {b.text() for b in buttons if b.objectName().startswith("answer_empathy_")}
    assert labels == {"1", "2", "3", "4", "5", "N/A"}

    form.text.clear()  # invalid: the preview keeps the last valid state and says why
    form._set("text", "")
    editor.refresh_preview()
    assert "Preview shows the last valid state" in editor.preview.note.text()
    assert "question text is required" in editor.preview.note.text()


def test_structure_edits_and_discard(qtbot, view):
    editor = view.editor
    editor.select(("section", 1))
    editor.add_question()
    assert editor.selected() == ("question", 1, 1)
    assert editor.question_form.key.text() == "q1"
    editor.move_selected(-1)
    assert editor.tree.topLevelItem(0).child(1).child(0).text(0) == "q1 — New question"
    editor.add_section()
    assert editor.tree.topLevelItem(0).childCount() == 4
    assert editor.dirty_label.isVisible()
    qtbot.mouseClick(editor.discard_button, Qt.MouseButton.LeftButton)
    assert editor.tree.topLevelItem(0).childCount() == 3
    assert not editor.dirty_label.isVisible()


def test_new_scorecard_save_and_delete(qtbot, view, ws, monkeypatch):
    view.new_action.trigger()
    editor = view.editor
    assert "new scorecard, not saved yet" in editor.title.text()
    assert editor.card_form.name.text() == "New scorecard"
    editor.card_form.name.selectAll()
    qtbot.keyClicks(editor.card_form.name, "Email QA")
    editor.card_form.channel_checks["email"].setChecked(True)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    finished(qtbot, editor)
    assert editor.message.text() == "Saved 'Email QA' v1."
    assert [row[0] for row in list_rows(view)] == ["Chat QA", "Email QA"]
    assert ws.scorecards.get("Email QA").card.channels == ("email",)

    view.select("Email QA")
    assert view.delete_action.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    view.delete_action.trigger()
    qtbot.waitUntil(lambda: [row[0] for row in list_rows(view)] == ["Chat QA"], timeout=5000)


def test_duplicate_archive_and_restore(qtbot, view, ws):
    view.duplicate_action.trigger()
    assert view.editor.card_form.name.text() == "Chat QA (copy)"
    view.editor.save()
    finished(qtbot, view.editor)
    assert [row[0] for row in list_rows(view)] == ["Chat QA", "Chat QA (copy)"]
    view.select("Chat QA (copy)")
    view.archive_action.trigger()
    qtbot.waitUntil(lambda: [row[0] for row in list_rows(view)] == ["Chat QA"], timeout=5000)
    view.show_archived.setChecked(True)
    assert [row[0] for row in list_rows(view)] == ["Chat QA", "Chat QA (copy)  (archived)"]
    view.select("Chat QA (copy)")
    assert view.archive_action.text() == "Restore"
    view.archive_action.trigger()
    qtbot.waitUntil(lambda: list_rows(view)[1][0] == "Chat QA (copy)", timeout=5000)  # heard of it
    assert ws.scorecards.get("Chat QA (copy)").archived is False


def test_name_clash_is_shown_on_the_name_field(qtbot, view, ws):
    view.duplicate_action.trigger()
    editor = view.editor
    editor.card_form.name.selectAll()
    qtbot.keyClicks(editor.card_form.name, "Chat QA")
    editor.save()
    finished(qtbot, editor)
    assert "already exists" in editor.card_form.error_text("name")
    assert len(ws.scorecards.list()) == 1


def test_export_json_and_csv(qtbot, view, ws, tmp_path, monkeypatch):
    target = {"path": tmp_path / "chat.json"}
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target["path"]), ""))
    view.export_json_action.trigger()
    assert target["path"].read_text(encoding="utf-8") == scorecard_to_json(ws.scorecards.get("Chat QA").card)
    assert json.loads(target["path"].read_text(encoding="utf-8"))["name"] == "Chat QA"
    assert f"to {target['path']}" in view.editor.message.text()

    target["path"] = tmp_path / "chat.csv"
    view.export_csv_action.trigger()
    raw = target["path"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == 1 + 6  # Excel-friendly (Preferences)
    lines = target["path"].read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("section,section_weight,bonus,key,text")
    assert len(lines) == 1 + 6


def test_polarity_is_a_field_of_the_question_form(qtbot, view, ws):
    editor = view.editor
    editor.select(("question", 0, 2))  # wrong_name, skill "Wrong customer name"
    form = editor.question_form
    assert not form.polarity.isChecked() and "should NOT happen" in form.polarity.toolTip()
    form.polarity.setChecked(True)
    editor.save()
    finished(qtbot, editor)
    assert ws.scorecards.get("Chat QA").card.question("wrong_name").polarity == "negative"
    other = json.loads(json.dumps(EXAMPLE))  # another scorecard tagging the same skill positive
    other["name"] = "Mail QA"
    with pytest.raises(Exception, match="polarity"):
        ws.scorecards.import_json(json.dumps(other))
    editor.select(("question", 0, 2))
    editor.question_form.polarity.setChecked(False)
    ws.scorecards.import_json(json.dumps({**other, "sections": [
        {"name": "S", "questions": [{"key": "name", "text": "Right name", "type": "yes_no",
                                     "skill": "Wrong customer name", "polarity": "negative"}]}]}))
    editor.save()  # Chat QA now disagrees with Mail QA: refused on the field
    finished(qtbot, editor)
    assert "is positive here but negative on scorecard 'Mail QA'" in form.error_text("polarity")
    assert ws.scorecards.get("Chat QA").card.question("wrong_name").polarity == "negative"


def test_saving_while_another_program_holds_the_lock_never_blocks_and_never_claims_it(qtbot, view, ws,
                                                                                       monkeypatch):
    from qagrader.gui.operations import operations
    from tests.gui.test_busy_workspace import LockHolder

    monkeypatch.setenv("QAGRADER_BUSY_TIMEOUT", "1.5")  # the busy budget of an ordinary write
    editor = view.editor
    editor.select(("question", 0, 1))
    form = editor.question_form
    form.text.selectAll()
    qtbot.keyClicks(form.text, "Warm tone")
    holder = LockHolder(ws.path, 60)
    said: list[str] = []
    record = lambda: said.append(editor.message.text())  # noqa: E731
    operations().state_changed.connect(record)
    try:
        qtbot.waitUntil(lambda: holder.locked, timeout=10_000)
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        # the click returned at once: the save waits on the writer thread, the editor is read-only
        assert editor.saving and not holder.released
        assert not editor.splitter.isEnabled() and not editor.structure.isEnabled()
        assert not editor.save_button.isEnabled() and not editor.discard_button.isEnabled()
        qtbot.waitUntil(lambda: "is busy" in editor.message.text(), timeout=10_000)
        assert editor.message.text().startswith("Not saved yet: ws.qagr is busy")
        # after the busy budget: refused in one line, the edit still here, nothing written
        finished(qtbot, editor)
        message = editor.message.text()
        assert message.startswith("Not saved: ") and "is busy" in message and "\n" not in message
        assert message.endswith("Your changes are still here: Save (Ctrl+S) to try again.")
        assert editor.is_dirty and editor.splitter.isEnabled() and editor.save_button.isEnabled()
        assert editor.draft["sections"][0]["questions"][1]["text"] == "Warm tone"
        assert editor.tree.currentItem().text(0) == "tone — Warm tone"
        assert ws.scorecards.get("Chat QA").card.question("tone").text == "Friendly tone"

        # Save again: it waits for the lock, and says "Saved" only once the row is committed
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        assert editor.saving
        qtbot.waitUntil(lambda: "is busy" in editor.message.text(), timeout=10_000)
        holder.release()
        finished(qtbot, editor)
    finally:
        operations().state_changed.disconnect(record)
        holder.close()
    assert editor.message.text() == "Saved 'Chat QA' v1."
    assert ws.scorecards.get("Chat QA").card.question("tone").text == "Warm tone"
    assert not editor.is_dirty and editor.splitter.isEnabled()
    assert not any(text.startswith("Saved") for text in said[:-1])  # never claimed before the commit


def test_switching_scorecards_with_unsaved_edits_saves_first_then_opens_the_other(qtbot, view, ws, monkeypatch):
    other = json.loads(json.dumps(EXAMPLE))
    other["name"] = "Mail QA"
    ws.scorecards.import_json(json.dumps(other))
    announce_writes(ws)
    view.select("Chat QA")
    editor = view.editor
    editor.card_form.name.selectAll()
    qtbot.keyClicks(editor.card_form.name, "Chat QA 2026")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    view.select("Mail QA")  # asks; Save: the save goes first, then Mail QA opens
    qtbot.waitUntil(lambda: editor.stored is not None and editor.stored.name == "Mail QA", timeout=10_000)
    assert not editor.saving and not editor.is_dirty
    assert [row[0] for row in list_rows(view)] == ["Chat QA 2026", "Mail QA"]
    assert view.current().name == "Mail QA"


def test_closing_the_window_saves_the_edits_first_or_stays_open_when_refused(qtbot, ws, monkeypatch):
    from qagrader.gui.main_window import MainWindow

    path = ws.path
    ws.close()
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_workspace(path, create=False)
    window.show()
    window.show_screen("scorecards")
    view = window.screen("scorecards")
    view.select("Chat QA")
    editor = view.editor
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)

    # refused by the core (the skill's polarity disagrees with another scorecard): the window stays
    other = json.loads(json.dumps(EXAMPLE))
    other["name"] = "Mail QA"
    other["sections"] = [{"name": "S", "questions": [{"key": "name", "text": "Right name", "type": "yes_no",
                                                      "skill": "Wrong customer name"}]}]
    with Workspace.open(path, create=False) as second:  # another QA Grader on the same file
        second.scorecards.import_json(json.dumps(other))
    editor.select(("question", 0, 2))
    editor.question_form.polarity.setChecked(True)
    assert not window.close()
    assert window.isVisible() and editor.is_dirty and not editor.saving
    assert "is negative here but positive on scorecard 'Mail QA'" in editor.question_form.error_text("polarity")

    # a save the core accepts: closing waits for it, then closes
    editor.question_form.polarity.setChecked(False)
    editor.select(("question", 0, 1))
    editor.question_form.text.selectAll()
    qtbot.keyClicks(editor.question_form.text, "Warm tone")
    assert window.close()
    with Workspace.open(path, create=False) as after:
        assert after.scorecards.get("Chat QA").card.question("tone").text == "Warm tone"
