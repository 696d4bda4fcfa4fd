"""Scorecard definitions: frozen dataclasses, validation from JSON, lossless JSON out.

A scorecard is a list of sections, each a list of questions. Question types: `yes_no`,
`scale` (integer min..max) and `options` (labels with points). See `scoring.py` for the rules.
Every problem is reported as `ScorecardError(field, message)` with a path such as
`sections[0].questions[2].weight`.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from ..errors import ScorecardError
from ..importing.json_source import JsonInputError, check_no_duplicates, load_json, read_json_text
from ..input_rules import MAX_SCALE_BOUND, MAX_WEIGHT, clean, text_problem
from ..interactions.channels import CHANNEL_SYNONYMS, CHANNELS

QuestionType = Literal["yes_no", "scale", "options"]
AutoFail = Literal["section", "all"]
Polarity = Literal["positive", "negative"]
QUESTION_TYPES: tuple[str, ...] = ("yes_no", "scale", "options")
POSITIVE, NEGATIVE = "positive", "negative"
POLARITIES: tuple[str, ...] = (POSITIVE, NEGATIVE)
NA_POLICIES: tuple[str, ...] = ("exclude", "pass")
AUTO_FAIL_SCOPES: tuple[str, ...] = ("section", "all")
YES, NO, NA = "Yes", "No", "N/A"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
# Question keys become CSV columns next to these, so they may not take these names.
RESERVED_KEYS = frozenset({
    "evaluation_id", "interaction_id", "channel", "agent", "team", "scorecard", "version",
    "grader", "graded_at", "status", "score", "auto_failed", "csat", "brand", "comment",
    "calibration", "csat_scale", "overall_comment", "blind",
})


@dataclass(frozen=True)
class Option:
    label: str
    points: float
    auto_fail: AutoFail | None = None


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    type: QuestionType
    weight: float = 1.0
    skill: str | None = None
    guideline: str = ""
    allow_na: bool = False
    min: int | None = None
    max: int | None = None
    options: tuple[Option, ...] = ()
    auto_fail: AutoFail | None = None  # yes_no only: a "No" answer triggers it
    polarity: Polarity = POSITIVE
    """"negative": the skill names a behaviour to avoid (negative tone, wrong customer name).
    The question still earns its points when the behaviour did not happen; the analysis reports
    the skill as the behaviour's occurrence (1 - earned fraction), so that its association with
    CSAT keeps its natural sign."""

    @cached_property
    def best_points(self) -> float:
        """Points of the best answer: 1 for yes/no and scales, the top option's otherwise."""
        return max(o.points for o in self.options) if self.type == "options" else 1.0

    @property
    def labels(self) -> tuple[str, ...]:
        """Possible answer labels, in order (without N/A)."""
        if self.type == "yes_no":
            return (YES, NO)
        if self.type == "scale":
            return tuple(str(v) for v in range(self.min or 0, (self.max or 0) + 1))
        return tuple(o.label for o in self.options)


@dataclass(frozen=True)
class Section:
    name: str
    questions: tuple[Question, ...]
    weight: float | None = None
    bonus: bool = False


@dataclass(frozen=True)
class Scorecard:
    name: str
    sections: tuple[Section, ...]
    channels: tuple[str, ...] = ()
    na_policy: Literal["exclude", "pass"] = "exclude"
    description: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    @property
    def skills(self) -> tuple[str, ...]:
        """Skill tags in first-use order."""
        return tuple(dict.fromkeys(q.skill for q in self.questions if q.skill))

    @property
    def skill_polarity(self) -> dict[str, str]:
        """Each skill's polarity (the same on every question of the skill: validation sees to
        it)."""
        return {q.skill: q.polarity for q in self.questions if q.skill}

    def skill_paths(self) -> dict[str, tuple[str, str]]:
        """Each skill's polarity and the field path of the first question that tags it."""
        paths: dict[str, tuple[str, str]] = {}
        for si, section in enumerate(self.sections):
            for qi, q in enumerate(section.questions):
                if q.skill and q.skill not in paths:
                    paths[q.skill] = (q.polarity, f"sections[{si}].questions[{qi}].polarity")
        return paths

    @property
    def uses_section_weights(self) -> bool:
        return any(s.weight is not None for s in self.sections if not s.bonus)


# ---------------------------------------------------------------- parsing

NAME_FIELDS = frozenset({"name", "key", "label"})  # names: no control characters at all
_SCORECARD_KEYS = {"name", "channels", "na_policy", "sections", "description"}
_SECTION_KEYS = {"name", "weight", "bonus", "questions"}
_QUESTION_KEYS = {"key", "text", "guideline", "skill", "type", "weight", "allow_na", "min", "max",
                  "options", "auto_fail", "polarity"}
_OPTION_KEYS = {"label", "points", "auto_fail"}


def scorecard_from_json(text: str) -> Scorecard:
    """Parse and validate a scorecard JSON document (input rules: `importing.json_source`)."""
    try:
        data = load_json(text)
    except JsonInputError as error:
        raise ScorecardError(error.where, str(error).removeprefix(f"{error.where}: ")) from error
    return scorecard_from_dict(data)


def read_scorecard_file(path: str | os.PathLike) -> Scorecard:
    """Read and validate a scorecard JSON file; messages name the file."""
    try:
        text = read_json_text(path, "scorecard file")
    except JsonInputError as error:
        raise ScorecardError("", str(error)) from error
    return scorecard_from_json(text)


def scorecard_from_dict(data: Any) -> Scorecard:
    """Validate a decoded JSON object and build a `Scorecard`."""
    _expect(isinstance(data, dict), "", "a scorecard must be a JSON object")
    _no_unknown(data, _SCORECARD_KEYS, "")
    name = _text(data, "name", "", required=True)
    channels = data.get("channels", [])
    _expect(isinstance(channels, list) and all(isinstance(c, str) and c.strip() for c in channels),
            "channels", "must be a list of channel names")
    for i, channel in enumerate(channels):
        _check_channel(channel, channels, f"channels[{i}]")
    na_policy = data.get("na_policy", "exclude")
    _expect(na_policy in NA_POLICIES, "na_policy", f"must be one of {', '.join(NA_POLICIES)}, not {na_policy!r}")
    sections_data = data.get("sections")
    _expect(isinstance(sections_data, list) and sections_data, "sections", "must be a non-empty list")
    sections = tuple(_section(s, f"sections[{i}]") for i, s in enumerate(sections_data))
    seen: dict[str, str] = {}
    polarity: dict[str, tuple[str, str]] = {}
    for si, section in enumerate(sections):
        for qi, q in enumerate(section.questions):
            where = f"sections[{si}].questions[{qi}].key"
            _expect(q.key not in seen, where, f"duplicate key {q.key!r} (also at {seen.get(q.key)})")
            seen[q.key] = where
            if q.skill:
                path = f"sections[{si}].questions[{qi}].polarity"
                first = polarity.setdefault(q.skill, (q.polarity, path))
                _expect(first[0] == q.polarity, path,
                        f"skill {q.skill!r} is {q.polarity} here but {first[0]} at {first[1]}; "
                        "give every question of a skill the same polarity")
    scored = [s for s in sections if not s.bonus]
    _expect(bool(scored), "sections", "needs at least one section that is not a bonus section")
    weighted = [s.weight is not None for s in scored]
    if any(weighted) and not all(weighted):
        missing = next(i for i, s in enumerate(sections) if not s.bonus and s.weight is None)
        raise ScorecardError(f"sections[{missing}].weight",
                             "give every section a weight, or none of them")
    if any(weighted):
        _expect(sum(s.weight or 0 for s in scored) > 0, "sections", "section weights must not all be 0")
    _expect(any(q.weight > 0 for s in scored for q in s.questions), "sections",
            "every question weighs 0, so no evaluation could ever have a score; give one a weight")
    for i, section in enumerate(sections):
        if section.weight and not section.bonus:
            _expect(any(q.weight > 0 for q in section.questions), f"sections[{i}].questions",
                    "every question of this weighted section weighs 0, so its weight could never "
                    "count; give one a weight")
    return Scorecard(
        name=name,
        sections=sections,
        channels=tuple(c.strip().lower() for c in channels),
        na_policy=na_policy,
        description=_text(data, "description", ""),
    )


def _section(data: Any, where: str) -> Section:
    _expect(isinstance(data, dict), where, "a section must be a JSON object")
    _no_unknown(data, _SECTION_KEYS, where)
    name = _text(data, "name", where, required=True)
    weight = _number(data, "weight", where, default=None)
    bonus = _bool(data, "bonus", where)
    questions = data.get("questions")
    _expect(isinstance(questions, list) and questions, f"{where}.questions", "must be a non-empty list")
    return Section(
        name=name,
        questions=tuple(_question(q, f"{where}.questions[{i}]") for i, q in enumerate(questions)),
        weight=weight,
        bonus=bonus,
    )


def _question(data: Any, where: str) -> Question:
    _expect(isinstance(data, dict), where, "a question must be a JSON object")
    _no_unknown(data, _QUESTION_KEYS, where)
    key = _text(data, "key", where, required=True)
    _expect(bool(KEY_PATTERN.match(key)), f"{where}.key",
            f"{key!r} may use only letters, digits, '_', '.' and '-'")
    _expect(key.lower() not in RESERVED_KEYS, f"{where}.key", f"{key!r} is a reserved column name")
    _expect(not key.lower().endswith(".comment"), f"{where}.key",
            f"{key!r} may not end in '.comment' (comment columns are named so)")
    qtype = data.get("type")
    _expect(qtype in QUESTION_TYPES, f"{where}.type",
            f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}")
    skill = data.get("skill")
    _expect(skill is None or (isinstance(skill, str) and skill.strip()), f"{where}.skill",
            "must be a non-empty text")
    if skill is not None:
        skill = clean(skill)
        problem = text_problem(skill.strip(), name=True)
        _expect(problem is None, f"{where}.skill", problem or "")
    polarity = data.get("polarity", POSITIVE)
    _expect(polarity in POLARITIES, f"{where}.polarity",
            f"must be 'positive' or 'negative' (a behaviour to avoid), not {polarity!r}")
    _expect(polarity == POSITIVE or bool(skill), f"{where}.polarity",
            "only a question with a skill can be negative (the analysis reports skills)")
    common = dict(
        key=key,
        text=_text(data, "text", where, required=True),
        type=qtype,
        weight=_number(data, "weight", where, default=1.0),
        skill=skill.strip() if skill else None,
        guideline=_text(data, "guideline", where),
        allow_na=_bool(data, "allow_na", where),
        polarity=polarity,
    )
    auto_fail = data.get("auto_fail")
    if qtype == "scale":
        for bound in ("min", "max"):
            value = data.get(bound)
            _expect(isinstance(value, int) and not isinstance(value, bool), f"{where}.{bound}",
                    "a scale needs whole-number min and max")
        _expect(data["min"] < data["max"], f"{where}.min",
                f"min ({data['min']}) must be less than max ({data['max']})")
        for bound in ("min", "max"):
            _expect(abs(data[bound]) <= MAX_SCALE_BOUND, f"{where}.{bound}",
                    f"must be between -{MAX_SCALE_BOUND} and {MAX_SCALE_BOUND}, not {data[bound]}")
        _expect(data["max"] - data["min"] <= 100, f"{where}.max", "a scale may have at most 101 points")
        _expect(auto_fail is None, f"{where}.auto_fail", "a scale question cannot auto-fail")
        _expect("options" not in data, f"{where}.options", "only 'options' questions have options")
        return Question(**common, min=data["min"], max=data["max"])
    _expect("min" not in data and "max" not in data, f"{where}.min", "only scale questions have min/max")
    if qtype == "yes_no":
        _expect("options" not in data, f"{where}.options", "only 'options' questions have options")
        _expect(auto_fail is None or auto_fail in AUTO_FAIL_SCOPES, f"{where}.auto_fail",
                "must be 'section' or 'all'")
        return Question(**common, auto_fail=auto_fail)
    _expect(auto_fail is None, f"{where}.auto_fail", "put auto_fail on the option that triggers it")
    options = data.get("options")
    _expect(isinstance(options, list) and len(options) >= 2, f"{where}.options",
            "an options question needs at least two options")
    parsed = tuple(_option(o, f"{where}.options[{i}]") for i, o in enumerate(options))
    labels = [o.label.lower() for o in parsed]
    for i, label in enumerate(labels):
        _expect(labels.index(label) == i, f"{where}.options[{i}].label", f"duplicate label {parsed[i].label!r}")
        _expect(label != NA.lower(), f"{where}.options[{i}].label", "use allow_na instead of an 'N/A' option")
    _expect(max(o.points for o in parsed) > 0, f"{where}.options", "at least one option must give points")
    return Question(**common, options=parsed)


def _option(data: Any, where: str) -> Option:
    _expect(isinstance(data, dict), where, "an option must be a JSON object")
    _no_unknown(data, _OPTION_KEYS, where)
    _expect("points" in data, f"{where}.points", "every option needs points")
    auto_fail = data.get("auto_fail")
    _expect(auto_fail is None or auto_fail in AUTO_FAIL_SCOPES, f"{where}.auto_fail",
            "must be 'section' or 'all'")
    return Option(label=_text(data, "label", where, required=True),
                  points=_number(data, "points", where, default=None), auto_fail=auto_fail)


def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ScorecardError(where, message)


def _no_unknown(data: dict, allowed: set[str], where: str) -> None:
    try:
        check_no_duplicates(data, where)
    except JsonInputError as error:
        raise ScorecardError(error.where, "appears twice in the same object; keep one") from error
    for key in data:
        _expect(key in allowed, f"{where}.{key}" if where else key, "unknown field")


def _text(data: dict, key: str, where: str, required: bool = False) -> str:
    path = f"{where}.{key}" if where else key
    value = data.get(key, "")
    _expect(isinstance(value, str), path, "must be text")
    value = clean(value)
    if required:
        _expect(bool(value.strip()), path, "is required")
    is_name = key in NAME_FIELDS
    problem = text_problem(value.strip() if is_name else value, name=is_name)
    _expect(problem is None, path, problem or "")
    return value.strip() if is_name else value


def _number(data: dict, key: str, where: str, default: float | None) -> float | None:
    path = f"{where}.{key}"
    if key not in data or data[key] is None:
        return default
    value = data[key]
    _expect(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
            path, f"must be a number, not {value!r}")
    _expect(value >= 0, path, f"must not be negative ({value})")
    _expect(value <= MAX_WEIGHT, path, f"must be at most {MAX_WEIGHT:g}, not {value:g}")
    return float(value)


def _check_channel(channel: str, channels: list, where: str) -> None:
    """A channel the importers know, named as they name it, listed once."""
    name = channel.strip().lower()
    if name not in CHANNELS:
        suggestion = CHANNEL_SYNONYMS.get("".join(c for c in name if c.isalnum()))
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        raise ScorecardError(where, f"'{channel}' is not a channel (channels: {', '.join(CHANNELS)}){hint}")
    first = [c.strip().lower() for c in channels].index(name)
    _expect(f"channels[{first}]" == where, where, f"'{channel}' is listed twice")


def _bool(data: dict, key: str, where: str) -> bool:
    value = data.get(key, False)
    _expect(isinstance(value, bool), f"{where}.{key}", "must be true or false")
    return value


# ---------------------------------------------------------------- output

def scorecard_to_dict(card: Scorecard) -> dict[str, Any]:
    """The JSON form; default values are left out so that files stay as people wrote them."""
    out: dict[str, Any] = {"name": card.name}
    if card.description:
        out["description"] = card.description
    if card.channels:
        out["channels"] = list(card.channels)
    out["na_policy"] = card.na_policy
    out["sections"] = [_section_to_dict(s) for s in card.sections]
    return out


def scorecard_to_json(card: Scorecard) -> str:
    return json.dumps(scorecard_to_dict(card), indent=2, ensure_ascii=False) + "\n"


def _section_to_dict(section: Section) -> dict[str, Any]:
    out: dict[str, Any] = {"name": section.name}
    if section.weight is not None:
        out["weight"] = _num(section.weight)
    if section.bonus:
        out["bonus"] = True
    out["questions"] = [_question_to_dict(q) for q in section.questions]
    return out


def _question_to_dict(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "text": q.text}
    if q.guideline:
        out["guideline"] = q.guideline
    if q.skill:
        out["skill"] = q.skill
    if q.polarity != POSITIVE:
        out["polarity"] = q.polarity
    out["type"] = q.type
    if q.type == "scale":
        out["min"], out["max"] = q.min, q.max
    if q.type == "options":
        out["options"] = [
            {"label": o.label, "points": _num(o.points), **({"auto_fail": o.auto_fail} if o.auto_fail else {})}
            for o in q.options
        ]
    if q.weight != 1.0:
        out["weight"] = _num(q.weight)
    if q.allow_na:
        out["allow_na"] = True
    if q.auto_fail:
        out["auto_fail"] = q.auto_fail
    return out


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
