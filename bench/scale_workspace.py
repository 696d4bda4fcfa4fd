"""Benchmark workspaces at the study's scale, built through the public import path and cached.

`workspace(n)` returns bench/out/scale-<n>.qagrader (gitignored), building it once: a helpdesk
export of `n` interactions (3 channels, 60 agents in 5 teams, 20 brands, CSAT 1-5 on four in
five) imported with `import_interactions`, then a wide evaluations CSV (one submitted grade per
interaction on its channel's scorecard: 12 questions over 8 skills, two of them behaviours to
avoid; answers drawn so that skills go with CSAT) imported with `import_evaluations`. Both CSVs
stay beside it, for the import benchmark's `sqlite-utils insert --csv` baseline.

    .venv/bin/python bench/scale_workspace.py [--n 265000] [--force]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

CHANNELS = ("phone", "email", "chat")
SKILLS = ("Empathy", "Accuracy", "Friendly tone", "Authenticity", "Etiquette", "Resolution",
          "Negative tone", "Wrong customer name")
NEGATIVE = {"Negative tone", "Wrong customer name"}
# 12 questions: (key, skill, type); skills of 1-2 questions each
QUESTIONS = (("greet", "Etiquette", "yes_no"), ("name", "Wrong customer name", "yes_no"),
             ("listen", "Empathy", "scale"), ("ack", "Empathy", "yes_no"),
             ("facts", "Accuracy", "yes_no"), ("policy", "Accuracy", "yes_no"),
             ("warm", "Friendly tone", "scale"), ("genuine", "Authenticity", "yes_no"),
             ("polite", "Etiquette", "yes_no"), ("solved", "Resolution", "yes_no"),
             ("rude", "Negative tone", "yes_no"), ("next", "Resolution", "yes_no"))


def scorecard(channel: str) -> dict:
    questions = []
    for key, skill, kind in QUESTIONS:
        question = {"key": key, "text": f"{key.title()}?", "skill": skill, "type": kind}
        if kind == "scale":
            question.update(min=1, max=5)
        if skill in NEGATIVE:
            question["polarity"] = "negative"
        questions.append(question)
    return {"name": f"{channel.title()} QA", "channels": [channel], "sections": [
        {"name": f"Part {s + 1}", "questions": questions[4 * s:4 * s + 4]} for s in range(3)]}


def write_csvs(folder: Path, n: int, seed: int = 12) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    channel = rng.integers(0, 3, n)
    agent = rng.integers(0, 60, n)
    brand = rng.integers(0, 20, n)
    quality = rng.normal(0, 1, n) + (agent - 30) / 40  # what drives both the answers and CSAT
    csat = np.clip(np.round(3 + quality + rng.normal(0, 1, n)), 1, 5).astype(int)
    surveyed = rng.random(n) < 0.8
    days = rng.integers(0, 365, n)
    interactions = folder / "interactions.csv"
    with open(interactions, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Ticket ID", "Channel", "Agent", "Group", "Brand", "Created at", "Satisfaction rating"])
        for i in range(n):
            day = np.datetime64("2025-01-01") + int(days[i])
            out.writerow([f"T{i:07d}", CHANNELS[channel[i]], f"Agent {agent[i]:02d}", f"Team {agent[i] % 5}",
                          f"Brand {brand[i]:02d}", f"{day}T{i % 24:02d}:{i % 60:02d}:00",
                          str(csat[i]) if surveyed[i] else ""])
    noise = rng.normal(0, 1, (n, len(QUESTIONS)))
    evaluations = folder / "evaluations.csv"
    with open(evaluations, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["interaction_id", "scorecard", "grader", "graded_at", "status",
                      *[key for key, _, _ in QUESTIONS]])
        for i in range(n):
            answers = []
            for j, (_, skill, kind) in enumerate(QUESTIONS):
                signal = quality[i] * (0.4 + 0.1 * (j % 4)) + noise[i, j]
                if skill in NEGATIVE:  # the behaviour happened when quality was low
                    answers.append("No" if signal < -1.6 else "Yes")
                elif kind == "scale":
                    answers.append(str(int(np.clip(np.round(3.5 + signal), 1, 5))))
                else:
                    answers.append("Yes" if signal > -0.9 else "No")
            day = np.datetime64("2025-01-01") + int(days[i]) + 2
            out.writerow([f"T{i:07d}", f"{CHANNELS[channel[i]].title()} QA", f"Grader {i % 7}",
                          f"{day}T12:00:00Z", "submitted", *answers])
    return interactions, evaluations


def build(path: Path, n: int) -> dict[str, float]:
    """Build the workspace at `path` from fresh CSVs; seconds per import step."""
    from qagrader.core.importing.evaluations import import_evaluations
    from qagrader.core.importing.interactions import ImportOptions, import_interactions
    from qagrader.core.storage.workspace import Workspace

    folder = path.parent
    interactions, evaluations = write_csvs(folder, n)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    times = {}
    with Workspace.open(path) as ws:
        for channel in CHANNELS:
            ws.scorecards.import_json(json.dumps(scorecard(channel)))
        start = time.perf_counter()
        import_interactions(ws, interactions, ImportOptions())
        times["interactions"] = time.perf_counter() - start
        start = time.perf_counter()
        import_evaluations(ws, evaluations)
        times["evaluations"] = time.perf_counter() - start
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return times


def workspace(n: int, *, force: bool = False) -> Path:
    """The cached benchmark workspace of `n` interactions with one grade each (built if missing)."""
    folder = OUT / f"scale-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "workspace.qagrader"
    if force or not path.exists():
        print(f"building {path} ({n:,} interactions and evaluations, through the import)...", flush=True)
        times = build(path, n)
        print("  " + ", ".join(f"{k} import {v:.1f} s" for k, v in times.items()), flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=265_000)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args()
    print(workspace(args.n, force=args.force))


if __name__ == "__main__":
    main()
