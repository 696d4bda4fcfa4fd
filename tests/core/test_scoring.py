"""Scoring rules: hand-worked examples and hypothesis properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qagrader.core.scorecards.model import Scorecard, Section, scorecard_from_dict
from qagrader.core.scorecards.scoring import Answer, answer_fraction, score
from tests.samples import EXAMPLE

def card(**changes) -> Scorecard:
    data = {**EXAMPLE, **changes}
    return scorecard_from_dict(data)


def A(value=None, na=False) -> Answer:
    return Answer(value=value, na=na)


FULL = {"empathy": A("Yes"), "tone": A(4), "wrong_name": A("Yes"), "data_leak": A("No"),
        "resolution": A("Partial"), "wow": A("No")}


def test_hand_worked_points_total():
    # empathy 2/2, tone (4-1)/(5-1)=0.75 of 1, name 1/1, leak 1/1, resolution 1/2, wow 0 bonus
    result = score(card(), FULL)
    assert result.earned == pytest.approx(2 + 0.75 + 1 + 1 + 1)
    assert result.possible == pytest.approx(2 + 1 + 1 + 1 + 2)
    assert result.total == pytest.approx(5.75 / 7 * 100)
    assert result.sections[0].percent == pytest.approx(4.75 / 5 * 100)
    assert result.sections[1].percent == pytest.approx(50)
    assert not result.auto_failed and result.complete
    assert result.skills == pytest.approx({"Empathy": 1.0, "Friendly tone": 0.75,
                                           "Wrong customer name": 1.0, "Accuracy": 0.5})


def test_bonus_adds_earned_not_possible_and_can_exceed_100():
    perfect = {**FULL, "tone": A(5), "resolution": A("Yes"), "wow": A("Yes")}
    result = score(card(), perfect)
    assert result.possible == pytest.approx(7)
    assert result.total == pytest.approx(8 / 7 * 100)


def test_na_exclude_drops_out_and_pass_counts_full():
    answers = {**FULL, "empathy": A(na=True)}
    excluded = score(card(), answers)
    assert excluded.total == pytest.approx(3.75 / 5 * 100)
    assert "Empathy" not in excluded.skills
    passed = score(card(na_policy="pass"), answers)
    assert passed.total == pytest.approx(5.75 / 7 * 100)
    assert "Empathy" not in passed.skills  # N/A never counts for skills


def test_auto_fail_all_gives_zero_and_reason():
    result = score(card(), {**FULL, "data_leak": A("Yes")})
    assert result.total == 0
    assert result.auto_failed
    assert result.auto_fail_reasons == ("data_leak = Yes (auto-fail: evaluation)",)
    assert result.skills["Empathy"] == 1.0  # skills still describe the behaviour


def test_auto_fail_section_zeroes_only_that_section():
    result = score(card(), {**FULL, "resolution": A("No")})
    assert result.sections[1].earned == 0 and result.sections[1].auto_failed
    assert result.total == pytest.approx(4.75 / 7 * 100)


def test_section_weights_make_weighted_mean_of_percents():
    data = {**EXAMPLE, "sections": [dict(s) for s in EXAMPLE["sections"]]}
    data["sections"][0]["weight"] = 75
    data["sections"][1]["weight"] = 25
    result = score(scorecard_from_dict(data), FULL)
    assert result.total == pytest.approx(0.75 * 95 + 0.25 * 50)
    # bonus without a weight adds earned / possible of the others, as without weights
    with_bonus = score(scorecard_from_dict(data), {**FULL, "wow": A("Yes")})
    assert with_bonus.total == pytest.approx(0.75 * 95 + 0.25 * 50 + 1 / 7 * 100)


def test_unanswered_questions_wait_and_are_listed():
    result = score(card(), {"empathy": A("No")})
    assert result.total == 0
    assert set(result.unanswered) == {"tone", "wrong_name", "data_leak", "resolution", "wow"}
    assert score(card(), {}).total is None


# ---------------------------------------------------------------- properties

def _question(draw, key: str) -> dict:
    kind = draw(st.sampled_from(["yes_no", "scale", "options"]))
    q = {"key": key, "text": key, "type": kind, "weight": draw(st.integers(0, 5)),
         "allow_na": draw(st.booleans()), "skill": draw(st.sampled_from([None, "A", "B"]))}
    if kind == "scale":
        low = draw(st.integers(0, 3))
        q.update(min=low, max=low + draw(st.integers(1, 9)))
    if kind == "yes_no" and draw(st.booleans()):
        q["auto_fail"] = draw(st.sampled_from(["section", "all"]))
    if kind == "options":
        n = draw(st.integers(2, 4))
        points = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n).filter(lambda p: max(p) > 0))
        q["options"] = [{"label": f"o{i}", "points": p} for i, p in enumerate(points)]
        if draw(st.booleans()):
            q["options"][0]["auto_fail"] = draw(st.sampled_from(["section", "all"]))
    return q


@st.composite
def scorecards_and_answers(draw, bonus: bool = False, na_policy: str | None = None):
    n_sections = draw(st.integers(1, 3))
    sections, answers, k = [], {}, 0
    for s in range(n_sections):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            q = _question(draw, f"q{k}")
            k += 1
            questions.append(q)
        if all(q["weight"] == 0 for q in questions):  # a section that can score (input rules)
            questions[0]["weight"] = draw(st.integers(1, 5))
        section = {"name": f"S{s}", "questions": questions}
        sections.append(section)
    if draw(st.booleans()):
        for section in sections:
            section["weight"] = draw(st.integers(1, 10))
    if bonus:
        sections.append({"name": "Bonus", "bonus": True, "questions": [_question(draw, f"q{k}")]})
    data = {"name": "P", "na_policy": na_policy or draw(st.sampled_from(["exclude", "pass"])), "sections": sections}
    card_ = scorecard_from_dict(data)
    for q in card_.questions:
        if q.allow_na and draw(st.booleans()):
            answers[q.key] = Answer(na=True)
        else:
            answers[q.key] = Answer(value=draw(st.sampled_from(q.labels)) if q.type != "scale"
                                    else draw(st.integers(q.min, q.max)))
    return card_, answers


@settings(max_examples=200, deadline=None)
@given(scorecards_and_answers())
def test_total_between_0_and_100_without_bonus(case):
    card_, answers = case
    result = score(card_, answers)
    assert result.total is None or 0 <= result.total <= 100 + 1e-9
    for value in result.skills.values():
        assert 0 <= value <= 1


@settings(max_examples=200, deadline=None)
@given(scorecards_and_answers(bonus=True), st.data())
def test_auto_fail_all_gives_zero(case, data):
    card_, answers = case
    triggers = [(q.key, label) for q in card_.questions if q.type != "scale" for label in q.labels
                if answer_fraction(q, label)[1] == "all"]
    assume(triggers)  # the scorecard has an answer that fails the whole evaluation
    key, label = data.draw(st.sampled_from(triggers))
    result = score(card_, {**answers, key: Answer(value=label)})
    assert result.auto_failed and any("evaluation" in reason for reason in result.auto_fail_reasons)
    assert result.total == 0


@settings(max_examples=200, deadline=None)
@given(scorecards_and_answers(na_policy="exclude"), st.data())
def test_na_never_lowers_a_score_under_exclude(case, data):
    card_, answers = case

    def failing(q):  # answers earning nothing without auto-failing
        values = [int(label) if q.type == "scale" else label for label in q.labels]
        return [v for v in values if answer_fraction(q, v) == (0, None)]

    candidates = [q for q in card_.questions if q.allow_na and failing(q)]
    assume(candidates)
    q = data.draw(st.sampled_from(candidates))
    # N/A is not a fail: it never scores below the question answered with zero points.
    with_fail = score(card_, {**answers, q.key: Answer(value=failing(q)[0])})
    with_na = score(card_, {**answers, q.key: Answer(na=True)})
    assume(with_na.total is not None and with_fail.total is not None)  # None: nothing scorable (weights 0)
    assert with_na.total >= with_fail.total - 1e-9


@settings(max_examples=150, deadline=None)
@given(scorecards_and_answers(bonus=True), st.randoms(use_true_random=False))
def test_reordering_questions_and_sections_changes_nothing(case, rnd: random.Random):
    card_, answers = case
    bonus = [s for s in card_.sections if s.bonus]
    plain = [Section(s.name, tuple(rnd.sample(s.questions, len(s.questions))), s.weight, s.bonus)
             for s in card_.sections if not s.bonus]
    rnd.shuffle(plain)
    shuffled = Scorecard(card_.name, tuple(plain + bonus), card_.channels, card_.na_policy)
    a, b = score(card_, answers), score(shuffled, answers)
    assert (a.total is None) == (b.total is None)
    if a.total is not None:
        assert a.total == pytest.approx(b.total)
    assert a.skills == pytest.approx(b.skills)
    assert a.auto_failed == b.auto_failed
