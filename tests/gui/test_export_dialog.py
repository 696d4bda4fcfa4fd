"""The export dialog writes the same files as the core export, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from qagrader.core.exporting.csv_export import export_evaluations, export_scorecard_csv
from qagrader.core.importing.interactions import import_interactions
from qagrader.core.scorecards.model import scorecard_from_dict
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from qagrader.gui import export_dialog
from qagrader.gui.export_dialog import ExportDialog
from tests.samples import EXAMPLE

ANSWERS = [
    {"empathy": Answer("Yes", comment="Nice, \"warm\" start"), "tone": Answer(4), "wrong_name": Answer("Yes"),
     "data_leak": Answer("No"), "resolution": Answer("Partial"), "wow": Answer(None, True)},
    {"empathy": Answer(None, True), "tone": Answer(2), "wrong_name": Answer("No"),
     "data_leak": Answer("No"), "resolution": Answer("No"), "wow": Answer("Yes")},
    {"empathy": Answer("No"), "tone": Answer(5), "wrong_name": Answer("Yes"),
     "data_leak": Answer("Yes"), "resolution": Answer("Yes"), "wow": Answer("No")},
]


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "chats.csv"
    path.write_text("id,channel,agent,team,csat\n" + "".join(
        f"C{i},chat,=Agent {i % 2},Team é,{1 + i % 5}\n" for i in range(8)), encoding="utf-8")
    workspace = Workspace.open(tmp_path / "ws.qagr")
    import_interactions(workspace, path)
    card = workspace.scorecards.save(scorecard_from_dict(EXAMPLE)).scorecard
    for interaction_id in range(1, 8):
        evaluation = workspace.evaluations.start(interaction_id, card.id, "Sam")
        comment = "overall" if interaction_id == 2 else None
        workspace.evaluations.save(evaluation.id, ANSWERS[interaction_id % 3], comment)
        if interaction_id <= 5:
            workspace.evaluations.submit(evaluation.id)
    yield workspace
    workspace.close()


@pytest.fixture
def dialog(qtbot, ws):
    dlg = ExportDialog(ws)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def run_export(qtbot, dlg: ExportDialog, out: Path) -> None:
    dlg.set_path(out)
    qtbot.mouseClick(dlg.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.last_path == out, timeout=10_000)


def test_wide_export_matches_the_core_export(qtbot, dialog, ws, tmp_path):
    assert dialog.wide_radio.isChecked()
    assert dialog.status_filter.currentText() == "Submitted only"
    assert dialog.excel_bom.isChecked()
    assert Path(dialog.path_edit.text()).name.startswith("evaluations-wide-")

    out = tmp_path / "mine.csv"
    run_export(qtbot, dialog, out)
    assert dialog.result.text() == f"Exported 5 evaluations to <b>{out}</b>"
    assert not dialog.open_folder.isHidden()
    expected = tmp_path / "core.csv"
    export_evaluations(ws, expected, shape="wide", status="submitted", excel_bom=True,
                       time_zone=dialog.time_zone.currentData())
    assert out.read_bytes() == expected.read_bytes()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert QSettings().value("export/last_folder") == str(tmp_path)


def test_calibration_grades_only_when_asked(qtbot, dialog, ws, tmp_path):
    from qagrader.core.calibration.grading import save_calibration_grade

    session = ws.calibration.create("March", ws.scorecards.get("Chat QA").id, interaction_ids=[8], graders=["Lee"])
    save_calibration_grade(ws, session, 8, "Lee", ANSWERS[1], submit=True)
    ws.calibration.close(session)
    assert not dialog.include_calibration.isChecked()
    dialog.include_calibration.setChecked(True)
    out = tmp_path / "with-calibration.csv"
    run_export(qtbot, dialog, out)
    expected = tmp_path / "core.csv"
    rows = export_evaluations(ws, expected, shape="wide", status="submitted", include_calibration=True, excel_bom=True,
                              time_zone=dialog.time_zone.currentData())
    assert out.read_bytes() == expected.read_bytes()
    assert rows > export_evaluations(ws, tmp_path / "without.csv", status="submitted")


def test_long_export_with_filters(qtbot, dialog, ws, tmp_path):
    dialog.long_radio.setChecked(True)
    dialog.scorecard_filter.setCurrentIndex(dialog.scorecard_filter.findData("Chat QA"))
    dialog.status_filter.setCurrentIndex(dialog.status_filter.findData("draft"))
    dialog.excel_bom.setChecked(False)
    out = tmp_path / "long.csv"
    run_export(qtbot, dialog, out)
    expected = tmp_path / "core-long.csv"
    rows = export_evaluations(ws, expected, shape="long", scorecard="Chat QA", status="draft",
                              time_zone=dialog.time_zone.currentData())
    assert out.read_bytes() == expected.read_bytes()
    assert dialog.result.text() == f"Exported {rows} answers to <b>{out}</b>"


def test_scorecard_as_json_and_csv(qtbot, dialog, ws, tmp_path):
    dialog.scorecard_radio.setChecked(True)
    assert dialog.pages.currentIndex() == 1
    assert dialog.path_edit.text().endswith("chat-qa.json")
    out = tmp_path / "card.json"
    run_export(qtbot, dialog, out)
    assert out.read_text(encoding="utf-8") == ws.scorecards.export_json("Chat QA")
    assert dialog.result.text() == f"Exported scorecard 'Chat QA' to <b>{out}</b>"

    dialog.csv_radio.setChecked(True)
    assert dialog.path_edit.text() == str(tmp_path / "card.csv")  # the suffix follows the format
    run_export(qtbot, dialog, tmp_path / "card.csv")
    expected = tmp_path / "core-card.csv"
    export_scorecard_csv(ws.scorecards.get("Chat QA").card, expected, excel_bom=True)  # Excel-friendly by default
    assert (tmp_path / "card.csv").read_bytes() == expected.read_bytes()


def test_missing_folder_is_explained(qtbot, dialog, tmp_path, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(export_dialog, "show_error", lambda parent, error: shown.append(str(error)))
    dialog.set_path(tmp_path / "nowhere" / "x.csv")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert shown == [f"The folder {tmp_path / 'nowhere'} does not exist."]
    assert not (tmp_path / "nowhere").exists()


def test_the_file_name_follows_the_choices_until_the_user_names_it(qtbot, dialog, tmp_path):
    dialog.set_path(tmp_path / Path(dialog.path_edit.text()).name)  # the suggestion, in tmp_path
    dialog._suggested = Path(dialog.path_edit.text()).name
    dialog.scorecard_filter.setCurrentIndex(dialog.scorecard_filter.findData("Chat QA"))
    assert Path(dialog.path_edit.text()).name.startswith("chat-qa-wide-")
    assert Path(dialog.path_edit.text()).parent == tmp_path  # the folder stays
    dialog.status_filter.setCurrentIndex(dialog.status_filter.findData(None))
    assert Path(dialog.path_edit.text()).name.startswith("chat-qa-wide-with-drafts-")
    dialog.long_radio.setChecked(True)
    assert "-long-with-drafts-" in dialog.path_edit.text()
    dialog.scorecard_radio.setChecked(True)
    assert dialog.path_edit.text() == str(tmp_path / "chat-qa.json")
    dialog.evaluations_radio.setChecked(True)
    dialog.set_path(tmp_path / "my grades.csv")  # a name of the user's own stays
    dialog.status_filter.setCurrentIndex(dialog.status_filter.findData("draft"))
    assert dialog.path_edit.text() == str(tmp_path / "my grades.csv")
    dialog.scorecard_radio.setChecked(True)
    assert dialog.path_edit.text() == str(tmp_path / "my grades.json")  # only the suffix follows


def test_an_existing_file_is_replaced_only_after_asking(qtbot, dialog, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    out = tmp_path / "grades.csv"
    out.write_text("keep me", encoding="utf-8")
    asked: list[str] = []

    def answer(reply):
        def question(parent, title, text, *args):
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    dialog.set_path(out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked == [f"grades.csv already exists in {tmp_path}. Replace it?"]
    assert out.read_text(encoding="utf-8") == "keep me" and dialog.last_path is None
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    run_export(qtbot, dialog, out)
    assert len(asked) == 2 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    dialog.set_path(out, confirmed=True)  # the save dialog already asked: no second question
    dialog.last_path = None
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_path == out, timeout=10_000)
    assert len(asked) == 2


def test_the_dialog_keeps_its_width(qtbot, dialog):
    width = dialog.width()
    for toggle in (dialog.scorecard_radio, dialog.csv_radio, dialog.evaluations_radio, dialog.long_radio,
                   dialog.wide_radio):
        toggle.setChecked(True)
        qtbot.wait(10)
        assert dialog.width() == width


def test_question_text_headers_and_a_time_zone(qtbot, dialog, ws, tmp_path):
    dialog.headers.setCurrentIndex(dialog.headers.findData("text"))
    dialog.time_zone.addItem("Tokyo", "Asia/Tokyo")  # as on a computer in Japan
    dialog.time_zone.setCurrentIndex(dialog.time_zone.findData("Asia/Tokyo"))
    out = tmp_path / "text.csv"
    run_export(qtbot, dialog, out)
    expected = tmp_path / "core.csv"
    export_evaluations(ws, expected, status="submitted", excel_bom=True, headers="text", time_zone="Asia/Tokyo")
    assert out.read_bytes() == expected.read_bytes()
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "graded_at (Asia/Tokyo)" in header and "empathy" not in header.split(",overall_comment,")[1]
