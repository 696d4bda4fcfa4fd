"""Benchmark of the monthly quality report at the study's size (265,000 graded evaluations).

Builds (or reuses, with --db) a demo workspace of about 265,000 submitted evaluations: the demo's
three scorecards with guidelines, 24 agents, disputes and coaching notes, over twelve weeks, so
that one calendar month (September 2026) holds about 95,000 of them, a heavier month than a
year of the same volume would give. Prints, measured in the same run (min of --repeat):

- the baseline: reading the month's evaluation rows with one plain SELECT (the floor of any
  report that looks at every grade of the month);
- `qagrader report --month 2026-09 OUT.pdf` as a whole process (imports included): the figure
  issue 13 sets at under 3 s;
- in-process: gathering the report's content, and writing it as PDF, as PNG pages, as CSV;
- where the content's time goes (loading the frames, the question-level costs, the statistics).

Usage: .venv/bin/python bench/bench_report.py [--db PATH] [--interactions 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_analysis import best_of  # the same timing in every bench

MONTH = "2026-09"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="reuse (or create) this workspace")
    parser.add_argument("--interactions", type=int, default=300_000, help="demo size (300,000: ~265,000 graded)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from qagrader.analysis.dataset import AnalysisFilters, load_score_frame
    from qagrader.analysis.frames import load_grades, load_skill_frame, score_frame
    from qagrader.analysis.monthly.content import build_monthly_report
    from qagrader.analysis.monthly.output import write_report
    from qagrader.analysis.monthly.questions import question_costs, question_frame
    from qagrader.core.demo.build import build_demo
    from qagrader.core.storage.workspace import Workspace

    folder = tempfile.TemporaryDirectory()
    db = args.db or Path(folder.name) / "bench.qagrader"
    if not db.exists():
        started = time.perf_counter()
        build_demo(db, interactions=args.interactions, seed=3)
        print(f"built {db} in {time.perf_counter() - started:.0f} s")
    out = Path(folder.name)
    with Workspace.open(db, create=False) as ws:
        submitted = ws.counts()["submitted"]
        month = AnalysisFilters(date_from="2026-09-01", date_to="2026-09-30")
        in_month = len(load_score_frame(ws, month))
        print(f"{submitted:,} submitted evaluations; {in_month:,} of them in {MONTH}")

        def baseline() -> None:
            ws.conn.execute("""SELECT e.id, e.answers, e.score, i.csat_norm FROM evaluations e
                               JOIN interactions i ON i.id = e.interaction_id
                               WHERE e.status = 'submitted' AND e.calibration = 0
                               AND coalesce(i.occurred_at, e.submitted_at) >= '2026-09-01'
                               AND coalesce(i.occurred_at, e.submitted_at) < '2026-10-01'""").fetchall()

        floor = best_of(args.repeat, baseline)
        report = build_monthly_report(ws, MONTH)  # warm-up: imports, caches
        content = best_of(args.repeat, lambda: build_monthly_report(ws, MONTH))
        pdf = best_of(args.repeat, lambda: write_report(report, out / "r.pdf", "pdf"))
        png = best_of(args.repeat, lambda: write_report(report, out / "r.png", "png"))
        table = best_of(args.repeat, lambda: write_report(report, out / "r.csv", "csv"))
        frame = load_skill_frame(ws, month)
        grades = load_grades(ws)
        two_months = AnalysisFilters(date_from="2026-08-01", date_to="2026-09-30")
        parts = {  # each alone (on the command line, the QA scores and the tip are computed beside the rest)
            "load_grades (the store, once)": best_of(args.repeat, lambda: load_grades(ws)),
            "load_grades with the answers": best_of(args.repeat, lambda: load_grades(ws, answers=True)),
            "score_frame (two months, from them)": best_of(args.repeat, lambda: score_frame(grades, two_months)),
            "grades.frame (the month)": best_of(args.repeat, lambda: grades.frame(month)),
            "question frame + costs (tip)": best_of(args.repeat, lambda: question_costs(
                *question_frame(ws, frame, month))),
        }
    command = [sys.executable, "-m", "qagrader", "--db", str(db), "report", "--month", MONTH, str(out / "cli.pdf")]
    whole = best_of(args.repeat, lambda: subprocess.run(command, check=True, capture_output=True))
    python = best_of(args.repeat, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))

    print(f"baseline: the month's rows, one SELECT         {floor:7.2f} s")
    print(f"qagrader report --month {MONTH} OUT.pdf (process) {whole:7.2f} s   ratio {whole / floor:5.1f}x"
          f"   (target < 3 s; python -c pass: {python:.2f} s)")
    print(f"  content (build_monthly_report)              {content:7.2f} s   ratio {content / floor:5.1f}x")
    print(f"  write PDF (A4 pages, PdfPages)              {pdf:7.2f} s")
    print(f"  write PNG pages                             {png:7.2f} s")
    print(f"  write CSV                                   {table:7.2f} s")
    for name, seconds in parts.items():
        print(f"    {name:<40} {seconds:6.2f} s")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
