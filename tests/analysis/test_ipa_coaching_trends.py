"""Coaching gaps (rest of the team, empirical Bayes, intervals, expected CSAT), importance-
performance per skill, and trends with intervals: against direct computation, scipy, and
planted data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from qagrader.analysis._stats import mean_ci, wilson_ci
from qagrader.analysis.coaching import agent_skill_matrix, coaching_priorities, prior_strength
from qagrader.analysis.effects import effects_table
from qagrader.analysis.ipa import (CONCENTRATE, IPA_COLUMNS, KEEP_UP, LOW_PRIORITY, OVERKILL,
                                   importance_performance, quadrant, skill_importance)
from qagrader.analysis.synthetic import STUDY_SKILLS, SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame
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


def test_prior_strength_recovers_a_planted_beta_binomial():
    """Agents' true rates drawn from Beta(16, 4) (prior strength 20): the method of moments
    recovers it from 50 interactions per agent."""
    rng = np.random.default_rng(2)
    rates = rng.beta(16, 4, 2000)
    n = np.full(2000, 50.0)
    k = rng.binomial(50, rates).astype(float)
    assert prior_strength(k, n, np.full(2000, 0.8)) == pytest.approx(20, rel=0.2)


def test_gaps_compare_each_agent_with_the_rest_of_the_team():
    frame = make_skill_frame(3000, DESIGN, seed=1)
    table = coaching_priorities(frame, effects_table(frame))
    row = table[(table["agent"] == "Agent 004") & (table["skill"] == "right name")].iloc[0]
    mine = frame[frame["agent"] == "Agent 004"]["right name"].dropna()
    rest = frame[(frame["team"] == row["team"]) & (frame["agent"] != "Agent 004")]["right name"].dropna()
    assert (row["n"], row["team_n"]) == (len(mine), len(rest))
    assert row["rate"] == pytest.approx((mine > 0.5).mean())
    assert row["team_rate"] == pytest.approx((rest > 0.5).mean())          # the agent excluded
    assert min(row["rate"], row["team_rate"]) <= row["shrunk_rate"] <= max(row["rate"], row["team_rate"])
    assert row["gap"] == pytest.approx(row["shrunk_rate"] - row["team_rate"])
    assert row["gap_ci_low"] < row["gap"] < row["gap_ci_high"]
    effect = effects_table(frame).query("skill == 'right name' and channel == 'all'")["csat_diff"].iloc[0]
    assert row["priority"] == pytest.approx((row["team_rate"] - row["shrunk_rate"]) * effect)
    assert row["priority_points"] == pytest.approx(4 * row["priority"])  # CSAT points on 1-5


def _planted(seed: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """24 agents, each clearly weaker than their team on one skill that matters."""
    design = SyntheticDesign(skills=STUDY_SKILLS, n_agents=24, n_teams=3, agent_effect_sd=0.1)
    frame = make_skill_frame(7200, design, seed=seed)
    rng = np.random.default_rng(seed)
    planted_skills = ["authenticity", "friendly tone", "empathy", "accuracy", "negative tone", "etiquette"]
    planted = {}
    for i, agent in enumerate(sorted(frame["agent"].unique())):
        skill = planted_skills[i % len(planted_skills)]
        planted[agent] = skill
        mine = (frame["agent"] == agent).to_numpy() & (rng.random(len(frame)) < 0.4)
        frame.loc[mine, skill] = 1.0 if skill == "negative tone" else 0.0  # missed (or happened)
    return frame, planted


def test_coaching_ranks_are_stable_on_split_halves_and_find_the_planted_gap():
    frame, planted = _planted(seed=3)
    half = np.random.default_rng(4).random(len(frame)) < 0.5
    tops = []
    for part in (frame[half], frame[~half]):
        part = part.copy()
        part.attrs = frame.attrs
        table = coaching_priorities(part, effects_table(part))
        tops.append(table[table["rank"] == 1].set_index("agent")["skill"])
    agree = sum(tops[0].get(a) == tops[1].get(a) for a in planted)
    right = sum(tops[0].get(a) == planted[a] for a in planted)
    assert agree >= 21 and right >= 21, (agree, right)


def test_only_gaps_that_hold_are_ranked_and_none_without_csat():
    frame, _ = _planted(seed=5)
    table = coaching_priorities(frame, effects_table(frame))
    ranked = table[table["rank"].notna()]
    assert ((ranked["gap_ci_low"] > 0) | (ranked["gap_ci_high"] < 0)).all() and (ranked["priority"] > 0).all()
    assert ranked["effect_holds"].all() and not table[~table["effect_holds"]]["rank"].notna().any()
    for _, rows in ranked.groupby("agent"):
        assert list(rows.sort_values("rank")["priority"]) == sorted(rows["priority"], reverse=True)
    no_csat = frame.assign(csat=np.nan, satisfied=np.nan)
    no_csat.attrs = frame.attrs
    assert coaching_priorities(no_csat, effects_table(no_csat))["rank"].isna().all()


def test_a_behaviour_to_avoid_ranks_when_it_happens_more_often():
    frame, planted = _planted(seed=6)
    agent = next(a for a, s in planted.items() if s == "negative tone")
    row = coaching_priorities(frame, effects_table(frame)).query("agent == @agent and rank == 1").iloc[0]
    assert row["skill"] == "negative tone" and row["polarity"] == "negative"
    assert row["gap"] > 0 and row["priority"] > 0   # happened more often than in the team


def test_agents_with_few_evaluations_are_marked():
    frame = make_skill_frame(2000, DESIGN, seed=4)
    frame = pd.concat([frame, frame.iloc[:3].assign(agent="Newcomer", team="Team 1")], ignore_index=True)
    table = coaching_priorities(frame, effects_table(frame))
    assert table.loc[table["agent"] == "Newcomer", "few_evaluations"].all()
    assert table.loc[table["agent"] == "Newcomer", "evaluations"].eq(3).all()
    assert not table.loc[table["agent"] == "Agent 001", "few_evaluations"].any()


def test_the_heatmap_shows_the_same_gaps_as_the_table():
    frame = make_skill_frame(2000, DESIGN, seed=5)
    table = coaching_priorities(frame, effects_table(frame))
    matrix = agent_skill_matrix(table)
    row = table[(table["agent"] == "Agent 007") & (table["skill"] == "rapport")].iloc[0]
    assert matrix.loc[(row["team"], "Agent 007"), "rapport"] == row["gap"]  # same sign everywhere
    assert list(matrix.columns) == ["empathy", "right name", "rapport"]
    assert agent_skill_matrix(table, "n").loc[(row["team"], "Agent 007"), "rapport"] == row["n"]


def test_quadrants_follow_martilla_and_james_and_need_a_clear_gap():
    names = quadrant(np.array([-0.2, 0.1, -0.2, 0.1, -0.05, np.nan]), np.array([0.5, 0.5, 0.0, 0.0, 0.5, 0.5]),
                     np.zeros(6), np.full(6, 0.25), np.array([-0.1, 0.2, -0.1, 0.2, 0.02, 0.1]))
    assert list(names) == [CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL, KEEP_UP, ""]


def test_importance_performance_compares_each_skill_with_its_own_reference():
    frame, planted = _planted(seed=7)
    effects = effects_table(frame)
    table = importance_performance(frame, effects)
    assert tuple(table.columns) == IPA_COLUMNS
    assert set(table["level"]) == {"all", "team", "agent"}
    importance = skill_importance(effects).set_index("skill")["importance"]
    assert importance["negative tone"] > 0  # avoiding it goes with higher CSAT
    for skill, value in importance.items():  # the same importance for every entity
        assert (table.loc[table["skill"] == skill, "importance"] == value).all()
    agents = table[table["level"] == "agent"]
    below = agents[agents["quadrant"].isin([CONCENTRATE, LOW_PRIORITY])]  # clearly below the team
    hits = sum(planted[a] == s for a, s in zip(below["agent"], below["skill"]))
    assert hits >= 0.8 * len(planted) and len(below) <= 1.5 * len(planted), (hits, len(below))
    concentrate = agents[agents["quadrant"] == CONCENTRATE]
    assert (concentrate["importance"] >= concentrate["y_cut"]).all() and (concentrate["ci_high"] < 0).all()
    assert (table.loc[table["level"] == "all", "quadrant"] == "").all()  # nothing to compare with


def test_weekly_trends_start_on_monday_count_every_interaction_and_carry_intervals():
    frame = make_skill_frame(1500, DESIGN, seed=6).assign(
        occurred_at=lambda f: pd.Timestamp("2025-03-01") + pd.to_timedelta(np.arange(len(f)) % 70, unit="D"))
    table = skill_trends(frame, freq="W")
    overall = table[table["level"] == "all"]
    assert (overall["period"].dt.day_of_week == 0).all()
    empathy = overall[overall["metric"] == "empathy"]
    assert empathy["n"].sum() == frame["empathy"].notna().sum()
    week = empathy["period"].iloc[2]
    in_week = frame[period_start(frame["occurred_at"], "W") == week]["empathy"].dropna()
    assert empathy["mean"].iloc[2] == pytest.approx(in_week.mean())
    ci = stats.ttest_1samp(in_week, 0).confidence_interval(0.95)
    assert (empathy["ci_low"].iloc[2], empathy["ci_high"].iloc[2]) == pytest.approx((ci.low, ci.high))
    csat = overall[overall["metric"] == "CSAT"]
    assert csat["n"].sum() == frame["csat"].notna().sum()
    agent = table[(table["level"] == "agent") & (table["agent"] == "Agent 003") & (table["metric"] == "rapport")]
    assert agent["n"].sum() == frame.loc[frame["agent"] == "Agent 003", "rapport"].notna().sum()


def test_auto_period_is_monthly_over_long_spans():
    frame = make_skill_frame(500, DESIGN, seed=7)  # a year of dates
    periods = skill_trends(frame, per_agent=False)["period"]
    assert (periods.dt.day == 1).all() and periods.nunique() == 12
