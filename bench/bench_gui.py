"""GUI speed: launch, the interactions browser on 1,000,000 interactions, submit-and-next.

    .venv/bin/python bench/bench_gui.py [--interactions 1000000] [--evaluations 265000]
                                        [--db PATH] [--repeat 3]

1. Launch to a usable window on the demo workspace (a subprocess each time, wall clock from
   spawn until the main window is shown with its first screen filled and rendered: the child
   prints a line then, checked to be the Grade screen with the grader's last draft restored;
   the time it then takes to exit is not counted), against a bare PySide6 window shown and
   rendered by the same Python in the same run, timed the same way.
   Targets: < 2 s and <= 3x the bare window.
2. The interactions browser on a workspace of N interactions (generated with executemany):
   first rows painted after opening, and after each filter change. Target: < 0.5 s each.
   Baseline: reading every id with `SELECT id FROM interactions` in the same run.
3. Submit-and-open-next in the Grade screen with M evaluations in that workspace (all questions
   answered and their draft saved first, then `submit_and_next()` timed until the next
   interaction is on screen, and until the submit has committed on the writer thread).
   Target: < 100 ms. Baseline: the core's `evaluations.submit` + `next_in_queue` alone.

Not a test: it prints figures and ratios; copy them into bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_env import ROOT, SETTINGS  # noqa: E402,F401  (offscreen Qt, throwaway user folders)

BARE = """
import time
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication([])
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.resize(1280, 800); w.show()
app.processEvents(); w.grab()
print("ready", flush=True)
"""

APP = """
import sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
app.setOrganizationName("QA Grader"); app.setApplicationName("QA Grader")
QSettings().setValue("grading/grader", {grader!r})

def ready():
    for w in app.topLevelWidgets():
        if type(w).__name__ == "MainWindow" and w.isVisible():
            w.grab()
            grading = w.grading  # usable: the Grade screen with the draft, its transcript and answers
            usable = (w.current_screen() == "grade" and grading.stack.currentWidget() is grading.page
                      and "Restored" in grading.saved_label.text() and grading.transcript.toPlainText().strip() != ""
                      and any(q.answer.answered for q in grading.form.questions))
            print("ready" if usable else "not usable", flush=True)
            app.exit(0 if usable else 1)
            return
    QTimer.singleShot(2, ready)

QTimer.singleShot(0, ready)
from qagrader.gui.app import run
sys.exit(run({db!r}, argv=["qagrader"]))
"""


def spawn_seconds(code: str) -> float:
    """Seconds from spawning `code` until it prints "ready" (it is then left to exit)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), env=os.environ,
                             stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    seconds = time.perf_counter() - started
    child.stdout.read()
    if child.wait() != 0 or line.strip() != "ready":
        raise RuntimeError(f"the launched window was not ready ({line.strip()!r}, exit code {child.returncode})")
    return seconds


def bench_launch(repeat: int) -> dict:
    from qagrader.core.demo.build import GRADERS, build_demo

    folder = Path(tempfile.mkdtemp(prefix="qagrader-bench-demo-"))
    db = folder / "demo.qagrader"
    build_demo(db)
    grader = GRADERS[0][0]  # so that the window opens on this grader's last draft
    spawn_seconds(BARE)  # warm the OS file cache for both
    spawn_seconds(APP.format(db=str(db), grader=grader))
    bare, app = [], []
    for _ in range(repeat):
        bare.append(spawn_seconds(BARE))
        app.append(spawn_seconds(APP.format(db=str(db), grader=grader)))
    b, a = statistics.median(bare), statistics.median(app)
    print(f"launch: bare PySide6 window {b:.2f} s, QA Grader on the demo {a:.2f} s "
          f"(median of {repeat}) -> {a / b:.2f}x the bare window (target <= 3x), target < 2 s")
    return {"bare": b, "app": a}


# ---------------------------------------------------------------- the big workspace

def build_big(path: Path, n: int, n_evaluations: int) -> None:
    """N interactions (3 channels, 200 agents in 8 teams, 3 brands, one year, ~300-character
    transcripts) and M submitted evaluations on the sample scorecards, each one of 16 forms per
    channel drawn at random, with their skill scores (so that the analysis has skills to find)."""
    from qagrader.core.demo.build import load_sample_scorecards
    from qagrader.core.scorecards.scoring import score
    from qagrader.core.storage.workspace import Workspace

    started = time.perf_counter()
    rng = random.Random(1)
    now = "2026-01-01T00:00:00.000000Z"
    ws = Workspace.open(path)
    cards = load_sample_scorecards()
    card_ids = {channel: ws.scorecards.save(card).scorecard.id for channel, card in cards.items()}
    variants = {}  # per channel, 16 graded forms (answers drawn at random) with their score and skills
    from qagrader.core.scorecards.scoring import Answer

    for channel, card in cards.items():
        variants[channel] = []
        for _ in range(16):
            values = {q.key: {"value": (rng.choice(q.labels) if rng.random() < 0.3 else q.labels[0])
                              if q.type != "scale" else int(rng.choice(q.labels)), "na": False, "comment": ""}
                      for q in card.questions}
            result = score(card, {k: Answer.from_json(v) for k, v in values.items()})
            variants[channel].append((json.dumps(values), result.total, result.skills))
    words = ("refund order late broken delivery password account invoice charge cancel upgrade "
             "thanks please help shipping address email phone lamp sofa duvet").split()
    ws.graders.ensure("Priya Raman")
    with ws.transaction() as conn:
        conn.executemany("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         [(f"team-{i}", f"Team {chr(65 + i)}", now, now) for i in range(8)])
        conn.executemany("INSERT INTO agents (uuid, name, team_id, active, created_at, updated_at) "
                         "VALUES (?, ?, ?, 1, ?, ?)",
                         [(f"agent-{i}", f"Agent {i:03d}", i % 8 + 1, now, now) for i in range(200)])

        def rows():
            for i in range(1, n + 1):
                agent = rng.randrange(200) + 1
                channel = ("phone", "email", "chat")[rng.randrange(3)]
                day = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
                csat = rng.randrange(1, 6)
                transcript = "\n".join(("Customer: " if k % 2 == 0 else "Agent: ") + " ".join(rng.choices(words, k=9))
                                       for k in range(5))
                yield (f"i-{i}", f"E{i:07d}", channel, agent, (agent - 1) % 8 + 1,
                       ("Northwind Living", "Bramble & Co", "Voltline Electronics")[rng.randrange(3)], day,
                       str(csat), "1-5", (csat - 1) / 4, int(csat >= 4), " ".join(rng.choices(words, k=4)),
                       transcript, now, now)

        conn.executemany(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand, occurred_at,
               csat_raw, csat_scale, csat_norm, satisfied, subject, transcript, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows())
        graded = rng.sample(range(1, n + 1), n_evaluations)
        channels = dict(conn.execute("SELECT id, channel FROM interactions"))
        forms = [(i, variants[channels[i]][rng.randrange(16)]) for i in graded]
        conn.executemany(
            """INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers,
               overall_comment, score, auto_failed, auto_fail_reasons, calibration, created_at, updated_at,
               submitted_at) VALUES (?, ?, ?, ?, (SELECT id FROM graders WHERE name = 'Priya Raman'), 'submitted', ?,
               '', ?, 0, '[]', 0, ?, ?, ?)""",
            ((k + 1, f"e-{k}", i, card_ids[channels[i]], form[0], form[1], now, now, now)
             for k, (i, form) in enumerate(forms)))
        conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)",
                         ((k + 1, skill, value) for k, (_, form) in enumerate(forms)
                          for skill, value in form[2].items()))
    ws.close()
    print(f"built {n:,} interactions and {n_evaluations:,} evaluations in {time.perf_counter() - started:.0f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")


def bench_browser(db: Path) -> dict:
    import sqlite3

    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    from qagrader.core.storage.workspace import Workspace
    from qagrader.gui.interactions_view import COLUMN_INDEX, InteractionsView

    app = QApplication.instance() or QApplication([])
    conn = sqlite3.connect(db)
    t = time.perf_counter()
    every = conn.execute("SELECT id FROM interactions").fetchall()
    baseline = time.perf_counter() - t
    conn.close()
    print(f"browser: baseline SELECT id of all {len(every):,} interactions: {baseline * 1000:.0f} ms")
    ws = Workspace.open(db)
    view = InteractionsView()
    view.resize(1440, 860)
    view.show()
    app.processEvents()
    figures = {}

    def painted(label: str, change) -> None:
        model = view.model
        before = model._generation
        started = time.perf_counter()
        change()
        generation = model._generation
        if generation == before:  # nothing to load (e.g. the choice was already set)
            print(f"  {label:<38} no new query")
            return
        while model.shown_generation != generation:  # until this query's rows are in the model
            app.processEvents()
            time.sleep(0.0005)
        first_count = model.rowCount()
        view.table.viewport().repaint()
        view.grab()
        first = time.perf_counter() - started
        while not view.model.complete:
            app.processEvents()
            time.sleep(0.001)
        everything = time.perf_counter() - started
        figures[label] = (first, everything, view.model.rowCount())
        print(f"  {label:<38} first rows painted {first * 1000:6.0f} ms ({first / 0.5:.2f} of 0.5 s, "
              f"{first / baseline:.2f}x baseline); all {view.model.rowCount():>9,} ids in {everything * 1000:6.0f} ms"
              f"{'' if first_count else ' (empty)'}")

    def pick(combo, text):
        return lambda: combo.setCurrentIndex(combo.findText(text))

    def sort(column, order):
        from PySide6.QtCore import Qt

        return lambda: view.table.sortByColumn(COLUMN_INDEX[column], getattr(Qt.SortOrder, order))

    from qagrader.core.storage.changes import Changes
    from qagrader.gui.operations import operations

    def open_workspace() -> None:  # as the main window does
        view.set_workspace(ws)
        operations().announce(Changes.everything())

    painted("open (newest first)", open_workspace)
    painted("channel = Email", pick(view.channel, "Email"))
    painted("+ team = Team C", pick(view.team, "Team C"))
    painted("+ agent = Agent 042", pick(view.agent, "Agent 042"))
    painted("clear filters", view.clear_filters)
    painted("brand = Bramble & Co", pick(view.brand, "Bramble & Co"))
    painted("graded = Ungraded", pick(view.graded, "Ungraded"))
    painted("graded = Submitted", pick(view.graded, "Submitted"))
    painted("date from 2025-06-01", lambda: view.date_from.setDate(QDate(2025, 6, 1)))
    painted("clear filters", view.clear_filters)
    painted("search 'refund' (subject+transcript)", lambda: (view.search.setText("refund"), view.apply_filters()))
    painted("search 'zebra' (no match)", lambda: (view.search.setText("zebra"), view.apply_filters()))
    view.search.clear()
    painted("clear filters", view.clear_filters)
    painted("sort by agent", sort("agent", "AscendingOrder"))
    painted("sort by CSAT", sort("csat", "DescendingOrder"))
    painted("sort by score", sort("score", "DescendingOrder"))
    painted("sort by date", sort("date", "DescendingOrder"))
    view.set_workspace(None)  # as the main window does when it closes
    view.close()
    ws.close()
    return {"baseline": baseline, "figures": figures}


def bench_submit(db: Path, rounds: int = 30) -> dict:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from qagrader.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("QA Grader Bench")
    QSettings().setValue("grading/grader", "Bench Grader")
    window = MainWindow()
    window.resize(1440, 900)
    window.open_workspace(db)
    window.show()
    window.show_screen("grade")
    grading = window.grading
    count = window.ws.counts()["submitted"]
    assert grading.open_next()
    from qagrader.core.grading.queue import next_in_queue

    def settle() -> None:  # until every write handed over has committed
        while grading.unsaved():
            app.processEvents()
            time.sleep(0.0005)

    times, committed, core = [], [], []
    for _ in range(rounds):
        for question in grading.form.questions:
            question.choose(0, advance=False)
        settle()
        started = time.perf_counter()
        grading.submit_and_next()
        app.processEvents()
        times.append(time.perf_counter() - started)
        settle()
        committed.append(time.perf_counter() - started)
    # Baseline: the data work alone (core submit + next_in_queue), on drafts made the same way.
    ws, spec = window.ws, grading.queue.spec()  # what the queue follows (the browser is not opened)
    for _ in range(rounds):
        interaction = grading.interaction.id
        for question in grading.form.questions:
            question.choose(0, advance=False)
        settle()
        evaluation = grading.session.evaluation.id
        started = time.perf_counter()
        ws.evaluations.submit(evaluation)
        next_in_queue(ws.conn, spec.filters, interaction, "Bench Grader", sort_column=spec.sort_column,
                      descending=spec.descending)
        core.append(time.perf_counter() - started)
        grading.session.evaluation = ws.evaluations.get(evaluation)
        grading.open_next()
        assert grading.interaction.id != interaction
    times.sort()
    median, p90, worst = statistics.median(times), times[int(len(times) * 0.9) - 1], times[-1]
    base, saved = statistics.median(core), statistics.median(committed)
    print(f"submit and open next with {count:,} submitted evaluations: median {median * 1000:.0f} ms, "
          f"90th percentile {p90 * 1000:.0f} ms, max {worst * 1000:.0f} ms over {rounds} (target < 100 ms); "
          f"until the submit has committed: median {saved * 1000:.0f} ms; "
          f"the data work alone (core submit + next_in_queue) {base * 1000:.1f} ms")
    window.close()
    return {"median": median, "p90": p90, "max": worst, "committed": saved, "core": base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--evaluations", type=int, default=265_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) the big workspace here "
                                                "(default: bench/out/gui-N-M.qagrader, kept for the next run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-launch", action="store_true")
    args = parser.parse_args()
    if not args.skip_launch:
        bench_launch(args.repeat)
    db = args.db or ROOT / "bench" / "out" / f"gui-{args.interactions}-{args.evaluations}.qagrader"  # cached
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        build_big(db, args.interactions, args.evaluations)
    bench_browser(db)
    bench_submit(db)


if __name__ == "__main__":
    main()
