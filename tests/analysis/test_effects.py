"""Effects of yes/no skills: passed vs failed, with intervals checked against scipy / Newcombe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qagrader.analysis.effects import EFFECT_COLUMNS, yes_no_effects
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame


def _frame(passed: list[float], csat: list[float], satisfied: list[float], channel: str = "chat"):
    n = len(passed)
    return pd.DataFrame({
        "evaluation_id": np.arange(n), "channel": channel, "brand": "B", "team": "T", "agent": "A",
        "grader": "g", "scorecard": "S", "occurred_at": pd.Timestamp("2025-01-01"),
        "graded_at": pd.Timestamp("2025-01-02"), "csat": csat, "satisfied": satisfied,
        "right name": passed,
    })


def test_newcombe_published_example_and_scipy_intervals():
    """Newcombe (1998), example (a): 56/70 vs 48/80, hybrid score interval 0.0524 to 0.3339."""
    rng = np.random.default_rng(0)
    passed = [1.0] * 70 + [0.0] * 80
    satisfied = [1.0] * 56 + [0.0] * 14 + [1.0] * 48 + [0.0] * 32
    csat = np.clip(np.array(satisfied) * 0.5 + rng.uniform(0, 0.5, 150), 0, 1)
    row = yes_no_effects(_frame(passed, csat, satisfied)).query("channel == 'all'").iloc[0]
    assert row["satisfied_diff"] == pytest.approx(56 / 70 - 48 / 80)
    assert row["satisfied_diff_ci_low"] == pytest.approx(0.0524, abs=5e-4)
    assert row["satisfied_diff_ci_high"] == pytest.approx(0.3339, abs=5e-4)
    welch = stats.ttest_ind(csat[:70], csat[70:], equal_var=False).confidence_interval(0.95)
    assert (row["csat_diff_ci_low"], row["csat_diff_ci_high"]) == pytest.approx((welch.low, welch.high))
    assert row["csat_diff"] == pytest.approx(csat[:70].mean() - csat[70:].mean())
    wilson = stats.binomtest(80, 150).proportion_ci(method="wilson")
    assert row["failure_rate"] == pytest.approx(80 / 150)
    assert (row["failure_ci_low"], row["failure_ci_high"]) == pytest.approx((wilson.low, wilson.high))
    assert (row["n_pass"], row["n_fail"], row["n"]) == (70, 80, 150)


def test_only_yes_no_skills_and_all_channels():
    frame = make_skill_frame(3000, SyntheticDesign(skills=(
        SkillSpec("name", 0.2, (YES_NO,), fail_rate=0.05), SkillSpec("tone", 0.3, (SCALE5,)))))
    table = yes_no_effects(frame)
    assert tuple(table.columns) == EFFECT_COLUMNS
    assert set(table["skill"]) == {"name"}
    assert list(table["channel"]) == ["all", "phone", "email", "chat"]


def test_planted_rare_failure_has_a_clear_effect():
    design = SyntheticDesign(skills=(SkillSpec("wrong name", 0.35, (YES_NO,), fail_rate=0.05),))
    row = yes_no_effects(make_skill_frame(20_000, design, seed=3)).iloc[0]
    assert row["failure_rate"] == pytest.approx(0.05, abs=0.01)
    assert row["csat_diff_ci_low"] > 0 and row["satisfied_diff_ci_low"] > 0


def test_too_few_in_a_group_hides_the_differences():
    passed = [1.0] * 100 + [0.0] * 5
    frame = _frame(passed, np.linspace(0, 1, 105), [1.0, 0.0] * 52 + [1.0])
    row = yes_no_effects(frame).iloc[0]
    assert row["note"] == "too few"
    assert row[["csat_diff", "csat_diff_ci_low", "satisfied_diff", "satisfied_diff_ci_high"]].isna().all()
    assert row["failure_rate"] == pytest.approx(5 / 105)
