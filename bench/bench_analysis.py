"""Benchmark of the analysis at the size of the study: 265,000 interactions, 12 questions over
8 skills, 3 channels, 60 agents.

Prints, measured in the same run:
- the correlation step (pooled, per channel and within channel x brand, each with its
  agent-clustered interval) vs the plain pandas baseline
  `df.groupby("channel")[cols].corr(method="spearman")` on the same frame (ratio <= 2);
- key drivers alone (LMG shares with their agent jackknife; issue 12's target <= 0.3 s);
- the full analysis `run_analysis` (target < 2 s) and its peak memory (target < 1 GB);
- writing the report (CSV + 8 PNG charts), for information;
- loading the frame from a SQLite workspace (`load_skill_frame`), measured separately.

Usage: .venv/bin/python bench/bench_analysis.py [--n 265000] [--repeat 5] [--no-db] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from qagrader.analysis.correlation import skill_correlations
from qagrader.analysis.dataset import skills_of
from qagrader.analysis.frames import load_skill_frame
from qagrader.analysis.drivers import key_drivers
from qagrader.analysis.report import run_analysis, write_report
from qagrader.analysis.synthetic import STUDY_SKILLS, make_skill_frame
from qagrader.core.grading.graders import ensure_graders, grader_key


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_traced(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def build_workspace(frame: pd.DataFrame, path: Path) -> float:
    """Write `frame` into a new workspace file (same schema as the app); seconds taken."""
    from qagrader.core.storage.workspace import Workspace

    start = time.perf_counter()
    now = "2025-01-01T00:00:00Z"
    skills = skills_of(frame)
    with Workspace.open(path) as ws, ws.transaction() as conn:
        teams = {t: i + 1 for i, t in enumerate(sorted(frame["team"].unique()))}
        conn.executemany("INSERT INTO teams (id, uuid, name, created_at, updated_at) VALUES (?,?,?,?,?)",
                         [(i, f"team-{i}", t, now, now) for t, i in teams.items()])
        agent_team = frame.groupby("agent")["team"].first()
        agents = {a: i + 1 for i, a in enumerate(agent_team.index)}
        conn.executemany(
            "INSERT INTO agents (id, uuid, name, team_id, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            [(i, f"agent-{i}", a, teams[agent_team[a]], now, now) for a, i in agents.items()])
        polarity = frame.attrs.get("polarity", {})
        card = {"name": "Support QA", "sections": [{"name": "Skills", "questions": [
            {"key": f"q{i}", "text": skill, "skill": skill, "type": "yes_no",
             **({"polarity": "negative"} if polarity.get(skill) == "negative" else {})}
            for i, skill in enumerate(skills)]}]}
        conn.execute("INSERT INTO scorecards (id, uuid, family_uuid, name, version, definition, created_at,"
                     " updated_at) VALUES (1, 'card', 'family', 'Support QA', 1, ?, ?, ?)",
                     (json.dumps(card), now, now))
        ids = frame["interaction_id"].tolist()
        occurred = frame["occurred_at"].dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()
        graded = frame["graded_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.000000Z").tolist()
        csat = [None if np.isnan(c) else c for c in frame["csat"]]
        satisfied = [None if np.isnan(s) else int(s) for s in frame["satisfied"]]
        conn.executemany(
            "INSERT INTO interactions (id, uuid, external_id, channel, agent_id, team_id, brand, occurred_at,"
            " csat_norm, satisfied, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            zip(ids, map(str, ids), map(str, ids), frame["channel"], frame["agent"].map(agents).tolist(),
                frame["team"].map(teams).tolist(), frame["brand"], occurred, csat, satisfied,
                [now] * len(ids), [now] * len(ids)))
        graders = {name: ensure_graders(ws, [name])[grader_key(name)] for name in frame["grader"].unique()}
        conn.executemany(
            "INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers,"
            " created_at, updated_at, submitted_at, blind) VALUES (?,?,?,1,?,'submitted','{}',?,?,?,1)",
            zip(ids, map(str, ids), ids, frame["grader"].map(graders).tolist(), [now] * len(ids), [now] * len(ids),
                graded))
        for skill in skills:  # stored as earned fractions: a behaviour to avoid is 1 - occurrence
            known = frame[skill].notna().to_numpy()
            earned = 1 - frame[skill] if polarity.get(skill) == "negative" else frame[skill]
            conn.executemany("INSERT INTO evaluation_skills VALUES (?,?,?)",
                             zip(frame["interaction_id"][known].tolist(), [skill] * int(known.sum()),
                                 earned[known].tolist()))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=265_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-db", action="store_true", help="skip the SQLite loader timing")
    parser.add_argument("--db", type=Path, help="reuse (or create) this workspace for the loader")
    args = parser.parse_args(argv)

    frame = make_skill_frame(args.n, seed=0)
    skills = skills_of(frame)
    cols = ["csat", *skills]
    questions = sum(len(s.questions) for s in STUDY_SKILLS)
    print(f"{len(frame):,} interactions, {questions} questions over {len(skills)} skills, "
          f"{frame['channel'].nunique()} channels, {frame['brand'].nunique()} brands, "
          f"{frame['agent'].nunique()} agents")

    run_analysis(frame)  # warm-up (imports, caches)
    baseline = best_of(args.repeat, lambda: frame.groupby("channel")[cols].corr(method="spearman"))
    correlation = best_of(args.repeat, lambda: skill_correlations(frame))
    drivers = best_of(args.repeat, lambda: key_drivers(frame))
    full = best_of(args.repeat, lambda: run_analysis(frame))
    traced = peak_traced(lambda: run_analysis(frame))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    with tempfile.TemporaryDirectory() as out:
        result = run_analysis(frame)
        start = time.perf_counter()
        write_report(result, out)
        report = time.perf_counter() - start

    print(f"pandas baseline groupby(channel).corr(spearman): {baseline * 1000:8.1f} ms")
    print(f"correlation step (all + per channel + within):   {correlation * 1000:8.1f} ms"
          f"   ratio {correlation / baseline:.2f}x (target <= 2)")
    print(f"key drivers (LMG + agent jackknife, 4 groups):  {drivers * 1000:8.1f} ms"
          f"   ratio {drivers / baseline:.2f}x the baseline (target <= 0.3 s)")
    print(f"full analysis run_analysis:                      {full * 1000:8.1f} ms"
          f"   {full / 2:.2f} of the 2 s budget, {full / baseline:.2f}x the baseline")
    print(f"peak memory of run_analysis (tracemalloc):       {traced / 2**20:8.1f} MiB"
          f"   (process max RSS {rss:.0f} MiB; target < 1024)")
    print(f"write_report (9 CSV + summary + 8 PNG):          {report * 1000:8.1f} ms")

    if not args.no_db:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.db or Path(tmp) / "bench.qagrader"
            if not path.exists():
                print(f"building workspace {path} ... {build_workspace(frame, path):.1f} s")
            from qagrader.core.storage.workspace import Workspace

            with Workspace.open(path) as ws:
                loaded = load_skill_frame(ws)
                load = best_of(max(1, args.repeat // 2), lambda: load_skill_frame(ws))
            print(f"load_skill_frame from SQLite ({len(loaded):,} rows): {load * 1000:8.1f} ms"
                  f"   ({load / full:.2f}x the analysis)")
            assert len(loaded) == len(frame)
            np.testing.assert_allclose(loaded[skills].to_numpy(), frame[skills].to_numpy(), equal_nan=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
