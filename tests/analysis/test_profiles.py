"""Profiles: QA score intervals against scipy and simulations with a known answer, pass rates
per skill against the team's, the month's top agent and team with a stated minimum n, graders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qagrader.analysis.dataset import AnalysisFilters, load_score_frame
from qagrader.analysis.frames import load_skill_frame
from qagrader.analysis.profiles import (
    agent_priorities, agent_score, grader_comparison, grader_weeks, score_trend, skill_comparison, team_score,
    top_of_month,
)
from qagrader.core.demo.build import build_demo
from qagrader.core.storage.workspace import Workspace


def scores_frame(rng, agents=20, per_agent=15, agent_sd=8.0, noise_sd=10.0, mean=80.0, month="2026-09-01"):
    rows = []
    for a in range(agents):
        effect = rng.normal(0, agent_sd)
        for k in range(per_agent):
            when = pd.Timestamp(month) + pd.Timedelta(days=int(rng.integers(0, 28)))
            rows.append({"team": f"Team {a % 2}", "agent": f"A{a}", "grader": f"G{k % 3}", "channel": "phone",
                         "occurred_at": when, "graded_at": when, "score": mean + effect + rng.normal(0, noise_sd)})
    return pd.DataFrame(rows)


def test_agent_score_is_the_student_t_interval():
    values = np.array([72.0, 88, 91, 65, 80, 77, 94])
    summary = agent_score(pd.DataFrame({"score": values}))
    expected = stats.ttest_1samp(values, 0).confidence_interval(0.95)
    assert summary.n == 7 and summary.mean == pytest.approx(values.mean())
    assert (summary.ci_low, summary.ci_high) == pytest.approx((expected.low, expected.high))


def test_team_interval_covers_the_true_mean_when_scores_cluster_by_agent():
    rng = np.random.default_rng(11)
    covered = naive_covered = 0
    reps = 300
    for _ in range(reps):
        frame = scores_frame(rng)
        summary = team_score(frame)
        covered += summary.ci_low <= 80.0 <= summary.ci_high
        naive = stats.ttest_1samp(frame["score"], 0).confidence_interval(0.95)
        naive_covered += naive.low <= 80.0 <= naive.high
    assert 0.90 <= covered / reps <= 0.985
    assert naive_covered / reps < 0.85  # ignoring the clustering would be far too sure


def test_trend_by_week_counts_every_evaluation():
    frame = scores_frame(np.random.default_rng(3), agents=4, per_agent=10)
    trend = score_trend(frame, "W")
    assert trend["n"].sum() == len(frame)
    assert (trend["period"].dt.day_of_week == 0).all()
    first = frame[(frame["occurred_at"] >= trend["period"][0]) &
                  (frame["occurred_at"] < trend["period"][0] + pd.Timedelta(days=7))]
    assert trend["mean"][0] == pytest.approx(first["score"].mean())


def test_top_of_month_needs_the_stated_minimum():
    rng = np.random.default_rng(5)
    frame = scores_frame(rng, agents=6, per_agent=12)
    star = pd.DataFrame({"team": "Team 9", "agent": "Newcomer", "grader": "G0", "channel": "phone",
                         "occurred_at": pd.Timestamp("2026-09-03"), "graded_at": pd.Timestamp("2026-09-03"),
                         "score": [100.0] * 3})
    top = top_of_month(pd.concat([frame, star], ignore_index=True))
    assert top.month == pd.Timestamp("2026-09-01")
    best = frame.groupby("agent")["score"].mean().idxmax()
    assert top.agent["agent"] == best  # the newcomer's three perfect scores are not enough
    assert top.team["team"] in {"Team 0", "Team 1"}
    text = " ".join(top.sentences())
    assert "at least 10 evaluations" in text and "at least 30 evaluations" in text and "September 2026" in text
    none = top_of_month(star)
    assert none.agent is None and "none had at least 10" in none.sentences()[0]


def test_grader_difference_finds_a_known_leniency():
    rng = np.random.default_rng(8)
    frame = scores_frame(rng, agents=30, per_agent=20, agent_sd=0.0)
    frame.loc[frame["grader"] == "G1", "score"] += 6.0
    table = grader_comparison(frame).set_index("grader")
    lenient = table.loc["G1"]  # the true difference from the other two graders is +6
    assert 0 < lenient["ci_low"] <= 6.0 <= lenient["ci_high"]
    assert table.loc["G0", "difference"] < 0 and table["n"].sum() == len(frame)
    weeks = grader_weeks(frame)
    assert weeks.to_numpy().sum() == len(frame) and set(weeks.index) == {"G0", "G1", "G2"}


def test_profiles_on_a_real_workspace(tmp_path):
    with Workspace.open(tmp_path / "demo.qagrader") as ws:
        build_demo(ws, interactions=600, seed=4)
        scores = load_score_frame(ws, AnalysisFilters(channels=("phone",)))
        frame = load_skill_frame(ws, AnalysisFilters(channels=("phone",)))
    submitted = scores["evaluation_id"].nunique()
    assert submitted == len(scores) and set(scores["channel"]) == {"phone"}
    agent = scores.groupby(["team", "agent"]).size().idxmax()
    mine = scores[(scores["team"] == agent[0]) & (scores["agent"] == agent[1])]
    summary = agent_score(mine)
    assert summary.n == len(mine) and summary.ci_low < summary.mean < summary.ci_high
    comparison = skill_comparison(frame, *agent)
    assert {"performance", "ci_low", "team_performance", "team_ci_low", "all_performance"} <= set(comparison)
    row = comparison[comparison["kind"] == "pass rate"].iloc[0]
    agent_rows = frame[(frame["team"] == agent[0]) & (frame["agent"] == agent[1])][row["skill"]].dropna()
    wilson = stats.binomtest(int(agent_rows.sum()), len(agent_rows)).proportion_ci(method="wilson")
    assert row["n"] == len(agent_rows)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((wilson.low, wilson.high))
    priorities = agent_priorities(frame, *agent)
    assert list(priorities["rank"]) == list(range(1, len(priorities) + 1))
