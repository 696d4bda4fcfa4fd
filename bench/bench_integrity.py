"""Benchmark: what checking a workspace costs at the study's scale (issue 8, damaged workspaces).

- The open path: `Workspace.open` + `close` of an up-to-date workspace, this tree against main's
  (`--before`, default /work/main: the same interpreter with that tree first on the path), each
  in a fresh process timing 20 opens; baseline in the same run: a bare `sqlite3.connect` +
  `PRAGMA user_version` + reading `sqlite_master` (what any open reads). And a whole command,
  `qagrader list scorecards`, against `python -c pass`.
- The checks off the open path: SQLite's quick check (the app's background check; publish and
  merge), `qagrader check` (integrity check, foreign keys, schema, analysis-ready store), and the
  merge's content check of the other file; baseline: one full read of the evaluations' answers
  (`SELECT sum(length(answers))`, the largest column).

    .venv/bin/python bench/bench_integrity.py [--n 265000] [--repeat 3] [--before /work/main]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

OPENS = 20
OPEN_TIMER = """
import sys, time
sys.path.insert(0, {tree!r})
from qagrader.core.storage.workspace import Workspace
Workspace.open({path!r}, create=False).close()  # imports, caches
best = []
for _ in range({opens}):
    start = time.perf_counter()
    Workspace.open({path!r}, create=False).close()
    best.append(time.perf_counter() - start)
print(min(best))
"""
RAW_TIMER = """
import sqlite3, time
best = []
for _ in range({opens}):
    start = time.perf_counter()
    conn = sqlite3.connect({path!r})
    conn.execute("PRAGMA user_version").fetchone()
    conn.execute("SELECT type, name FROM sqlite_master").fetchall()
    conn.close()
    best.append(time.perf_counter() - start)
print(min(best))
"""


def in_process(code: str) -> float:
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                cwd="/").stdout.strip())


def whole(args: list[str], repeat: int) -> float:
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, cwd=ROOT)
        best.append(time.perf_counter() - start)
    return min(best)


def timed(fn, repeat: int) -> float:
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best.append(time.perf_counter() - start)
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=265_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default="/work/main", help="the tree to compare the open path with")
    args = parser.parse_args()
    from scale_workspace import workspace

    from qagrader.core.merging.content import refuse_hostile_content
    from qagrader.core.storage.integrity import check_workspace, quick_check
    from qagrader.core.storage.workspace import Workspace, read_only_connection

    path = workspace(args.n)
    Workspace.open(path, create=False).close()  # migrated to this version's schema
    print(f"load {os.getloadavg()[0]:.1f}; {path} ({path.stat().st_size / 1e6:.0f} MB)")
    rows = []

    raw = in_process(RAW_TIMER.format(path=str(path), opens=OPENS))
    after = in_process(OPEN_TIMER.format(tree=str(ROOT), path=str(path), opens=OPENS))
    rows.append(("baseline: sqlite3.connect + user_version + sqlite_master", raw, None))
    if Path(args.before, "qagrader").is_dir():
        before = in_process(OPEN_TIMER.format(tree=args.before, path=str(path), opens=OPENS))
        rows.append((f"Workspace.open + close, before ({args.before})", before, before / raw))
    rows.append(("Workspace.open + close, this tree (schema checked)", after, after / raw))
    python = whole([sys.executable, "-c", "pass"], args.repeat)
    listing = whole([sys.executable, "-m", "qagrader.cli.main", "--db", str(path), "list", "scorecards"], args.repeat)
    rows.append(("baseline: python -c pass", python, None))
    rows.append(("qagrader list scorecards (whole process)", listing, listing / python))

    conn = read_only_connection(path)
    try:
        scan = timed(lambda: conn.execute("SELECT sum(length(answers)) FROM evaluations").fetchone(), args.repeat)
        rows.append(("baseline: one read of every evaluation's answers", scan, None))
        for label, fn in (("quick check (app, in the background; publish; merge)", lambda: quick_check(conn)),
                          ("merge: content check of the other file", lambda: refuse_hostile_content(conn, path)),
                          ("qagrader check (all of it)", lambda: check_workspace(path))):
            seconds = timed(fn, args.repeat)
            rows.append((label, seconds, seconds / scan))
    finally:
        conn.close()

    print("\n| what | seconds | ratio to its baseline |\n|---|---:|---:|")
    for label, seconds, ratio in rows:
        shown = f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds:.2f} s"
        print(f"| {label} | {shown} | {'' if ratio is None else f'{ratio:.2f}x'} |")


if __name__ == "__main__":
    main()
