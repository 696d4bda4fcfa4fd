"""Agent, team and grader profiles for the lead's screen: QA score with CI and n, its trend,
pass rates per skill against the team's, coaching priorities, the month's top agent and team,
and how many evaluations each grader makes and how their scores compare with the others'.

QA scores come from `dataset.load_score_frame` (one row per evaluation: a QA score belongs to
an evaluation); skill pass rates and coaching priorities come from the analysis frame
(`frames.load_skill_frame`) through `ipa.performance` and `coaching.coaching_priorities`, so
they follow the analysis' conventions (a behaviour to avoid is reported as its occurrence).

Intervals are 95%. An agent's mean QA score uses the Student-t interval over their
evaluations. A team's mean pools several agents whose scores cluster by agent, so its interval
is a delete-one-agent jackknife (t with agents - 1 degrees of freedom); intervals that ignore
the clustering are too narrow. A grader's difference from the other graders is Welch's
interval; it compares whoever they happened to grade, so it is an association with the grader,
not proof of leniency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._stats import mean_ci, t_ppf, welch_interval
from .coaching import coaching_priorities
from .dataset import skills_of
from .effects import effects_table
from .ipa import performance
from .trends import choose_freq, period_start

MIN_TOP_AGENT = 10
"""Evaluations an agent needs in the month to be named its top agent."""
MIN_TOP_TEAM = 30
"""Evaluations a team needs in the month to be named its top team."""


@dataclass(frozen=True)
class ScoreSummary:
    """A mean QA score (0..100) with its 95% interval and n evaluations (and agents)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    agents: int = 1

    def text(self) -> str:
        if self.n == 0:
            return "no evaluations"
        interval = "" if np.isnan(self.ci_low) else f" (95% CI {self.ci_low:.1f}–{self.ci_high:.1f})"
        return f"{self.mean:.1f}%{interval}, n = {self.n:,}"


_EMPTY = ScoreSummary(float("nan"), float("nan"), float("nan"), 0, 0)


def agent_score(scores: pd.DataFrame) -> ScoreSummary:
    """Mean QA score of these evaluations (one agent's) with a Student-t interval."""
    values = scores["score"].dropna().to_numpy(dtype="float64")
    if not len(values):
        return _EMPTY
    low, high = mean_ci(values.mean(), values.std(ddof=1) if len(values) > 1 else np.nan, len(values))
    return ScoreSummary(float(values.mean()), float(low), float(high), len(values), 1)


def team_score(scores: pd.DataFrame) -> ScoreSummary:
    """Mean QA score over the evaluations of several agents, with a delete-one-agent jackknife
    interval (scores cluster by agent). With one agent: that agent's interval."""
    data = scores.dropna(subset=["score"])
    if data.empty:
        return _EMPTY
    by_agent = data.groupby("agent")["score"].agg(["sum", "count"])
    groups = len(by_agent)
    if groups < 2:
        return agent_score(data)
    total, n = by_agent["sum"].sum(), by_agent["count"].sum()
    mean = total / n
    leave_out = (total - by_agent["sum"]) / (n - by_agent["count"])
    variance = (groups - 1) / groups * ((leave_out - leave_out.mean()) ** 2).sum()
    half = float(t_ppf(0.975, groups - 1)) * np.sqrt(variance)
    return ScoreSummary(float(mean), float(mean - half), float(mean + half), int(n), groups)


def score_trend(scores: pd.DataFrame, freq: str = "auto") -> pd.DataFrame:
    """Mean QA score per week ("W") or month ("M"; "auto": months beyond 26 weeks) with its
    t interval and n: columns period, n, mean, ci_low, ci_high."""
    dates = scores["occurred_at"].fillna(scores["graded_at"])
    if freq == "auto":
        freq = choose_freq(dates)
    data = scores.assign(period=period_start(dates, freq)).dropna(subset=["period", "score"])
    table = data.groupby("period")["score"].agg(["count", "mean", "std"]).reset_index()
    low, high = mean_ci(table["mean"], table["std"], table["count"])
    return pd.DataFrame({"period": table["period"], "n": table["count"].astype("int64"), "mean": table["mean"],
                         "ci_low": low, "ci_high": high})


def skill_comparison(frame: pd.DataFrame, team: str, agent: str | None = None) -> pd.DataFrame:
    """Per skill: the agent's (or, without `agent`, the team's) pass rate (or mean score for
    scale skills) with n and 95% CI, beside the team's and everyone's. Columns: skill, kind, n,
    performance, ci_low, ci_high, then the same with ``team_`` and ``all_`` prefixes."""
    skills = skills_of(frame)
    columns = ["skill", "kind", "n", "performance", "ci_low", "ci_high"]
    if not skills or frame.empty:
        return pd.DataFrame(columns=columns + [f"{p}_{c}" for p in ("team", "all") for c in columns[2:]])
    teams = performance(frame, skills, "team")
    team_rows = teams[teams["team"] == team].set_index("skill")
    everyone = performance(frame, skills, "all").set_index("skill")
    if agent is None:
        own = team_rows
    else:
        agents = performance(frame[frame["team"] == team], skills, "agent")
        own = agents[agents["agent"] == agent].set_index("skill")
    out = own[columns[1:]].copy()
    for prefix, other in (("team", team_rows), ("all", everyone)):
        for column in columns[2:]:
            out[f"{prefix}_{column}"] = other[column].reindex(out.index)
    out = out[out["n"] > 0].reset_index()
    return out.sort_values("skill", kind="stable").reset_index(drop=True)


def agent_priorities(frame: pd.DataFrame, team: str, agent: str) -> pd.DataFrame:
    """The agent's ranked coaching priorities from the analysis (`coaching.coaching_priorities`:
    gaps against the rest of the team that hold, on skills whose CSAT effect over everyone in
    `frame` holds), rank 1 first; empty when nothing is ranked (or there is no CSAT)."""
    skills = skills_of(frame)
    if not skills or frame.empty:
        return pd.DataFrame()
    priorities = coaching_priorities(frame, effects_table(frame, skills), skills)
    mine = priorities[(priorities["team"] == team) & (priorities["agent"] == agent) & priorities["rank"].notna()]
    return mine.sort_values("rank").reset_index(drop=True)


def agent_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Agents by mean QA score (highest first): team, agent, n, mean, ci_low, ci_high."""
    rows = []
    for (team, agent), group in scores.groupby(["team", "agent"]):
        summary = agent_score(group)
        rows.append((team, agent, summary.n, summary.mean, summary.ci_low, summary.ci_high))
    table = pd.DataFrame(rows, columns=["team", "agent", "n", "mean", "ci_low", "ci_high"])
    return table.sort_values(["mean", "n"], ascending=[False, False], kind="stable").reset_index(drop=True)


def team_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Teams by mean QA score (highest first): team, agents, n, mean, ci_low, ci_high."""
    rows = []
    for team, group in scores.groupby("team"):
        summary = team_score(group)
        rows.append((team, summary.agents, summary.n, summary.mean, summary.ci_low, summary.ci_high))
    table = pd.DataFrame(rows, columns=["team", "agents", "n", "mean", "ci_low", "ci_high"])
    return table.sort_values(["mean", "n"], ascending=[False, False], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class TopOfMonth:
    """The month's top agent and team by mean QA score, among those with enough evaluations."""

    month: pd.Timestamp | None
    agent: pd.Series | None  # a row of `agent_table`
    team: pd.Series | None  # a row of `team_table`
    min_agent: int = MIN_TOP_AGENT
    min_team: int = MIN_TOP_TEAM

    def sentences(self) -> list[str]:
        if self.month is None:
            return ["No evaluations yet."]
        month = self.month.strftime("%B %Y")
        out = []
        for label, row, minimum, who in (("agent", self.agent, self.min_agent, "agent"),
                                         ("team", self.team, self.min_team, "team")):
            if row is None:
                out.append(f"Top {label} of {month}: none had at least {minimum} evaluations.")
            else:
                name = row[who] if who == "team" else f"{row['agent']} ({row['team']})"
                out.append(f"Top {label} of {month}: {name}, average QA score {row['mean']:.1f}% "
                           f"(95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}, n = {int(row['n'])}; "
                           f"only {label}s with at least {minimum} evaluations that month count).")
        return out


def top_of_month(scores: pd.DataFrame, month: pd.Timestamp | None = None, *,
                 min_agent: int = MIN_TOP_AGENT, min_team: int = MIN_TOP_TEAM) -> TopOfMonth:
    """The top agent and team of `month` (default: the latest month with evaluations), dated by
    the interaction (else the grading date)."""
    dates = scores["occurred_at"].fillna(scores["graded_at"])
    months = period_start(dates, "M")
    if month is None:
        if months.dropna().empty:
            return TopOfMonth(None, None, None, min_agent, min_team)
        month = months.max()
    chosen = scores[months == month]
    agents = agent_table(chosen)
    agents = agents[agents["n"] >= min_agent]
    teams = team_table(chosen)
    teams = teams[teams["n"] >= min_team]
    return TopOfMonth(month, None if agents.empty else agents.iloc[0], None if teams.empty else teams.iloc[0],
                      min_agent, min_team)


def grader_weeks(scores: pd.DataFrame) -> pd.DataFrame:
    """Evaluations per grader (rows) per week (columns: the Monday), by grading date."""
    week = period_start(scores["graded_at"], "W")
    table = pd.crosstab(scores["grader"], week)
    table.columns = [c.date() for c in table.columns]
    return table


def grader_comparison(scores: pd.DataFrame) -> pd.DataFrame:
    """Per grader: n, mean QA score given, the other graders' mean, and the difference with
    Welch's 95% interval. Columns: grader, n, mean, others_n, others_mean, difference,
    ci_low, ci_high."""
    rows = []
    for grader, own in scores.groupby("grader"):
        mine = own["score"].dropna().to_numpy(dtype="float64")
        others = scores.loc[scores["grader"] != grader, "score"].dropna().to_numpy(dtype="float64")
        low = high = float("nan")
        if len(mine) >= 2 and len(others) >= 2 and (mine.std() > 0 or others.std() > 0):
            low, high = welch_interval(mine, others)
        others_mean = float(others.mean()) if len(others) else float("nan")
        rows.append((grader, len(mine), float(mine.mean()), len(others), others_mean,
                     float(mine.mean()) - others_mean, low, high))
    return pd.DataFrame(rows, columns=["grader", "n", "mean", "others_n", "others_mean", "difference",
                                       "ci_low", "ci_high"])


# ------------------------------------------------------------------ what the lead's screen shows

RECENT = 15


@dataclass(frozen=True)
class Profile:
    """Everything the profile of one agent (or, with agent None, one team) shows."""

    team: str
    agent: str | None
    score: ScoreSummary
    team_score: ScoreSummary
    trend: pd.DataFrame  # score_trend of the agent (or team)
    team_trend: pd.DataFrame  # score_trend of the team (for an agent's profile)
    skills: pd.DataFrame  # skill_comparison
    priorities: pd.DataFrame  # agent_priorities (empty for a team)
    recent: pd.DataFrame  # the latest evaluations: evaluation_id, interaction_id, external_id, graded_at,
    # grader, scorecard, score


def load_profile(ws, filters, team: str, agent: str | None = None, freq: str = "auto") -> Profile:
    """The profile of `agent` in `team` (or of `team`) for the evaluations `filters` select."""
    from .dataset import load_score_frame
    from .frames import load_skill_frame

    scores = load_score_frame(ws, filters)
    frame = load_skill_frame(ws, filters)
    team_scores = scores[scores["team"] == team]
    own = team_scores if agent is None else team_scores[team_scores["agent"] == agent]
    dates = scores["occurred_at"].fillna(scores["graded_at"])
    freq = choose_freq(dates) if freq == "auto" else freq
    recent = own.sort_values("graded_at", ascending=False).head(RECENT)
    return Profile(
        team=team, agent=agent,
        score=team_score(own) if agent is None else agent_score(own), team_score=team_score(team_scores),
        trend=score_trend(own, freq), team_trend=score_trend(team_scores, freq),
        skills=skill_comparison(frame, team, agent),
        priorities=agent_priorities(frame, team, agent) if agent is not None else pd.DataFrame(),
        recent=recent[["evaluation_id", "interaction_id", "external_id", "graded_at", "grader", "scorecard", "score"]],
    )


@dataclass(frozen=True)
class Overview:
    """The team overview: agents and teams by QA score, and the month's top agent and team."""

    agents: pd.DataFrame  # agent_table
    teams: pd.DataFrame  # team_table
    top: TopOfMonth
    months: list[pd.Timestamp]


def load_overview(ws, filters, month: pd.Timestamp | None = None) -> Overview:
    from .dataset import load_score_frame

    scores = load_score_frame(ws, filters)
    months = sorted(period_start(scores["occurred_at"].fillna(scores["graded_at"]), "M").dropna().unique(),
                    reverse=True)
    return Overview(agent_table(scores), team_table(scores), top_of_month(scores, month),
                    [pd.Timestamp(m) for m in months])


@dataclass(frozen=True)
class GraderView:
    weeks: pd.DataFrame  # grader_weeks
    comparison: pd.DataFrame  # grader_comparison


def load_graders(ws, filters) -> GraderView:
    from .dataset import load_score_frame

    scores = load_score_frame(ws, filters)
    return GraderView(grader_weeks(scores), grader_comparison(scores))
