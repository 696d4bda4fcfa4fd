"""Benchmark: merge two workspaces of 50,000 evaluations each (target: under 10 s).

Builds a lead's workspace and a grader's workspace that share half their interactions (the
same external ids, imported apart), each with its own 50,000 submitted evaluations (5% with an
edit in their history) on the same scorecards, plus 1,000 evaluations both hold, changed on one
side (updates) or on both (conflicts), and (`--deletions`, default 1,000) as many drafts of the
lead's that the grader's workspace holds tombstones of, plus as many tombstones of drafts the
lead never had. Then times, on fresh copies of the lead's workspace:

- baseline: a plain SQLite ``ATTACH`` + ``INSERT ... SELECT`` copy of the same rows
  (interactions not yet present, every evaluation, skill score and history entry), no matching;
- `merge_workspace`: the real merge (private copy of the other file, fingerprint, the steps,
  backup, commit);

and prints both times and the ratio.

    .venv/bin/python bench/bench_merge.py [--evaluations 50000] [--deletions 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qagrader.core.merging.merge import merge_workspace  # noqa: E402
from qagrader.core.scorecards.scoring import Answer, score  # noqa: E402
from qagrader.core.storage.records import new_uuid  # noqa: E402
from qagrader.core.storage.workspace import Workspace  # noqa: E402

CARD = {"name": "Phone QA", "channels": ["phone", "email", "chat"], "sections": [
    {"name": "Soft skills", "questions": [
        {"key": k, "text": k, "skill": k.title(), "type": "yes_no"} for k in ("empathy", "tone", "rapport")]},
    {"name": "Process", "questions": [
        {"key": "accuracy", "text": "accuracy", "skill": "Accuracy", "type": "scale", "min": 1, "max": 5},
        {"key": "verification", "text": "verification", "skill": "Verification", "type": "yes_no"}]}]}


def build(path: Path, *, evaluations: int, first_interaction: int, graders: list[str], seed: int,
          card_from: Path | None = None) -> None:
    rng = random.Random(seed)
    if card_from is not None:
        shutil.copyfile(card_from, path)  # the scorecard as the lead handed it out
        ws = Workspace.open(path)
        with ws.transaction() as conn:
            for table in ("evaluation_history", "evaluation_skills", "evaluations", "interactions", "agents",
                          "teams", "graders"):
                conn.execute(f"DELETE FROM {table}")
    else:
        ws = Workspace.open(path)
        ws.scorecards.import_json(json.dumps(CARD))
    card = ws.scorecards.get("Phone QA")
    now = "2026-10-01T09:00:00.000000Z"
    with ws.transaction() as conn:
        conn.executemany("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         [(new_uuid(), f"Team {t}", now, now) for t in range(6)])
        conn.executemany("INSERT INTO agents (uuid, name, team_id, active, created_at, updated_at) "
                         "VALUES (?, ?, ?, 1, ?, ?)",
                         [(new_uuid(), f"Agent {a:03d}", a % 6 + 1, now, now) for a in range(120)])
        conn.executemany("INSERT INTO graders (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         [(new_uuid(), g, now, now) for g in graders])
        conn.executemany(
            """INSERT INTO interactions (id, uuid, external_id, channel, agent_id, team_id, occurred_at, csat_raw,
               csat_scale, csat_norm, satisfied, subject, transcript, created_at, updated_at)
               VALUES (?, ?, ?, 'phone', ?, ?, ?, ?, '1-5', ?, ?, ?, ?, ?, ?)""",
            [(k + 1, new_uuid(), f"C{first_interaction + k:07d}", (first_interaction + k) % 120 + 1,
              (first_interaction + k) % 6 + 1, f"2026-09-{(first_interaction + k) % 28 + 1:02d}T10:00:00",
              str(c), (c - 1) / 4, int(c >= 4), "Order question", "Customer: hello\nAgent: hi " * 20, now, now)
             for k in range(evaluations) for c in [(first_interaction + k) * 7 % 5 + 1]])
        patterns = []
        for _ in range(32):
            answers = {q: Answer(rng.choice(("Yes", "No"))) for q in ("empathy", "tone", "rapport", "verification")}
            answers["accuracy"] = Answer(rng.randint(1, 5))
            result = score(card.card, answers)
            patterns.append((json.dumps({k: a.to_json() for k, a in answers.items()}), result))
        rows, skills, history = [], [], []
        for k in range(evaluations):
            text, result = patterns[k % 32]
            when = f"2026-10-{k % 28 + 1:02d}T{k % 9 + 9:02d}:{k % 60:02d}:00.000000Z"
            rows.append((k + 1, new_uuid(), k + 1, card.id, k % len(graders) + 1, text, result.total,
                         int(result.auto_failed), when, when, when))
            skills.extend((k + 1, s, v) for s, v in result.skills.items())
            if k % 20 == 0:
                history.append((new_uuid(), k + 1, when, json.dumps({"answers": json.loads(text),
                                                                      "updated_at": when}), 1))
        conn.executemany(
            """INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers, score,
               auto_failed, created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?)""",
            rows)
        conn.executemany("INSERT INTO evaluation_skills VALUES (?, ?, ?)", skills)
        conn.executemany("INSERT INTO evaluation_history (uuid, evaluation_id, saved_at, snapshot, editor_id) "
                         "VALUES (?, ?, ?, ?, ?)", history)
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()


def share(lead: Path, grader: Path, count: int) -> None:
    """`count` of the lead's evaluations also in the grader's workspace, changed there (half) or
    on both sides (half): updates and conflicts for the merge."""
    conn = sqlite3.connect(grader)
    conn.execute("ATTACH ? AS lead", (str(lead),))
    base = conn.execute("SELECT max(id) FROM evaluations").fetchone()[0]
    conn.execute(f"""INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers,
                     score, auto_failed, created_at, updated_at, submitted_at)
                     SELECT {base} + e.id, e.uuid, (SELECT id FROM main.interactions WHERE external_id = i.external_id),
                            e.scorecard_id, 1, 'submitted', e.answers, e.score, e.auto_failed, e.created_at,
                            '2026-11-{15}T12:00:00.000000Z', e.submitted_at
                     FROM lead.evaluations e JOIN lead.interactions i ON i.id = e.interaction_id
                     WHERE EXISTS (SELECT 1 FROM main.interactions m WHERE m.external_id = i.external_id)
                     ORDER BY e.id LIMIT {count}""")
    conn.execute(f"INSERT INTO evaluation_skills SELECT id, 'Empathy', 1.0 FROM evaluations WHERE id > {base}")
    conn.execute(f"""INSERT INTO evaluation_history (uuid, evaluation_id, saved_at, snapshot, editor_id)
                     SELECT lower(hex(randomblob(16))), m.id, '2026-11-15T12:00:00.000000Z',
                            json_object('answers', json(e.answers), 'updated_at', e.updated_at), 1
                     FROM main.evaluations m JOIN lead.evaluations e ON e.uuid = m.uuid
                     WHERE m.id > {base} + 0 ORDER BY m.id LIMIT -1 OFFSET {count // 2}""")
    conn.commit()
    conn.close()
    lead_conn = sqlite3.connect(lead)
    lead_conn.execute(f"""UPDATE evaluations SET overall_comment = 'edited by the lead too',
                          updated_at = '2026-11-10T12:00:00.000000Z'
                          WHERE id IN (SELECT id FROM evaluations ORDER BY id LIMIT {count // 2})""")
    lead_conn.commit()
    lead_conn.close()


def bury(lead: Path, grader: Path, count: int) -> None:
    """`count` drafts in the lead's workspace that the grader's deleted since (tombstones the
    merge applies), and `count` more tombstones of drafts the lead never had (skipped)."""
    conn = sqlite3.connect(lead)
    base = conn.execute("SELECT max(id) FROM evaluations").fetchone()[0]
    conn.execute(f"""INSERT INTO evaluations (id, uuid, interaction_id, scorecard_id, grader_id, status, answers,
                     score, auto_failed, created_at, updated_at)
                     SELECT {base} + id, lower(hex(randomblob(16))), interaction_id, scorecard_id, grader_id, 'draft',
                            '{{}}', NULL, 0, '2026-11-01T12:00:00.000000Z', '2026-11-01T12:00:00.000000Z'
                     FROM evaluations ORDER BY id LIMIT {count}""")
    drafts = [row[0] for row in conn.execute(f"SELECT uuid FROM evaluations WHERE id > {base}")]
    conn.commit()
    conn.close()
    conn = sqlite3.connect(grader)
    conn.executemany("INSERT INTO tombstones (record_table, uuid, deleted_at, deleted_by) "
                     "VALUES ('evaluations', ?, '2026-11-20T12:00:00.000000Z', 1)",
                     [(u,) for u in drafts] + [(new_uuid(),) for _ in range(count)])
    conn.commit()
    conn.close()


def baseline(target: Path, other: Path) -> float:
    """Copy the same rows with ATTACH + INSERT ... SELECT, no matching."""
    started = time.perf_counter()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("ATTACH ? AS other", (str(other),))
    conn.execute("BEGIN IMMEDIATE")
    shift_i = conn.execute("SELECT max(id) FROM main.interactions").fetchone()[0]
    shift_e = conn.execute("SELECT max(id) FROM main.evaluations").fetchone()[0]
    conn.execute(f"""INSERT INTO main.interactions SELECT id + {shift_i}, uuid, external_id, channel, agent_id, team_id,
                     brand, occurred_at, csat_raw, csat_scale, csat_norm, satisfied, subject, transcript, created_at,
                     updated_at, fields FROM other.interactions o
                     WHERE NOT EXISTS (SELECT 1 FROM main.interactions m WHERE m.external_id = o.external_id)""")
    columns = [r[1] for r in conn.execute("PRAGMA main.table_info(evaluations)")]
    select = ", ".join(f"id + {shift_e}" if c == "id" else f"interaction_id + {shift_i}" if c == "interaction_id"
                       else c for c in columns)
    conn.execute(f"INSERT OR IGNORE INTO main.evaluations ({', '.join(columns)}) SELECT {select} FROM other.evaluations")
    conn.execute(f"INSERT OR IGNORE INTO main.evaluation_skills SELECT evaluation_id + {shift_e}, skill, score "
                 "FROM other.evaluation_skills")
    conn.execute(f"""INSERT OR IGNORE INTO main.evaluation_history (uuid, evaluation_id, saved_at, snapshot, editor_id)
                     SELECT uuid, evaluation_id + {shift_e}, saved_at, snapshot, editor_id FROM other.evaluation_history""")
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluations", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="build the workspaces in DIR and keep them")
    parser.add_argument("--deletions", type=int, default=1_000,
                        help="drafts of the lead deleted in the grader's workspace (and as many tombstones of "
                             "drafts the lead never had); 0: none")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="qagrader-bench-merge-"))
    folder.mkdir(parents=True, exist_ok=True)
    n = args.evaluations
    lead, grader = folder / "lead.qagrader", folder / "grader.qagrader"
    for path in (lead, grader):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    build(lead, evaluations=n, first_interaction=0, graders=["Lee Park", "Priya Raman", "Tom Becker"], seed=1)
    build(grader, evaluations=n, first_interaction=n // 2, graders=["Sam Whitfield", "priya raman"], seed=2,
          card_from=lead)
    share(lead, grader, 1_000)
    if args.deletions:
        bury(lead, grader, args.deletions)
    print(f"built two workspaces of {n:,} evaluations each in {time.perf_counter() - started:.1f} s "
          f"({lead.stat().st_size / 1e6:.0f} MB and {grader.stat().st_size / 1e6:.0f} MB)")

    base_copy, merge_copy = folder / "base-target.qagrader", folder / "merge-target.qagrader"
    shutil.copyfile(lead, base_copy)
    shutil.copyfile(lead, merge_copy)
    base = baseline(base_copy, grader)
    with Workspace.open(merge_copy) as ws:
        started = time.perf_counter()
        report = merge_workspace(ws, grader, merged_by="Lee Park")
        merged = time.perf_counter() - started
    print(f"baseline ATTACH + INSERT SELECT: {base:.2f} s")
    print(f"merge_workspace:                 {merged:.2f} s  ({merged / base:.1f}x the baseline; target < 10 s)")
    print(f"  {report.summary()}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
