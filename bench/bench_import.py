"""Benchmark: import 265,000 interactions vs `sqlite-utils insert --csv` on the same file.

Generates a helpdesk-style CSV (quoted ~300-character transcripts, some with embedded
newlines, blank CSAT on a fifth of the rows) in a temporary folder, loads it into a bare table
with the sqlite-utils CLI (the baseline) and into a fresh workspace with
`import_interactions`, and prints both times and the ratio (target: <= 2x and < 20 s).

    .venv/bin/python bench/bench_import.py [--rows 265000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qagrader.core.importing.interactions import ImportOptions, import_interactions  # noqa: E402
from qagrader.core.storage.workspace import Workspace  # noqa: E402

WORDS = ("order refund delivery parcel account password invoice thanks please sorry "
         "customer agent address card payment delayed tracking return exchange size "
         "colour warranty discount voucher email phone chat help issue resolved").split()
CHANNELS = ("Phone", "E-mail", "Live chat", "Email", "Chat", "Voice")


def generate(path: Path, rows: int, seed: int = 2) -> None:
    rnd = random.Random(seed)
    agents = [f"Agent {i:02d}" for i in range(40)]
    teams = {a: f"Team {i % 5}" for i, a in enumerate(agents)}
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, quoting=csv.QUOTE_ALL)
        out.writerow(["Ticket ID", "Channel", "Agent", "Group", "Brand", "Created at",
                      "Satisfaction rating", "Subject", "Transcript"])
        for i in range(rows):
            agent = rnd.choice(agents)
            words = rnd.choices(WORDS, k=48)
            if i % 7 == 0:
                words[20] += "\n"
            transcript = " ".join(words)[:300]
            out.writerow([
                f"T{i:07d}", rnd.choice(CHANNELS), agent, teams[agent], f"Brand {i % 83}",
                f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i % 59:02d}",
                "" if rnd.random() < 0.2 else str(rnd.randint(1, 5)),
                " ".join(rnd.choices(WORDS, k=4)), transcript,
            ])


def time_baseline(csv_path: Path, folder: Path) -> float:
    exe = Path(sys.executable).with_name("sqlite-utils")
    db = folder / "baseline.db"
    start = time.perf_counter()
    subprocess.run([str(exe), "insert", str(db), "interactions", str(csv_path), "--csv"],
                   check=True)
    return time.perf_counter() - start


def time_import(csv_path: Path, folder: Path) -> tuple[float, object]:
    """One import into the workspace in ``folder`` (created on first use)."""
    ws = Workspace.open(folder / "workspace.db")
    try:
        start = time.perf_counter()
        report = import_interactions(ws, csv_path, ImportOptions())
        return time.perf_counter() - start, report
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=265_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="qagrader-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for old in folder.glob("*.db*"):
            old.unlink()
        csv_path = folder / "interactions.csv"
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size:.0f} MB")
        baseline = time_baseline(csv_path, folder)
        print(f"sqlite-utils insert --csv : {baseline:6.2f} s")
        ours, report = time_import(csv_path, folder)
        print(f"import_interactions       : {ours:6.2f} s "
              f"({report.inserted:,} inserted, {len(report.problems)} problems)")
        print(f"ratio                     : {ours / baseline:6.2f}x (target <= 2x, < 20 s)")
        again, report = time_import(csv_path, folder)
        print(f"re-import (all updates)   : {again:6.2f} s ({report.updated:,} updated, "
              f"ratio {again / baseline:.2f}x)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
