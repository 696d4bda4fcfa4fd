"""Importance-performance, coaching priorities and trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from qagrader.analysis._stats import mean_ci, wilson_ci
from qagrader.analysis.coaching import agent_skill_matrix, coaching_priorities
from qagrader.analysis.correlation import skill_correlations
from qagrader.analysis.ipa import (CONCENTRATE, IPA_COLUMNS, KEEP_UP, LOW_PRIORITY, OVERKILL,
                                   importance_performance, performance, quadrant, skill_importance)
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame
from qagrader.analysis.trends import period_start, skill_trends

DESIGN = SyntheticDesign(skills=(
    SkillSpec("empathy", 0.45, (SCALE5,)), SkillSpec("right name", 0.15, (YES_NO,), fail_rate=0.1),
    SkillSpec("rapport", 0.02, (SCALE5, YES_NO)),
), n_agents=12, n_teams=3)


@given(st.integers(0, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_equals_scipy(kn):
    k, n = kn
    low, high = wilson_ci(k, n)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    expected = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert (float(low), float(high)) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_mean_interval_equals_scipy():
    x = np.random.default_rng(1).uniform(size=37)
    low, high = mean_ci(x.mean(), x.std(ddof=1), len(x))
    expected = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (float(low), float(high)) == pytest.approx((expected.low, expected.high))


def test_performance_per_agent_matches_direct_computation():
    frame = make_skill_frame(3000, DESIGN, seed=1)
    table = performance(frame, level="agent")
    row = table[(table["agent"] == "Agent 004") & (table["skill"] == "right name")].iloc[0]
    values = frame.loc[frame["agent"] == "Agent 004", "right name"].dropna()
    ci = stats.binomtest(int(values.sum()), len(values)).proportion_ci(method="wilson")
    assert row["kind"] == "pass rate" and row["n"] == len(values)
    assert row["performance"] == pytest.approx(values.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    row = table[(table["agent"] == "Agent 004") & (table["skill"] == "empathy")].iloc[0]
    values = frame.loc[frame["agent"] == "Agent 004", "empathy"].dropna()
    assert row["kind"] == "mean score" and row["performance"] == pytest.approx(values.mean())
    ci = stats.ttest_1samp(values, 0).confidence_interval()
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_quadrants_follow_martilla_and_james():
    names = quadrant(np.array([0.2, 0.9, 0.2, 0.9, np.nan]), np.array([0.5, 0.5, 0.0, 0.0, 0.5]),
                     np.full(5, 0.5), np.full(5, 0.25))
    assert list(names) == [CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL, ""]


def test_importance_performance_uses_population_importance_and_entity_means():
    frame = make_skill_frame(4000, DESIGN, seed=2)
    correlations = skill_correlations(frame)
    importance = skill_importance(correlations)
    table = importance_performance(frame, importance)
    assert tuple(table.columns) == IPA_COLUMNS
    assert set(table["level"]) == {"all", "team", "agent"}
    for skill, rho in importance.items():  # same importance for every entity
        assert (table.loc[table["skill"] == skill, "importance"] == rho).all()
    agent = table[(table["level"] == "agent") & (table["agent"] == "Agent 002")]
    assert agent["x_cut"].iloc[0] == pytest.approx(agent["performance"].mean())
    assert agent["y_cut"].iloc[0] == pytest.approx(importance.mean())
    with pytest.raises(ValueError):
        skill_importance(correlations, None, "share")


def test_coaching_puts_the_planted_gap_first():
    frame = make_skill_frame(6000, DESIGN, seed=3)
    weak = frame["agent"] == "Agent 005"
    frame.loc[weak, "empathy"] = (frame.loc[weak, "empathy"] - 0.4).clip(lower=0)
    importance = skill_importance(skill_correlations(frame))
    table = coaching_priorities(frame, importance)
    agent = table[table["agent"] == "Agent 005"].sort_values("rank")
    assert agent["skill"].iloc[0] == "empathy"
    top = agent.iloc[0]
    team_values = frame.loc[frame["team"] == top["team"], "empathy"].dropna()
    agent_values = frame.loc[weak, "empathy"].dropna()
    assert top["team_mean"] == pytest.approx(team_values.mean()) and top["team_n"] == len(team_values)
    assert top["agent_mean"] == pytest.approx(agent_values.mean()) and top["agent_n"] == len(agent_values)
    assert top["priority"] == pytest.approx((team_values.mean() - agent_values.mean()) * importance["empathy"])
    assert list(agent["rank"]) == [1, 2, 3]


def test_agents_with_few_evaluations_are_marked():
    frame = make_skill_frame(2000, DESIGN, seed=4)
    frame = pd.concat([frame, frame.iloc[:3].assign(agent="Newcomer", team="Team 1")], ignore_index=True)
    table = coaching_priorities(frame, pd.Series({"empathy": 0.4, "right name": 0.1, "rapport": 0.0}))
    assert table.loc[table["agent"] == "Newcomer", "few_evaluations"].all()
    assert table.loc[table["agent"] == "Newcomer", "evaluations"].eq(3).all()
    assert not table.loc[table["agent"] == "Agent 001", "few_evaluations"].any()


def test_agent_matrix_is_agent_mean_minus_team_mean():
    frame = make_skill_frame(2000, DESIGN, seed=5)
    matrix = agent_skill_matrix(frame)
    team = frame.loc[frame["agent"] == "Agent 007", "team"].iloc[0]
    expected = (frame.loc[frame["agent"] == "Agent 007", "rapport"].mean()
                - frame.loc[frame["team"] == team, "rapport"].mean())
    assert matrix.loc[(team, "Agent 007"), "rapport"] == pytest.approx(expected)
    assert list(matrix.columns) == ["empathy", "right name", "rapport"]


def test_weekly_trends_start_on_monday_and_count_every_evaluation():
    frame = make_skill_frame(1500, DESIGN, seed=6).assign(
        occurred_at=lambda f: pd.Timestamp("2025-03-01") + pd.to_timedelta(np.arange(len(f)) % 70, unit="D"))
    table = skill_trends(frame, freq="W")
    overall = table[table["level"] == "all"]
    assert (overall["period"].dt.day_of_week == 0).all()
    empathy = overall[overall["metric"] == "empathy"]
    assert empathy["n"].sum() == frame["empathy"].notna().sum()
    week = empathy["period"].iloc[2]
    in_week = frame[period_start(frame["occurred_at"], "W") == week]
    assert empathy["mean"].iloc[2] == pytest.approx(in_week["empathy"].mean())
    csat = overall[overall["metric"] == "CSAT"]
    assert csat["n"].sum() == frame["csat"].notna().sum()
    agent = table[(table["level"] == "agent") & (table["agent"] == "Agent 003") & (table["metric"] == "rapport")]
    assert agent["n"].sum() == frame.loc[frame["agent"] == "Agent 003", "rapport"].notna().sum()


def test_auto_period_is_monthly_over_long_spans():
    frame = make_skill_frame(500, DESIGN, seed=7)  # a year of dates
    periods = skill_trends(frame, per_agent=False)["period"]
    assert (periods.dt.day == 1).all() and periods.nunique() == 12
