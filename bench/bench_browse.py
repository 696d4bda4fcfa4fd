"""First page of the interactions browser for every filter x graded state x sort.

    .venv/bin/python bench/bench_browse.py --db PATH [--drafts 0,300] [--repeat 3] [--check]
                                           [--graded any,draft] [--sort agent,date]

Times `browse_ids(..., limit=200)` (what the browser asks for first) on the workspace at PATH
(open it like the app does: an older schema is migrated, after a backup copy; so point it at a
copy of a big workspace, e.g. the one `bench_gui.py --db` builds) for every combination of

    graded state  any / ungraded / draft / submitted
    sort          every column of `browse.SORT_COLUMNS`, descending and ascending
    filter        none, channel = email, team, brand, a date range, a search word

and prints a table (median of `--repeat` runs, in ms; `!` marks > 500 ms, the target of issue 3).
`--drafts 0,300` runs the whole table once per number: N draft evaluations are added on random
interactions (seeded, plain SQL, committed) before the run and deleted after it.
`--check` also runs each query without a limit and checks that the page is its start (slow).

Not a test: it prints figures; copy them into bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qagrader.core.browsing.sql import GRADED_STATES, SORT_COLUMNS, BrowseFilters
from qagrader.core.browsing.browser import browse_ids
from qagrader.core.grading.graders import ensure_graders, grader_key
from qagrader.core.storage.workspace import Workspace  # noqa: E402

TARGET_MS = 500
DRAFT_PREFIX = "bench-browse-draft-"


def filter_cases(conn) -> dict[str, BrowseFilters]:
    """The filters of the table, with values taken from the workspace."""
    team = conn.execute("SELECT name FROM teams ORDER BY name LIMIT 1 OFFSET 2").fetchone()
    brand = conn.execute("SELECT brand FROM interactions WHERE brand IS NOT NULL LIMIT 1").fetchone()
    low, high = conn.execute("SELECT min(occurred_at), max(occurred_at) FROM interactions").fetchone()
    middle = low[:7] if low == high else _month_between(low, high)
    f = BrowseFilters
    return {
        "none": f(),
        "channel=email": f(channel="email"),
        f"team={team[0] if team else '-'}": f(team=team[0] if team else "-"),
        f"brand={brand[0] if brand else '-'}": f(brand=brand[0] if brand else "-"),
        f"date {middle}-01..+1 month": f(date_from=f"{middle}-01", date_to=_month_end(middle)),
        "search refund": f(search="refund"),
    }


def _month_between(low: str, high: str) -> str:
    y0, m0, y1, m1 = int(low[:4]), int(low[5:7]), int(high[:4]), int(high[5:7])
    months = (y0 * 12 + m0 - 1 + y1 * 12 + m1 - 1) // 2
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def _month_end(month: str) -> str:
    from datetime import date, timedelta

    y, m = int(month[:4]), int(month[5:7])
    first_next = date(y + (m == 12), m % 12 + 1, 1)
    return (first_next - timedelta(days=1)).isoformat()


def add_drafts(ws: Workspace, n: int, seed: int = 11) -> None:
    """N draft evaluations on random interactions, each on a scorecard for its channel."""
    import json

    conn = ws.conn
    rng = random.Random(seed)
    low, high = conn.execute("SELECT min(id), max(id) FROM interactions").fetchone()
    cards: dict[str, int] = {}
    any_card = None
    for card_id, definition in conn.execute("SELECT id, definition FROM scorecards ORDER BY id"):
        any_card = any_card or card_id
        for channel in json.loads(definition).get("channels", []):
            cards.setdefault(channel.lower(), card_id)
    now = "2026-01-02T00:00:00.000000Z"
    rows = []
    for k in range(n):
        interaction = rng.randint(low, high)
        channel = conn.execute("SELECT channel FROM interactions WHERE id = ?", (interaction,)).fetchone()
        if channel is None:
            continue
        rows.append((f"{DRAFT_PREFIX}{k}", interaction, cards.get(channel[0], any_card),
                     f"Grader {k % 7}", now, now))
    with ws.transaction() as c:
        graders = ensure_graders(ws, {row[3] for row in rows})
        c.executemany("""INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers,
                         created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', '{}', ?, ?)""",
                      [(*row[:3], graders[grader_key(row[3])], *row[4:]) for row in rows])


def remove_drafts(ws: Workspace) -> None:
    with ws.transaction() as c:
        c.execute("DELETE FROM evaluations WHERE uuid LIKE ?", (DRAFT_PREFIX + "%",))


def run_table(ws: Workspace, graded: list[str], sorts: list[str], repeat: int, check: bool) -> list[tuple]:
    cases = filter_cases(ws.conn)
    results = []
    width = max(len(name) for name in cases)
    print(f"{'graded':<10} {'filter':<{width}} " + " ".join(f"{c[:8]:>8} d/a " for c in sorts))
    for state in graded:
        for name, base in cases.items():
            filters = base.replace(graded=state)
            cells = []
            for column in sorts:
                pair = []
                for descending in (True, False):
                    times = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        page = browse_ids(ws.conn, filters, column, descending, limit=200)
                        times.append((time.perf_counter() - started) * 1000)
                    ms = statistics.median(times)
                    if check:
                        full = browse_ids(ws.conn, filters, column, descending)
                        if list(page) != list(full[:200]):
                            print(f"  MISMATCH {state} {name} {column} {'desc' if descending else 'asc'}")
                            results.append((state, name, column, descending, ms, "mismatch"))
                    results.append((state, name, column, descending, ms, len(page)))
                    pair.append(f"{ms:4.0f}{'!' if ms > TARGET_MS else ' '}")
                cells.append(f"{pair[0]:>5}/{pair[1]:<5}")
            print(f"{state:<10} {name:<{width}} " + "  ".join(cells), flush=True)
    return results


def summarise(results: list[tuple], label: str) -> None:
    times = [r[4] for r in results if r[5] != "mismatch"]
    slow = sorted((r for r in results if r[5] != "mismatch" and r[4] > TARGET_MS), key=lambda r: -r[4])
    bad = [r for r in results if r[5] == "mismatch"]
    worst = max(results, key=lambda r: r[4])
    print(f"{label}: {len(times)} first pages, median {statistics.median(times):.0f} ms, "
          f"90th percentile {sorted(times)[int(len(times) * 0.9)]:.0f} ms, max {worst[4]:.0f} ms "
          f"({worst[0]}, {worst[1]}, {worst[2]} {'desc' if worst[3] else 'asc'}); "
          f"{len(slow)} over {TARGET_MS} ms" + (f"; {len(bad)} MISMATCHES" if bad else ""))
    for r in slow:
        print(f"  over target: {r[0]:<9} {r[1]:<28} {r[2]:<11} {'desc' if r[3] else 'asc ':<4} {r[4]:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the workspace (a copy: it may be migrated)")
    parser.add_argument("--drafts", default="0,300", help="numbers of draft evaluations to run with, e.g. 0,300")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="check each page against the unlimited query")
    parser.add_argument("--graded", default=",".join(GRADED_STATES))
    parser.add_argument("--sort", default=",".join(SORT_COLUMNS))
    args = parser.parse_args()
    if not args.db.exists():
        parser.error(f"no workspace at {args.db}")
    ws = Workspace.open(args.db, create=False)
    graded = args.graded.split(",")
    sorts = args.sort.split(",")
    counts = ws.conn.execute("SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM evaluations "
                             "WHERE status = 'submitted' AND calibration = 0)").fetchone()
    print(f"{args.db}: {counts[0]:,} interactions, {counts[1]:,} submitted evaluations; "
          f"first page (limit=200), median of {args.repeat}, ms (descending/ascending; ! = over {TARGET_MS} ms)")
    remove_drafts(ws)
    try:
        for n in (int(x) for x in args.drafts.split(",")):
            if n:
                add_drafts(ws, n)
            drafts = ws.conn.execute("SELECT count(*) FROM evaluations WHERE status = 'draft' "
                                     "AND calibration = 0").fetchone()[0]
            print(f"\n== {drafts} draft evaluations ==")
            browse_ids(ws.conn, BrowseFilters(), "date", True, limit=200)  # warm up
            results = run_table(ws, graded, sorts, args.repeat, args.check)
            summarise(results, f"{drafts} drafts")
            remove_drafts(ws)
    finally:
        remove_drafts(ws)
        ws.close()


if __name__ == "__main__":
    main()
