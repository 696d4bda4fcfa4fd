"""Scoring: one pure function from a scorecard and answers to a score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EvaluationError
from .model import NO, YES, Question, Scorecard


@dataclass(frozen=True)
class Answer:
    """A grader's answer to one question: a value (label or scale number), or N/A."""

    value: str | int | None = None
    na: bool = False
    comment: str = ""

    @property
    def answered(self) -> bool:
        return self.na or self.value is not None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "na": self.na, "comment": self.comment}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Answer":
        return cls(value=data.get("value"), na=bool(data.get("na", False)), comment=data.get("comment") or "")


@dataclass(frozen=True)
class SectionScore:
    name: str
    earned: float
    possible: float
    percent: float | None  # None when nothing in the section counts (all N/A or unanswered)
    bonus: bool
    auto_failed: bool


@dataclass(frozen=True)
class ScoreResult:
    total: float | None  # percent; None when nothing is scorable yet
    earned: float
    possible: float
    sections: tuple[SectionScore, ...]
    auto_failed: bool
    auto_fail_reasons: tuple[str, ...]
    skills: Mapping[str, float]  # skill -> mean earned fraction (0..1)
    unanswered: tuple[str, ...]  # question keys with no answer yet

    @property
    def complete(self) -> bool:
        return not self.unanswered


def normalize_value(question: Question, value: Any) -> str | int:
    """The canonical stored form of an answer value, or `EvaluationError` naming the question."""
    if question.type == "yes_no":
        text = str(value).strip().lower()
        if text in ("yes", "y", "true", "1", "pass"):
            return YES
        if text in ("no", "n", "false", "0", "fail"):
            return NO
        raise EvaluationError(f"question '{question.key}': {value!r} is not Yes or No")
    if question.type == "scale":
        try:
            number = float(str(value).strip())
        except ValueError:
            number = float("nan")
        if not number.is_integer() or not question.min <= number <= question.max:  # type: ignore[operator]
            raise EvaluationError(
                f"question '{question.key}': {value!r} is not a whole number from {question.min} to {question.max}"
            )
        return int(number)
    wanted = str(value).strip().lower()
    for option in question.options:
        if option.label.lower() == wanted:
            return option.label
    choices = ", ".join(o.label for o in question.options)
    raise EvaluationError(f"question '{question.key}': {value!r} is not one of {choices}")


def answer_fraction(question: Question, value: str | int) -> tuple[float, str | None]:
    """Earned fraction (0..1) of an answered question and the auto-fail scope it triggers."""
    if question.type == "yes_no":
        passed = value == YES
        return (1.0 if passed else 0.0), (None if passed else question.auto_fail)
    if question.type == "scale":
        return (int(value) - question.min) / (question.max - question.min), None  # type: ignore[operator]
    option = next(o for o in question.options if o.label == value)
    return option.points / question.best_points, option.auto_fail


def question_possible(question: Question) -> float:
    """Points a question is worth: weight x its best answer (scale/yes-no best = 1 point)."""
    return question.weight * question.best_points


def score(card: Scorecard, answers: Mapping[str, Answer]) -> ScoreResult:
    """Score `answers` (question key -> Answer) on `card`.

    Rules:
    - A question is worth `possible = weight x best points` (yes/no and scale: best = 1 point;
      options: the highest option's points). It earns `weight x points of the answer`:
      yes/no: Yes = 1, No = 0; scale v on min..max: (v - min) / (max - min); options: the
      option's points. The earned fraction (earned / possible) is what skills average.
    - Unanswered questions do not count yet (a draft's live score); `unanswered` lists them.
    - N/A under `na_policy = "exclude"` drops out of earned and possible; under `"pass"` it
      earns full points. In bonus sections N/A always drops out. N/A never counts for skills.
    - Section percent = earned / possible x 100 (None when nothing in it counts).
    - Total without section weights: sum of earned (bonus included) / sum of possible (bonus
      excluded) x 100. With section weights (every non-bonus section has one): the weighted
      mean of the section percents that count, plus, per bonus section, its weight x its
      percent / the sum of the counting weights (a bonus section without a weight adds its
      earned points / the possible points of the other sections x 100, as without weights).
      Only bonus points can lift the total over 100.
    - Auto-fail: an answer whose option (or a yes/no "No" with `auto_fail`) says `"section"`
      sets its section's earned points to 0; `"all"` sets the total to 0. The reasons name
      the question and answer.
    - Skill score: the mean earned fraction of the answered, non-N/A questions tagged with the
      skill; auto-fail does not change skill scores.
    - Question and section order change nothing.
    """
    sections: list[SectionScore] = []
    reasons: list[str] = []
    fail_all = False
    unanswered: list[str] = []
    skill_parts: dict[str, list[float]] = {}
    for section in card.sections:
        earned = possible = 0.0
        section_failed = False
        for q in section.questions:
            answer = answers.get(q.key)
            if answer is None or not answer.answered:
                unanswered.append(q.key)
                continue
            worth = question_possible(q)
            if answer.na:
                if card.na_policy == "pass" and not section.bonus:
                    earned += worth
                    possible += worth
                continue
            fraction, auto_fail = answer_fraction(q, answer.value)  # type: ignore[arg-type]
            earned += worth * fraction
            possible += worth
            if q.skill:
                skill_parts.setdefault(q.skill, []).append(fraction)
            if auto_fail:
                reasons.append(f"{q.key} = {answer.value} (auto-fail: {'evaluation' if auto_fail == 'all' else 'section'})")
                fail_all |= auto_fail == "all"
                section_failed |= auto_fail == "section"
        if section_failed:
            earned = 0.0
        percent = earned / possible * 100 if possible > 0 else None
        sections.append(SectionScore(section.name, earned, possible, percent, section.bonus, section_failed))

    base_possible = sum(s.possible for s in sections if not s.bonus)
    total_earned = sum(s.earned for s in sections)
    if card.uses_section_weights:
        pairs = list(zip(card.sections, sections))
        counting = [(d.weight or 0.0, s) for d, s in pairs if not s.bonus and s.percent is not None]
        weight_sum = sum(w for w, _ in counting)
        total = None
        if weight_sum > 0:
            total = sum(w * s.percent for w, s in counting) / weight_sum  # type: ignore[operator]
            for d, s in pairs:
                if s.bonus and s.percent is not None:
                    if d.weight is not None:
                        total += d.weight * s.percent / weight_sum
                    elif base_possible > 0:
                        total += s.earned / base_possible * 100
    else:
        total = total_earned / base_possible * 100 if base_possible > 0 else None
    if fail_all:
        total = 0.0
    skills = {skill: sum(parts) / len(parts) for skill, parts in skill_parts.items()}
    return ScoreResult(
        total=total,
        earned=total_earned,
        possible=base_possible,
        sections=tuple(sections),
        auto_failed=bool(reasons),
        auto_fail_reasons=tuple(reasons),
        skills=skills,
        unanswered=tuple(unanswered),
    )


def readable_reason(card: Scorecard, reason: str) -> str:
    """An auto-fail reason of `score()` in words, by the question's text:
    'greeting = No (auto-fail: section)' -> '"Opened with the greeting" = No: its section scores 0'."""
    key, _, rest = reason.partition(" = ")
    try:
        text = card.question(key).text
    except KeyError:
        return reason
    value, _, scope = rest.partition(" (auto-fail: ")
    scope = scope.rstrip(")")
    what = "the whole evaluation scores 0" if scope == "evaluation" else "its section scores 0"
    return f"\u201c{text}\u201d = {value}: {what}"
