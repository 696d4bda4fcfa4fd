"""Single questions and CSAT: which failed question costs the most CSAT, for the tip of the month.

A question's value per interaction is its earned fraction (0..1, N/A left out; several grades
of one interaction averaged, as for skills). A question of a skill that names a behaviour to
avoid (polarity "negative") is reported as the behaviour's occurrence, like its skill. The
effects table of the analysis (`effects.effects_table`: CSAT with and without, agent-clustered
intervals) then runs on these question columns, and a question's **expected CSAT cost** per
interaction is

    failure rate x the CSAT difference between interactions that met it and those that failed
    it (for a behaviour to avoid: between those where it did not happen and those where it did),

in points of the survey's scale (0..1 CSAT when scales are mixed). Only questions whose
difference holds (its 95% interval excludes 0, in the costly direction) have a cost. Bonus
questions never cost points and are left out. An association, not a promise that fixing the
question would raise CSAT by that much.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.scorecards.model import Question
from qagrader.core.scorecards.scoring import answer_fraction

from ..dataset import META_COLUMNS, NEGATIVE, POSITIVE, AnalysisFilters, QuestionScoring, with_polarity
from ..frames import load_grades
from ..effects import effects_table
from ..correlation import ALL

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

    from ..frames import Grades

COST_COLUMNS: tuple[str, ...] = (
    "column", "scorecard", "key", "text", "guideline", "skill", "polarity", "n", "failure_rate", "n_surveyed_with",
    "n_surveyed_without", "csat_diff", "csat_diff_ci_low", "csat_diff_ci_high", "csat_scale", "cost", "cost_points",
    "holds",
)


@dataclass(frozen=True)
class QuestionInfo:
    """One question as the latest scorecard version that has it words it."""

    column: str
    scorecard: str
    question: Question


def question_scoring(ws: "Workspace") -> tuple[list[QuestionInfo], dict[str, QuestionScoring]]:
    """Every scored question (bonus questions left out) as the latest scorecard version that has
    it words it, and how to score its column on each version (`dataset.load_question_scores`,
    `frames.Grades.question_scores`)."""
    infos: dict[tuple[str, str], QuestionInfo] = {}
    scoring: dict[tuple[str, str], dict[int, tuple[str, dict[object, float]]]] = {}
    for scorecard_id, name in ws.conn.execute("SELECT id, name FROM scorecards ORDER BY id"):
        card = ws.scorecards.get_by_id(scorecard_id).card  # later versions word a question last
        for section in card.sections:
            for q in section.questions:
                if not section.bonus:
                    infos[(name, q.key)] = QuestionInfo(f"{name} / {q.key}", name, q)
                    scoring.setdefault((name, q.key), {})[scorecard_id] = (
                        q.key, {v: answer_fraction(q, v)[0] for v in _values(q)})
    return list(infos.values()), {infos[k].column: scoring[k] for k in infos}


def question_frame(ws: "Workspace", frame: pd.DataFrame, filters: AnalysisFilters,
                   scores: pd.DataFrame | None = None,
                   grades: "Grades | None" = None) -> tuple[pd.DataFrame, list[QuestionInfo]]:
    """The meta columns of the analysis `frame` (one row per interaction, the same `filters`)
    with one column per scored question instead of the skills (earned fraction; occurrence for
    a behaviour to avoid), and what each column is. `scores`: their `load_question_scores`
    for `filters`, read already; otherwise scored from the answers of `grades` (loaded with
    them) or of the analysis-ready store."""
    infos, scoring = question_scoring(ws)
    if scores is None and not frame.empty and infos:
        scores = (grades or load_grades(ws, answers=True)).question_scores(scoring, filters)
    return questions_of(frame, infos, scores)


def questions_of(frame: pd.DataFrame, infos: list[QuestionInfo],
                 scores: pd.DataFrame | None) -> tuple[pd.DataFrame, list[QuestionInfo]]:
    """`question_frame` from `question_scoring`'s `infos` and the question `scores` (one row
    per grade: `interaction_id` and a column per question)."""
    meta = frame[[c for c in META_COLUMNS if c in frame.columns]].copy()
    meta.attrs = {}
    if meta.empty or not infos or scores is None:
        return with_polarity(meta, {}), []
    columns = [c for c in scores.columns[1:] if scores[c].notna().any()]
    used = [info for info in infos if info.column in columns]
    repeated = scores["interaction_id"].duplicated(keep=False)
    if repeated.any():  # an interaction graded several times: the mean of its grades, as for skills
        several = scores[repeated].groupby("interaction_id")[columns].mean().reset_index()
        scores = pd.concat([scores.loc[~repeated, ["interaction_id", *columns]], several], ignore_index=True)
    out = meta.join(scores.set_index("interaction_id")[columns], on="interaction_id")
    polarity = {info.column: NEGATIVE if info.question.polarity == NEGATIVE else POSITIVE for info in used}
    return with_polarity(out, polarity), used


def _values(q: Question) -> list[str | int]:
    if q.type == "yes_no":
        return ["Yes", "No"]
    if q.type == "scale":
        return list(range(int(q.min), int(q.max) + 1))  # type: ignore[arg-type]
    return [o.label for o in q.options]


def question_costs(frame: pd.DataFrame, infos: list[QuestionInfo]) -> pd.DataFrame:
    """Every question's expected CSAT cost (`COST_COLUMNS`), costliest first; questions whose
    cost does not hold come after, with `holds` False."""
    columns = [info.column for info in infos]
    if not columns:
        return pd.DataFrame(columns=list(COST_COLUMNS))
    effects = effects_table(frame, columns)
    pooled = effects[effects["channel"] == ALL].set_index("skill")
    rows = []
    for info in infos:
        e = pooled.loc[info.column]
        negative = e["polarity"] == NEGATIVE
        sign = -1.0 if negative else 1.0  # the CSAT lost when it fails (met/avoided minus not)
        low, high = sign * e["csat_diff_ci_low"], sign * e["csat_diff_ci_high"]
        diff = sign * e["csat_diff"]
        holds = bool(np.isfinite(diff) and min(low, high) > 0)
        points = sign * e["csat_diff_points"] if np.isfinite(e["csat_diff_points"]) else np.nan
        rows.append({
            "column": info.column, "scorecard": info.scorecard, "key": info.question.key,
            "text": info.question.text, "guideline": info.question.guideline or "", "skill": info.question.skill or "",
            "polarity": e["polarity"], "n": int(e["n"]), "failure_rate": float(e["failure_rate"]),
            "n_surveyed_with": int(e["n_surveyed_with"]), "n_surveyed_without": int(e["n_surveyed_without"]),
            "csat_diff": diff, "csat_diff_ci_low": min(low, high), "csat_diff_ci_high": max(low, high),
            "csat_scale": e["csat_scale"], "cost": float(e["failure_rate"]) * diff,
            "cost_points": float(e["failure_rate"]) * points, "holds": holds,
        })
    table = pd.DataFrame(rows, columns=list(COST_COLUMNS))
    table["_key"] = table["cost"].where(table["holds"])
    table = table.sort_values(["_key", "n"], ascending=[False, False], na_position="last", kind="stable")
    return table.drop(columns="_key").reset_index(drop=True)
