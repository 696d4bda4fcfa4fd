"""Calibration statistics: do the graders read the scorecard alike?

Per question (per session, and pooled over sessions as session `all`): the items and graders it
rests on, **percent agreement** (the mean over items of the share of grader pairs who gave the
same answer) and **Krippendorff's alpha** (the `krippendorff` package: nominal for yes/no and
options questions, where N/A is a category of its own; ordinal for scales, where N/A is
missing). Alpha is left empty, with the reason, when it is undefined. Krippendorff's reading
guide: alpha >= 0.800 reliable, >= 0.667 tentative, below that unreliable.

Per grader: **alignment**, the percent of their answers equal to the benchmark's (the session's
benchmark grader, else the consensus of the other graders: their most common answer, when one
is most common), and **leniency**, the mean of (their evaluation score - the benchmark's) in
score points (the consensus score: the other graders' mean), each with n and a 95% interval.

Per skill: alpha of the skill score the analysis correlates with CSAT (interval level, pooled
over every closed session): grading noise attenuates a skill's association with CSAT, so a skill
below 0.667 is flagged in the Analysis tab.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.calibration.grades import NA, SessionGrades, session_grades
from qagrader.core.calibration.sessions import CalibrationError, CalibrationSession
from qagrader.core.scorecards.model import Question

from ._stats import mean_ci, wilson_ci

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

ALL = "all"
RELIABLE = 0.800
TENTATIVE = 0.667
CONSENSUS = "consensus"
AGREEMENT_COLUMNS = ("session", "question", "skill", "items", "graders", "percent_agreement", "alpha", "level",
                     "reading", "reason", "scorecard", "question_text", "guideline", "held_on")
GRADER_COLUMNS = ("session", "grader", "items", "alignment", "leniency", "alignment_n", "alignment_low",
                  "alignment_high", "leniency_n", "leniency_low", "leniency_high", "role", "benchmark", "held_on")
DISAGREEMENT_COLUMNS = ("session", "interaction", "question", "skill", "agreement", "benchmark_answer", "answers",
                        "guideline", "scorecard", "question_text", "held_on")
SKILL_COLUMNS = ("skill", "alpha", "items", "graders", "reading", "reason", "sessions")


# ------------------------------------------------------------------------------ statistics

@dataclass(frozen=True)
class Agreement:
    """How far graders agree on one question (or skill) over some items."""

    items: int  # items answered by at least two graders (what the numbers rest on)
    graders: int  # graders who answered any of them
    percent_agreement: float | None  # 0..100
    alpha: float | None  # Krippendorff's alpha; None when undefined (see `reason`)
    reason: str = ""  # why alpha is empty


def reading(alpha: float | None) -> str:
    """Krippendorff's reading guide for one alpha."""
    if alpha is None or np.isnan(alpha):
        return ""
    return "reliable" if alpha >= RELIABLE else "tentative" if alpha >= TENTATIVE else "unreliable"


def agreement(matrix: pd.DataFrame, level: str, domain: Sequence | None = None) -> Agreement:
    """Percent agreement and Krippendorff's alpha of a reliability matrix: one row per grader,
    one column per item, an answer per cell (None/NaN: not answered). `level` is passed to
    `krippendorff.alpha` ("nominal", "ordinal", "interval"); nominal answers may be any labels,
    the others numbers, with `domain` the ordered possible values (default: those given)."""
    values = matrix.astype(object).where(matrix.notna(), None)
    counts = values.notna().sum(axis=0)
    pairable = values.loc[:, counts >= 2]
    if pairable.shape[1] == 0:
        graders = int(values.notna().any(axis=1).sum())
        why = ("only one grader answered" if graders == 1 else "no item was answered by two graders")
        return Agreement(0, graders, None, None, why if graders else "no answers")
    graders = int(pairable.notna().any(axis=1).sum())
    observed = [v for v in pairable.to_numpy().ravel() if v is not None]
    shares = [_agreeing_share([v for v in pairable[c] if v is not None]) for c in pairable.columns]
    percent = 100.0 * float(np.mean(shares))
    distinct = set(observed)
    if len(distinct) == 1:
        only = next(iter(distinct))
        return Agreement(pairable.shape[1], graders, percent, None,
                         f"every answer was {_shown(only)}: alpha needs some variation")
    if level == "nominal":
        categories = sorted(distinct, key=str)
        codes = {c: i for i, c in enumerate(categories)}
        data = np.array([[np.nan if v is None else codes[v] for v in row] for row in pairable.to_numpy()],
                        dtype=float)
        value_domain = list(range(len(categories)))
    else:
        data = np.array([[np.nan if v is None else float(v) for v in row] for row in pairable.to_numpy()],
                        dtype=float)
        value_domain = sorted(set(float(v) for v in (domain or ())) | {float(v) for v in observed})
    import krippendorff  # only where alphas are computed

    alpha = float(krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=value_domain))
    return Agreement(pairable.shape[1], graders, percent, alpha)


def _agreeing_share(answers: list) -> float:
    """The share of pairs of `answers` that are equal."""
    m = len(answers)
    same = sum(n * (n - 1) for n in Counter(answers).values())
    return same / (m * (m - 1))


def _shown(answer: object) -> str:
    return f"'{answer}'" if isinstance(answer, str) else str(answer)


def question_level(question: Question) -> str:
    """ordinal for scales, nominal for yes/no and options questions."""
    return "ordinal" if question.type == "scale" else "nominal"


def coded(question: Question, answer: str | int | None) -> str | int | None:
    """An answer as the matrix holds it: N/A a category of its own (nominal) or missing (ordinal)."""
    if answer is None:
        return None
    if question.type == "scale":
        return None if answer == NA else int(answer)
    return str(answer)


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of a proportion, in percent (`_stats.wilson_ci`, which equals
    scipy.stats' binomtest interval without importing it: 0.4 s)."""
    if n == 0:
        return (np.nan, np.nan)
    low, high = wilson_ci(np.array([successes]), np.array([n]))
    return (100.0 * float(low[0]), 100.0 * float(high[0]))


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% t interval (NaN bounds with fewer than two values or no spread)."""
    if not values:
        return (np.nan, np.nan, np.nan)
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if len(values) >= 2 else 0.0
    if len(values) < 2 or sd == 0.0:
        return (mean, np.nan, np.nan)
    low, high = mean_ci(np.array([mean]), np.array([sd]), np.array([len(values)]))
    return (mean, float(low[0]), float(high[0]))


# ---------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CalibrationResults:
    """Every table of the calibration results of some closed sessions (empty when none)."""

    sessions: tuple[CalibrationSession, ...]
    agreement: pd.DataFrame  # AGREEMENT_COLUMNS, per session and `all`
    graders: pd.DataFrame  # GRADER_COLUMNS, per session and `all`
    disagreements: pd.DataFrame  # DISAGREEMENT_COLUMNS (+ by_grader: {grader: answer}), most split first
    skills: pd.DataFrame  # SKILL_COLUMNS, pooled over the sessions
    open_sessions: tuple[CalibrationSession, ...] = field(default=())  # left out until closed

    @property
    def empty(self) -> bool:
        return not self.sessions


def calibration_results(ws: "Workspace", *, session: str | int | None = None, date_from: str | None = None,
                        date_to: str | None = None) -> CalibrationResults:
    """The results of one session (`session`: its id, name, label or uuid; refused while open),
    or of every closed session held between `date_from` and `date_to` (inclusive, either
    optional), with the pooled rows (session `all`). Open sessions are listed, not counted."""
    if session is not None:
        chosen = ws.calibration.get(session) if isinstance(session, int) else ws.calibration.find(session)
        if not chosen.closed:
            raise CalibrationError(f"Session '{chosen.label}' is still open: its results are shown once it is "
                                   "closed, so that graders grade blind.")
        sessions, open_ = [chosen], []
    else:
        listed = ws.calibration.list(date_from=date_from, date_to=date_to)
        sessions = [s for s in listed if s.closed]
        open_ = [s for s in listed if not s.closed]
    sessions.sort(key=lambda s: (s.held_on, s.created_at, s.id))
    grades = session_grades(ws, sessions)
    return CalibrationResults(
        sessions=tuple(sessions),
        agreement=agreement_table(grades, pooled=session is None),
        graders=grader_table(grades, pooled=session is None),
        disagreements=disagreement_table(grades),
        skills=skill_reliability(grades),
        open_sessions=tuple(open_),
    )


def agreement_table(grades: Sequence[SessionGrades], *, pooled: bool = True) -> pd.DataFrame:
    """Per question: items, graders, percent agreement and alpha, per session and (with
    `pooled`) over all of them (questions matched by scorecard name, key and level)."""
    rows = []
    pooled_cells: dict[tuple[str, str, str], dict] = {}
    for g in grades:
        for question in g.card.questions:
            level = question_level(question)
            cells = {(grade.grader, grade.interaction_id): coded(question, grade.answers.get(question.key))
                     for grade in g.grades}
            rows.append(_agreement_row(g.session.label, g.session.scorecard_name, question, level, cells,
                                       g.session.held_on))
            slot = pooled_cells.setdefault((g.session.scorecard_name, question.key, level),
                                           {"question": question, "cells": {}, "days": []})
            slot["cells"].update({(grader, (g.session.id, item)): v for (grader, item), v in cells.items()})
            slot["days"].append(g.session.held_on)
    if pooled and grades:
        for (card, _key, level), slot in pooled_cells.items():
            days = sorted(slot["days"])
            span = days[0] if days[0] == days[-1] else f"{days[0]}..{days[-1]}"
            rows.append(_agreement_row(ALL, card, slot["question"], level, slot["cells"], span))
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def _agreement_row(session: str, card: str, question: Question, level: str, cells: Mapping, held_on: str) -> dict:
    matrix = _matrix(cells)
    domain = range(question.min or 0, (question.max or 0) + 1) if level == "ordinal" else None
    result = agreement(matrix, level, domain)
    return {"session": session, "question": question.key, "skill": question.skill or "", "items": result.items,
            "graders": result.graders, "percent_agreement": result.percent_agreement, "alpha": result.alpha,
            "level": level, "reading": reading(result.alpha), "reason": result.reason, "scorecard": card,
            "question_text": question.text, "guideline": question.guideline, "held_on": held_on}


def _matrix(cells: Mapping[tuple[str, object], object]) -> pd.DataFrame:
    """Graders as rows, items as columns, from {(grader, item): answer}."""
    graders = sorted({g for g, _ in cells}, key=str.casefold)
    items = list(dict.fromkeys(i for _, i in cells))
    frame = pd.DataFrame(None, index=graders, columns=range(len(items)), dtype=object)
    position = {item: n for n, item in enumerate(items)}
    for (grader, item), value in cells.items():
        frame.at[grader, position[item]] = value
    return frame


def disagreement_table(grades: Sequence[SessionGrades]) -> pd.DataFrame:
    """Every item and question on which a session's graders did not all agree: the answers side
    by side, the benchmark's answer and the question's guideline; the items where graders split
    most first."""
    rows = []
    for g in grades:
        benchmark = g.session.benchmark
        by_item: dict[int, list] = {}
        for grade in g.grades:
            by_item.setdefault(grade.interaction_id, []).append(grade)
        for order, question in enumerate(g.card.questions):
            for item_grades in by_item.values():
                answers = {x.grader: x.answers.get(question.key) for x in item_grades
                           if x.answers.get(question.key) is not None}
                if len(answers) < 2 or len(set(map(str, answers.values()))) == 1:
                    continue
                reference = answers.get(benchmark) if benchmark else _mode(list(answers.values()))
                rows.append({
                    "session": g.session.label, "interaction": item_grades[0].external_id, "question": question.key,
                    "skill": question.skill or "",
                    "agreement": 100.0 * _agreeing_share([str(v) for v in answers.values()]),
                    "benchmark_answer": "" if reference is None else str(reference),
                    "answers": "; ".join(f"{name}: {value}" for name, value in
                                         sorted(answers.items(), key=lambda kv: kv[0].casefold())),
                    "guideline": question.guideline, "scorecard": g.session.scorecard_name,
                    "question_text": question.text, "held_on": g.session.held_on,
                    "by_grader": {name: str(value) for name, value in answers.items()}, "_order": order})
    frame = pd.DataFrame(rows, columns=[*DISAGREEMENT_COLUMNS, "by_grader", "_order"])
    frame = frame.sort_values(["agreement", "held_on", "_order", "interaction"], ascending=[True, False, True, True],
                              kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def _mode(answers: list) -> object | None:
    """The most common answer, or None when two are equally common (no consensus)."""
    if not answers:
        return None
    ranked = Counter(str(a) for a in answers).most_common(2)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return next(a for a in answers if str(a) == ranked[0][0])


@dataclass
class _GraderTally:
    items: int = 0
    equal: int = 0
    compared: int = 0
    differences: list[float] = field(default_factory=list)
    sessions: list[tuple[str, float]] = field(default_factory=list)  # (day, alignment)


def grader_table(grades: Sequence[SessionGrades], *, pooled: bool = True) -> pd.DataFrame:
    """Per grader and session (and with `pooled`, over all sessions): items graded, alignment
    with the benchmark and leniency against it, with n and 95% intervals."""
    rows = []
    totals: dict[str, _GraderTally] = {}
    for g in grades:
        benchmark = g.session.benchmark
        graded = {grade.grader for grade in g.grades}
        if benchmark not in graded:
            benchmark = None  # the benchmark grader graded nothing: fall back on the consensus
        by_item: dict[int, dict[str, object]] = {}
        for grade in g.grades:
            by_item.setdefault(grade.interaction_id, {})[grade.grader] = grade
        for grader in sorted(graded, key=str.casefold):
            tally = _compare(g, by_item, grader, benchmark)
            role = "benchmark" if grader == benchmark else "grader"
            rows.append(_grader_row(g.session.label, grader, tally, role, benchmark or CONSENSUS, g.session.held_on))
            total = totals.setdefault(grader, _GraderTally())
            total.items += tally.items
            if role == "grader":
                total.equal += tally.equal
                total.compared += tally.compared
                total.differences += tally.differences
                if tally.compared:
                    total.sessions.append((g.session.held_on, 100.0 * tally.equal / tally.compared))
    if pooled and grades:
        benchmarks = {g.session.benchmark or CONSENSUS for g in grades}
        label = benchmarks.pop() if len(benchmarks) == 1 else "per session"
        for grader in sorted(totals, key=str.casefold):
            tally = totals[grader]
            role = "benchmark" if not tally.compared and label == grader else "grader"
            rows.append(_grader_row(ALL, grader, tally, role, label,
                                    f"{grades[0].session.held_on}..{grades[-1].session.held_on}"))
    return pd.DataFrame(rows, columns=list(GRADER_COLUMNS))


def _compare(g: SessionGrades, by_item: Mapping[int, Mapping[str, object]], grader: str,
             benchmark: str | None) -> _GraderTally:
    tally = _GraderTally()
    for graders in by_item.values():
        mine = graders.get(grader)
        if mine is None:
            continue
        tally.items += 1
        if grader == benchmark:
            continue
        if benchmark:
            reference = [graders[benchmark]] if benchmark in graders else []
        else:
            reference = [x for name, x in graders.items() if name != grader]
        if not reference:
            continue
        for question in g.card.questions:
            answer = mine.answers.get(question.key)
            given = [x.answers.get(question.key) for x in reference if x.answers.get(question.key) is not None]
            expected = given[0] if benchmark and given else _mode(given) if given else None
            if answer is None or expected is None:
                continue
            tally.compared += 1
            tally.equal += int(str(answer) == str(expected))
        scores = [x.score for x in reference if x.score is not None]
        if mine.score is not None and scores:
            tally.differences.append(float(mine.score) - float(np.mean(scores)))
    return tally


def _grader_row(session: str, grader: str, tally: _GraderTally, role: str, benchmark: str, held_on: str) -> dict:
    alignment = 100.0 * tally.equal / tally.compared if tally.compared else np.nan
    low, high = wilson(tally.equal, tally.compared)
    leniency, l_low, l_high = mean_interval(tally.differences)
    return {"session": session, "grader": grader, "items": tally.items, "alignment": alignment,
            "leniency": leniency, "alignment_n": tally.compared, "alignment_low": low, "alignment_high": high,
            "leniency_n": len(tally.differences), "leniency_low": l_low, "leniency_high": l_high, "role": role,
            "benchmark": benchmark, "held_on": held_on}


def skill_reliability(grades: Sequence[SessionGrades]) -> pd.DataFrame:
    """Per skill: alpha of the skill score (interval level) over every item of `grades`."""
    cells: dict[str, dict] = {}
    sessions: dict[str, set[int]] = {}
    for g in grades:
        for grade in g.grades:
            for skill, value in grade.skills.items():
                cells.setdefault(skill, {})[(grade.grader, (g.session.id, grade.interaction_id))] = float(value)
                sessions.setdefault(skill, set()).add(g.session.id)
    rows = []
    for skill in sorted(cells, key=str.casefold):
        result = agreement(_matrix(cells[skill]), "interval")
        reason = result.reason
        if reason.startswith("every answer was"):
            reason = "every grade gave it the same score: alpha needs some variation"
        rows.append({"skill": skill, "alpha": result.alpha, "items": result.items, "graders": result.graders,
                     "reading": reading(result.alpha), "reason": reason, "sessions": len(sessions[skill])})
    return pd.DataFrame(rows, columns=list(SKILL_COLUMNS))


def skill_alphas(ws: "Workspace") -> pd.DataFrame:
    """`skill_reliability` over every closed session of the workspace (empty without one): what
    the Analysis tab shows beside each skill."""
    sessions = [s for s in ws.calibration.list() if s.closed]
    return skill_reliability(session_grades(ws, sessions))


def trend(graders: pd.DataFrame) -> pd.DataFrame:
    """Alignment and leniency of each grader per session in date order (the sessions' rows of
    `graders`, without the benchmark's and the pooled ones)."""
    rows = graders[(graders["session"] != ALL) & (graders["role"] == "grader")]
    return rows.sort_values(["grader", "held_on", "session"], kind="stable").reset_index(drop=True)


UNDERSTATED = "graders disagree"
"""The skills chart's words beside a skill whose calibration alpha is below `TENTATIVE` (kept
short so labels fit at the app's smallest size; the caption says that its association with
CSAT is understated)."""


def skill_alpha_label(reliability: pd.DataFrame | None, skill: str) -> tuple[str, bool]:
    """What the skills chart writes beside `skill`: ("α 0.52", True when below 0.667), or ("",
    False) when no closed calibration session graded it (or alpha is undefined)."""
    if reliability is None or reliability.empty:
        return "", False
    rows = reliability[reliability["skill"] == skill]
    if rows.empty or pd.isna(rows["alpha"].iloc[0]):
        return "", False
    alpha = float(rows["alpha"].iloc[0])
    return f"α {alpha:.2f}", alpha < TENTATIVE


def reliability_caption(reliability: pd.DataFrame | None) -> str:
    """The chart's note on the alphas shown beside the skills ("" without calibration data)."""
    if reliability is None or reliability.empty or reliability["alpha"].isna().all():
        return ""
    sessions = int(reliability["sessions"].max())
    return (f"α: Krippendorff's alpha of each skill's grades in {sessions} closed calibration session"
            f"{'s' if sessions != 1 else ''} (0.800 reliable, 0.667 tentative). Grading noise attenuates a "
            "correlation: below 0.667 the skill's association with CSAT is understated.")


def understated_sentence(reliability: pd.DataFrame | None) -> str:
    """One sentence naming the skills graders disagree on ("" when none), for summaries."""
    if reliability is None or reliability.empty:
        return ""
    weak = reliability[reliability["alpha"] < TENTATIVE]
    if weak.empty:
        return ""
    named = ", ".join(f"{row.skill} (alpha {row.alpha:.2f}, {row.items} calibration items)" for row in weak.itertuples())
    return (f"Calibration: graders disagree on {named}; the association of "
            f"{'this skill' if len(weak) == 1 else 'these skills'} with CSAT is understated.")


OVERVIEW_COLUMNS = ("session", "held_on", "scorecard", "items", "graders", "benchmark", "questions",
                    "median_alpha", "unreliable", "unreliable_questions", "mean_alignment")


def session_overview(results: CalibrationResults) -> pd.DataFrame:
    """One row per session of `results` (for a monthly report): its size, the median alpha of its
    questions, how many (and which) are below 0.667, and the graders' mean alignment."""
    rows = []
    for session in results.sessions:
        questions = results.agreement[results.agreement["session"] == session.label]
        alphas = questions["alpha"].astype(float).dropna()
        weak = questions[questions["alpha"].astype(float) < TENTATIVE]
        graders = results.graders[(results.graders["session"] == session.label)
                                  & (results.graders["role"] == "grader")]
        rows.append({"session": session.label, "held_on": session.held_on, "scorecard": session.scorecard,
                     "items": session.items, "graders": len(session.graders),
                     "benchmark": session.benchmark or CONSENSUS, "questions": len(questions),
                     "median_alpha": float(alphas.median()) if len(alphas) else np.nan,
                     "unreliable": len(weak), "unreliable_questions": ", ".join(weak["question"]),
                     "mean_alignment": float(graders["alignment"].mean()) if len(graders) else np.nan})
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))
