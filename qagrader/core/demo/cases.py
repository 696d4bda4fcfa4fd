"""One generated interaction of the demo: what the build makes and the text describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..scorecards.scoring import Answer, ScoreResult


@dataclass
class Case:
    """One generated interaction, its answers and its score."""

    id: int
    channel: str
    agent: int
    team: str
    brand: int
    topic: str
    occurred: datetime
    customer: tuple[str, str]
    wrong_first: str
    occasion: int | None
    answers: dict[str, Answer]   # as the grader answered (leniency and error included)
    result: ScoreResult
    grader: str = ""
    truth: ScoreResult | None = None  # what a perfect grader would have scored: drives CSAT
    seen: dict[str, float | None] = field(default_factory=dict)  # per question: what happened (None = N/A)
    status: str | None = None  # "submitted", "draft" or None = not graded
    second_grader: str | None = None  # a second opinion (a re-grade), also submitted
    satisfaction: float = 0.0  # the customer's latent satisfaction (standard-normal scale)
    csat: int | None = None
