"""The Analysis tab: time from opening it on the demo workspace to its first chart drawn.

    .venv/bin/python bench/bench_analysis_tab.py [--repeat 5] [--db PATH]

Each measurement runs in a fresh Python process (offscreen Qt), so the imports the tab pulls
in on first opening (matplotlib, scipy) are counted, as they are in the app:

1. app: the main window open on the demo workspace, then `show_screen("analysis")` (which
   imports the tab, builds it, calls `set_workspace` and shows it) until the correlation chart's
   canvas has drawn. Target: < 1 s.
2. tab: the same for a bare `AnalysisTab()` (`set_workspace` + show), PySide6 and pandas
   already imported (the main window imports them at start).
3. baseline: a bare `FigureCanvasQTAgg` of an empty `Figure` shown until drawn, from the same
   starting point (PySide6 + pandas imported, matplotlib not yet).

Not a test: it prints figures and ratios; copy them into bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_env import ROOT, SETTINGS  # noqa: E402,F401  (offscreen Qt, throwaway user folders)

PRELUDE = """
import json, sys, time
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication
import pandas
app = QApplication([])
QCoreApplication.setOrganizationName("QA Grader Bench"); QCoreApplication.setApplicationName("QA Grader Bench")
QSettings().setValue("grading/grader", "Bench")
marks = {}
NEEDED = {"drawn"}

def mark(name, started):
    marks.setdefault(name, time.perf_counter() - started)
    if NEEDED <= set(marks):
        QTimer.singleShot(0, lambda: (print(json.dumps(marks)), app.quit()))

def watch_tab(tab, started):
    NEEDED.add("result")
    page = tab.correlations
    def shown():
        page.chart.canvas.mpl_connect("draw_event", lambda _e: mark("drawn", started))
    page.chart.chart_shown.connect(shown)
    tab.result_shown.connect(lambda _c: mark("result", started))
"""

APP = PRELUDE + """
from qagrader.gui.main_window import MainWindow
window = MainWindow(); window.resize(1280, 800)
window.open_workspace(DB_PATH, create=False)
window.show_screen("interactions"); window.show(); app.processEvents()
started = time.perf_counter()
tab = window.screen("analysis")
watch_tab(tab, started)
window.show_screen("analysis")
app.exec()
"""

TAB = PRELUDE + """
from qagrader.core.storage.workspace import Workspace
ws = Workspace.open(DB_PATH, create=False)
started = time.perf_counter()
from qagrader.gui.analysis import AnalysisTab
tab = AnalysisTab(); tab.resize(1104, 740)
watch_tab(tab, started)
from qagrader.core.storage.changes import Changes
from qagrader.gui.operations import operations
tab.set_workspace(ws); operations().announce(Changes.everything()); tab.show()
app.exec()
"""

BARE = PRELUDE + """
started = time.perf_counter()
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
canvas = FigureCanvasQTAgg(Figure()); canvas.resize(1104, 740)
canvas.mpl_connect("draw_event", lambda _e: mark("drawn", started))
canvas.show()
app.exec()
"""


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=str(ROOT), env=os.environ,
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an existing demo workspace (default: build one)")
    args = parser.parse_args()
    db = args.db
    if db is None:
        from qagrader.core.demo.build import build_demo

        db = Path(tempfile.mkdtemp(prefix="qagrader-bench-demo-")) / "demo.qagrader"
        print(f"Building the demo workspace: {build_demo(db)}")
    cases = {"app": APP, "tab": TAB, "baseline": BARE}
    times: dict[str, list[dict]] = {name: [] for name in cases}
    for _ in range(args.repeat):  # interleaved, so machine load hits every case alike
        for name, code in cases.items():
            times[name].append(run(code.replace("DB_PATH", repr(str(db)))))
    median = {name: statistics.median(m["drawn"] for m in runs) for name, runs in times.items()}
    print(f"\nFirst chart drawn, median of {args.repeat} fresh processes (offscreen):")
    for name in ("app", "tab"):
        results = statistics.median(m["result"] for m in times[name])
        spread = ", ".join(f"{m['drawn']:.2f}" for m in times[name])
        print(f"  {name:8s} {median[name]:.2f} s (runs: {spread}; whole analysis on screen at {results:.2f} s) "
              f"= {median[name] / median['baseline']:.1f}x the baseline")
    spread = ", ".join(f"{m['drawn']:.2f}" for m in times["baseline"])
    print(f"  baseline {median['baseline']:.2f} s (bare FigureCanvasQTAgg, empty Figure; runs: {spread})")
    print(f"Target: the app's first chart < 1 s: {'met' if median['app'] < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
