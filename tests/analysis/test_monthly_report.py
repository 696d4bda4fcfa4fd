"""The monthly quality report on a planted workspace: the top agent is the planted one, the tip
of the month is the planted costly question (worded for agents), the numbers match a hand
computation, and the PDF's pages say so (text read back with pypdf); PNG and CSV carry the same
content; refusals change nothing."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from qagrader.analysis.dataset import AnalysisFilters
from qagrader.analysis.monthly.content import (
    CAUSATION, CalibrationSummary, ReportError, build_monthly_report, parse_month,
)
from qagrader.analysis.monthly.output import png_paths, report_table, write_report
from qagrader.analysis.monthly.tip import guideline_parts, instruction
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage import writers
from qagrader.core.storage.files import OutputError
from qagrader.core.storage.workspace import Workspace

VERIFY_GUIDELINE = ("Yes: checked two of postcode, email and order number before sharing any detail. "
                    "No: shared order details before checking who was calling.")
CARD = {
    "name": "Phone QA", "channels": ["phone"], "sections": [
        {"name": "Call", "questions": [
            {"key": "greet", "text": "Opened with the brand greeting", "skill": "Greeting", "type": "yes_no",
             "guideline": "Yes: brand and own name. No: a bare hello."},
            {"key": "verify", "text": "Verified the caller before sharing order details", "skill": "Verification",
             "type": "yes_no", "guideline": VERIFY_GUIDELINE},
            {"key": "tone", "text": "Friendly tone", "skill": "Friendly tone", "type": "scale", "min": 1, "max": 5},
            {"key": "name", "text": "Used the right name", "skill": "Right name", "type": "yes_no"},
        ]}]}
TEAMS = {"North": ["Ana Top", "Ben Ortiz", "Cleo Park", "Dev Rao"],
         "South": ["Eli Moss", "Fay Lund", "Gus Hale", "Hana Ito"],
         "West": ["Ivo Berg", "Jon Kay", "Kim Roy", "Lea Vos"]}
MONTHS = {"2026-04": date(2026, 4, 1), "2026-05": date(2026, 5, 1)}
PER_AGENT = 30


def planted(path) -> tuple[Workspace, dict]:
    """Two months of graded calls. Failing `verify` (30% of calls) costs 1.5 CSAT points; the
    other questions change nothing. Ana Top rarely fails anything, so her QA score is the best."""
    ws = Workspace.open(path)
    stored = ws.scorecards.import_json(json.dumps(CARD)).scorecard
    rng = random.Random(5)
    scores: dict[str, list[tuple[str, str, float]]] = {m: [] for m in MONTHS}
    with ws.transaction() as conn:
        grader = writers.insert_graders(ws, ["Quinn Grader"])["Quinn Grader"]
        agents = {}
        for team, names in TEAMS.items():
            team_id = writers.insert_team(ws, team)
            for name in names:
                agents[name] = (writers.insert_agent(ws, name, team_id), team_id, team)
        rows, skills, interaction = [], [], 0
        for month, first in MONTHS.items():
            for name, (agent_id, team_id, team) in agents.items():
                best = name == "Ana Top"
                for k in range(PER_AGENT):
                    interaction += 1
                    verify = "No" if rng.random() < (0.03 if best else 0.3) else "Yes"
                    answers = {"greet": Answer("No" if rng.random() < (0.0 if best else 0.2) else "Yes"),
                               "verify": Answer(verify), "tone": Answer(5 if best else rng.randint(3, 5)),
                               "name": Answer("No" if rng.random() < (0.0 if best else 0.05) else "Yes")}
                    csat = int(np.clip(round(4.2 + rng.gauss(0, 0.6) - (1.5 if verify == "No" else 0)), 1, 5))
                    when = datetime.combine(first + timedelta(days=k % 27), datetime.min.time()).replace(hour=10)
                    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
                    conn.execute(
                        """INSERT INTO interactions (id, uuid, external_id, channel, agent_id, team_id, occurred_at,
                           csat_raw, csat_scale, csat_norm, satisfied, created_at, updated_at)
                           VALUES (?, ?, ?, 'phone', ?, ?, ?, ?, '1-5', ?, ?, ?, ?)""",
                        (interaction, f"u{interaction}", f"C{interaction}", agent_id, team_id, stamp, str(csat),
                         (csat - 1) / 4, int(csat >= 4), stamp, stamp))
                    result = score(stored.card, answers)
                    graded = (when + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
                    values = dict(id=interaction, uuid=f"e{interaction}", interaction_id=interaction,
                                  scorecard_id=stored.id, grader_id=grader, status="submitted",
                                  answers=json.dumps({k: a.to_json() for k, a in answers.items()}),
                                  overall_comment="", score=result.total, auto_failed=0, auto_fail_reasons="[]",
                                  calibration=0, created_at=graded, updated_at=graded, submitted_at=graded, blind=1)
                    rows.append(tuple(values[c] for c in writers.EVALUATION_COLUMNS))
                    skills.extend((interaction, s, v) for s, v in result.skills.items())
                    scores[month].append((name, team, result.total))
        writers.insert_evaluations(ws, rows, skills)
    return ws, scores


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws, scores = planted(tmp_path_factory.mktemp("monthly") / "team.qagrader")
    yield ws, scores
    ws.close()


@pytest.fixture(scope="module")
def report(workspace):
    ws, _ = workspace
    return build_monthly_report(ws, "2026-05", today=date(2026, 6, 3))


def pdf_pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def test_the_numbers_match_a_hand_computation(report, workspace):
    _, scores = workspace
    may = np.array([s for _, _, s in scores["2026-05"]])
    april = np.array([s for _, _, s in scores["2026-04"]])
    assert report.overall.n == len(may) == 12 * PER_AGENT
    assert report.overall.mean == pytest.approx(may.mean())
    assert report.previous.mean == pytest.approx(april.mean()) and report.previous.n == len(april)
    ana = [s for name, _, s in scores["2026-05"] if name == "Ana Top"]
    top = report.top.agent
    assert (top["agent"], top["team"], top["n"]) == ("Ana Top", "North", PER_AGENT)
    assert top["mean"] == pytest.approx(np.mean(ana))
    north = [s for _, team, s in scores["2026-05"] if team == "North"]
    row = report.teams.set_index("team").loc["North"]
    assert (row["n"], row["agents"]) == (4 * PER_AGENT, 4) and row["mean"] == pytest.approx(np.mean(north))
    assert row["previous_mean"] == pytest.approx(np.mean([s for _, t, s in scores["2026-04"] if t == "North"]))


def test_the_tip_is_the_planted_costly_question_worded_for_agents(report):
    tip = report.tip
    assert tip is not None and (tip.scorecard, tip.key) == ("Phone QA", "verify")
    assert tip.headline == "Verify the caller before sharing order details"
    assert tip.do == "Check two of postcode, email and order number before sharing any detail."
    assert tip.avoid == "Counts as missed: shared order details before checking who was calling."
    assert tip.interactions == "calls" and tip.scale == "1-5"
    assert 1.0 < tip.csat_diff < 2.0 and tip.ci_low > 0.5  # planted: 1.5 points lower when failed
    assert 0.2 < tip.failure_rate < 0.4
    assert tip.cost == pytest.approx(tip.csat_diff * tip.failure_rate)


def test_the_pdf_has_a_few_a4_pages_that_say_it_all(report, tmp_path):
    out = tmp_path / "may.pdf"
    assert write_report(report, out, "pdf") == [out]
    reader = PdfReader(str(out))
    assert 3 <= len(reader.pages) <= 6
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / 72, 2), round(height / 72, 2)) == (8.27, 11.69)  # A4 portrait
    pages = pdf_pages(out)
    first = pages[0]
    assert "Monthly quality report" in first and "May 2026" in first and "April 2026" in first
    assert "TIP OF THE MONTH" in first and "Verify the caller before sharing order details" in first
    assert "Check two of postcode, email and order number before sharing any detail." in first
    assert "Top agent of May 2026: Ana Top (North)" in first
    assert f"{report.overall.mean:.1f}%" in first and f"n = {report.overall.n}" in first
    assert "Most improved:" in first
    whole = "\n".join(pages)
    for heading in ("Teams", "Agents", "Skills most associated with CSAT this month", "Channels",
                    "Each team's biggest gaps", "Coaching follow-ups due", "Disputes"):
        assert heading in whole
    assert "Verification" in whole and "Calibration" not in whole  # no sessions: no section
    for number, text in enumerate(pages, start=1):
        assert "Workspace: team.qagrader" in text and "All channels, teams and agents" in text
        assert "Association, not causation." in text and f"page {number} of {len(pages)}" in text


def test_filters_are_named_on_every_page_and_respected(workspace, tmp_path):
    ws, scores = workspace
    south = build_monthly_report(ws, "2026-05", AnalysisFilters(teams=("South",)), today=date(2026, 6, 3))
    assert south.overall.n == 4 * PER_AGENT and list(south.teams["team"]) == ["South"]
    assert south.top.agent["team"] == "South"
    out = tmp_path / "south.pdf"
    write_report(south, out, "pdf")
    assert all("Filters: Team: South" in text for text in pdf_pages(out))


def test_png_pages_and_the_csv_carry_the_same_content(report, tmp_path):
    pngs = write_report(report, tmp_path / "may.png", "png")
    assert pngs == png_paths(tmp_path / "may.png", len(pngs)) and len(pngs) >= 3
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    out = tmp_path / "may.csv"
    write_report(report, out, "csv")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert list(rows[0]) == ["section", "subject", "measure", "value", "ci_low", "ci_high", "n", "previous",
                             "previous_n", "note"]
    tip = [r for r in rows if r["section"] == "tip of the month"]
    assert tip and tip[0]["subject"] == "Verify the caller before sharing order details"
    top = next(r for r in rows if r["measure"] == "top agent: mean QA score (%)")
    assert top["subject"] == "Ana Top (North)" and top["n"] == str(PER_AGENT)
    assert rows[-1]["note"] == CAUSATION
    table = report_table(report)
    assert len(table) == len(rows)


def test_a_calibration_section_appears_when_sessions_exist(report, tmp_path):
    import pandas as pd

    sessions = pd.DataFrame([{"session": "May calibration", "held_on": "2026-05-20", "items": 12, "graders": 4,
                              "percent_agreement": 81.5, "alpha": 0.71, "reading": "tentative"}])
    with_sessions = CalibrationSummary(sessions, ("Graders read 'Friendly tone' differently (alpha 0.52).",))
    from dataclasses import replace

    out = tmp_path / "calibrated.pdf"
    write_report(replace(report, calibration=with_sessions), out, "pdf")
    whole = "\n".join(pdf_pages(out))
    assert "Calibration" in whole and "May calibration" in whole and "0.71 tentative" in whole
    assert "Graders read 'Friendly tone' differently (alpha 0.52)." in whole


def test_refusals_change_nothing(workspace, tmp_path):
    ws, _ = workspace
    for text in ("2026-13", "May 2026", "26-05", ""):
        with pytest.raises(ReportError, match="is not a month: give it as YYYY-MM"):
            parse_month(text)
    with pytest.raises(ReportError, match="No submitted evaluations in June 2026 match these filters"):
        build_monthly_report(ws, "2026-06")
    report = build_monthly_report(ws, "2026-05", today=date(2026, 6, 3))
    with pytest.raises(OutputError, match="it is the open workspace"):
        write_report(report, ws.path, "pdf")
    existing = tmp_path / "old.pdf"
    existing.write_bytes(b"old")
    (tmp_path / "sub").mkdir()
    with pytest.raises(OutputError):
        write_report(report, tmp_path / "sub", "pdf")
    assert existing.read_bytes() == b"old" and not list(tmp_path.glob("*.qagrader-part"))


def test_the_answers_scored_in_a_forked_process_give_the_same_report(report, workspace):
    """The command line scores the questions' answers in a forked process (`parallel`), the app
    in a thread: the same report, and the same refusal of an empty month."""
    ws, _ = workspace
    forked = build_monthly_report(ws, "2026-05", today=date(2026, 6, 3), parallel=True)
    pd.testing.assert_frame_equal(report_table(forked), report_table(report))
    assert forked.tip == report.tip
    with pytest.raises(ReportError, match="No submitted evaluations in June 2026 match these filters"):
        build_monthly_report(ws, "2026-06", parallel=True)


def test_agent_wording_of_scorecard_phrases():
    assert instruction("Acknowledged how the customer felt") == "Acknowledge how the customer feels"
    assert instruction("Avoided a negative tone (sarcasm, blame)") == "Avoid a negative tone (sarcasm, blame)"
    assert instruction("named the feeling in their own words") == "Name the feeling in your own words"
    assert instruction("Friendly, warm tone") == "Friendly, warm tone"
    assert guideline_parts("5: warm. 3: flat. 1: cold.") == {"5": "warm.", "3": "flat.", "1": "cold."}
    assert guideline_parts("No if any of: sighs, sarcasm.") == {"No": "any of: sighs, sarcasm."}
    assert guideline_parts("Just be nice.") == {"": "Just be nice."}


def test_the_question_frame_scores_every_answer_as_the_scoring_rules_do(workspace):
    from qagrader.analysis.frames import load_skill_frame
    from qagrader.analysis.monthly.questions import question_frame

    ws, _ = workspace
    may = AnalysisFilters(date_from="2026-05-01", date_to="2026-05-31")
    frame = load_skill_frame(ws, may)
    questions, infos = question_frame(ws, frame, may)
    assert [i.column for i in infos] == ["Phone QA / greet", "Phone QA / verify", "Phone QA / tone", "Phone QA / name"]
    rows = ws.conn.execute("""SELECT e.interaction_id, e.answers FROM evaluations e JOIN interactions i
                              ON i.id = e.interaction_id WHERE i.occurred_at >= '2026-05'""").fetchall()
    expected = {}
    for interaction, answers in rows:
        answers = json.loads(answers)
        expected[interaction] = (float(answers["verify"]["value"] == "Yes"), (answers["tone"]["value"] - 1) / 4)
    got = questions.set_index("interaction_id")
    assert len(got) == len(expected) == 12 * PER_AGENT
    for interaction, (verify, tone) in expected.items():
        assert (got.loc[interaction, "Phone QA / verify"], got.loc[interaction, "Phone QA / tone"]) == (verify, tone)


def test_questions_of_an_interaction_graded_twice_are_averaged_and_n_a_left_out(tmp_path):
    from qagrader.analysis.frames import load_skill_frame
    from qagrader.analysis.monthly.questions import question_frame
    from tests.core.test_merge import add_interaction
    from tests.samples import EXAMPLE

    with Workspace.open(tmp_path / "w.qagrader") as ws:
        ws.scorecards.import_json(json.dumps(EXAMPLE))
        card = ws.scorecards.get("Chat QA")
        add_interaction(ws, "T1")
        full = {"tone": Answer(5), "wrong_name": Answer("Yes"), "data_leak": Answer("No"),
                "resolution": Answer("Partial"), "wow": Answer("Yes")}
        for grader, empathy, tone in (("Ana", Answer("Yes"), 5), ("Ben", Answer(None, True), 2)):
            evaluation = ws.evaluations.start(ws.interactions.by_external_id("T1").id, card.id, grader)
            ws.evaluations.save(evaluation.id, {**full, "empathy": empathy, "tone": Answer(tone)})
            ws.evaluations.submit(evaluation.id)
        frame = load_skill_frame(ws)
        questions, infos = question_frame(ws, frame, AnalysisFilters())
    row = questions.iloc[0]
    assert len(questions) == 1 and "Chat QA / wow" not in questions  # a bonus question is never a cost
    assert row["Chat QA / empathy"] == 1.0  # N/A is not a failure: only Ana's Yes counts
    assert row["Chat QA / tone"] == pytest.approx(((5 - 1) / 4 + (2 - 1) / 4) / 2)
    assert row["Chat QA / resolution"] == 0.5 and row["Chat QA / wrong_name"] == 1.0


def test_coaching_followed_up_in_the_month_shows_before_and_after_as_computed_by_hand(tmp_path):
    from scipy import stats

    ws, _ = planted(tmp_path / "coached.qagrader")
    with ws:
        ben = ws.conn.execute("SELECT id FROM agents WHERE name = 'Ben Ortiz'").fetchone()[0]
        note = ws.coaching.add(ben, coach="Lee Lead", skills=["Verification", "Friendly tone"],
                               coached_on="2026-05-01", follow_up_on="2026-05-29")
        ws.coaching.complete_follow_up(note.id, on="2026-05-29")
        report = build_monthly_report(ws, "2026-05", today=date(2026, 6, 3))
        out = tmp_path / "may.pdf"
        write_report(report, out, "pdf")
        rows = ws.conn.execute(
            """SELECT substr(i.occurred_at, 1, 10), e.answers FROM evaluations e JOIN interactions i
               ON i.id = e.interaction_id WHERE i.agent_id = ?""", (ben,)).fetchall()
    before = [json.loads(a) for day, a in rows if "2026-04-03" <= day <= "2026-04-30"]
    after = [json.loads(a) for day, a in rows if "2026-05-02" <= day <= "2026-05-29"]
    results = report.coaching_results.set_index("skill")
    assert report.followed_up == 1 and list(results.index) == ["Verification", "Friendly tone"]
    assert set(results["agent"]) == {"Ben Ortiz"} and set(results["coached_on"]) == {"2026-05-01"}

    passed = [sum(a["verify"]["value"] == "Yes" for a in side) for side in (before, after)]
    verify = results.loc["Verification"]
    assert (verify["before_n"], verify["after_n"]) == (len(before), len(after))
    assert verify["before"] == pytest.approx(passed[0] / len(before))
    assert verify["after"] == pytest.approx(passed[1] / len(after))
    (l1, u1), (l2, u2) = (tuple(stats.binomtest(k, n).proportion_ci(method="wilson"))
                          for k, n in ((passed[1], len(after)), (passed[0], len(before))))
    p1, p2 = passed[1] / len(after), passed[0] / len(before)
    assert verify["difference"] == pytest.approx(p1 - p2)
    assert verify["ci_low"] == pytest.approx(p1 - p2 - np.hypot(p1 - l1, u2 - p2))
    assert verify["ci_high"] == pytest.approx(p1 - p2 + np.hypot(u1 - p1, p2 - l2))

    tone = [np.array([(a["tone"]["value"] - 1) / 4 for a in side]) for side in (before, after)]
    welch = stats.ttest_ind(tone[1], tone[0], equal_var=False).confidence_interval(0.95)
    row = results.loc["Friendly tone"]
    assert row["measure"] == "mean" and row["difference"] == pytest.approx(tone[1].mean() - tone[0].mean())
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(welch.low), pytest.approx(welch.high))

    whole = "\n".join(pdf_pages(out))
    assert "Followed up in May 2026" in whole and "not proof" in whole and "Ben Ortiz" in whole
    csv_rows = report_table(report)
    assert (csv_rows["section"] == "coaching followed up").sum() == 2


def test_the_month_s_closed_calibration_sessions_are_reported_from_the_workspace(tmp_path):
    import krippendorff

    from qagrader.core.calibration.grading import save_calibration_grade

    ws, _ = planted(tmp_path / "calibrated.qagrader")
    with ws:
        card = ws.scorecards.get("Phone QA")
        may = [row[0] for row in ws.conn.execute(
            "SELECT id FROM interactions WHERE occurred_at >= '2026-05' ORDER BY id LIMIT 6")]
        graders = ["Ann", "Bob", "Cy"]
        tones = {"Ann": [5, 4, 3, 5, 2, 4], "Bob": [2, 5, 5, 3, 4, 1], "Cy": [4, 2, 5, 1, 5, 3]}
        session = ws.calibration.create("May calibration", card.id, interaction_ids=may, graders=graders,
                                        held_on="2026-05-20")
        for k, interaction in enumerate(may):
            for grader in graders:  # all agree on the yes/no questions, disagree on the tone
                answers = {"greet": Answer("Yes" if k % 2 else "No"), "verify": Answer("No" if k == 3 else "Yes"),
                           "name": Answer("Yes" if k < 4 else "No"), "tone": Answer(tones[grader][k])}
                save_calibration_grade(ws, session, interaction, grader, answers, submit=True)
        ws.calibration.close(session)
        ws.calibration.create("June prep", card.id, interaction_ids=may[:2], graders=graders, held_on="2026-05-28")
        ws.calibration.create("April one", card.id, interaction_ids=may[:2], graders=graders, held_on="2026-04-28")
        report = build_monthly_report(ws, "2026-05", today=date(2026, 6, 3))
        out = tmp_path / "may.pdf"
        write_report(report, out, "pdf")
    calibration = report.calibration
    assert calibration is not None
    row = calibration.sessions.iloc[0]
    assert list(calibration.sessions["session"]) == ["May calibration"]
    assert (row["items"], row["graders"], row["held_on"]) == (6, 3, "2026-05-20")
    tone_alpha = krippendorff.alpha(reliability_data=np.array([tones[g] for g in graders], dtype=float),
                                    level_of_measurement="ordinal")
    assert row["alpha"] == pytest.approx(1.0)  # the median of 1, 1, 1 and the tone's
    assert row["reading"] == "reliable"
    weak = [line for line in calibration.lines if "Friendly tone" in line]
    assert len(weak) == 1 and f"({tone_alpha:.2f})" in weak[0] and "May calibration" in weak[0]
    assert any("Still open" in line and "June prep" in line for line in calibration.lines)
    whole = "\n".join(pdf_pages(out))
    assert "Calibration" in whole and "May calibration" in whole and "Friendly tone" in whole
