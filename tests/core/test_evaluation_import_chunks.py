"""An evaluations file read in chunks of two rows imports exactly as in one chunk: the same
problems across chunks (an evaluation id used twice, an interaction that cannot be created, the
day/month order that only a later chunk decides), the same report and summary, the same rows,
history and Changes; a refusal, a cancel or a kill in a late chunk leaves the workspace as it
was."""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qagrader.core.errors import CancelledError, CsvImportError
from qagrader.core.exporting.csv_export import export_evaluations
from qagrader.core.importing import csv_source, evaluations
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage import records
from qagrader.core.storage.workspace import Workspace
from tests.core.test_evaluation_import import CHAT, PHONE_QA, edited, write_rows
from tests.core.test_export import build_workspace, empty_workspace

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)


class _FixedClock:
    """`datetime` for `records.utc_now`: the same instant in every run, so that dumps compare."""

    @staticmethod
    def now(tz=None) -> datetime:
        return NOW


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(records, "datetime", _FixedClock)


def dump(ws: Workspace) -> dict[str, list]:
    """Every row of every table; the random uuids the import gives new rows aside (evaluations
    keep theirs: they come from the file)."""
    out = {}
    for table in ws.db.table_names():
        columns = [c[1] for c in ws.conn.execute(f"PRAGMA table_info([{table}])")]
        masked = "uuid" in columns and table != "evaluations"
        out[table] = [tuple("<uuid>" if masked and c == "uuid" else v for c, v in zip(columns, row))
                      for row in ws.conn.execute(f"SELECT * FROM [{table}] ORDER BY 1")]
    return out


def answered(row: int, rows: list[list[str]]) -> list[list[str]]:
    """`rows` with the Chat QA draft on `row` answered in full and submitted."""
    rows = edited(rows, row, "status", "submitted")
    for key, value in {"empathy": "Yes", "wrong_name": "Yes", "data_leak": "No", "resolution": "Yes",
                       "wow": "No"}.items():
        rows = edited(rows, row, CHAT + key, value)
    return rows


def added(rows: list[list[str]], like: int, **cells: str) -> list[list[str]]:
    """`rows` with a copy of row `like` (as in a spreadsheet) appended, `cells` changed."""
    copy = list(rows[like - 1])
    for name, value in cells.items():
        copy[rows[0].index(name)] = value
    return [*rows, copy]


def troubled(exported: list[list[str]]) -> list[list[str]]:
    """The sample export (rows 2-8), its draft on row 5 submitted and row 2 changed, and rows
    whose problems or meaning cross chunks of two rows."""
    rows = answered(5, edited(exported, 2, CHAT + "empathy", "No"))
    graded = "graded_at (UTC)"
    rows = added(rows, 2, evaluation_id="", interaction_id="NEW-1", channel="Fax")             # 9
    rows = added(rows, 3, evaluation_id="", interaction_id="NEW-1")                            # 10: see 9
    rows = added(rows, 7, evaluation_id="ext-7", interaction_id="NEW-2", agent="Zoë", team="",
                 **{PHONE_QA + "greeting": "Maybe"})                                           # 11: skipped
    rows = added(rows, 2, evaluation_id="ext-8", interaction_id="NEW-3", agent="Zoë", team="",
                 **{graded: "03/04/2023 10:00"})                                               # 12: either order
    rows = added(rows, 7, evaluation_id="ext-9", interaction_id="NEW-2", agent="Bo")           # 13: NEW-2 made
    rows = added(rows, 2, evaluation_id="ext-10", interaction_id="NEW-4", agent="zoë", team="Green",
                 **{graded: "13/04/2023 09:00"})                                               # 14: day-first
    return added(rows, 5, status="draft")                                                      # 15: row 5 again


def clean(exported: list[list[str]]) -> list[list[str]]:
    """New interactions only (a Chat QA and a Phone QA row of the sample, copied): one graded
    twice in different chunks, a new agent first without a team and then with one."""
    rows = [exported[0], exported[1], exported[6]]
    for k, (like, ext, agent, team) in enumerate([(2, "N-1", "Zoë", ""), (3, "N-2", "Bo", "Red"),
                                                  (2, "N-1", "Zoë", ""), (2, "N-3", "zoë", "Green"),
                                                  (3, "N-4", "Ana", "Blue")]):
        rows = added(rows, like, evaluation_id=f"e-{k}", interaction_id=ext, agent=agent, team=team)
    return [rows[0], *rows[3:]]


@pytest.fixture
def sources(tmp_path) -> tuple[Path, Path, list[list[str]]]:
    """A workspace holding only the scorecards, the sample workspace (`build_workspace`), both
    closed, and the sample's wide export as rows of cells."""
    empty_workspace(tmp_path / "empty.qagrader").close()
    with build_workspace(tmp_path / "graded.qagrader") as ws:
        export_evaluations(ws, tmp_path / "wide.csv", include_calibration=True)
    with open(tmp_path / "wide.csv", encoding="utf-8", newline="") as handle:
        return tmp_path / "empty.qagrader", tmp_path / "graded.qagrader", list(csv.reader(handle))


def outcome(tmp_path: Path, monkeypatch, chunk_rows: int, workspace: Path, rows: list[list[str]],
            **options) -> tuple:
    """(report or refusal, Changes, dump) of importing `rows` into a copy of `workspace`,
    reading chunks of `chunk_rows` records (in small chunks, the answer cells checked are
    forgotten after every chunk)."""
    monkeypatch.setattr(csv_source, "_CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(evaluations, "_CHECKED_LIMIT", 0 if chunk_rows < 10 else 100_000)
    folder = tmp_path / f"run-{chunk_rows}"
    folder.mkdir()
    shutil.copy(workspace, folder / "ws.qagrader")
    with Workspace.open(folder / "ws.qagrader") as ws:
        source = write_rows(folder / "in.csv", rows)
        before = dump(ws)
        ws.take_changes()
        try:
            report = import_evaluations(ws, source, **options)
            result = (report.rows_read, report.created, report.updated, report.unchanged,
                      report.interactions_created, report.rescored, [str(p) for p in report.problems],
                      report.skipped_rows, report.summary())
        except CsvImportError as error:
            result = ("refused", [str(p) for p in error.problems], str(error))
            assert dump(ws) == before
        return result, ws.take_changes(), dump(ws)


CASES = {
    "refused": ("empty", troubled, {}),
    "skip-bad-rows": ("empty", troubled, {"skip_bad_rows": True}),
    "dry-run": ("empty", troubled, {"dry_run": True}),
    "re-import refused": ("graded", troubled, {}),
    "re-import skip-bad-rows": ("graded", troubled, {"skip_bad_rows": True, "editor": "Lead Lee"}),
    "creates interactions": ("empty", clean, {}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_chunks_of_two_rows_import_as_one_chunk(tmp_path, monkeypatch, sources, case) -> None:
    workspace, make_rows, options = CASES[case]
    empty, graded, exported = sources
    rows = make_rows(exported)
    target = graded if workspace == "graded" else empty
    whole = outcome(tmp_path, monkeypatch, 50_000, target, rows, **options)
    chunked = outcome(tmp_path, monkeypatch, 2, target, rows, **options)
    assert chunked == whole
    result, changes, stored = whole
    problems = "\n".join(result[1] if result[0] == "refused" else result[6])
    if make_rows is troubled:
        assert "row 10, column 'interaction_id': interaction 'NEW-1' cannot be created (see row 9)" in problems
        assert "row 15, column 'evaluation_id'" in problems and "appears twice (also on row 5)" in problems
        # row 5 submits a draft: row 15 (a draft) is checked against the draft as it was
        assert "row 15, column 'status'" not in problems
    if options.get("skip_bad_rows"):
        assert result[7] == (9, 10, 11, 15) and changes
        agents = {a[2]: a[3] for a in stored["agents"]}
        teams = {t[0]: t[2] for t in stored["teams"]}
        assert teams[agents["Zoë"]] == "Green"  # the first team named with the new agent, 2 chunks on
        externals = [i[2] for i in stored["interactions"]]
        assert "NEW-2" in externals and "NEW-1" not in externals
        day_first = [e for e in stored["evaluations"] if e[12] == "2023-04-03T10:00:00.000000Z"]
        assert len(day_first) == 1  # 03/04 read day-first, as row 14 (13/04) decides
    if case == "re-import skip-bad-rows":
        assert result[2] == 2 and len(stored["evaluation_history"]) == 1  # rows 2 and 5 updated
    if case == "creates interactions":
        assert result[1:5] == (5, 0, 0, 4)
        assert [i[2] for i in stored["interactions"]] == ["N-1", "N-2", "N-3", "N-4"]


def test_a_refusal_in_a_late_chunk_leaves_the_workspace_as_it_was(tmp_path, monkeypatch, sources) -> None:
    monkeypatch.setattr(csv_source, "_CHUNK_ROWS", 2)
    _, path, exported = sources
    rows = added(clean(exported), 2, evaluation_id="e-last", interaction_id="N-9", csat="11")
    with Workspace.open(path) as ws:
        before = dump(ws)
        with pytest.raises(CsvImportError) as refused:
            import_evaluations(ws, write_rows(tmp_path / "in.csv", rows))
        assert [str(p) for p in refused.value.problems] == [
            "row 7, column 'csat': '11' is not a number from 1 to 5"]
        assert dump(ws) == before and not ws.take_changes()


def test_a_cancel_after_chunks_were_written_rolls_them_all_back(tmp_path, monkeypatch, sources) -> None:
    monkeypatch.setattr(csv_source, "_CHUNK_ROWS", 2)
    _, path, exported = sources
    rows = clean(exported)
    with Workspace.open(path) as ws:
        before = dump(ws)
        written: list[int] = []

        def cancelled() -> bool:  # once two chunks (4 evaluations) are in the open transaction
            written.append(ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0])
            return written[-1] >= 7 + 4

        with pytest.raises(CancelledError):
            import_evaluations(ws, write_rows(tmp_path / "in.csv", rows), cancelled=cancelled)
        assert written[-1] == 7 + 4 and dump(ws) == before and not ws.take_changes()


KILLED = """
import os, signal, sys
from qagrader.core.importing import csv_source
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage.workspace import Workspace
csv_source._CHUNK_ROWS = 2
ws = Workspace.open(sys.argv[1])

def cancelled():  # killed once two chunks (4 evaluations) are written inside the transaction
    if ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] >= 7 + 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return False

import_evaluations(ws, sys.argv[2], cancelled=cancelled)
"""


def test_a_kill_after_chunks_were_written_leaves_the_workspace_as_it_was(tmp_path, sources) -> None:
    _, path, exported = sources
    with Workspace.open(path) as ws:
        before = dump(ws)
    source = write_rows(tmp_path / "in.csv", clean(exported))
    killed = subprocess.run([sys.executable, "-c", KILLED, str(path), str(source)], capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with Workspace.open(path) as ws:
        assert dump(ws) == before
