"""Calibration statistics against outside truth: Krippendorff's own published examples (2011,
"Computing Krippendorff's alpha-reliability"), the `krippendorff` package on matrices coded
here by hand, agreement counted by hand, edge cases, and a session in a real workspace whose
alignment and leniency are known by construction."""

from __future__ import annotations

import json
import re

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qagrader.analysis.calibration import (
    AGREEMENT_COLUMNS, ALL, GRADER_COLUMNS, agreement, calibration_results, reading, session_overview, trend,
)
from qagrader.analysis.calibration_plots import plot_agreement, plot_graders, plot_trends
from qagrader.core.calibration.grading import save_calibration_grade
from qagrader.core.calibration.sessions import CalibrationError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import add_interaction

_ = None
# Krippendorff (2011), section C: four observers, twelve units, values 1..5, missing data.
PAPER_C = pd.DataFrame([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
])
# Section A: two observers, ten units, binary values.
PAPER_A = pd.DataFrame([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]])


def test_krippendorffs_published_examples():
    nominal = agreement(PAPER_C, "nominal")
    ordinal = agreement(PAPER_C, "ordinal", range(1, 6))
    assert round(nominal.alpha, 3) == 0.743 and round(ordinal.alpha, 3) == 0.815
    assert round(agreement(PAPER_C, "interval").alpha, 3) == 0.849
    # unit 12 has one value only and does not count; by hand, units 1-11 agree 9/11 of their pairs
    assert (nominal.items, nominal.graders) == (11, 4)
    assert nominal.percent_agreement == pytest.approx(100 * 9 / 11)
    binary = agreement(PAPER_A, "nominal")
    assert round(binary.alpha, 3) == 0.095  # 1 - (n - 1) o01 / (n0 n1) = 1 - 19 * 4 / (14 * 6)
    assert binary.percent_agreement == pytest.approx(60.0)  # 6 of 10 units agree


def test_labels_with_na_as_a_category_match_the_package_on_numbers_coded_by_hand():
    answers = pd.DataFrame([["Yes", "No", "N/A", "Yes", "Yes", None],
                            ["Yes", "No", "Yes", "Yes", "No", "Partial"],
                            ["Yes", "Yes", "N/A", None, "No", "Partial"]])
    coded = [[0, 1, 2, 0, 0, np.nan], [0, 1, 0, 0, 1, 3], [0, 0, 2, np.nan, 1, 3]]
    expected = krippendorff.alpha(reliability_data=coded, level_of_measurement="nominal")
    result = agreement(answers, "nominal")
    assert result.alpha == pytest.approx(expected)
    # by hand: units agree 1, 1/3, 1/3, 1, 1/3 and 1 of their pairs
    assert result.percent_agreement == pytest.approx(100 * (1 + 1 / 3 + 1 / 3 + 1 + 1 / 3 + 1) / 6)
    scale = pd.DataFrame([[5, 4, 2, None, 1], [5, 3, 2, 4, 2], [4, 3, 1, 4, None]])
    expected = krippendorff.alpha(reliability_data=scale.to_numpy(dtype=float), level_of_measurement="ordinal",
                                  value_domain=[1, 2, 3, 4, 5])
    assert agreement(scale, "ordinal", range(1, 6)).alpha == pytest.approx(expected)


def test_edge_cases_leave_alpha_empty_with_the_reason():
    one_grader = agreement(pd.DataFrame([["Yes", "No", "Yes"]]), "nominal")
    assert (one_grader.items, one_grader.alpha, one_grader.percent_agreement) == (0, None, None)
    assert one_grader.reason == "only one grader answered"
    all_agree = agreement(pd.DataFrame([["Yes", "Yes"], ["Yes", "Yes"], ["Yes", None]]), "nominal")
    assert (all_agree.alpha, all_agree.percent_agreement) == (None, 100.0)
    assert all_agree.reason == "every answer was 'Yes': alpha needs some variation"
    all_na = agreement(pd.DataFrame([["N/A", "N/A"], ["N/A", "N/A"]]), "nominal")
    assert all_na.alpha is None and "every answer was 'N/A'" in all_na.reason
    scale_all_na = agreement(pd.DataFrame([[None, None], [None, None]], dtype=object), "ordinal")
    assert (scale_all_na.items, scale_all_na.alpha, scale_all_na.reason) == (0, None, "no answers")
    one_item = agreement(pd.DataFrame([["Yes"], ["No"]]), "nominal")
    assert (one_item.items, one_item.percent_agreement) == (1, 0.0)
    assert one_item.alpha == pytest.approx(0.0)  # 1 - (n - 1) o01 / (n0 n1) = 1 - 1 * 1 / 1
    never_together = agreement(pd.DataFrame([["Yes", None], [None, "No"]]), "nominal")
    assert never_together.alpha is None and never_together.reason == "no item was answered by two graders"
    assert [reading(a) for a in (0.81, 0.8, 0.7, 0.667, 0.5, None)] == [
        "reliable", "reliable", "tentative", "tentative", "unreliable", ""]


_LABELS = st.sampled_from(["Yes", "No", "N/A", "Partial", None])


@given(st.lists(st.lists(_LABELS, min_size=5, max_size=5), min_size=2, max_size=5), st.permutations(range(5)))
@settings(max_examples=60, deadline=None)
def test_nominal_alpha_matches_the_package_and_ignores_names_and_order(rows, order):
    """Any labels, coded here independently, agree with the package; renaming the categories and
    reordering graders and items changes nothing."""
    matrix = pd.DataFrame(rows)
    result = agreement(matrix, "nominal")
    codes = {"Yes": 0.0, "No": 1.0, "N/A": 2.0, "Partial": 3.0}
    data = np.array([[np.nan if v is None else codes[v] for v in row] for row in rows])
    pairable = [c for c in range(5) if np.sum(~np.isnan(data[:, c])) >= 2]
    values = {v for c in pairable for v in data[:, c] if not np.isnan(v)}
    if len(values) >= 2:
        assert result.alpha == pytest.approx(krippendorff.alpha(reliability_data=data,
                                                                level_of_measurement="nominal"))
    else:
        assert result.alpha is None and result.reason
    renamed = matrix.replace({"Yes": "Oui", "No": "Non"}).iloc[::-1, list(order)]
    again = agreement(renamed, "nominal")
    assert (again.items, again.graders) == (result.items, result.graders)
    assert again.alpha == pytest.approx(result.alpha) if result.alpha is not None else again.alpha is None
    if result.percent_agreement is not None:
        assert again.percent_agreement == pytest.approx(result.percent_agreement)


CARD = {"name": "Calibration QA", "channels": ["phone"], "sections": [{"name": "S", "questions": [
    {"key": "empathy", "text": "Acknowledged feelings", "skill": "Empathy", "type": "yes_no", "allow_na": True,
     "guideline": "Yes when the agent names the customer's feeling."},
    {"key": "tone", "text": "Friendly tone", "skill": "Friendly tone", "type": "scale", "min": 1, "max": 5,
     "allow_na": True},
    {"key": "accuracy", "text": "Correct information", "skill": "Accuracy", "type": "yes_no"}]}]}
# Item -> grader -> (empathy, tone, accuracy); "N/A" is N/A. Lee is the benchmark.
GRADES = {
    "T1": {"Lee": ("Yes", 5, "Yes"), "Ann": ("Yes", 5, "Yes"), "Bob": ("Yes", 4, "Yes"), "Cy": ("N/A", 5, "Yes")},
    "T2": {"Lee": ("No", 3, "Yes"), "Ann": ("No", 2, "Yes"), "Bob": ("Yes", 3, "Yes"), "Cy": ("No", "N/A", "Yes")},
    "T3": {"Lee": ("Yes", 4, "Yes"), "Ann": ("Yes", 4, "Yes"), "Bob": ("Yes", 4, "Yes"), "Cy": ("Yes", 4, "Yes")},
    "T4": {"Lee": ("No", 2, "Yes"), "Ann": ("Yes", 3, "Yes"), "Bob": ("No", 1, "Yes"), "Cy": ("No", 2, "Yes")},
}


def answers(empathy, tone, accuracy) -> dict[str, Answer]:
    def one(value):
        return Answer(None, True) if value == "N/A" else Answer(value)
    return {"empathy": one(empathy), "tone": one(tone), "accuracy": one(accuracy)}


@pytest.fixture
def graded(tmp_path):
    ws = Workspace.open(tmp_path / "cal.qagrader")
    card = ws.scorecards.import_json(json.dumps(CARD)).scorecard
    for external_id in GRADES:
        add_interaction(ws, external_id)
    ids = {e: ws.interactions.by_external_id(e).id for e in GRADES}
    session = ws.calibration.create("March", card.id, interaction_ids=list(ids.values()), graders=["Ann", "Bob", "Cy"],
                                    benchmark="Lee", held_on="2026-03-12")
    for external_id, by_grader in GRADES.items():
        for grader, values in by_grader.items():
            save_calibration_grade(ws, session, ids[external_id], grader, answers(*values), submit=True)
    yield ws, session
    ws.close()


def test_results_are_hidden_until_the_session_is_closed(graded):
    ws, session = graded
    with pytest.raises(CalibrationError, match="'March' is still open: its results are shown once it is closed"):
        calibration_results(ws, session="March")
    empty = calibration_results(ws)
    assert empty.empty and [s.name for s in empty.open_sessions] == ["March"]
    assert empty.agreement.empty and empty.disagreements.empty


def test_per_question_agreement_of_a_session(graded):
    ws, session = graded
    ws.calibration.close(session)
    results = calibration_results(ws)
    table = results.agreement
    assert tuple(table.columns[:8]) == ("session", "question", "skill", "items", "graders", "percent_agreement",
                                        "alpha", "level") and tuple(table.columns) == AGREEMENT_COLUMNS
    assert list(table["session"]) == ["March"] * 3 + [ALL] * 3
    rows = table[table["session"] == "March"].set_index("question")
    graders = ["Lee", "Ann", "Bob", "Cy"]
    # empathy: nominal, N/A a category: coded Yes 0, No 1, N/A 2 by hand
    code = {"Yes": 0, "No": 1, "N/A": 2}
    empathy = [[code[GRADES[t][g][0]] for t in GRADES] for g in graders]
    assert rows.at["empathy", "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=empathy, level_of_measurement="nominal"))
    assert rows.at["empathy", "percent_agreement"] == pytest.approx(100 * (0.5 + 0.5 + 1 + 0.5) / 4)
    # tone: ordinal, N/A missing
    tone = [[np.nan if GRADES[t][g][1] == "N/A" else GRADES[t][g][1] for t in GRADES] for g in graders]
    assert rows.at["tone", "alpha"] == pytest.approx(krippendorff.alpha(
        reliability_data=np.array(tone, dtype=float), level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]))
    assert rows.at["tone", "percent_agreement"] == pytest.approx(100 * (0.5 + 1 / 3 + 1 + 1 / 6) / 4)
    assert (rows.at["tone", "level"], rows.at["empathy", "level"]) == ("ordinal", "nominal")
    assert pd.isna(rows.at["accuracy", "alpha"]) and rows.at["accuracy", "percent_agreement"] == 100.0
    assert rows.at["accuracy", "reason"] == "every answer was 'Yes': alpha needs some variation"
    assert (rows.at["empathy", "items"], rows.at["empathy", "graders"]) == (4, 4)
    assert rows.at["empathy", "guideline"] == "Yes when the agent names the customer's feeling."
    pooled = table[table["session"] == ALL].set_index("question")
    assert pooled.at["empathy", "alpha"] == pytest.approx(rows.at["empathy", "alpha"])


def test_disagreements_side_by_side_most_split_first(graded):
    ws, session = graded
    ws.calibration.close(session)
    split = calibration_results(ws, session="March").disagreements
    assert len(split) == 6  # empathy on T1, T2, T4; tone on T1, T2, T4
    # one pair in six agrees on the tone of T2 (Cy's N/A is an answer here) and of T4
    assert list(zip(split["question"][:2], split["interaction"][:2])) == [("tone", "T2"), ("tone", "T4")]
    assert list(split["agreement"][:2]) == pytest.approx([100 / 6, 100 / 6])
    assert split.iloc[1]["answers"] == "Ann: 3; Bob: 1; Cy: 2; Lee: 2" and split.iloc[1]["benchmark_answer"] == "2"
    assert split.iloc[0]["answers"] == "Ann: 2; Bob: 3; Cy: N/A; Lee: 3"
    first_empathy = split[split["question"] == "empathy"].iloc[0]
    assert first_empathy["guideline"].startswith("Yes when") and first_empathy["answers"].count(";") == 3
    assert list(split["agreement"]) == sorted(split["agreement"])


def test_alignment_and_leniency_against_the_benchmark_by_construction(graded):
    ws, session = graded
    ws.calibration.close(session)
    table = calibration_results(ws, session="March").graders.set_index("grader")
    assert tuple(calibration_results(ws).graders.columns) == GRADER_COLUMNS
    # answers equal to Lee's, counted by hand from GRADES: Ann 9 of 12, Bob 9 of 12, Cy 10 of 12
    for grader, equal in (("Ann", 9), ("Bob", 9), ("Cy", 10)):
        assert table.at[grader, "alignment"] == pytest.approx(100 * equal / 12)
        assert table.at[grader, "alignment_n"] == 12
        ci = stats.binomtest(equal, 12).proportion_ci(method="wilson")
        assert (table.at[grader, "alignment_low"], table.at[grader, "alignment_high"]) == pytest.approx(
            (100 * ci.low, 100 * ci.high))
    assert table.at["Lee", "role"] == "benchmark" and pd.isna(table.at["Lee", "alignment"])
    scores = {(g, e): s for g, e, s in ws.conn.execute(
        "SELECT g.name, i.external_id, e.score FROM evaluations e JOIN graders g ON g.id = e.grader_id "
        "JOIN interactions i ON i.id = e.interaction_id")}
    for grader in ("Ann", "Bob"):
        differences = np.array([scores[(grader, t)] - scores[("Lee", t)] for t in GRADES])
        half = stats.t.ppf(0.975, len(differences) - 1) * differences.std(ddof=1) / np.sqrt(len(differences))
        assert table.at[grader, "leniency"] == pytest.approx(differences.mean())
        assert (table.at[grader, "leniency_low"], table.at[grader, "leniency_high"]) == pytest.approx(
            (differences.mean() - half, differences.mean() + half))
        assert table.at[grader, "items"] == table.at[grader, "leniency_n"] == 4
    # Cy scored every item as Lee did: leniency 0 exactly, and no interval to draw from no spread
    assert table.at["Cy", "leniency"] == 0 and table.at["Cy", "leniency_n"] == 4
    assert pd.isna(table.at["Cy", "leniency_low"]) and pd.isna(table.at["Cy", "leniency_high"])


def test_without_a_benchmark_the_consensus_of_the_others_is_the_benchmark(graded):
    ws, session = graded
    ws.calibration.set_graders(session, ["Ann", "Bob", "Cy", "Lee"], benchmark=None)
    ws.calibration.close(session)
    table = calibration_results(ws, session="March").graders.set_index("grader")
    assert set(table["role"]) == {"grader"} and set(table["benchmark"]) == {"consensus"}
    # Cy against the most common answer of Lee, Ann and Bob: empathy Yes, No, Yes, No (Cy: N/A, No, Yes,
    # No); tone 5, 3, 4, none of 2, 3, 1 (Cy: 5, N/A, 4); accuracy Yes x4 -> 3 + 2 + 4 equal of 4 + 3 + 4
    assert table.at["Cy", "alignment"] == pytest.approx(100 * 9 / 11)
    assert table.at["Cy", "alignment_n"] == 11


def test_removed_graders_and_items_leave_the_results(graded):
    ws, session = graded
    ws.calibration.remove_items(session, [ws.interactions.by_external_id("T4").id])
    ws.calibration.set_graders(session, ["Ann", "Bob"], benchmark="Lee")
    ws.calibration.close(session)
    results = calibration_results(ws, session="March")
    assert set(results.graders["grader"]) == {"Ann", "Bob", "Lee"}
    assert set(results.agreement["items"]) == {3}


def test_skill_reliability_is_alpha_of_the_skill_scores(graded):
    ws, session = graded
    ws.calibration.close(session)
    skills = calibration_results(ws).skills.set_index("skill")
    graders = ["Lee", "Ann", "Bob", "Cy"]
    tone = [[np.nan if GRADES[t][g][1] == "N/A" else (GRADES[t][g][1] - 1) / 4 for t in GRADES] for g in graders]
    assert skills.at["Friendly tone", "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=np.array(tone, dtype=float), level_of_measurement="interval"))
    assert pd.isna(skills.at["Accuracy", "alpha"]) and skills.at["Accuracy", "reason"].startswith("every grade")


def test_sessions_by_date_and_the_trend(graded, tmp_path):
    ws, session = graded
    ws.calibration.close(session)
    card = ws.scorecards.get("Calibration QA").id
    april = ws.calibration.create("April", card, interaction_ids=[ws.interactions.by_external_id("T1").id],
                                  graders=["Ann", "Lee"], benchmark="Lee", held_on="2026-04-09")
    for grader in ("Ann", "Lee"):
        save_calibration_grade(ws, april, ws.interactions.by_external_id("T1").id, grader,
                               answers("Yes", 5, "Yes"), submit=True)
    ws.calibration.close(april)
    assert [s.name for s in calibration_results(ws, date_from="2026-04-01").sessions] == ["April"]
    assert [s.name for s in calibration_results(ws, date_to="2026-03-31").sessions] == ["March"]
    results = calibration_results(ws)
    ann = trend(results.graders)
    ann = ann[ann["grader"] == "Ann"]
    assert list(ann["session"]) == ["March", "April"] and list(ann["alignment"]) == pytest.approx([75.0, 100.0])
    pooled = results.graders[(results.graders["session"] == ALL) & (results.graders["grader"] == "Ann")].iloc[0]
    assert pooled["alignment_n"] == 15 and pooled["alignment"] == pytest.approx(100 * 12 / 15)
    overview = session_overview(calibration_results(ws, date_from="2026-03-01", date_to="2026-03-31"))
    assert list(overview["session"]) == ["March"] and overview.iloc[0]["items"] == 4
    march = results.agreement[results.agreement["session"] == "March"]
    assert overview.iloc[0]["median_alpha"] == pytest.approx(march["alpha"].dropna().median())
    assert overview.iloc[0]["unreliable"] == (march["alpha"] < 0.667).sum()
    for figure in (plot_agreement(results.agreement), plot_graders(results.graders),
                   plot_trends(trend(results.graders))):
        figure.savefig(tmp_path / "chart.png")
        assert (tmp_path / "chart.png").stat().st_size > 10_000


def test_the_skills_chart_shows_each_skills_alpha_and_warns_in_words(tmp_path):
    from qagrader.analysis import plots
    from qagrader.analysis.report import run_analysis, write_report
    from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

    design = SyntheticDesign(skills=(SkillSpec("empathy", 0.4, (SCALE5,)), SkillSpec("rapport", 0.1, (YES_NO,)),
                                     SkillSpec("accuracy", 0.3, (YES_NO,))), n_agents=10, n_teams=2)
    result = run_analysis(make_skill_frame(1500, design, seed=2))
    reliability = pd.DataFrame([  # as skill_reliability gives it; accuracy: no calibration data
        {"skill": "empathy", "alpha": 0.84, "items": 30, "graders": 4, "reading": "reliable", "reason": "", "sessions": 2},
        {"skill": "rapport", "alpha": 0.41, "items": 30, "graders": 4, "reading": "unreliable", "reason": "",
         "sessions": 2}])
    figure = plots.plot_correlations(result.correlations, reliability=reliability)
    labels = {re.split(r"  |\n", t.get_text())[0]: t for t in figure.axes[0].get_yticklabels()}
    assert "α 0.84" in labels["empathy"].get_text() and "disagree" not in labels["empathy"].get_text()
    rapport = labels["rapport"].get_text()
    assert "α 0.41, graders disagree" in rapport  # short, so that labels fit at the app's smallest size
    assert "below 0.667 the skill's association with CSAT is understated" in figure._supxlabel.get_text()
    assert labels["rapport"].get_fontweight() == "bold" and "α" not in labels["accuracy"].get_text()
    caption = figure._supxlabel.get_text()
    assert "Krippendorff's alpha of each skill's grades in 2 closed calibration sessions" in caption
    plain = plots.plot_correlations(result.correlations)
    assert all("α" not in t.get_text() for t in plain.axes[0].get_yticklabels())
    write_report(result, tmp_path / "out", reliability=reliability)
    summary = (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")
    assert ("Calibration: graders disagree on rapport (alpha 0.41, 30 calibration items); the association of "
            "this skill with CSAT is understated.") in summary
