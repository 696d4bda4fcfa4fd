"""Section 3 (core and CLI): 8 processes submitting evaluations while two bulk imports run.
Writes wait for the lock within the budget; nothing is lost and no raw error reaches anyone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import ROOT
from tests.samples import EXAMPLE

SUBMITTERS = 8
EACH = 12
IMPORT_ROWS = 30_000

SUBMITTER = """
import sys
from qagrader.core.errors import QAGraderError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace

path, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
answers = {"empathy": Answer("Yes"), "tone": Answer(4), "wrong_name": Answer("Yes"),
           "data_leak": Answer("No"), "resolution": Answer("Partial"), "wow": Answer(na=True)}
done = 0
with Workspace.open(path, create=False) as ws:
    card = ws.scorecards.get("Chat QA").id
    for k in range(count):
        interaction = ws.conn.execute("SELECT id FROM interactions WHERE external_id = ?",
                                      (f"S{worker}-{k}",)).fetchone()[0]
        try:
            draft = ws.evaluations.start(interaction, card, f"grader {worker}")
            ws.evaluations.save(draft.id, answers, overall_comment=f"{worker}/{k}")
            ws.evaluations.submit(draft.id)
            done += 1
        except QAGraderError as error:  # one clear line, as the app shows it
            print(f"refused: {error}", file=sys.stderr)
print(done)
"""


def test_eight_submitters_and_two_bulk_imports_lose_nothing(tmp_path):
    db = tmp_path / "w.qagrader"
    with Workspace.open(db) as ws:
        ws.scorecards.import_json(json.dumps(EXAMPLE))
        with ws.transaction() as conn:
            conn.executemany(
                "INSERT INTO interactions (uuid, external_id, channel, created_at, updated_at) "
                "VALUES (?, ?, 'chat', 'now', 'now')",
                [(f"u{w}-{k}", f"S{w}-{k}") for w in range(SUBMITTERS) for k in range(EACH)])
    sources = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.csv"
        path.write_text("id,channel,agent,csat\n" + "".join(
            f"{name}{i},chat,Agent {i % 40},{1 + i % 5}\n" for i in range(IMPORT_ROWS)), encoding="utf-8")
        sources.append(path)
    environment = {**os.environ, "QAGRADER_BUSY_TIMEOUT": "120"}  # a generous budget: CI is shared
    procs = [subprocess.Popen([sys.executable, "-m", "qagrader.cli.main", "--db", str(db), "import",
                               "interactions", str(source), "--map", "external_id=id"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=environment) for source in sources]
    procs += [subprocess.Popen([sys.executable, "-c", SUBMITTER, str(db), str(w), str(EACH)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
              for w in range(SUBMITTERS)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append((proc.returncode, out, err))
    raw = [err for _, _, err in results if "Traceback" in err or "locked" in err.lower()]
    assert raw == []  # zero raw errors
    assert [code for code, _, _ in results] == [0] * len(procs), [err for _, _, err in results]
    for code, out, _ in results[:2]:
        assert f"{IMPORT_ROWS} new" in out
    assert [int(out) for _, out, _ in results[2:]] == [EACH] * SUBMITTERS
    with Workspace.open(db, create=False) as ws:  # zero lost writes
        rows = ws.conn.execute("SELECT g.name, e.overall_comment, e.status, e.score FROM evaluations e "
                               "JOIN graders g ON g.id = e.grader_id").fetchall()
        assert sorted((g, c) for g, c, _, _ in rows) == sorted(
            (f"grader {w}", f"{w}/{k}") for w in range(SUBMITTERS) for k in range(EACH))
        assert {(s, round(score, 4)) for _, _, s, score in rows} == {("submitted", round(rows[0][3], 4))}
        assert ws.interactions.count() == SUBMITTERS * EACH + 2 * IMPORT_ROWS
        assert ws.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
