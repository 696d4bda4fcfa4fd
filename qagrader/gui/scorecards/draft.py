"""The scorecard being edited, as the JSON-shaped dict `scorecard_from_dict` validates.

Editing a plain dict keeps the forms simple and lets validation report exactly the field paths
(`sections[0].questions[2].key`) the forms know how to highlight.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from qagrader.core.scorecards.model import Scorecard, scorecard_to_dict

Draft = dict[str, Any]

_PATH = re.compile(r"^(?:sections\[(\d+)\](?:\.questions\[(\d+)\](?:\.options\[(\d+)\])?)?)?\.?(.*)$")


@dataclass(frozen=True)
class FieldPath:
    """Where a `ScorecardError` points: a section / question / option index and a field name."""

    section: int | None
    question: int | None
    option: int | None
    field: str  # e.g. "key", "weight", "label", "" for the item itself


def parse_field(path: str) -> FieldPath:
    """`sections[1].questions[0].options[2].label` -> FieldPath(1, 0, 2, "label")."""
    match = _PATH.match(path or "")
    if not match:
        return FieldPath(None, None, None, path or "")
    s, q, o, rest = match.groups()
    return FieldPath(int(s) if s else None, int(q) if q else None, int(o) if o else None, rest or "")


def describe_field(path: str, draft: Draft) -> str:
    """A human name for a field path: "Section 1 'Opening', question 2 'greet', key"."""
    where = parse_field(path)
    parts: list[str] = []
    sections = draft.get("sections") or []
    if where.section is not None and where.section < len(sections):
        section = sections[where.section]
        parts.append(f"Section {where.section + 1} '{section.get('name', '')}'")
        questions = section.get("questions") or []
        if where.question is not None and where.question < len(questions):
            question = questions[where.question]
            name = question.get("key") or _short(question.get("text") or "")
            parts.append(f"question {where.question + 1} '{name}'")
            if where.option is not None:
                parts.append(f"option {where.option + 1}")
    text = ", ".join(parts) if parts else "Scorecard"
    if where.field:
        text += f" — {_FIELD_NAMES.get(where.field, where.field.replace('_', ' '))}"
    return text


_FIELD_NAMES = {"na_policy": "N/A policy", "allow_na": "N/A allowed", "auto_fail": "auto-fail",
                "min": "scale minimum", "max": "scale maximum", "text": "question text"}


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def from_card(card: Scorecard) -> Draft:
    """An editable deep copy of a stored scorecard."""
    return copy.deepcopy(scorecard_to_dict(card))


def new_draft(name: str = "New scorecard") -> Draft:
    return {"name": name, "na_policy": "exclude",
            "sections": [new_section("Section 1", [new_question("q1")])]}


def new_section(name: str, questions: list[dict] | None = None) -> dict[str, Any]:
    return {"name": name, "questions": questions if questions is not None else [new_question("q1")]}


def new_question(key: str) -> dict[str, Any]:
    return {"key": key, "text": "New question", "type": "yes_no"}


def unique_key(draft: Draft, stem: str = "q") -> str:
    """A question key not used anywhere in the draft."""
    used = {q.get("key") for s in draft.get("sections", []) for q in s.get("questions", [])}
    n = 1
    while f"{stem}{n}" in used:
        n += 1
    return f"{stem}{n}"


def set_type(question: dict[str, Any], qtype: str) -> None:
    """Change a question's type, adding the fields the new type needs and dropping the others."""
    question["type"] = qtype
    if qtype != "scale":
        question.pop("min", None)
        question.pop("max", None)
    if qtype != "options":
        question.pop("options", None)
    if qtype != "yes_no":
        question.pop("auto_fail", None)
    if qtype == "scale":
        question.setdefault("min", 1)
        question.setdefault("max", 5)
    if qtype == "options":
        question.setdefault("options", [{"label": "Met", "points": 2}, {"label": "Partly", "points": 1},
                                        {"label": "Not met", "points": 0}])
