"""Coaching priorities per agent, and the agent x skill matrix relative to the team mean.

For each agent and skill: gap = team mean - agent mean (positive = the agent is below their
team; the team mean includes the agent), priority = gap x importance, where importance is the
skill's population-wide importance clipped at 0 (a skill not positively associated with CSAT
is not a CSAT coaching priority). Skills are ranked by priority within each agent. Agents with
fewer than `MIN_EVALUATIONS` evaluations are marked: their means are too noisy to act on.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .dataset import skills_of

MIN_EVALUATIONS = 10
PRIORITY_COLUMNS: tuple[str, ...] = (
    "team", "agent", "evaluations", "few_evaluations", "rank", "skill", "agent_mean",
    "agent_n", "team_mean", "team_n", "gap", "importance", "priority",
)


def _means(frame: pd.DataFrame, skills: list[str]) -> tuple[pd.DataFrame, ...]:
    """Agent means and counts (index team, agent) and team means and counts (index team)."""
    by_agent = frame.groupby(["team", "agent"], dropna=False)[skills]
    by_team = frame.groupby("team", dropna=False)[skills]
    return by_agent.mean(), by_agent.count(), by_team.mean(), by_team.count()


def agent_skill_matrix(frame: pd.DataFrame, skills: Sequence[str] | None = None) -> pd.DataFrame:
    """Agent mean minus team mean per skill (rows: (team, agent); columns: skills)."""
    skills = list(skills_of(frame) if skills is None else skills)
    agent_mean, _, team_mean, _ = _means(frame, skills)
    teams = agent_mean.index.get_level_values("team")
    return agent_mean - team_mean.reindex(teams).to_numpy()


def coaching_priorities(frame: pd.DataFrame, importance: pd.Series,
                        skills: Sequence[str] | None = None, *,
                        min_evaluations: int = MIN_EVALUATIONS) -> pd.DataFrame:
    """One row per agent x skill (columns `PRIORITY_COLUMNS`), rank 1 = coach first."""
    skills = list(skills_of(frame) if skills is None else skills)
    agent_mean, agent_n, team_mean, team_n = _means(frame, skills)
    teams = agent_mean.index.get_level_values("team")
    evaluations = frame.groupby(["team", "agent"], dropna=False).size()

    def long(table: pd.DataFrame, name: str) -> pd.Series:
        return table.stack(future_stack=True).rename(name)

    rows = pd.concat([
        long(agent_mean, "agent_mean"), long(agent_n, "agent_n"),
        long(team_mean.reindex(teams).set_axis(agent_mean.index), "team_mean"),
        long(team_n.reindex(teams).set_axis(agent_mean.index), "team_n"),
    ], axis=1)
    rows.index.names = ["team", "agent", "skill"]
    rows = rows.reset_index()
    rows["evaluations"] = evaluations.reindex(pd.MultiIndex.from_frame(rows[["team", "agent"]])).to_numpy()
    rows["few_evaluations"] = rows["evaluations"] < min_evaluations
    rows["gap"] = rows["team_mean"] - rows["agent_mean"]
    rows["importance"] = rows["skill"].map(importance).astype("float64")
    rows["priority"] = rows["gap"] * rows["importance"].clip(lower=0)
    rows = rows.sort_values(["team", "agent", "priority"], ascending=[True, True, False],
                            na_position="last", kind="stable")
    rows["rank"] = rows.groupby(["team", "agent"], dropna=False).cumcount() + 1
    for column in ("agent_n", "team_n", "evaluations"):
        rows[column] = rows[column].astype("int64")
    return rows[list(PRIORITY_COLUMNS)].reset_index(drop=True)
