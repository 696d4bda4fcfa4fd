"""Benchmark: export 265,000 evaluations (wide CSV) and save/submit one evaluation among them.

    .venv/bin/python bench/bench_export.py [--evaluations N] [--with-import] [--keep DIR]

Builds a workspace (3 scorecards of 12 questions, 8 skills, N submitted evaluations; bulk
inserted with executemany for speed), then times, against baselines measured in the same run:

- `export_evaluations(..., shape="wide")` vs `pandas.read_sql("SELECT * FROM evaluations")`
  + `to_csv` (target: < 10 s); the same in a time zone with question text headers;
- `ws.evaluations.save` of a draft and `ws.evaluations.submit` (median of 50; target < 20 ms)
  vs a bare one-row `UPDATE` in its own `BEGIN IMMEDIATE` transaction;
- with `--with-import`: `import_evaluations` of the exported file into a workspace holding only
  the scorecards (no target; for information).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qagrader.core.importing.evaluations import import_evaluations  # noqa: E402
from qagrader.core.grading.graders import ensure_graders, grader_key  # noqa: E402
from qagrader.core.exporting.csv_export import export_evaluations  # noqa: E402
from qagrader.core.storage.records import new_uuid  # noqa: E402
from qagrader.core.scorecards.scoring import Answer, score  # noqa: E402
from qagrader.core.storage.workspace import Workspace  # noqa: E402

SKILLS = ("Empathy", "Authenticity", "Friendly tone", "Negative tone", "Wrong customer name",
          "Rapport & personalization", "Etiquette", "Accuracy")
SHARED = ("empathy", "authenticity", "tone", "negative_tone", "right_name", "rapport", "etiquette",
          "accuracy")
CHANNELS = ("phone", "email", "chat")
NOW = "2025-06-01T12:00:00.000000Z"


def scorecard(channel: str) -> dict:
    """12 questions in 3 sections: 8 shared skill questions, 4 channel-specific ones."""
    questions = []
    for i, key in enumerate(SHARED + tuple(f"{channel}_q{j}" for j in range(4))):
        q: dict = {"key": key, "text": f"Question {key}", "skill": SKILLS[i % 8]}
        if i % 3 == 0:
            q.update(type="yes_no", allow_na=True)
        elif i % 3 == 1:
            q.update(type="scale", min=1, max=5)
        else:
            q.update(type="options", options=[{"label": "Yes", "points": 2}, {"label": "Partial", "points": 1},
                                              {"label": "No", "points": 0}])
        questions.append(q)
    questions[5]["options"][2]["auto_fail"] = "all" if channel == "phone" else "section"
    return {"name": f"{channel.title()} QA", "channels": [channel], "sections": [
        {"name": f"Part {s + 1}", "weight": 30 + 10 * s, "questions": questions[4 * s:4 * s + 4]}
        for s in range(3)]}


def build(path: Path, n: int, seed: int = 7) -> Workspace:
    """A workspace with `n` submitted evaluations, bulk-inserted."""
    rng = np.random.default_rng(seed)
    ws = Workspace.open(path)
    cards = []
    for channel in CHANNELS:
        ws.scorecards.import_json(json.dumps(scorecard(channel)))
        stored = ws.scorecards.get(f"{channel.title()} QA")
        cards.append((stored.id, stored.card))
    with ws.transaction() as conn:
        conn.executemany("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         [(new_uuid(), f"Team {t}", NOW, NOW) for t in range(5)])
        conn.executemany("INSERT INTO agents (uuid, name, team_id, active, created_at, updated_at) "
                         "VALUES (?, ?, ?, 1, ?, ?)",
                         [(new_uuid(), f"Agent {a:02d}", a % 5 + 1, NOW, NOW) for a in range(60)])
        which = rng.integers(0, 3, n)
        agents = rng.integers(1, 61, n)
        csat = rng.integers(1, 6, n)
        surveyed = rng.random(n) < 0.3
        conn.executemany(
            """INSERT INTO interactions (id, uuid, external_id, channel, agent_id, team_id, csat_raw,
               csat_scale, csat_norm, satisfied, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            ((i + 1, new_uuid(), f"T{i + 1:07d}", CHANNELS[w], int(a), int(a - 1) % 5 + 1,
              str(c) if s else None, "1-5" if s else None, (c - 1) / 4 if s else None,
              int(c >= 4) if s else None, NOW, NOW)
             for i, (w, a, c, s) in enumerate(zip(which.tolist(), agents.tolist(), csat.tolist(),
                                                  surveyed.tolist()))))
        draws = rng.random((n, 12))
        noted = rng.random((n, 12)) < 0.05
        overall = rng.random(n) < 0.2
        evaluations, skills = [], []
        for i in range(n):
            scorecard_id, card = cards[which[i]]
            answers = {}
            for j, q in enumerate(card.questions):
                d = draws[i, j]
                comment = f"note {i}-{j}, see transcript" if noted[i, j] else ""
                if q.allow_na and d < 0.05:
                    answers[q.key] = Answer(None, True, comment)
                elif q.type == "scale":
                    answers[q.key] = Answer(1 + int(d * 5), False, comment)
                else:
                    labels = q.labels
                    answers[q.key] = Answer(labels[0] if d < 0.8 else labels[-1] if d > 0.97
                                            else labels[min(1, len(labels) - 1)], False, comment)
            result = score(card, answers)
            evaluations.append((i + 1, new_uuid(), i + 1, scorecard_id, f"Grader {i % 7}", "submitted",
                                json.dumps({k: a.to_json() for k, a in answers.items()}, ensure_ascii=False), "Good call overall" if overall[i] else "",
                                result.total, int(result.auto_failed),
                                json.dumps(list(result.auto_fail_reasons)), NOW, NOW, NOW))
            skills.extend((i + 1, s, v) for s, v in result.skills.items())
        graders = ensure_graders(ws, {row[4] for row in evaluations})
        conn.executemany(
            """INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers,
               overall_comment, score, auto_failed, auto_fail_reasons, calibration, created_at,
               updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)""",
            [(*row[:4], graders[grader_key(row[4])], *row[5:]) for row in evaluations])
        conn.executemany("INSERT INTO evaluation_skills (evaluation_id, skill, score) VALUES (?, ?, ?)", skills)
    ws.conn.execute("ANALYZE")
    return ws


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_saving(ws: Workspace, repeats: int = 50) -> dict[str, tuple[float, float]]:
    """(median, 95th percentile) ms of saving a draft (whole form, and one answer as the GUI's
    autosave does), submitting it, and a bare one-row UPDATE transaction."""
    stored = ws.scorecards.get("Chat QA")
    card = stored.card
    chat_ids = [r[0] for r in ws.conn.execute(
        "SELECT id FROM interactions WHERE channel = 'chat' ORDER BY id DESC LIMIT ?", (repeats,))]
    drafts = [ws.evaluations.start(i, stored.id, "Bench grader").id for i in chat_ids]
    full = {q.key: Answer(q.labels[0] if q.type != "scale" else 4) for q in card.questions}
    scale_key = next(q.key for q in card.questions if q.type == "scale")
    saves, clicks, submits, bare = [], [], [], []
    for k, ev in enumerate(drafts):
        answers = {**full, card.questions[k % 12].key: Answer(None, True) if card.questions[k % 12].allow_na
                   else full[card.questions[k % 12].key]}
        answers[scale_key] = Answer(1 + k % 5, comment=f"autosave {k}")
        saves.append(timed(lambda: ws.evaluations.save(ev, answers, overall_comment=f"draft {k}")))
        clicks.append(timed(lambda: ws.evaluations.set_answer(ev, scale_key, Answer(1 + (k + 2) % 5))))
    for ev in drafts:
        submits.append(timed(lambda: ws.evaluations.submit(ev)))
    target = drafts[0]
    for k in range(repeats):
        def update() -> None:
            ws.conn.execute("BEGIN IMMEDIATE")
            ws.conn.execute("UPDATE evaluations SET overall_comment = ?, updated_at = ? WHERE id = ?",
                            (f"bare {k}", NOW, target))
            ws.conn.execute("COMMIT")
        bare.append(timed(update))
    def ms(values: list[float]) -> tuple[float, float]:
        return statistics.median(values) * 1000, statistics.quantiles(values, n=20)[-1] * 1000

    return {"save": ms(saves), "set_answer": ms(clicks), "submit": ms(submits), "bare": ms(bare)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=265_000)
    parser.add_argument("--with-import", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="qagrader-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        db = folder / "bench.qagrader"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        build_s = timed(lambda: build(db, args.evaluations).close())
        print(f"workspace: {args.evaluations:,} submitted evaluations built in {build_s:.1f} s")
        ws = Workspace.open(db)
        out, base = folder / "wide.csv", folder / "baseline.csv"
        export_s = timed(lambda: export_evaluations(ws, out))
        baseline_s = timed(lambda: pd.read_sql("SELECT * FROM evaluations", ws.conn).to_csv(base, index=False))
        print(f"export wide: {export_s:.2f} s ({out.stat().st_size / 1e6:.0f} MB; target < 10 s); "
              f"baseline read_sql + to_csv {baseline_s:.2f} s; ratio {export_s / baseline_s:.2f}x")
        zoned_s = timed(lambda: export_evaluations(ws, folder / "berlin.csv", time_zone="Europe/Berlin",
                                                   headers="text", excel_bom=True))
        print(f"export wide, times in Europe/Berlin, question text headers, BOM: {zoned_s:.2f} s; "
              f"ratio {zoned_s / baseline_s:.2f}x the baseline, {zoned_s / export_s:.2f}x the UTC export")
        long_s = timed(lambda: export_evaluations(ws, folder / "long.csv", shape="long"))
        print(f"export long: {long_s:.2f} s (for information)")
        saving = bench_saving(ws)
        bare = saving["bare"][0]
        for name, label in (("save", "save draft"), ("set_answer", "set one answer (autosave)"),
                            ("submit", "submit")):
            median, p95 = saving[name]
            print(f"{label}: median {median:.2f} ms, p95 {p95:.2f} ms (target < 20 ms); "
                  f"{median / bare:.0f}x the bare one-row UPDATE transaction ({bare:.3f} ms)")
        ws.close()
        if args.with_import:
            fresh = folder / "import.qagrader"
            target = Workspace.open(fresh)
            for channel in CHANNELS:
                target.scorecards.import_json(json.dumps(scorecard(channel)))
            import_s = timed(lambda: import_evaluations(target, out))
            print(f"import wide into an empty workspace: {import_s:.1f} s (for information)")
            target.close()
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
