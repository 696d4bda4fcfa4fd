"""A file read in many small chunks imports exactly as in one: problems across chunks (an id
used twice, the date order that only a later chunk decides), rejects, stored rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from qagrader.core.importing import csv_source
from qagrader.core.importing.interactions import ImportFailed, ImportOptions, import_interactions
from qagrader.core.storage.workspace import Workspace
from tests.core.test_interaction_import import interactions, rec, snapshot, write_csv

STABLE = ("external_id", "channel", "agent", "team", "occurred_at", "csat_raw", "csat_norm",
          "satisfied", "subject", "transcript")


def rows_with_problems() -> list[list[str]]:
    return [
        rec("T1", created="03/04/2023 10:00"), rec("T2", agent="Bo", team="Red", created="05/06/2023"),
        rec("T3", csat="abc"), [""] * 8, rec("T1", agent="Cy"),           # T1 again, chunk 2
        rec("T4", agent="Ana", team="Green", created="04/25/2023"),       # decides month-first
        rec("", subject="no id"), rec("T5", channel="Fax"), rec("T6", created="12/31/2023"),
    ]


def outcome(tmp_path: Path, monkeypatch, chunk_rows: int, **options) -> tuple:
    monkeypatch.setattr(csv_source, "_CHUNK_ROWS", chunk_rows)
    folder = tmp_path / f"chunks-{chunk_rows}"
    folder.mkdir()
    source = write_csv(folder / "in.csv", rows_with_problems())
    with Workspace.open(folder / "ws.db") as ws:
        try:
            report = import_interactions(ws, source, ImportOptions(**options))
            result = (report.rows_read, report.inserted, report.updated, report.skipped,
                      report.problems, report.rejects_path is not None)
        except ImportFailed as failed:
            result = ("refused", tuple(failed.problems))
        stored = {k: {f: v[f] for f in STABLE} for k, v in interactions(ws).items()}
    rejects = folder / "in.rejects.csv"
    return result, stored, rejects.read_bytes() if rejects.exists() else None


@pytest.mark.parametrize("options", [
    {}, {"skip_bad_rows": True}, {"dry_run": True}, {"skip_bad_rows": True, "date_order": "dayfirst"},
], ids=["refused", "skip-bad-rows", "dry-run", "dayfirst"])
def test_chunks_of_two_rows_import_as_one_chunk(tmp_path, monkeypatch, options) -> None:
    whole = outcome(tmp_path, monkeypatch, 50_000, **options)
    chunked = outcome(tmp_path, monkeypatch, 2, **options)
    assert chunked == whole
    result, stored, rejects = whole
    if options.get("skip_bad_rows"):
        assert rejects is not None and b"is already on row 2" in rejects
        assert stored["T1"]["agent"] == "Ana"
    if options == {"skip_bad_rows": True}:  # month-first, decided by row 7 in the third chunk
        assert stored["T1"]["occurred_at"] == "2023-03-04T10:00:00"


def test_a_refusal_in_a_late_chunk_leaves_the_workspace_as_it_was(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(csv_source, "_CHUNK_ROWS", 2)
    rows = [rec(f"T{i}") for i in range(9)] + [rec("T3")]
    source = write_csv(tmp_path / "in.csv", rows)
    with Workspace.open(tmp_path / "ws.db") as ws:
        before = snapshot(ws)
        with pytest.raises(ImportFailed) as failed:
            import_interactions(ws, source)
        assert [str(p) for p in failed.value.problems] == [
            "row 11, column 'Ticket ID': 'T3' is already on row 5"]
        assert snapshot(ws) == before
