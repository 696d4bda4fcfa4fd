"""Evaluations: drafts, submit, edits with history, bad answers, concurrency, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qagrader.core.errors import EvaluationError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from tests.samples import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


def make_workspace(path: Path, interactions: int = 3) -> Workspace:
    ws = Workspace.open(path)
    ws.scorecards.import_json(json.dumps(EXAMPLE))
    agent = ws.interactions.ensure_agent("Ana", team="Blue")
    with ws.transaction() as conn:
        for i in range(interactions):
            conn.execute(
                "INSERT INTO interactions (uuid, external_id, channel, agent_id, created_at, updated_at) "
                "VALUES (?, ?, 'chat', ?, 'now', 'now')", (f"u{i}", f"T{i}", agent))
    return ws


FULL = {"empathy": Answer("yes"), "tone": Answer(4), "wrong_name": Answer("Yes"), "data_leak": Answer("No"),
        "resolution": Answer("partial"), "wow": Answer(na=True)}


def table_dump(ws: Workspace) -> dict:
    return {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ws.db.table_names()}


def test_draft_autosave_submit_and_skills(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    card = ws.scorecards.get("Chat QA")
    ev = ws.evaluations.start(1, card.id, "Grace")
    assert ev.status == "draft" and ev.score is None
    ev, result = ws.evaluations.set_answer(ev.id, "empathy", Answer("y", comment="nice"))
    assert ev.answers["empathy"] == Answer("Yes", False, "nice")
    assert ev.score == 100.0 and result.unanswered
    assert ws.evaluations.start(1, card.id, "Grace").id == ev.id  # resumes the draft
    with pytest.raises(EvaluationError, match="5 questions still unanswered"):
        ws.evaluations.submit(ev.id)
    ev, _ = ws.evaluations.save(ev.id, FULL, overall_comment="Good call")
    submitted = ws.evaluations.submit(ev.id)
    assert submitted.status == "submitted" and submitted.submitted_at
    assert submitted.score == pytest.approx(5.75 / 7 * 100)
    skills = dict(ws.conn.execute("SELECT skill, score FROM evaluation_skills WHERE evaluation_id = ?", (ev.id,)))
    assert skills == pytest.approx({"Empathy": 1.0, "Friendly tone": 0.75, "Wrong customer name": 1.0, "Accuracy": 0.5})


def test_save_grade_writes_a_grader_s_answers_in_one_transaction(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    card = ws.scorecards.get("Chat QA")
    first = ws.evaluations.save_grade(1, card.id, "Grace", {"empathy": Answer("yes")}, "")
    again = ws.evaluations.save_grade(1, card.id, "Grace", {"empathy": Answer("no")}, "hm")  # the same draft
    assert again.id == first.id and again.answers == {"empathy": Answer("No")} and again.overall_comment == "hm"
    assert [e.id for e in ws.evaluations.for_interaction(1)] == [first.id]
    before = table_dump(ws)
    with pytest.raises(EvaluationError, match="still unanswered"):  # incomplete: nothing saved
        ws.evaluations.save_grade(1, card.id, "Grace", {"tone": Answer(2)}, "", submit=True)
    assert table_dump(ws) == before
    submitted = ws.evaluations.save_grade(1, card.id, "Grace", FULL, "Good call", submit=True)
    assert submitted.id == first.id and submitted.status == "submitted"
    assert submitted.score == pytest.approx(5.75 / 7 * 100)
    assert [e.status for e in ws.evaluations.for_interaction(1)] == ["submitted"]
    edited = ws.evaluations.save_grade(1, card.id, "Maya", {**FULL, "tone": Answer(1)}, "Good call",
                                       evaluation_id=submitted.id)  # an edit of the submitted one
    assert edited.status == "submitted" and edited.answers["tone"] == Answer(1)
    assert [snapshot["edited_by"] for _, snapshot in ws.evaluations.history(submitted.id)] == ["Maya"]


def test_editing_a_submitted_evaluation_keeps_history(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    ev = ws.evaluations.start(1, ws.scorecards.get("Chat QA").id, "Grace")
    ws.evaluations.save(ev.id, FULL)
    first = ws.evaluations.submit(ev.id)
    edited, _ = ws.evaluations.set_answer(ev.id, "tone", Answer(5), editor="Lead Lee")
    assert edited.status == "submitted" and edited.score > first.score
    history = ws.evaluations.history(ev.id)
    assert len(history) == 1 and history[0][1]["score"] == first.score
    assert history[0][1]["edited_by"] == "Lead Lee"
    assert history[0][1]["answers"]["tone"]["value"] == 4
    with pytest.raises(EvaluationError, match="needs every answer"):
        ws.evaluations.set_answer(ev.id, "tone", Answer())


@pytest.mark.parametrize("key, answer, message", [
    ("tone", Answer(7), "question 'tone': 7 is not a whole number from 1 to 5"),
    ("tone", Answer("abc"), "question 'tone': 'abc' is not a whole number from 1 to 5"),
    ("empathy", Answer("maybe"), "question 'empathy': 'maybe' is not Yes or No"),
    ("resolution", Answer("Mostly"), "question 'resolution': 'Mostly' is not one of Yes, Partial, No"),
    ("tone", Answer(na=True), "question 'tone' does not allow N/A"),
    ("nope", Answer("Yes"), "question 'nope' is not on scorecard 'Chat QA'"),
])
def test_bad_answers_are_refused_and_change_nothing(tmp_path, key, answer, message):
    ws = make_workspace(tmp_path / "w.qagrader")
    ev = ws.evaluations.start(1, ws.scorecards.get("Chat QA").id, "Grace")
    ws.evaluations.set_answer(ev.id, "empathy", Answer("Yes"))
    before = table_dump(ws)
    with pytest.raises(EvaluationError) as error:
        ws.evaluations.set_answer(ev.id, key, answer)
    assert str(error.value) == message
    assert table_dump(ws) == before


def test_new_scorecard_version_keeps_old_grades(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    v1 = ws.scorecards.get("Chat QA")
    ev = ws.evaluations.start(1, v1.id, "Grace")
    ws.evaluations.save(ev.id, FULL)
    ws.evaluations.submit(ev.id)
    changed = json.loads(json.dumps(EXAMPLE))
    changed["sections"][0]["questions"][1]["weight"] = 3
    result = ws.scorecards.import_json(json.dumps(changed))
    assert result.new_version and result.scorecard.version == 2
    assert ws.evaluations.get(ev.id).scorecard_id == v1.id
    assert ws.evaluations.get(ev.id).score == pytest.approx(5.75 / 7 * 100)
    again = ws.scorecards.import_json(json.dumps(changed))
    assert not again.changed and again.scorecard.version == 2
    with pytest.raises(Exception, match="archive it instead"):
        ws.scorecards.delete("Chat QA")
    ws.scorecards.set_archived("Chat QA")
    assert ws.scorecards.list() == [] and len(ws.scorecards.list(include_archived=True)) == 1


WRITER = """
import sys
from qagrader.core.storage.workspace import Workspace
from qagrader.core.scorecards.scoring import Answer
ws = Workspace.open(sys.argv[1])
card = ws.scorecards.get("Chat QA").id
for i in range(int(sys.argv[3])):
    ev = ws.evaluations.start(int(sys.argv[2]) + (i % 2), card, f"grader-{sys.argv[2]}-{i}")
    ws.evaluations.set_answer(ev.id, "empathy", Answer("Yes"))
print("done")
"""


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    path = tmp_path / "w.qagrader"
    make_workspace(path, interactions=4).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start), "60"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for start in (1, 3)]
    for proc in procs:
        with proc:  # closes the pipes
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Workspace.open(path) as ws:
        assert ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 120
        assert ws.conn.execute("SELECT count(*) FROM evaluation_skills").fetchone()[0] == 120


SAVER = """
import sys
from qagrader.core.storage.workspace import Workspace
from qagrader.core.scorecards.scoring import Answer
ws = Workspace.open(sys.argv[1])
card = ws.scorecards.get("Chat QA").id
ev = ws.evaluations.start(1, card, "Grace")
i = 0
while True:
    i += 1
    ws.evaluations.save(ev.id, {"empathy": Answer("Yes" if i % 2 else "No"), "tone": Answer(1 + i % 5)},
                        overall_comment=f"save {i}")
    if i == 50:
        print("saving", flush=True)  # 50 saves committed, and it goes on saving
"""


def test_sigkill_during_saves_leaves_a_consistent_workspace(tmp_path):
    path = tmp_path / "w.qagrader"
    make_workspace(path).close()
    with subprocess.Popen([sys.executable, "-c", SAVER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout.readline().strip() == "saving"
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of a save, most likely
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    answers, comment, score_ = conn.execute("SELECT answers, overall_comment, score FROM evaluations").fetchone()
    i = int(comment.split()[1])  # the last save that committed, in full
    assert i >= 50
    answers = json.loads(answers)
    assert answers["empathy"]["value"] == ("Yes" if i % 2 else "No")
    assert answers["tone"]["value"] == 1 + i % 5
    skills = dict(conn.execute("SELECT skill, score FROM evaluation_skills"))
    assert skills["Empathy"] == (1.0 if i % 2 else 0.0)
    assert skills["Friendly tone"] == pytest.approx((i % 5) / 4)


def test_blind_grading_is_recorded_per_evaluation(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    card = ws.scorecards.get("Chat QA")
    blind = lambda evaluation_id: ws.conn.execute(  # noqa: E731
        "SELECT blind FROM evaluations WHERE id = ?", (evaluation_id,)).fetchone()[0]
    kept = ws.evaluations.start(1, card.id, "Grace", blind=True)
    ws.evaluations.save(kept.id, FULL, blind=True)
    ws.evaluations.submit(kept.id, blind=True)
    assert blind(kept.id) == 1                      # CSAT hidden all along
    seen = ws.evaluations.start(2, card.id, "Grace", blind=True)
    ws.evaluations.save(seen.id, FULL, blind=False)  # one change with CSAT visible ...
    ws.evaluations.submit(seen.id, blind=True)
    assert blind(seen.id) == 0                      # ... and it was not blind
    old = ws.evaluations.start(3, card.id, "Grace")   # made before the app recorded it
    ws.evaluations.save(old.id, FULL, blind=True)
    assert blind(old.id) is None                    # still not known
    ws.close()


def test_latest_draft_is_the_graders_most_recent_regular_draft(tmp_path):
    ws = make_workspace(tmp_path / "w.qagrader")
    card = ws.scorecards.get("Chat QA")
    assert ws.evaluations.latest_draft("Grace") is None
    first = ws.evaluations.start(1, card.id, "Grace")
    second = ws.evaluations.start(2, card.id, "Grace")
    ws.evaluations.start(3, card.id, "Grace", calibration=True)  # calibration: not offered
    ws.evaluations.start(3, card.id, "Lin")
    ws.evaluations.set_answer(second.id, "tone", Answer(3))
    assert ws.evaluations.latest_draft("Grace").id == second.id
    ws.evaluations.set_answer(first.id, "tone", Answer(2))
    assert ws.evaluations.latest_draft("Grace").id == first.id
    ws.evaluations.save(first.id, FULL)
    ws.evaluations.submit(first.id)
    assert ws.evaluations.latest_draft("Grace").id == second.id
    assert ws.scorecards.evaluation_counts() == {card.family_uuid: 4}
    ws.close()
