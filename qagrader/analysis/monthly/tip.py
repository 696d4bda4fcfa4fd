"""The tip of the month: the guideline of the failed question with the largest expected CSAT
cost (`questions.question_costs`), worded for agents.

Scorecards speak to graders ("Acknowledged how the customer felt"; "Yes: named the feeling...,
No: went straight to process"). The tip speaks to agents: the question as an instruction
("Acknowledge how the customer feels"), what good looks like (the guideline's best answer) and
what to avoid (its worst), in the second person where the wording allows, and why, with the
numbers behind it worded as an association.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Past tense of the verbs scorecard questions and guidelines start with -> the instruction.
_VERBS = {
    "acknowledged": "acknowledge", "adapted": "adapt", "agreed": "agree", "answered": "answer", "apologised": "apologise",
    "apologized": "apologize", "asked": "ask", "avoided": "avoid", "built": "build", "called": "call",
    "checked": "check", "closed": "close", "confirmed": "confirm", "did": "do", "escalated": "escalate",
    "explained": "explain", "felt": "feel", "fixed": "fix", "followed": "follow", "gave": "give", "got": "get",
    "greeted": "greet", "helped": "help", "introduced": "introduce", "kept": "keep", "let": "let",
    "listened": "listen", "logged": "log", "made": "make", "named": "name", "offered": "offer", "opened": "open",
    "paused": "pause", "personalised": "personalise", "personalized": "personalize", "picked": "pick",
    "put": "put", "read": "read", "recognised": "recognise", "recognized": "recognize", "referred": "refer",
    "replied": "reply", "resolved": "resolve", "responded": "respond", "said": "say", "sent": "send",
    "set": "set", "showed": "show", "solved": "solve", "sounded": "sound", "spelt": "spell", "spelled": "spell",
    "spoke": "speak", "stayed": "stay", "summarised": "summarise", "summarized": "summarize", "tagged": "tag",
    "thanked": "thank", "told": "tell", "took": "take", "used": "use", "verified": "verify", "went": "go",
    "wrote": "write", "refers": "refer", "reads": "read", "uses": "use", "checks": "check", "offers": "offer",
    "answers": "answer", "explains": "explain", "names": "name",
}
_TENSE = {"felt": "feels", "was": "is", "were": "are", "had": "has"}
_PERSON = ((r"\btheir own\b", "your own"), (r"\bthe agent's\b", "your"), (r"\bthe agent\b", "you"),
           (r"\bthemselves\b", "yourself"))
_LABEL = re.compile(r"(?:^|(?<=[.!?)\"'”]\s))(Yes|No|Partial|N/A|\d+)(\s+if any of)?:\s*")
_NOUN = {"phone": "calls", "email": "emails", "chat": "chats"}


def instruction(text: str) -> str:
    """A question or guideline phrase turned into an instruction to the agent: its first verb
    from the past tense to the imperative, "their own" to "your own"; unchanged where no verb
    is known ("Friendly, warm tone" stays as it is)."""
    words = text.strip().split(" ")
    if not words or not words[0]:
        return text.strip()
    first = words[0].lower()
    if first in _VERBS:
        words[0] = _VERBS[first]
        words = [_TENSE.get(w, w) for w in words]
    out = " ".join(words)
    for pattern, replacement in _PERSON:
        out = re.sub(pattern, replacement, out)
    return out[:1].upper() + out[1:]


def guideline_parts(guideline: str) -> dict[str, str]:
    """A guideline's labelled parts ("Yes", "Partial", "No", "N/A", or scale points "5", "3",
    "1"), each without its label; ``{"": text}`` when it has none."""
    text = " ".join((guideline or "").split())
    marks = list(_LABEL.finditer(text))
    if not marks:
        return {"": text} if text else {}
    parts = {}
    for mark, after in zip(marks, [*marks[1:], None]):
        body = text[mark.end():after.start() if after else len(text)].strip()
        label = mark.group(1)
        parts.setdefault(label, ("any of: " if mark.group(2) else "") + body)
    return parts


@dataclass(frozen=True)
class Tip:
    """The tip of the month and the numbers behind it."""

    headline: str  # the question as an instruction
    do: str  # what good looks like ("" when the guideline does not say)
    avoid: str  # when it counts as missed ("" when the guideline does not say)
    guideline: str  # the guideline as written for graders
    scorecard: str
    question: str  # the question's text on the scorecard
    key: str
    interactions: str  # "calls", "emails", "chats" or "interactions"
    n: int
    failure_rate: float
    csat_diff: float  # CSAT lower when it failed, in points of `scale` (0..1 CSAT when no one scale)
    ci_low: float
    ci_high: float
    scale: str  # "1-5", ... or "" (then 0..1)
    cost: float  # csat_diff x failure_rate: the expected CSAT cost per interaction

    def why(self, month: str) -> str:
        """The numbers in words, as an association."""
        unit = f" points lower on average on the {self.scale} scale" if self.scale else \
            " lower on average (CSAT from 0 to 1)"
        return (f"In {month}, {self.failure_rate:.0%} of the {self.n:,} graded {self.interactions} missed this. "
                f"Customers rated those {self.interactions} {self.csat_diff:.2f}{unit} "
                f"(95% CI {self.ci_low:.2f} to {self.ci_high:.2f}): about {self.cost:.2f} per "
                f"{self.interactions[:-1]}, the largest expected cost of any question this month. What grades and "
                "surveys show together, not proof that it causes lower CSAT.")


def tip_of_the_month(costs: pd.DataFrame, channels: dict[str, tuple[str, ...]] | None = None) -> Tip | None:
    """The tip from `question_costs` (its first row whose cost holds), or None when no
    question's cost holds. `channels`: each scorecard's channels, to call interactions
    "calls", "emails" or "chats"."""
    held = costs[costs["holds"]] if len(costs) else costs
    if held.empty:
        return None
    row = held.iloc[0]
    parts = guideline_parts(row["guideline"])
    negative = row["polarity"] == "negative"
    good = parts.get("Yes") or parts.get(max((p for p in parts if p.isdigit()), key=int, default=""), "")
    bad = parts.get("No") or parts.get(min((p for p in parts if p.isdigit()), key=int, default=""), "")
    if not parts.get("Yes") and "" in parts:
        good = parts[""]
    if negative and not parts.get("Yes"):
        good = ""
    scorecard_channels = (channels or {}).get(row["scorecard"], ())
    noun = _NOUN.get(scorecard_channels[0], "interactions") if len(scorecard_channels) == 1 else "interactions"
    use_points = bool(row["csat_scale"]) and row["csat_scale"] != "mixed" and np.isfinite(row["cost_points"])
    scale = row["csat_scale"] if use_points else ""
    factor = row["cost_points"] / row["cost"] if use_points and row["cost"] else 1.0
    return Tip(
        headline=instruction(row["text"]), do=instruction(good) if good else "",
        avoid=_second_person(bad), guideline=row["guideline"], scorecard=row["scorecard"], question=row["text"],
        key=row["key"], interactions=noun, n=int(row["n"]), failure_rate=float(row["failure_rate"]),
        csat_diff=float(row["csat_diff"]) * factor, ci_low=float(row["csat_diff_ci_low"]) * factor,
        ci_high=float(row["csat_diff_ci_high"]) * factor, scale=scale,
        cost=float(row["cost_points"] if use_points else row["cost"]))


def _second_person(text: str) -> str:
    """When a grade counts as missed, said to the agent: "Counts as missed when you went
    straight to process" (a phrase starting with a known verb), else "Counts as missed: ..."."""
    out = text.strip()
    if not out:
        return ""
    for pattern, replacement in _PERSON:
        out = re.sub(pattern, replacement, out)
    first = out.split(" ")[0].lower()
    if first in _VERBS:
        return f"Counts as missed when you {out[:1].lower()}{out[1:]}"
    return f"Counts as missed: {out[:1].lower()}{out[1:]}"
