"""The rows an evaluation import writes: parsed and checked by `evaluations`, written by
`evaluation_write`."""

from __future__ import annotations

from dataclasses import dataclass

from ..scorecards.scoring import Answer, ScoreResult
from ..scorecards.store import StoredScorecard


@dataclass(frozen=True)
class CheckedAnswers:
    """A row's checked answers and their JSON exactly as `Evaluations` stores it."""

    answers: dict[str, Answer]
    json: str
    signature: tuple[int, ...]  # identifies the answer values (comments aside), for score caching


@dataclass
class EvaluationRow:
    """One checked row of an evaluation import: what to write, scored, and the stored
    evaluation it updates (`existing`, the stored row) if any."""

    line: int
    uuid: str
    external_id: str
    card: StoredScorecard
    grader: str
    status: str
    calibration: int
    graded_at: str | None
    answers: CheckedAnswers
    comment: str
    file_score: float | None
    result: ScoreResult | None = None
    reasons: str = "[]"  # auto-fail reasons as JSON
    existing: tuple | None = None
    blind: int | None = None  # 1: graded with CSAT hidden, 0: CSAT visible, None: not known
