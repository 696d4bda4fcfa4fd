"""One generated interaction of the demo: what the build makes and the text describes."""

from __future__ import annotations

from dataclasses import dataclass
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
    answers: dict[str, Answer]
    result: ScoreResult
    status: str | None = None  # "submitted", "draft" or None = not graded
    csat: int | None = None
