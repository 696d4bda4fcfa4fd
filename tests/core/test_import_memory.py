"""Enormous files stream: an import's peak memory does not grow with the file (issue 8, 4).

Each import runs in a fresh subprocess that reports its peak resident size
(`resource.getrusage(...).ru_maxrss`); the test compares a file with 4x the rows against 1x,
as a ratio measured in the same run (no absolute figure, no timing). Both imports are covered:
interactions (a helpdesk export) and evaluations (the wide CSV, every row creating its
interaction)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import EXAMPLE

ROWS = 60_000  # more than one 50,000-row chunk, so that 4x reads several chunks
TRANSCRIPT = "Customer asked about the invoice; agent explained the charge and closed the case. " * 6

IMPORT = """
import json, resource, sys
from pathlib import Path
from qagrader.core.importing.interactions import ImportOptions, import_interactions
from qagrader.core.storage.workspace import Workspace

csv_path, ws_path = Path(sys.argv[1]), Path(sys.argv[2])
with Workspace.open(ws_path) as ws:
    report = import_interactions(ws, csv_path, ImportOptions(default_channel="phone"))
    count = ws.conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
print(json.dumps({"written": report.inserted, "stored": count,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_export(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Ticket ID", "Agent", "Team", "Created", "CSAT", "Transcript"])
        for i in range(rows):
            out.writerow([f"T{i:08d}", f"Agent {i % 40}", f"Team {i % 5}",
                          f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T10:{i % 60:02d}:00",
                          str(i % 5 + 1), f"{TRANSCRIPT}#{i}"])


def peak_kib(tmp_path: Path, rows: int, script: str, write, *args: str) -> int:
    """The peak resident size of one import (`script`, in a fresh process) of a file of `rows`
    records written by `write`, into a new workspace; it must store every record."""
    source, workspace = tmp_path / f"{write.__name__}-{rows}.csv", tmp_path / f"ws-{write.__name__}-{rows}.qagrader"
    write(source, rows)
    done = subprocess.run([sys.executable, "-c", script, str(source), str(workspace), *args],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["written"] == result["stored"] == rows
    return result["peak_kib"]


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss is a Unix figure")
def test_interaction_import_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    one = peak_kib(tmp_path, ROWS, IMPORT, write_export)
    four = peak_kib(tmp_path, 4 * ROWS, IMPORT, write_export)
    # holding every parsed row (before streaming) measured 2.8x here; streaming adds only the
    # bounded SQLite page cache (64 MiB while bulk writing) and 17 bytes an id
    assert four < 1.6 * one, f"peak {one} KiB at {ROWS} rows, {four} KiB at {4 * ROWS} rows"


IMPORT_EVALUATIONS = """
import json, resource, sys
from pathlib import Path
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage.workspace import Workspace

csv_path, ws_path, card = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with Workspace.open(ws_path) as ws:
    ws.scorecards.import_json(card)
    report = import_evaluations(ws, csv_path)
    count = ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0]
print(json.dumps({"written": report.created, "stored": count,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
# the answers each question of EXAMPLE cycles through
ANSWERS = (("Yes", "No"), ("1", "2", "3", "4", "5"), ("Yes", "No"), ("No",), ("Yes", "Partial"),
           ("Yes", "No", "N/A"))


def write_wide(path: Path, rows: int) -> None:
    """Evaluations as the wide export writes them, each of its own new interaction."""
    keys = [q["key"] for s in EXAMPLE["sections"] for q in s["questions"]]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["evaluation_id", "interaction_id", "interaction_date", "channel", "agent", "team",
                      "scorecard", "grader", "graded_at", "csat", "overall_comment",
                      *keys, "empathy.comment"])
        for i in range(rows):
            answers = [choices[i % len(choices)] for choices in ANSWERS]
            out.writerow(["", f"T{i:08d}", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "chat", f"Agent {i % 40}",
                          f"Team {i % 5}", "Chat QA", f"Grader {i % 8}",
                          f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T10:{i % 60:02d}:00Z", str(i % 5 + 1),
                          f"{TRANSCRIPT[:200]}#{i}", *answers, "" if i % 3 else "Said sorry twice"])


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss is a Unix figure")
def test_evaluation_import_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    one = peak_kib(tmp_path, ROWS, IMPORT_EVALUATIONS, write_wide, json.dumps(EXAMPLE))
    four = peak_kib(tmp_path, 4 * ROWS, IMPORT_EVALUATIONS, write_wide, json.dumps(EXAMPLE))
    # holding every checked row (before streaming) measured 2.45x here (444 -> 1,086 MB; after:
    # 285 -> 317 MB); streaming keeps a chunk,
    # the bounded SQLite page cache (64 MiB while bulk writing) and 17 bytes an evaluation id
    # and a new interaction's id
    assert four < 1.6 * one, f"peak {one} KiB at {ROWS} rows, {four} KiB at {4 * ROWS} rows"
