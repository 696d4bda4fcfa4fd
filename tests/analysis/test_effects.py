"""What meeting a skill goes with, for every skill: against numpy/scipy (means, Welch, Wilson),
planted effects, survey points, behaviours to avoid, and the dose-response table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qagrader.analysis.effects import EFFECT_COLUMNS, HAPPENED, MET, dose_response, effects_table
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

DESIGN = SyntheticDesign(skills=(
    SkillSpec("wrong name", -0.3, (YES_NO,), fail_rate=0.05, polarity="negative"),
    SkillSpec("tone", 0.3, (SCALE5,)),
    SkillSpec("accuracy", 0.2, (YES_NO, YES_NO)),
), n_agents=30)


def _frame(met: list[float], csat: list[float], satisfied: list[float]) -> pd.DataFrame:
    n = len(met)
    frame = pd.DataFrame({
        "interaction_id": np.arange(n), "channel": "chat", "brand": "B", "team": "T",
        "agent": [f"a{i}" for i in range(n)], "grader": "g", "scorecard": "S",
        "occurred_at": pd.Timestamp("2025-01-01"), "graded_at": pd.Timestamp("2025-01-02"),
        "csat": csat, "satisfied": satisfied, "csat_scale": "1-5", "n_grades": 1, "blind": 1.0,
        "right name": met,
    })
    frame.attrs["polarity"] = {"right name": "positive"}
    return frame


def test_every_skill_and_channel_with_the_documented_columns():
    table = effects_table(make_skill_frame(3000, DESIGN, seed=1))
    assert tuple(table.columns) == EFFECT_COLUMNS
    assert list(dict.fromkeys(table["skill"])) == ["wrong name", "tone", "accuracy"]  # scales too
    assert list(table.loc[table["skill"] == "tone", "channel"]) == ["all", "phone", "email", "chat"]
    assert set(table.loc[table["skill"] == "wrong name", "compares"]) == {HAPPENED}
    assert set(table.loc[table["skill"] == "tone", "compares"]) == {MET}


def test_against_numpy_welch_and_wilson_with_independent_interactions():
    rng = np.random.default_rng(0)
    met = [1.0] * 170 + [0.0] * 80
    satisfied = [1.0] * 120 + [0.0] * 50 + [1.0] * 40 + [0.0] * 40
    csat = np.clip(np.array(satisfied) * 0.5 + rng.uniform(0, 0.5, 250), 0, 1)
    row = effects_table(_frame(met, csat, satisfied)).query("channel == 'all'").iloc[0]
    assert (row["n_with"], row["n_without"], row["n"]) == (170, 80, 250)
    assert row["csat_diff"] == pytest.approx(csat[:170].mean() - csat[170:].mean())
    welch = stats.ttest_ind(csat[:170], csat[170:], equal_var=False).confidence_interval(0.95)
    assert (row["csat_diff_ci_low"], row["csat_diff_ci_high"]) == pytest.approx((welch.low, welch.high), rel=5e-3)
    assert row["csat_diff_points"] == pytest.approx(4 * row["csat_diff"])  # a 1-5 scale: 4 points wide
    wilson = stats.binomtest(80, 250).proportion_ci(method="wilson")
    assert row["failure_rate"] == pytest.approx(80 / 250)
    assert (row["failure_ci_low"], row["failure_ci_high"]) == pytest.approx((wilson.low, wilson.high))
    p1, p2 = 120 / 170, 40 / 80
    assert row["satisfied_diff"] == pytest.approx(p1 - p2)
    se = np.sqrt(p1 * (1 - p1) / 170 + p2 * (1 - p2) / 80)  # the textbook (Wald) SE
    assert (row["satisfied_diff_ci_high"] - row["satisfied_diff_ci_low"]) / (2 * stats.norm.ppf(0.975)) == \
        pytest.approx(se, rel=0.02)  # t quantile on n - 1 df, jackknife n/(n-1)


def test_a_rarely_missed_skill_has_a_clear_cost_per_interaction():
    table = effects_table(make_skill_frame(20_000, DESIGN, seed=3))
    row = table.query("skill == 'wrong name' and channel == 'all'").iloc[0]
    assert row["failure_rate"] == pytest.approx(0.05, abs=0.01)  # the behaviour happened
    assert row["csat_diff"] < 0 and row["csat_diff_ci_high"] < 0   # it goes with lower CSAT
    assert row["csat_diff_points"] < -0.3                           # a large cost per interaction
    assert row["interval"] == "agent clusters"


def test_too_few_on_one_side_hides_the_differences():
    frame = _frame([1.0] * 100 + [0.0] * 5, np.linspace(0, 1, 105), [1.0, 0.0] * 52 + [1.0])
    row = effects_table(frame).iloc[0]
    assert row["note"] == "too few"
    assert row[["csat_diff", "csat_diff_ci_low", "satisfied_diff", "satisfied_diff_ci_high"]].isna().all()
    assert row["failure_rate"] == pytest.approx(5 / 105)


def test_constant_csat_gives_no_interval_and_no_warning(recwarn):
    frame = _frame([1.0] * 60 + [0.0] * 60, [0.75] * 120, [1.0] * 120)
    row = effects_table(frame).iloc[0]
    assert row["note"] == "CSAT does not vary" and np.isnan(row["csat_diff_ci_low"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_dose_response_means_per_level_equal_pandas():
    frame = make_skill_frame(4000, DESIGN, seed=4)
    table = dose_response(frame)
    assert set(table["skill"]) == {"tone", "accuracy"}  # yes/no (two levels) left out
    level = (frame["tone"] * 4).round() / 4
    expected = frame.groupby(level)["csat"].agg(["mean", "count"])
    rows = table.query("skill == 'tone' and channel == 'all'").set_index("level")
    np.testing.assert_allclose(rows["csat_mean"], expected["mean"])
    np.testing.assert_array_equal(rows["n_surveyed"], expected["count"])
    assert rows["csat_points"].to_numpy() == pytest.approx(1 + 4 * expected["mean"].to_numpy())
    assert (rows["ci_low"] < rows["csat_mean"]).all() and (rows["csat_mean"] < rows["ci_high"]).all()
    assert rows["csat_mean"].iloc[-1] > rows["csat_mean"].iloc[0]  # a planted positive skill
