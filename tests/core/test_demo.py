"""Demo workspace: deterministic, big enough, correctly scored, with the study's relations."""

from __future__ import annotations

import json
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from qagrader.core.demo.text import NEGATIVE
from qagrader.core.demo.build import build_demo, load_sample_scorecards, scorecards_dir
from qagrader.core.errors import CancelledError, QAGraderError
from qagrader.core.scorecards.model import scorecard_from_json, scorecard_to_dict
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage.workspace import Workspace

STUDY_SKILLS = {"Empathy", "Authenticity", "Friendly tone", "Negative tone", "Wrong customer name",
                "Rapport & personalization", "Etiquette", "Accuracy"}
TABLES = ("teams", "agents", "interactions", "scorecards", "evaluations", "evaluation_skills")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default demo, built once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    fractions: list[float] = []
    summary = build_demo(path, progress=fractions.append)
    ws = Workspace.open(path)
    yield ws, summary, fractions
    ws.close()


@contextmanager
def _fresh(seed: int, interactions: int = 1500):
    """A demo workspace of its own, in memory of a temporary file."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.qagrader"
        build_demo(path, interactions=interactions, seed=seed)
        with Workspace.open(path) as ws:
            yield ws


def dump(path) -> dict[str, list[tuple]]:
    with Workspace.open(path) as ws:
        return {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def skill_csat(ws: Workspace, skill: str, channel: str | None = None) -> float:
    """Spearman rho of a skill with CSAT over submitted, non-calibration evaluations."""
    sql = """SELECT es.score, CAST(i.csat_raw AS INTEGER) FROM evaluation_skills es
             JOIN evaluations e ON e.id = es.evaluation_id JOIN interactions i ON i.id = e.interaction_id
             WHERE e.status = 'submitted' AND e.calibration = 0 AND i.csat_raw IS NOT NULL AND es.skill = ?"""
    args: list = [skill]
    if channel:
        sql += " AND i.channel = ?"
        args.append(channel)
    rows = ws.conn.execute(sql, args).fetchall()
    assert len(rows) >= 250
    return spearmanr([r[0] for r in rows], [r[1] for r in rows])[0]


# ---------------------------------------------------------------- sample scorecards

def test_sample_scorecards_are_valid_lossless_and_realistic():
    cards = load_sample_scorecards()
    assert set(cards) == {"phone", "email", "chat"}
    for channel, card in cards.items():
        text = (scorecards_dir() / f"{channel}.json").read_text(encoding="utf-8")
        assert scorecard_to_dict(scorecard_from_json(text)) == json.loads(text)
        assert card.channels == (channel,)
        assert STUDY_SKILLS <= set(card.skills)
        assert card.uses_section_weights
        assert all(q.guideline.strip() for q in card.questions)
        assert {q.type for q in card.questions} == {"yes_no", "scale", "options"}
        assert any(q.allow_na for q in card.questions)
        assert any(o.auto_fail == "all" for q in card.questions for o in q.options)
        partial = [q for q in card.questions if "Partial" in q.labels]
        assert partial
        assert card.question("negative_tone").text.startswith("Avoided a negative tone")
        assert card.question("right_name").text == "Used the right customer name"
    assert any(s.bonus for card in cards.values() for s in card.sections)


# ---------------------------------------------------------------- content

def test_counts_meet_the_minimums(demo):
    ws, summary, _ = demo
    conn = ws.conn
    assert summary.interactions == conn.execute("SELECT count(*) FROM interactions").fetchone()[0] >= 2000
    assert {r[0] for r in conn.execute("SELECT DISTINCT channel FROM interactions")} == {"phone", "email", "chat"}
    assert conn.execute("SELECT count(*) FROM teams").fetchone()[0] >= 3
    assert conn.execute("SELECT count(*) FROM agents").fetchone()[0] >= 20
    assert 2 <= len(ws.interactions.brands()) <= 3
    graders = {r[0] for r in conn.execute("SELECT DISTINCT grader_id FROM evaluations")}
    assert 3 <= len(graders) <= 4
    assert len(ws.scorecards.list()) == 3
    counts = ws.counts()
    assert counts["submitted"] == summary.submitted  # calibration grades are not team grades
    assert counts["drafts"] == summary.drafts
    graded = conn.execute("SELECT count(DISTINCT interaction_id) FROM evaluations "
                          "WHERE status = 'submitted' AND calibration = 0").fetchone()[0]
    assert 0.78 <= graded / summary.interactions <= 0.88
    assert 0 < summary.drafts < 0.06 * summary.interactions
    assert 0.55 <= summary.with_csat / summary.interactions <= 0.75
    assert summary.calibration > 0


def test_interactions_look_real(demo):
    ws, _, _ = demo
    rows = ws.conn.execute("SELECT occurred_at, subject, transcript, csat_raw, csat_norm, satisfied "
                           "FROM interactions").fetchall()
    days = {r[0][:10] for r in rows}
    assert 70 <= len(days) <= 84  # ~12 weeks of working days
    for occurred, subject, transcript, csat_raw, csat_norm, satisfied in rows:
        assert 8 <= int(occurred[11:13]) < 20
        assert subject and "{" not in subject
        assert "Customer: " in transcript and "Agent: " in transcript and "{" not in transcript
        assert len(transcript) < 1500
        if csat_raw is None:
            assert csat_norm is None and satisfied is None
        else:
            assert csat_norm == (int(csat_raw) - 1) / 4 and satisfied == int(int(csat_raw) >= 4)


def test_transcripts_reflect_the_grades(demo):
    """The transcript shows what the interaction's (first) grader recorded; a second opinion,
    by another grader with their own leniency and error, may disagree."""
    ws, _, _ = demo
    rows = ws.conn.execute("""SELECT i.channel, i.transcript, e.answers FROM evaluations e
        JOIN interactions i ON i.id = e.interaction_id WHERE e.status = 'submitted' AND e.calibration = 0
        AND e.id = (SELECT min(id) FROM evaluations WHERE interaction_id = e.interaction_id)""")
    checked = 0
    for channel, transcript, answers_json in rows:
        answers = json.loads(answers_json)
        empathic = "I'm so sorry" in transcript
        assert empathic == (answers["empathy"]["value"] == "Yes")
        assert any(line in transcript for line in NEGATIVE) == (answers["negative_tone"]["value"] == "No")
        checked += 1
    assert checked > 1000


def test_failure_rates_are_realistic(demo):
    ws, summary, _ = demo

    def fail_rate(skill: str) -> float:
        return ws.conn.execute(
            """SELECT avg(es.score = 0) FROM evaluation_skills es JOIN evaluations e ON e.id = es.evaluation_id
               WHERE e.status = 'submitted' AND e.calibration = 0 AND es.skill = ?""", (skill,)).fetchone()[0]

    assert 0.01 <= fail_rate("Wrong customer name") <= 0.06
    assert 0.02 <= fail_rate("Negative tone") <= 0.15
    assert 0 < summary.auto_failed < 0.05 * summary.submitted


def test_every_stored_score_equals_the_scoring_function(demo):
    ws, _, _ = demo
    skills: dict[int, dict[str, float]] = {}
    for evaluation_id, skill, value in ws.conn.execute("SELECT * FROM evaluation_skills"):
        skills.setdefault(evaluation_id, {})[skill] = value
    cards = {}
    for evaluation_id, scorecard_id, answers_json, stored, auto_failed, reasons in ws.conn.execute(
            "SELECT id, scorecard_id, answers, score, auto_failed, auto_fail_reasons FROM evaluations"):
        if scorecard_id not in cards:
            cards[scorecard_id] = ws.scorecards.get_by_id(scorecard_id).card
        answers = {k: Answer.from_json(v) for k, v in json.loads(answers_json).items()}
        result = score(cards[scorecard_id], answers)
        assert stored == pytest.approx(result.total)
        assert bool(auto_failed) == result.auto_failed
        assert json.loads(reasons) == list(result.auto_fail_reasons)
        assert skills.get(evaluation_id, {}) == pytest.approx(dict(result.skills))
    assert ws.conn.execute("SELECT max(score) FROM evaluations").fetchone()[0] > 100  # bonus points


def test_planted_skill_csat_relations(demo):
    ws, _, _ = demo
    rho = {skill: skill_csat(ws, skill) for skill in STUDY_SKILLS}
    rapport = rho["Rapport & personalization"]
    assert abs(rapport) < 0.08
    for strong in ("Empathy", "Authenticity", "Friendly tone"):
        assert 0.15 <= rho[strong] <= 0.4
        assert rho[strong] > rapport + 0.1
        assert rho[strong] > rho["Wrong customer name"]
    assert rho["Negative tone"] > 0.03 and rho["Wrong customer name"] > 0.03
    assert rho["Accuracy"] > 0.08
    empathy = {c: skill_csat(ws, "Empathy", c) for c in ("phone", "email", "chat")}
    assert empathy["phone"] > empathy["email"] + 0.1 and empathy["phone"] > empathy["chat"] + 0.1
    etiquette = {c: skill_csat(ws, "Etiquette", c) for c in ("phone", "email", "chat")}
    assert etiquette["phone"] > max(etiquette["email"], etiquette["chat"]) + 0.05
    accuracy = [skill_csat(ws, "Accuracy", c) for c in ("phone", "email", "chat")]
    assert max(accuracy) - min(accuracy) < 0.15 and min(accuracy) > 0.05


def test_the_analysis_of_the_demo_shows_the_studys_pattern(demo):
    """The first chart: three strong positives, both behaviours to avoid negative, rapport about
    zero; empathy stronger on the phone, accuracy alike everywhere."""
    from qagrader.analysis import load_skill_frame, run_analysis

    ws, _, _ = demo
    result = run_analysis(load_skill_frame(ws))
    pooled = result.correlations.query("channel == 'all'").set_index("skill")
    assert set(pooled["rho"].nlargest(3).index) == {"Friendly tone", "Authenticity", "Empathy"}
    for behaviour in ("Negative tone", "Wrong customer name"):
        assert pooled.loc[behaviour, "polarity"] == "negative"
        assert pooled.loc[behaviour, "rho"] < 0 and pooled.loc[behaviour, "q_value"] < 0.05
    assert abs(pooled.loc["Rapport & personalization", "rho"]) < 0.05
    held = result.channel_differences[result.channel_differences["holds"]]
    assert {("Empathy", "phone", "email"), ("Empathy", "phone", "chat")} <= set(
        zip(held["skill"], held["channel_a"], held["channel_b"]))
    assert "Accuracy" not in set(held["skill"])
    assert result.notes.several_grades > 0 and result.notes.csat_visible == 0
    assert not pooled["simpson_flag"].any()


def test_sampling_variability_is_real():
    """Across seeds, each skill's rho varies as much as its interval says (the old generator
    fitted the noise to the sample and varied only 0.63x as much)."""
    from qagrader.analysis import load_skill_frame
    from qagrader.analysis.correlation import skill_correlations

    tables = []
    for seed in range(10):
        with _fresh(seed) as ws:
            tables.append(skill_correlations(load_skill_frame(ws)).query("channel == 'all'").set_index("skill"))
    rho = pd.concat([t["rho"] for t in tables], axis=1)
    se = pd.concat([(t["ci_high"] - t["ci_low"]) / 3.92 for t in tables], axis=1)
    ratio = (rho.std(axis=1, ddof=1) / se.mean(axis=1)).mean()
    assert 0.75 <= ratio <= 1.3, ratio


def test_graders_differ_in_leniency_and_some_interactions_have_a_second_opinion(demo):
    from qagrader.core.demo.build import GRADER_STYLE

    ws, _, _ = demo
    mean_score = dict(ws.conn.execute(
        "SELECT g.name, avg(es.score) FROM evaluations e JOIN evaluation_skills es ON es.evaluation_id = e.id "
        "JOIN graders g ON g.id = e.grader_id WHERE e.status = 'submitted' AND e.calibration = 0 GROUP BY g.name"))
    lenient = sorted(GRADER_STYLE, key=lambda g: GRADER_STYLE[g][0])
    assert mean_score[lenient[-1]] > mean_score[lenient[0]] + 0.02  # the lenient grade higher
    twice = ws.conn.execute(
        "SELECT count(*) FROM (SELECT interaction_id FROM evaluations WHERE status = 'submitted' AND "
        "calibration = 0 GROUP BY interaction_id HAVING count(*) > 1)").fetchone()[0]
    graded = ws.conn.execute("SELECT count(DISTINCT interaction_id) FROM evaluations WHERE status = 'submitted'"
                             " AND calibration = 0").fetchone()[0]
    assert 0.03 <= twice / graded <= 0.09
    assert ws.conn.execute("SELECT count(*) FROM evaluations WHERE blind IS NOT 1").fetchone()[0] == 0


def test_survey_response_depends_on_the_experience():
    from qagrader.core.demo.build import _Generator, load_sample_scorecards, DEMO_END

    gen = _Generator(3, DEMO_END, load_sample_scorecards())
    cases = gen.cases(3000, lambda _: None)
    gen.plan_grading(cases)
    gen.plant_csat(cases)
    extreme = np.abs([c.satisfaction for c in cases]) > 1.3
    answered = np.array([c.csat is not None for c in cases])
    assert answered[extreme].mean() > answered[~extreme].mean() + 0.08


# ---------------------------------------------------------------- behaviour of the build

def test_same_seed_gives_identical_database_content(tmp_path):
    build_demo(tmp_path / "a.qagrader", interactions=300, seed=11)
    build_demo(tmp_path / "b.qagrader", interactions=300, seed=11)
    build_demo(tmp_path / "c.qagrader", interactions=300, seed=12)
    first = dump(tmp_path / "a.qagrader")
    assert first == dump(tmp_path / "b.qagrader")
    assert first["interactions"] != dump(tmp_path / "c.qagrader")["interactions"]


def test_progress_runs_from_zero_to_one(demo):
    _, _, fractions = demo
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(fractions) > 5


def test_refuses_a_workspace_with_interactions(tmp_path):
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=50)
    before = dump(path)
    with pytest.raises(QAGraderError, match="needs an empty workspace.*already holds 50 interactions"):
        build_demo(path, interactions=50)
    assert dump(path) == before


def test_refuses_a_different_scorecard_of_the_same_name(tmp_path):
    with Workspace.open(tmp_path / "w.qagrader") as ws:
        ws.scorecards.import_json(json.dumps({"name": "Chat QA", "sections": [
            {"name": "S", "questions": [{"key": "q", "text": "Q", "type": "yes_no"}]}]}))
        with pytest.raises(QAGraderError, match="different scorecard named 'Chat QA'"):
            build_demo(ws, interactions=20)
        assert ws.interactions.count() == 0


def test_reuses_identical_sample_scorecards(tmp_path):
    with Workspace.open(tmp_path / "w.qagrader") as ws:
        ws.scorecards.import_file(scorecards_dir() / "phone.json")
        build_demo(ws, interactions=40)
        assert len(ws.scorecards.list()) == 3
        assert [s.version for s in ws.scorecards.versions("Phone QA")] == [1]


def test_cancel_writes_nothing(tmp_path):
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 6  # inside the transaction

    with Workspace.open(tmp_path / "w.qagrader") as ws:
        with pytest.raises(CancelledError):
            build_demo(ws, interactions=1200, cancelled=cancelled)
        assert ws.counts() == {"interactions": 0, "submitted": 0, "drafts": 0, "calibration": 0, "agents": 0,
                               "scorecards": 0}
        assert not ws.conn.in_transaction


def test_small_builds_work(tmp_path):
    summary = build_demo(tmp_path / "w.qagrader", interactions=3, seed=1)
    assert summary.interactions == 3
    with pytest.raises(QAGraderError):
        build_demo(tmp_path / "x.qagrader", interactions=0)
