"""What the monthly quality report says, as data: `build_monthly_report(ws, "2026-09", filters)`.

The same `MonthlyReport` is drawn as A4 pages (`pages`) and written as one long CSV table
(`rows`), so the PDF, the PNGs and the CSV say the same thing. Sections:

- QA scores of the month against the month before, overall, per team and per agent, with 95%
  intervals and n (a team's interval allows for its agents' scores going together), and the
  distribution of this month's scores;
- the month's top agent and team (at least `MIN_TOP_AGENT` / `MIN_TOP_TEAM` evaluations) and
  the most improved agent (at least `MIN_TOP_AGENT` evaluations in both months, the rise beyond
  noise: Welch's interval above 0);
- the skills most associated with CSAT this month (Spearman rho with agent-clustered intervals,
  q < 0.05) with the CSAT difference per interaction, and how channels differ;
- each team's biggest gaps against everyone else that go with CSAT, the coaching follow-ups
  due by the end of the next month, and for those followed up this month, the coached skills in
  the four weeks before and after the coaching (a before/after comparison, not proof);
- the month's disputes, and calibration sessions when there are any;
- the tip of the month (`tip`).

Dates: an interaction counts in the month it happened (else the month it was graded), as on
the Agents & teams screen. Everything is an association, never a cause.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.coaching.notes import CoachingNote
from qagrader.core.disputes.store import DisputeFilters
from qagrader.core.errors import QAGraderError

from .._stats import welch_interval
from ..calibration import TENTATIVE, calibration_results
from ..calibration import reading as calibration_reading
from ..channel_differences import channel_differences, differing_skills
from ..coaching_follow_up import notes_follow_up
from ..coaching import skill_gaps
from ..correlation import ALL, associations, correlation_table
from ..dataset import AnalysisFilters, QuestionScoring, polarity_of, skills_of
from ..frames import Grades, load_grades, score_frame
from ..effects import effects_table
from ..forked import can_fork, in_two_processes
from ..profiles import (
    MIN_TOP_AGENT, MIN_TOP_TEAM, ScoreSummary, TopOfMonth, agent_table, team_score, team_table, top_of_month,
)
from ..report import DataNotes, data_notes
from ..summary import channel_sentence, skill_label, warnings
from .questions import QuestionInfo, question_costs, question_scoring, questions_of
from .tip import Tip, tip_of_the_month

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

CAUSATION = ("Association, not causation: these numbers show what went together in this month's grades and "
             "surveys, not what caused what.")
TOP_SKILLS = 6
GAPS_PER_TEAM = 3
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LAST_YEAR = 9998


class ReportError(QAGraderError):
    """The report cannot be made as asked (a month that is not a month, nothing graded)."""


def parse_month(text: str) -> date:
    """The first day of the month ``YYYY-MM``, or `ReportError`."""
    found = _MONTH.match((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise ReportError(f"'{text}' is not a month: give it as YYYY-MM, e.g. 2026-09.")
    if int(found.group(1)) > LAST_YEAR:  # the report reaches a month past its own
        raise ReportError(f"'{text}' is too far ahead: give a month up to {LAST_YEAR}-12.")
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Improved:
    """The month's most improved agent: QA score this month against last month."""

    team: str
    agent: str
    mean: float
    n: int
    previous_mean: float
    previous_n: int
    change: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class DisputeSummary:
    raised: int
    accepted: int
    rejected: int
    still_open: int
    top_question: str  # the question disputed most often this month ("" when none)
    top_question_count: int


@dataclass(frozen=True)
class CalibrationSummary:
    """The month's calibration sessions (from the calibration analysis)."""

    sessions: pd.DataFrame  # session, held_on, items, graders, percent_agreement, alpha, reading
    lines: tuple[str, ...] = ()  # what to read from them, in words


def month_calibration(ws: "Workspace", first: date, last: date,
                      scorecards: tuple[str, ...] | None = None) -> CalibrationSummary | None:
    """The closed calibration sessions held in the month (of `scorecards` when given), None when
    there are none: per session its items, graders, mean percent agreement and median alpha over
    its questions, and in words the questions graders read differently (alpha below 0.667) and
    the sessions still open (left out until closed)."""
    results = calibration_results(ws, date_from=first.isoformat(), date_to=last.isoformat())
    chosen = {s.casefold() for s in scorecards or ()}
    sessions = [s for s in results.sessions if not chosen or s.scorecard.casefold() in chosen]
    still_open = [s for s in results.open_sessions if not chosen or s.scorecard.casefold() in chosen]
    if not sessions:
        return None
    rows, lines = [], []
    for session in sessions:
        questions = results.agreement[results.agreement["session"] == session.label]
        alphas = questions["alpha"].astype(float).dropna()
        median = float(alphas.median()) if len(alphas) else np.nan
        agreeing = questions["percent_agreement"].astype(float).dropna()
        rows.append({"session": session.label, "held_on": session.held_on, "items": session.items,
                     "graders": len(session.graders),
                     "percent_agreement": float(agreeing.mean()) if len(agreeing) else np.nan,
                     "alpha": median, "reading": calibration_reading(median)})
        weak = questions[questions["alpha"].astype(float) < TENTATIVE].sort_values("alpha")
        if len(weak):
            named = ", ".join(f"'{q.question_text or q.question}' ({q.alpha:.2f})" for q in weak.itertuples())
            lines.append(f"{session.label}: graders read {named} differently (alpha below {TENTATIVE:.3f}); "
                         "go through their guidelines together.")
    if still_open:
        lines.append(f"Still open, counted once closed: {', '.join(s.label for s in still_open)}.")
    return CalibrationSummary(pd.DataFrame(rows), tuple(lines))


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    workspace: str
    filters: str  # in words
    generated: date
    overall: ScoreSummary
    previous: ScoreSummary
    teams: pd.DataFrame  # team, agents, n, mean, ci_low, ci_high, previous_n, previous_mean, change
    agents: pd.DataFrame  # team, agent, n, mean, ci_low, ci_high, previous_n, previous_mean, change
    scores: np.ndarray  # this month's QA scores (distribution)
    previous_scores: np.ndarray
    top: TopOfMonth
    improved: Improved | None
    improved_note: str
    notes: DataNotes | None  # what the skill analysis rests on (None: nothing graded)
    skills: pd.DataFrame  # the skills most associated with CSAT (see `_top_skills`)
    channels: str  # channel differences in words
    channel_rows: pd.DataFrame  # skill, stronger, weaker, difference, ci_low, ci_high
    gaps: pd.DataFrame  # per team: skill, team_rate, team_n, rest_rate, gap, ci, priority_points
    follow_ups: tuple[CoachingNote, ...]
    followed_up: int  # follow-ups done this month
    coaching_results: pd.DataFrame  # did it work, for the notes followed up this month (`notes_follow_up`)
    disputes: DisputeSummary
    tip: Tip | None
    calibration: CalibrationSummary | None = None
    csat_scale: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return self.month.strftime("%B %Y")

    @property
    def previous_label(self) -> str:
        return previous_month(self.month).strftime("%B %Y")

    @property
    def footer(self) -> str:
        return f"Workspace: {self.workspace}  ·  {self.filters}  ·  Association, not causation."


def describe_filters(filters: AnalysisFilters) -> str:
    """The filters in words ("All channels, teams and agents" without any)."""
    parts = [f"{label}: {', '.join(values)}" for label, values in (
        ("Channel", filters.channels), ("Team", filters.teams), ("Agent", filters.agents),
        ("Brand", filters.brands), ("Scorecard", filters.scorecards), ("Grader", filters.graders)) if values]
    return "Filters: " + "; ".join(parts) if parts else "All channels, teams and agents"


def build_monthly_report(ws: "Workspace", month: str | date, filters: AnalysisFilters | None = None, *,
                         today: date | None = None, parallel: bool = False) -> MonthlyReport:
    """Everything the report of `month` (``YYYY-MM`` or its first day) says, for the
    evaluations `filters` select (their dates are replaced by the two months). `ReportError`
    when nothing was graded in the month. Everything comes from one load of the analysis-ready
    store (grades, QA scores and answers: the months and the coaching windows are filters in
    memory) and a few small tables. With `parallel` (a single-threaded caller, e.g. the command
    line, where the system can fork) the QA scores and the tip are computed in a forked process
    beside the rest, on the second core."""
    first = parse_month(month) if isinstance(month, str) else month.replace(day=1)
    filters = filters or AnalysisFilters()
    today = today or date.today()
    last = month_end(first)
    this_month = replace(filters, date_from=first.isoformat(), date_to=last.isoformat())
    grades = load_grades(ws, answers=True)
    if not (~np.isnan(grades.arrays["score"][_selected(grades, this_month)])).any():
        raise ReportError(f"No submitted evaluations in {first:%B %Y} match these filters; nothing to report.")
    infos, scoring = question_scoring(ws)
    channels = {stored.name: stored.card.channels for stored in ws.scorecards.list(include_archived=True)}

    def scores_and_tip() -> dict[str, object]:  # from `grades` alone: no workspace read
        return {**_scores_part(grades, first, filters),
                "tip": _tip(grades, this_month, infos, scoring, channels)}

    if parallel and can_fork():
        def theirs() -> bytes:
            return pickle.dumps(scores_and_tip(), pickle.HIGHEST_PROTOCOL)

        mine, sent = in_two_processes(theirs, lambda: _skills_part(ws, grades, first, filters, today))
        theirs_part = pickle.loads(sent)
    else:
        mine, theirs_part = _skills_part(ws, grades, first, filters, today), scores_and_tip()
    return MonthlyReport(month=first, workspace=ws.path.name, filters=describe_filters(filters), generated=today,
                         **theirs_part, **mine)


def _selected(grades: Grades, filters: AnalysisFilters) -> np.ndarray:
    keep = grades.mask(filters)
    return np.arange(len(grades)) if keep is None else np.flatnonzero(keep)


def _scores_part(grades: Grades, first: date, filters: AnalysisFilters) -> dict[str, object]:
    """The report's QA-score sections (this month against the one before): its fields by name."""
    two_months = replace(filters, date_from=previous_month(first).isoformat(), date_to=month_end(first).isoformat())
    scores = score_frame(grades, two_months)
    when = scores["occurred_at"].fillna(scores["graded_at"])
    current = scores[when >= pd.Timestamp(first)]
    earlier = scores[when < pd.Timestamp(first)]
    improved, improved_note = _most_improved(current, earlier)
    return dict(
        overall=team_score(current), previous=team_score(earlier),
        teams=_compared(team_table(current), team_table(earlier), ["team"]),
        agents=_compared(agent_table(current), agent_table(earlier), ["team", "agent"]),
        scores=current["score"].to_numpy(dtype="float64"), previous_scores=earlier["score"].to_numpy(dtype="float64"),
        top=top_of_month(current, pd.Timestamp(first)), improved=improved, improved_note=improved_note)


def _tip(grades: Grades, this_month: AnalysisFilters, infos: list[QuestionInfo],
         scoring: dict[str, QuestionScoring], channels: dict[str, tuple[str, ...]]) -> Tip | None:
    """The tip of the month, from the single questions' costs in the month."""
    frame = grades.frame(this_month)
    scores = grades.question_scores(scoring, this_month) if not frame.empty and infos else None
    return tip_of_the_month(question_costs(*questions_of(frame, infos, scores)), channels)


def _skills_part(ws: "Workspace", grades: Grades, first: date, filters: AnalysisFilters,
                 today: date) -> dict[str, object]:
    """The report's sections on skills and CSAT, coaching, disputes and calibration: its fields
    by name."""
    last = month_end(first)
    frame = grades.frame(replace(filters, date_from=first.isoformat(), date_to=last.isoformat()))
    skills = skills_of(frame)
    found = associations(frame, skills)
    correlations = correlation_table(found)
    differences = channel_differences(found)
    effects = effects_table(frame, skills)
    gaps = skill_gaps(frame, effects, skills, level="team")
    followed, due = _follow_ups(ws, filters, first, last)
    notes = data_notes(frame)
    return dict(
        notes=notes, skills=_top_skills(correlations, effects), channels=channel_sentence(differences, polarity_of(frame)),
        channel_rows=_channel_rows(differences, polarity_of(frame)), gaps=_team_gaps(gaps),
        follow_ups=tuple(due), followed_up=len(followed),
        coaching_results=notes_follow_up(ws, followed, today=today, grades=grades),
        disputes=_disputes(ws, filters, first, last),
        calibration=month_calibration(ws, first, last, filters.scorecards),
        csat_scale=str(effects["csat_scale"].iloc[0]) if len(effects) else "",
        warnings=_warnings(notes))


def _compared(now: pd.DataFrame, before: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    previous = before[[*keys, "n", "mean"]].rename(columns={"n": "previous_n", "mean": "previous_mean"})
    table = now.merge(previous, on=keys, how="left")
    table["previous_n"] = table["previous_n"].fillna(0).astype("int64")
    table["change"] = table["mean"] - table["previous_mean"]
    return table


def _most_improved(current: pd.DataFrame, earlier: pd.DataFrame) -> tuple[Improved | None, str]:
    """The agent whose QA score rose most beyond noise (Welch's 95% interval of the change above
    0), among agents with at least `MIN_TOP_AGENT` evaluations in both months."""
    candidates = []
    before = {key: group["score"].dropna().to_numpy(dtype="float64") for key, group in earlier.groupby(["team", "agent"])}
    for key, group in current.groupby(["team", "agent"]):
        now, then = group["score"].dropna().to_numpy(dtype="float64"), before.get(key, np.array([]))
        if len(now) < MIN_TOP_AGENT or len(then) < MIN_TOP_AGENT:
            continue
        change = float(now.mean() - then.mean())
        low = high = np.nan
        if now.std() > 0 or then.std() > 0:
            low, high = welch_interval(now, then)
        candidates.append(Improved(key[0], key[1], float(now.mean()), len(now), float(then.mean()), len(then),
                                   change, low, high))
    if not candidates:
        return None, (f"No agent had at least {MIN_TOP_AGENT} evaluations in both months, so nobody is "
                      "named most improved.")
    held = [c for c in candidates if c.ci_low > 0]
    if not held:
        best = max(candidates, key=lambda c: c.change)
        return None, (f"No agent's QA score rose beyond noise (largest change: {best.agent}, {best.change:+.1f} "
                      f"points, 95% CI {best.ci_low:+.1f} to {best.ci_high:+.1f}).")
    best = max(held, key=lambda c: c.change)
    return best, ""


def _top_skills(correlations: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """The pooled associations that hold (q < 0.05), strongest first, with the CSAT difference
    per interaction (with minus without, in survey points where one scale is used)."""
    pooled = correlations[(correlations["channel"] == ALL) & (correlations["q_value"] < 0.05)].copy()
    pooled = pooled.reindex(pooled["rho"].abs().sort_values(ascending=False).index).head(TOP_SKILLS)
    effect = effects[effects["channel"] == ALL].set_index("skill")
    use_points = len(effect) > 0 and np.isfinite(effect["csat_diff_points"]).any()
    column = "csat_diff_points" if use_points else "csat_diff"
    out = pd.DataFrame({
        "skill": pooled["skill"], "label": [skill_label(s, p) for s, p in zip(pooled["skill"], pooled["polarity"])],
        "polarity": pooled["polarity"], "n": pooled["n"].astype("int64"), "rho": pooled["rho"],
        "ci_low": pooled["ci_low"], "ci_high": pooled["ci_high"], "q_value": pooled["q_value"],
    })
    for suffix in ("", "_ci_low", "_ci_high"):
        out[f"csat_diff{suffix}"] = out["skill"].map(effect[column + suffix])
    out["csat_unit"] = "points" if use_points else "CSAT 0..1"
    return out.reset_index(drop=True)


def _channel_rows(differences: pd.DataFrame, polarity: dict[str, str]) -> pd.DataFrame:
    rows = [{"skill": skill_label(d.skill, polarity.get(d.skill)), "stronger": d.stronger, "weaker": d.weaker,
             "opposite": d.opposite, "difference": d.difference} for d in differing_skills(differences)]
    return pd.DataFrame(rows, columns=["skill", "stronger", "weaker", "opposite", "difference"])


def _team_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """Each team's ranked gaps (below everyone else beyond noise, on a skill whose CSAT effect
    holds), at most `GAPS_PER_TEAM` each."""
    ranked = gaps[gaps["rank"].notna() & (gaps["rank"] <= GAPS_PER_TEAM)].copy()
    ranked["label"] = [skill_label(s, p) for s, p in zip(ranked["skill"], ranked["polarity"])]
    columns = ["team", "rank", "skill", "label", "polarity", "n", "rate", "team_n", "team_rate", "gap",
               "gap_ci_low", "gap_ci_high", "priority_points", "priority"]
    return ranked.sort_values(["team", "rank"])[columns].reset_index(drop=True)


def _follow_ups(ws: "Workspace", filters: AnalysisFilters, first: date,
                last: date) -> tuple[list[CoachingNote], list[CoachingNote]]:
    """The notes followed up in the month, and those not followed up yet that are due by the end
    of the next month (overdue included), for the filters' teams and agents."""
    next_end = month_end(last + timedelta(days=1))
    notes = ws.coaching.list()
    agents = {a.casefold() for a in filters.agents or ()}
    teams = {t.casefold() for t in filters.teams or ()}

    def chosen(note: CoachingNote) -> bool:
        return ((not agents or note.agent.casefold() in agents)
                and (not teams or (note.team or "").casefold() in teams))

    done = [n for n in notes if chosen(n) and n.followed_up_on and first.isoformat() <= n.followed_up_on
            <= last.isoformat()]
    due = [n for n in ws.coaching.due(next_end) if chosen(n)]
    return done, due


def _disputes(ws: "Workspace", filters: AnalysisFilters, first: date, last: date) -> DisputeSummary:
    found = ws.disputes.list(DisputeFilters(
        raised_from=first.isoformat(), raised_to=last.isoformat(), agents=filters.agents, graders=filters.graders,
        scorecards=filters.scorecards, teams=filters.teams))
    channels = {c.casefold() for c in filters.channels or ()}
    found = [d for d in found if not channels or d.channel.casefold() in channels]
    per_question: dict[str, int] = {}
    for d in found:
        if d.question_key is not None:
            name = f"{d.question_text or d.question_key} ({d.scorecard})"
            per_question[name] = per_question.get(name, 0) + 1
    top = max(per_question.items(), key=lambda kv: (kv[1], kv[0]), default=("", 0))
    return DisputeSummary(len(found), sum(d.status == "accepted" for d in found),
                          sum(d.status == "rejected" for d in found), sum(d.is_open for d in found), *top)


def _warnings(notes: DataNotes) -> tuple[str, ...]:
    return tuple(w.text for w in warnings(notes))
