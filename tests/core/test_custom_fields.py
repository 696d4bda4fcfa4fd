"""Custom interaction fields: columns of a helpdesk export kept at import (handle time, resolved),
listed as ignored until kept, shown by the browser's rows, carried by the wide export and its
import, and by merging workspaces."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from qagrader.core.browsing.browser import fetch_rows
from qagrader.core.exporting.csv_export import export_evaluations
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.importing.interactions import (
    ImportOptions, MappingError, ignored_columns, import_interactions, preview,
)
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.merging.merge import merge_workspace
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import INTERACTIONS
from qagrader.core.storage.workspace import Workspace
from tests.samples import SIMPLE_CARD

HEADER = ["Ticket ID", "Channel", "Agent", "CSAT", "Handle time (s)", "Resolved", "Queue", "Notes"]
ROWS = [["T1", "phone", "Ana", "5", "315", "yes", "Billing", "x"],
        ["T2", "phone", "Bo", "2", "", "no", "=evil()", ""],
        ["T3", "phone", "Ana", "4", "90", "", "", ""]]
KEEP = ("Handle time (s)", "Resolved", "Queue")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "w.qagrader")
    workspace.scorecards.import_json(json.dumps(SIMPLE_CARD))
    yield workspace
    workspace.close()


def fields_of(ws: Workspace) -> dict[str, dict]:
    return {ext: json.loads(f) if f else {} for ext, f in
            ws.conn.execute("SELECT external_id, fields FROM interactions ORDER BY external_id")}


def test_the_wizard_lists_ignored_columns_and_keeps_chosen_ones(ws, tmp_path):
    path = write_csv(tmp_path / "export.csv", ROWS)
    guessed = preview(path)
    assert ignored_columns(guessed.headers, guessed.mapping) == ["Handle time (s)", "Resolved", "Queue", "Notes"]
    assert ignored_columns(guessed.headers, guessed.mapping, KEEP) == ["Notes"]
    value, changes = ws.apply(import_interactions, path, ImportOptions(keep_columns=KEEP))
    assert value.inserted == 3 and changes.touches(INTERACTIONS)
    assert ws.interactions.custom_fields() == list(KEEP)
    assert fields_of(ws) == {"T1": {"Handle time (s)": "315", "Resolved": "yes", "Queue": "Billing"},
                             "T2": {"Resolved": "no", "Queue": "=evil()"},
                             "T3": {"Handle time (s)": "90"}}
    interaction = ws.interactions.by_external_id("T1")
    assert interaction.fields["Resolved"] == "yes"
    rows = fetch_rows(ws.conn, [interaction.id])
    assert rows[interaction.id].fields == {"Handle time (s)": "315", "Resolved": "yes", "Queue": "Billing"}


def test_reimport_updates_kept_fields_clears_blanks_and_leaves_the_others(ws, tmp_path):
    import_interactions(ws, write_csv(tmp_path / "a.csv", ROWS), ImportOptions(keep_columns=KEEP))
    later = [["T1", "phone", "Ana", "5", "", "no", "Billing", ""], ["T4", "phone", "Cy", "3", "12", "", "", ""]]
    import_interactions(ws, write_csv(tmp_path / "b.csv", later), ImportOptions(keep_columns=("Handle time (s)",
                                                                                               "Resolved")))
    fields = fields_of(ws)
    assert fields["T1"] == {"Resolved": "no", "Queue": "Billing"}  # handle time cleared, queue not in this file
    assert fields["T4"] == {"Handle time (s)": "12"} and fields["T2"] == {"Resolved": "no", "Queue": "=evil()"}
    # a file that keeps nothing leaves every field as it was
    import_interactions(ws, write_csv(tmp_path / "c.csv", [["T1", "phone", "Ana", "4", "1", "", "", ""]]))
    assert fields_of(ws)["T1"] == {"Resolved": "no", "Queue": "Billing"}
    # a field named again in another case is the same field
    renamed = ["Ticket ID", "Channel", "Agent", "CSAT", "HANDLE TIME (S)", "Resolved", "Queue", "Notes"]
    import_interactions(ws, write_csv(tmp_path / "d.csv", [["T3", "phone", "Ana", "4", "95", "", "", ""]], renamed),
                        ImportOptions(keep_columns=("HANDLE TIME (S)",)))
    assert ws.interactions.custom_fields() == list(KEEP)
    assert ws.interactions.by_external_id("T3").fields == {"Handle time (s)": "95"}


def test_bad_kept_columns_are_refused_before_anything_is_written(ws, tmp_path):
    path = write_csv(tmp_path / "a.csv", ROWS)
    for keep, message in ((("Nope",), "column 'Nope' (to keep as a custom field) is not in the file"),
                          (("Agent",), "column 'Agent' is read as agent; it cannot also be a custom field")):
        with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
            import_interactions(ws, path, ImportOptions(keep_columns=keep))
    assert ws.interactions.count() == 0 and ws.interactions.custom_fields() == []


def test_the_wide_export_carries_custom_fields_and_round_trips(ws, tmp_path):
    import_interactions(ws, write_csv(tmp_path / "a.csv", ROWS), ImportOptions(keep_columns=KEEP))
    for ext in ("T1", "T2"):
        interaction = ws.interactions.by_external_id(ext)
        evaluation = ws.evaluations.start(interaction.id, ws.scorecards.get("Simple QA").id, "Grace")
        ws.evaluations.save(evaluation.id, {"empathy": Answer("Yes"), "tone": Answer(4), "accuracy": Answer("No")})
        ws.evaluations.submit(evaluation.id)
    first = tmp_path / "first.csv"
    export_evaluations(ws, first)
    with open(first, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["field: Handle time (s)"], r["field: Resolved"], r["field: Queue"]) for r in rows] == [
        ("315", "yes", "Billing"), ("", "no", "'=evil()")]
    target = Workspace.open(tmp_path / "t.qagrader")
    target.scorecards.import_json(json.dumps(SIMPLE_CARD))
    assert import_evaluations(target, first).interactions_created == 2
    assert target.interactions.by_external_id("T2").fields == {"Resolved": "no", "Queue": "=evil()"}
    second = tmp_path / "second.csv"
    export_evaluations(target, second)
    assert second.read_bytes() == first.read_bytes()
    target.close()


def test_custom_fields_travel_with_a_merge_both_ways(ws, tmp_path):
    import_interactions(ws, write_csv(tmp_path / "a.csv", ROWS), ImportOptions(keep_columns=KEEP))
    other = Workspace.open(tmp_path / "other.qagrader")
    other.scorecards.import_json(json.dumps(SIMPLE_CARD))
    extra = [["T9", "phone", "Di", "4", "", "", "", "rush"]]
    import_interactions(other, write_csv(tmp_path / "b.csv", extra), ImportOptions(keep_columns=("Notes", "Resolved")))
    other.close()
    ws_path = Path(ws.path)
    merge_workspace(ws, tmp_path / "other.qagrader")
    assert ws.interactions.custom_fields() == [*KEEP, "Notes"]
    assert ws.interactions.by_external_id("T9").fields == {"Notes": "rush"}
    other = Workspace.open(tmp_path / "other.qagrader")
    merge_workspace(other, ws_path)
    assert other.interactions.custom_fields() == ["Notes", "Resolved", "Handle time (s)", "Queue"]
    assert other.interactions.by_external_id("T1").fields["Queue"] == "Billing"
    assert fingerprint(other.conn) == fingerprint(ws.conn)
    before = fingerprint(ws.conn)
    merge_workspace(ws, tmp_path / "other.qagrader")  # a second merge changes nothing
    assert fingerprint(ws.conn) == before
    other.close()
