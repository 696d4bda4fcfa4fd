"""The interaction import wizard and the scorecard / evaluation file imports, as a user drives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWizard

from qagrader.core.scorecards.model import scorecard_from_dict
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.importing import InteractionImportWizard, import_evaluations_file, import_scorecard_file
from qagrader.gui.importing import file_imports
from qagrader.gui.importing.source_pages import NOT_MAPPED
from tests.samples import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
CALL_CENTRE = ROOT.parent / "shared" / "data" / "call-center-5000.csv"
BAD_CSV = """Ticket ID,Channel,Assignee,Group,Created at,Satisfaction,Subject
T-1,Email,Ann,Billing,2024-03-01 10:00,5,Refund
T-2,Inbound call,Bob,Support,2024-03-01 11:00,4,Login
T-3,chat,Ann,Billing,2024-03-02 09:30,abc,Invoice
T-4,Chat,Cy,Support,not a date,3,Password
T-2,Email,Bob,Support,2024-03-03 08:00,9,Duplicate id
T-6,Email,Ann,Billing,2024-03-04 08:00,2,Fine
,Email,Ann,Billing,2024-03-04 09:00,2,No id
T-7,Carrier pigeon,Ann,Billing,2024-03-05 08:00,1,Odd channel
"""


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "ws.qagr")
    yield workspace
    workspace.close()


@pytest.fixture
def wizard(qtbot, ws):
    wiz = InteractionImportWizard(ws)
    qtbot.addWidget(wiz)
    wiz.show()
    yield wiz
    wiz.reject()


def next_page(qtbot, wiz: InteractionImportWizard, timeout: int = 15_000) -> None:
    """Click Next (or Import) and wait until the new page has finished its background work."""
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentPage().isComplete() or _page_settled(wiz), timeout=timeout)


def _page_settled(wiz: InteractionImportWizard) -> bool:
    page = wiz.currentPage()
    if page is wiz.dry_run_page:
        return page.report is not None or "Go Back" in page.summary.text()
    return False


def open_file(qtbot, wiz: InteractionImportWizard, path: Path) -> None:
    wiz.set_file(path)
    qtbot.waitUntil(lambda: wiz.preview is not None, timeout=10_000)


def test_call_centre_csv_imports_through_the_wizard(qtbot, wizard, ws):
    open_file(qtbot, wizard, CALL_CENTRE)
    assert "10 columns found (UTF-8 with BOM, comma-separated)" in wizard.file_page.status.text()

    next_page(qtbot, wizard)
    preview = wizard.preview_page
    assert "UTF-8 with BOM" in preview.format_label.text() and "Comma" in preview.format_label.text()
    headers = [preview.table.horizontalHeaderItem(c).text() for c in range(preview.table.columnCount())]
    assert headers[:4] == ["Call Id", "Agent", "Date", "Time"]
    assert preview.table.rowCount() == 20
    assert preview.table.item(0, 0).text() == "ID0001"

    next_page(qtbot, wizard)
    combos = wizard.mapping_page.combos
    assert {field: combo.currentText() for field, combo in combos.items()} == {
        "external_id": "Call Id", "channel": NOT_MAPPED, "agent": "Agent", "team": NOT_MAPPED,
        "brand": NOT_MAPPED, "occurred_at": "Date", "occurred_time": "Time",
        "csat": "Satisfaction rating", "subject": "Topic", "transcript": NOT_MAPPED,
    }
    form = wizard.mapping_page.form
    assert form.itemAt(0, form.ItemRole.LabelRole).widget().text() == "<b>Interaction id *</b>:"
    assert wizard.mapping_page.samples["agent"].text() == "e.g. Diane"
    others = wizard.mapping_page.others  # the columns no field reads, listed, each can be kept
    assert [others.item(i).text() for i in range(others.count())] == [
        "Answered (Y/N)", "Resolved", "Speed of answer in seconds", "AvgTalkDuration"]
    assert "Not read by any field (4):</b> 4 will be ignored" in wizard.mapping_page.others_label.text()
    wizard.mapping_page.keep("Resolved")
    wizard.mapping_page.keep("AvgTalkDuration")
    assert "2 will be ignored" in wizard.mapping_page.others_label.text()

    next_page(qtbot, wizard)
    options = wizard.options_page
    assert options.status.text() == "5,000 rows in the file."
    assert options.default_channel.currentData() == "phone"
    assert options.default_channel_label.text() == "Every row is a:"
    assert options.csat_scale.currentData() == "1-5"
    assert "(blank) ×946" in options.csat_values.text()

    next_page(qtbot, wizard)
    dry = wizard.dry_run_page
    assert "No problems found" in dry.summary.text()
    assert "5,000 new interactions" in dry.summary.text()
    assert dry.problems.isHidden()
    assert ws.interactions.count() == 0  # a dry run writes nothing
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "Import"

    with qtbot.waitSignal(wizard.imported, timeout=20_000) as imported:
        wizard.next()
    qtbot.waitUntil(lambda: wizard.import_page.finished)
    assert imported.args[0].inserted == 5000
    assert "Imported 5,000 interactions" in wizard.import_page.result.text()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert ws.interactions.count() == 5000
    first = ws.interactions.by_external_id("ID0001")
    assert (first.channel, first.agent, first.csat_raw, first.occurred_at, first.subject) == (
        "phone", "Diane", "3", "2021-01-01T09:12:58", "Contract related")
    assert first.fields == {"Resolved": "Y", "AvgTalkDuration": "0:02:23"}  # kept as custom fields
    assert ws.interactions.custom_fields() == ["Resolved", "AvgTalkDuration"]
    unanswered = ws.interactions.by_external_id("ID0006")
    assert unanswered.csat_raw is None and unanswered.satisfied is None  # blank CSAT = no survey


def test_cancel_during_import_writes_nothing(qtbot, wizard, ws):
    go_to_dry_run(qtbot, wizard, CALL_CENTRE)
    wizard.next()  # Import: starts the worker and returns at once, the window stays live
    assert wizard.currentPage() is wizard.import_page and not wizard.import_page.finished
    qtbot.mouseClick(wizard.import_page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.import_page.finished, timeout=10_000)
    assert wizard.import_page.result.text() == "Import cancelled; nothing was written."
    assert not wizard.import_page.retry_button.isHidden()
    assert ws.interactions.count() == 0


def go_to_dry_run(qtbot, wiz: InteractionImportWizard, path: Path) -> None:
    open_file(qtbot, wiz, path)
    for _ in range(4):
        next_page(qtbot, wiz)
    assert wiz.currentPage() is wiz.dry_run_page


def test_bad_csv_lists_every_problem_and_writes_nothing(qtbot, wizard, ws, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    open_file(qtbot, wizard, path)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    assert wizard.mapping_page.combos["channel"].currentText() == "Channel"
    next_page(qtbot, wizard)
    options = wizard.options_page
    assert options.default_channel_label.text() == "Blank cells are:"
    assert "Not recognised: Carrier pigeon" in options.channel_note.text()
    assert options.channel_combos["Inbound call"].currentData() == "phone"
    next_page(qtbot, wizard)

    dry = wizard.dry_run_page
    rows = dry.problems.problems_model.rows()
    assert [(row, column, value) for row, column, value, _ in rows] == [
        ("4", "Satisfaction", "abc"),
        ("5", "Created at", "not a date"),
        ("6", "Ticket ID", "T-2"),
        ("6", "Satisfaction", "9"),
        ("8", "Ticket ID", ""),
        ("9", "Channel", "Carrier pigeon"),
    ]
    assert rows[0][3] == "'abc' is not a number from 1 to 5"
    assert rows[2][3] == "'T-2' is already on row 3"
    assert rows[4][3] == "The interaction id is blank"
    assert "6 problems" in dry.summary.text() and "5 rows" in dry.summary.text()
    assert not dry.problems.isHidden()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert ws.interactions.count() == 0

    wizard.reject()
    assert ws.interactions.count() == 0


def test_skipping_bad_rows_imports_the_rest_and_writes_rejects(qtbot, wizard, ws, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    go_to_dry_run(qtbot, wizard, path)
    dry = wizard.dry_run_page
    assert dry.skip.text() == "Skip the 5 rows with problems and import the other 3"
    dry.skip.setChecked(True)
    assert str(tmp_path / "tickets.rejects.csv") in dry.rejects_label.text()
    assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.import_page.finished, timeout=10_000)
    assert "Imported 3 interactions" in wizard.import_page.result.text()
    assert "5 rows with problems were skipped" in wizard.import_page.result.text()
    assert ws.interactions.count() == 3
    rejects = (tmp_path / "tickets.rejects.csv").read_text(encoding="utf-8-sig")
    assert rejects.splitlines()[0].endswith(",problem")
    assert "Carrier pigeon" in rejects


def test_mapping_an_unknown_channel_clears_its_problem(qtbot, wizard, ws, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    open_file(qtbot, wizard, path)
    for _ in range(3):
        next_page(qtbot, wizard)
    wizard.options_page.set_channel("Carrier pigeon", "phone")
    assert wizard.options_page.channel_note.isHidden()
    next_page(qtbot, wizard)
    columns = [row[1] for row in wizard.dry_run_page.problems.problems_model.rows()]
    assert "Channel" not in columns and len(columns) == 5


def test_mapping_page_requires_an_interaction_id(qtbot, wizard, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    open_file(qtbot, wizard, path)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    page = wizard.mapping_page
    page.set_column("external_id", None)
    assert "Choose the column that holds the interaction id." in page.warning.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.set_column("external_id", "Subject")
    assert "'Subject' is used for Interaction id and Subject / topic" in page.warning.text()
    page.set_column("subject", None)
    assert page.warning.text() == ""
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_unreadable_file_is_explained_on_the_first_page(qtbot, wizard, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    wizard.set_file(empty)
    qtbot.waitUntil(lambda: "empty" in wizard.file_page.status.text())
    assert "Traceback" not in wizard.file_page.status.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


# ------------------------------------------------------------------ scorecard and evaluation files

@pytest.fixture
def messages(monkeypatch):
    """Capture the information boxes and error messages the imports show."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append(text))
    monkeypatch.setattr(file_imports, "show_error", lambda parent, error: shown.append(f"ERROR: {error}"))
    return shown


def test_import_scorecard_file(qtbot, ws, tmp_path, messages):
    good = tmp_path / "chat.json"
    good.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    assert import_scorecard_file(None, ws, good)
    assert messages[-1] == "Imported scorecard 'Chat QA' (v1)."
    assert ws.scorecards.get("Chat QA").card.questions[0].key == "empathy"

    broken = dict(EXAMPLE, sections=[{"name": "S", "questions": [{"key": "q", "text": "Q", "type": "stars"}]}])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    assert not import_scorecard_file(None, ws, bad)
    assert messages[-1] == ("ERROR: bad.json is not a valid scorecard (at sections[0].questions[0].type): "
                            "unknown type 'stars'; use one of yes_no, scale, options")


def _graded_workspace(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "interactions.csv"
    path.write_text("id,channel,agent,csat\n" + "".join(f"C{i},chat,Agent {i % 3},{1 + i % 5}\n" for i in range(6)),
                    encoding="utf-8")
    from qagrader.core.importing.interactions import import_interactions

    import_interactions(ws, path)
    card = ws.scorecards.save(scorecard_from_dict(EXAMPLE)).scorecard
    for interaction_id in (1, 2, 3):
        evaluation = ws.evaluations.start(interaction_id, card.id, "Sam")
        answers = {"empathy": Answer("Yes"), "tone": Answer(4), "wrong_name": Answer("Yes"),
                   "data_leak": Answer("No"), "resolution": Answer("Partial"), "wow": Answer(None, True)}
        ws.evaluations.save(evaluation.id, answers)
        ws.evaluations.submit(evaluation.id)


def test_import_evaluations_file_round_trip(qtbot, ws, tmp_path, messages):
    from qagrader.core.exporting.csv_export import export_evaluations

    _graded_workspace(ws, tmp_path)
    exported = tmp_path / "evaluations.csv"
    export_evaluations(ws, exported)
    target = Workspace.open(tmp_path / "target.qagr")
    try:
        target.scorecards.save(scorecard_from_dict(EXAMPLE))
        assert import_evaluations_file(None, target, exported)
        assert messages[-1] == ("Imported evaluations from evaluations.csv: 3 new, 0 updated. "
                                "3 interactions were created for them.")
        assert target.counts()["submitted"] == 3
    finally:
        target.close()


def test_import_evaluations_file_shows_every_problem(qtbot, ws, tmp_path, messages, monkeypatch):
    ws.scorecards.save(scorecard_from_dict(EXAMPLE))
    bad = tmp_path / "grades.csv"
    bad.write_text("interaction_id,scorecard,grader,empathy,tone\n"
                   "C1,Chat QA,Sam,Maybe,4\n"
                   "C2,Chat QA,Sam,Yes,9\n", encoding="utf-8")
    seen = {}

    def fake_exec(dialog):
        seen["rows"] = dialog.table.problems_model.rows()
        return 0

    monkeypatch.setattr("qagrader.gui.importing.problems.ProblemsDialog.exec", fake_exec)
    assert not import_evaluations_file(None, ws, bad)
    rows = seen["rows"]
    assert ("2", "empathy") in [(r[0], r[1]) for r in rows]
    assert ("3", "tone") in [(r[0], r[1]) for r in rows]
    assert ws.counts()["submitted"] == 0
