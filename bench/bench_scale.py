"""Issue 12's table: the analysis at the study's scale, measured from outside, with same-run baselines.

    .venv/bin/python bench/bench_scale.py [--n 265000] [--big 1000000] [--repeat 3] [--import]

Workspaces are built once through the public import path and cached under bench/out/
(`scale_workspace.py`: interactions CSV + wide evaluations CSV, 12 questions over 8 skills,
3 channels). Each row is the minimum of `--repeat` runs, as seconds and as a ratio to its
baseline measured in the same run:

- `qagrader analyze --out DIR` (a fresh process, every CSV and PNG) at N and at BIG interactions,
  with the process's peak RSS (the largest of its two processes), against `python -c pass`;
- the Analysis tab in the running app (a fresh process each run, main window already open on
  the workspace): `show_screen("analysis")` until the correlation chart has drawn, then a channel
  chosen in the filter until the chart has drawn again; against a bare `FigureCanvasQTAgg` of an
  empty Figure shown until drawn (the cost of any chart at all) and `python -c pass`;
- key drivers at 15 skills (pooled + 3 channels = 4 groups), N rows, against pandas
  `df.groupby("channel")[skills].corr(method="spearman")` on the same matrix;
- with `--import`: rebuilding the N workspace through the import (interactions, then
  evaluations, which also builds the analysis-ready store) against `sqlite-utils insert --csv`
  of the same two files into a bare database.

Not a test: it prints figures and ratios; copy them into bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_env import ROOT, SETTINGS  # noqa: E402,F401  (offscreen Qt, throwaway user folders)
from scale_workspace import workspace  # noqa: E402

PYTHON = sys.executable
QAGRADER = str(Path(PYTHON).with_name("qagrader"))

TAB = """
import json, sys, time
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
QCoreApplication.setOrganizationName("QA Grader Bench"); QCoreApplication.setApplicationName("QA Grader Bench")
QSettings().setValue("grading/grader", "Bench")
from qagrader.gui.main_window import MainWindow
window = MainWindow(); window.resize(1280, 800)
window.open_workspace(DB_PATH, create=False)
window.show_screen("interactions"); window.show(); app.processEvents()
if SETTLE:  # the app already running: what it started on opening (screens' reads, warm-ups) is done
    from qagrader.gui import workers
    while workers.running():
        app.processEvents(); time.sleep(0.005)
marks = {}
started = [time.perf_counter()]
tab = window.screen("analysis")
page = tab.correlations

def drawn(_event):
    if "first" not in marks:
        marks["first"] = time.perf_counter() - started[0]
    elif "changed" in started_for and "filter" not in marks:
        marks["filter"] = time.perf_counter() - started[0]

started_for = set()
page.chart.chart_shown.connect(lambda: page.chart.canvas.mpl_connect("draw_event", drawn))

def shown(_computed):
    if "first" in marks and "changed" not in started_for and not tab.is_busy():
        started_for.add("changed")
        QTimer.singleShot(50, change)
    elif "filter" in marks and not tab.is_busy():
        marks["filter_whole"] = time.perf_counter() - started[0]
        print(json.dumps(marks)); app.quit()

def change():
    started[0] = time.perf_counter()
    tab.filter_bar.choose("channels", tab.filter_bar.options.channels[0])

tab.result_shown.connect(shown)
started[0] = time.perf_counter()
window.show_screen("analysis")
QTimer.singleShot(60_000, app.quit)
app.exec()
"""

BARE = """
import json, time
from PySide6.QtWidgets import QApplication
import pandas
app = QApplication([])
started = time.perf_counter()
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
canvas = FigureCanvasQTAgg(Figure()); canvas.resize(1104, 740)
canvas.mpl_connect("draw_event", lambda _e: (print(json.dumps({"first": time.perf_counter() - started})), app.quit()))
canvas.show()
app.exec()
"""


def wall(command: list[str]) -> tuple[float, float]:
    """Seconds of a fresh process and its peak RSS in MB (the largest of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=str(ROOT))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, (peak if peak > before else float("nan")) / 1024


def best(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def analyze_row(db: Path, repeat: int) -> tuple[float, float]:
    out = Path(tempfile.mkdtemp(prefix="qagrader-bench-report-"))
    try:
        runs = []
        for _ in range(repeat):
            shutil.rmtree(out / "report", ignore_errors=True)
            runs.append(wall([QAGRADER, "--db", str(db), "analyze", "--out", str(out / "report")]))
        return min(r[0] for r in runs), max(r[1] for r in runs)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def gui_marks(code: str) -> dict:
    out = subprocess.run([PYTHON, "-c", code], check=True, cwd=str(ROOT), env=os.environ,
                         capture_output=True, text=True, timeout=180)
    return json.loads(out.stdout.strip().splitlines()[-1])


def drivers_row(n: int, repeat: int) -> tuple[float, float]:
    """(key drivers at 15 skills, pandas' grouped Spearman matrix) seconds, best of `repeat`."""
    from qagrader.analysis.drivers import key_drivers
    from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

    specs = tuple(SkillSpec(f"skill {i:02d}", 0.05 + 0.02 * (i % 5), (YES_NO, SCALE5)[i % 2]) for i in range(15))
    frame = make_skill_frame(n, SyntheticDesign(skills=specs, n_agents=60, n_teams=5), seed=3)
    skills = [s.name for s in specs]

    def timed(run: Callable[[], object]) -> float:
        gc.collect()
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    drivers = best(repeat, lambda: timed(lambda: key_drivers(frame, skills)))
    baseline = best(repeat, lambda: timed(lambda: frame.groupby("channel")[[*skills, "csat"]].corr(method="spearman")))
    return drivers, baseline


def import_row(n: int) -> tuple[float, float]:
    """(import through the app, sqlite-utils insert --csv of the same files) seconds."""
    from scale_workspace import OUT, build

    folder = OUT / f"scale-{n}-import"
    folder.mkdir(parents=True, exist_ok=True)
    times = build(folder / "workspace.qagrader", n)
    exe = Path(PYTHON).with_name("sqlite-utils")
    baseline = 0.0
    target = folder / "baseline.db"
    target.unlink(missing_ok=True)
    for name in ("interactions", "evaluations"):
        started = time.perf_counter()
        subprocess.run([str(exe), "insert", str(target), name, str(folder / f"{name}.csv"), "--csv"], check=True,
                       stdout=subprocess.DEVNULL)
        baseline += time.perf_counter() - started
    return sum(times.values()), baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=265_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="0: skip the big workspace")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import", dest="with_import", action="store_true", help="also time the import (slow)")
    args = parser.parse_args()
    db = workspace(args.n)
    big = workspace(args.big) if args.big else None
    print(f"load average {os.getloadavg()[0]:.1f}; best of {args.repeat} each\n")
    start = best(args.repeat, lambda: wall([PYTHON, "-c", "pass"])[0])
    rows = [("baseline: python -c pass", start, "1.0x", "")]
    seconds, rss = analyze_row(db, args.repeat)
    rows.append((f"qagrader analyze --out DIR, {args.n:,}", seconds, f"{seconds / start:.0f}x", f"{rss:.0f} MB"))
    if big:
        seconds, rss = analyze_row(big, args.repeat)
        rows.append((f"qagrader analyze --out DIR, {args.big:,}", seconds, f"{seconds / start:.0f}x",
                     f"{rss:.0f} MB"))
    bare = best(args.repeat, lambda: gui_marks(BARE)["first"])
    tab = [gui_marks(TAB.replace("DB_PATH", repr(str(db))).replace("SETTLE", "True")) for _ in range(args.repeat)]
    cold = [gui_marks(TAB.replace("DB_PATH", repr(str(db))).replace("SETTLE", "False")) for _ in range(args.repeat)]
    rows.append(("baseline: bare FigureCanvas drawn", bare, "1.0x", ""))
    first = min(m["first"] for m in tab)
    rows.append((f"Analysis tab open -> first chart, {args.n:,}", first, f"{first / bare:.1f}x canvas",
                 "app settled after opening"))
    right_away = min(m["first"] for m in cold)
    rows.append(("... the tab opened right after the workspace", right_away, f"{right_away / bare:.1f}x canvas", ""))
    change = min(m["filter"] for m in tab)
    whole = min(m["filter_whole"] for m in tab)
    rows.append((f"filter (channel) -> chart redrawn, {args.n:,}", change, f"{change / bare:.1f}x canvas",
                 f"whole analysis {whole:.2f} s"))
    drivers, spearman = drivers_row(args.n, args.repeat)
    rows.append(("baseline: pandas groupby().corr(spearman), 15 skills", spearman, "1.0x", ""))
    rows.append(("key drivers, 15 skills, 4 groups", drivers, f"{drivers / spearman:.2f}x", ""))
    if args.with_import:
        ours, baseline = import_row(args.n)
        rows.append(("baseline: sqlite-utils insert --csv, both files", baseline, "1.0x", ""))
        rows.append((f"import interactions + evaluations, {args.n:,}", ours, f"{ours / baseline:.2f}x", ""))
    width = max(len(r[0]) for r in rows)
    for name, seconds, ratio, note in rows:
        print(f"{name:{width}s}  {seconds:7.3f} s  {ratio:>12s}  {note}")


if __name__ == "__main__":
    main()
