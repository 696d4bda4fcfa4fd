"""Disputes: an agent thinks a grade is wrong; a lead or grader enters it on their behalf.

A dispute is raised on a submitted evaluation (optionally on one of its questions) with the
agent's reason. It stays open until someone resolves it:

- accepted: the evaluation is re-graded in the same transaction, an edit of a submitted
  evaluation like any other: its history keeps the answers before, with who re-graded it, when,
  and why (``{"reason": ..., "dispute": uuid}`` in the snapshot; `regrade_uuid` names that
  entry). The analysis and profiles read the evaluation, so they use the new answers at once.
- rejected: with a reason; the grade stays as it was.

Every write is one transaction through the row writers (kind DISPUTES; accepting records the
evaluation too). Disputes travel by merge (`core/disputes/merging.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import DisputeError, NotFound
from ..grading.evaluations import checked_text, validate_answers
from ..scorecards.scoring import Answer
from ..storage import writers
from ..storage.records import utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
STATUSES: tuple[str, ...] = (OPEN, ACCEPTED, REJECTED)


@dataclass(frozen=True)
class Dispute:
    """A dispute with what a list shows about it (names as they are now)."""

    id: int
    uuid: str
    status: str
    evaluation_id: int
    evaluation_uuid: str
    interaction_id: int
    external_id: str
    channel: str
    agent: str | None
    team: str | None
    grader: str  # who made the disputed grade
    scorecard: str
    scorecard_version: int
    scorecard_id: int
    question_key: str | None  # None: the whole evaluation
    question_text: str | None
    reason: str
    raised_by: str
    raised_at: str
    resolved_by: str | None
    resolved_at: str | None
    resolution: str
    regrade_uuid: str | None
    score: float | None  # the evaluation's score now
    updated_at: str

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def about(self) -> str:
        """What is disputed, in words: the question, or the whole evaluation."""
        if self.question_key is None:
            return "the whole evaluation"
        return f"'{self.question_text or self.question_key}'"


@dataclass(frozen=True)
class DisputeFilters:
    """Which disputes to list; None or empty means any. Names match case-insensitively;
    `scorecards` matches a scorecard's name (every version); dates bound `raised_at`
    (YYYY-MM-DD, both inclusive)."""

    statuses: tuple[str, ...] | None = None
    agents: tuple[str, ...] | None = None
    graders: tuple[str, ...] | None = None
    scorecards: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    raised_from: str | None = None
    raised_to: str | None = None
    evaluation_id: int | None = None


_SELECT = """
SELECT d.id, d.uuid, d.status, e.id, e.uuid, i.id, i.external_id, i.channel, a.name, t.name, g.name,
       s.name, s.version, s.id, d.question_key, d.reason, rb.name, d.raised_at, sb.name, d.resolved_at,
       d.resolution, d.regrade_uuid, e.score, d.updated_at
FROM disputes d
JOIN evaluations e ON e.id = d.evaluation_id
JOIN interactions i ON i.id = e.interaction_id
JOIN scorecards s ON s.id = e.scorecard_id
JOIN graders g ON g.id = e.grader_id
JOIN graders rb ON rb.id = d.raised_by
LEFT JOIN graders sb ON sb.id = d.resolved_by
LEFT JOIN agents a ON a.id = i.agent_id
LEFT JOIN teams t ON t.id = COALESCE(i.team_id, a.team_id)"""


def filter_sql(filters: DisputeFilters) -> tuple[str, list]:
    """The WHERE clause (over `_SELECT`'s aliases) and parameters of `filters`."""
    clauses: list[str] = []
    params: list = []

    def one_of(column: str, values: Iterable[str] | None) -> None:
        values = [v for v in (values or ()) if v]
        if values:
            clauses.append(f"{column} COLLATE NOCASE IN ({', '.join('?' * len(values))})")
            params.extend(values)

    unknown = [s for s in (filters.statuses or ()) if s not in STATUSES]
    if unknown:
        raise DisputeError(f"'{unknown[0]}' is not a dispute status (open, accepted or rejected).")
    one_of("d.status", filters.statuses)
    one_of("a.name", filters.agents)
    one_of("g.name", filters.graders)
    one_of("s.name", filters.scorecards)
    one_of("t.name", filters.teams)
    if filters.raised_from:
        clauses.append("d.raised_at >= ?")
        params.append(str(filters.raised_from)[:10])
    if filters.raised_to:
        clauses.append("substr(d.raised_at, 1, 10) <= ?")
        params.append(str(filters.raised_to)[:10])
    if filters.evaluation_id is not None:
        clauses.append("d.evaluation_id = ?")
        params.append(filters.evaluation_id)
    return (" AND ".join(clauses) or "1"), params


class Disputes:
    """The disputes of a workspace: lookups and the three operations (raise, accept, reject)."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    # ------------------------------------------------------------------ reading

    def get(self, dispute_id: int) -> Dispute:
        rows = self._query("d.id = ?", [dispute_id])
        if not rows:
            raise NotFound(f"No dispute with id {dispute_id}.")
        return rows[0]

    def by_uuid(self, uuid: str) -> Dispute:
        rows = self._query("d.uuid = ?", [uuid])
        if not rows:
            raise NotFound(f"No dispute with id '{uuid}'.")
        return rows[0]

    def list(self, filters: DisputeFilters | None = None) -> list[Dispute]:
        """Disputes matching `filters`: open ones first, then newest first."""
        where, params = filter_sql(filters or DisputeFilters())
        return self._query(where, params, order="d.status != 'open', d.raised_at DESC, d.id DESC")

    def for_evaluation(self, evaluation_id: int) -> list[Dispute]:
        """The disputes of one evaluation, oldest first."""
        return self._query("d.evaluation_id = ?", [evaluation_id], order="d.raised_at, d.id")

    def open_count(self) -> int:
        return self._ws.conn.execute("SELECT count(*) FROM disputes WHERE status = 'open'").fetchone()[0]

    def _query(self, where: str, params: list, order: str = "d.id") -> list[Dispute]:
        rows = self._ws.conn.execute(f"{_SELECT} WHERE {where} ORDER BY {order}", params).fetchall()
        texts: dict[int, dict[str, str]] = {}
        out = []
        for row in rows:
            scorecard_id, key = row[13], row[14]
            if scorecard_id not in texts:
                card = self._ws.scorecards.get_by_id(scorecard_id).card
                texts[scorecard_id] = {q.key: q.text for q in card.questions}
            out.append(Dispute(*row[:15], texts[scorecard_id].get(key) if key else None, *row[15:]))
        return out

    # ------------------------------------------------------------------ operations

    def create(self, evaluation_id: int, reason: str, *, raised_by: str, question_key: str | None = None) -> Dispute:
        """Raise a dispute on a submitted evaluation (on one question, or the whole of it) with
        the agent's `reason`, entered by `raised_by`. Refused: a draft or calibration grade, an
        unknown question, an empty reason, or a second open dispute on the same question."""
        reason = _required_text(reason, "The agent's reason")
        with self._ws.transaction():
            evaluation = self._ws.evaluations.get(evaluation_id)
            if not evaluation.submitted:
                raise DisputeError("Only a submitted grade can be disputed; this one is still a draft.")
            if evaluation.calibration:
                raise DisputeError("A calibration grade cannot be disputed: it does not count for the agent.")
            if question_key is not None:
                card = self._ws.scorecards.get_by_id(evaluation.scorecard_id).card
                if question_key not in {q.key for q in card.questions}:
                    raise DisputeError(f"Question '{question_key}' is not on this evaluation's scorecard.")
            for other in self.for_evaluation(evaluation_id):
                if other.is_open and other.question_key == question_key:
                    raise DisputeError(f"{other.about[0].upper()}{other.about[1:]} already has an open dispute "
                                       f"(raised {other.raised_at[:10]} by {other.raised_by}); resolve it first.")
            raiser = self._ws.graders.ensure(raised_by)
            now = utc_now()
            dispute_id = writers.insert_dispute(
                self._ws, evaluation_id=evaluation_id, question_key=question_key, reason=reason,
                raised_by=raiser, raised_at=now, status=OPEN, now=now)
        return self.get(dispute_id)

    def edit_reason(self, dispute_id: int, reason: str) -> Dispute:
        """Correct the agent's reason of an open dispute."""
        reason = _required_text(reason, "The agent's reason")
        with self._ws.transaction():
            dispute = self._open(dispute_id)
            if reason != dispute.reason:
                writers.update_dispute(self._ws, dispute_id, reason=reason)
        return self.get(dispute_id)

    def accept(self, dispute_id: int, answers: Mapping[str, Answer], *, by: str, reason: str = "",
               overall_comment: str | None = None) -> Dispute:
        """Accept an open dispute and re-grade its evaluation with `answers` (every question,
        as a submitted evaluation needs): one transaction that edits the evaluation (its
        history keeps the answers before, with `by`, the time and why) and resolves the
        dispute. `reason` says why (default: the agent's reason). Refused when the re-grade
        changes nothing: reject the dispute instead."""
        why = checked_text(reason or "", "The reason").strip()
        with self._ws.transaction():
            dispute = self._open(dispute_id)
            current = self._ws.evaluations.get(dispute.evaluation_id)
            card = self._ws.scorecards.get_by_id(current.scorecard_id).card
            new_answers = validate_answers(card, {**current.answers, **answers})
            comment = (current.overall_comment if overall_comment is None
                       else checked_text(overall_comment, "the overall comment"))
            if new_answers == dict(current.answers) and comment == current.overall_comment:
                raise DisputeError("The re-grade changes no answer: change the disputed answer, "
                                   "or reject the dispute with a reason.")
            resolver = self._ws.graders.ensure(by)
            self._ws.evaluations.save(
                dispute.evaluation_id, new_answers, comment, editor=by,
                context={"reason": why or f"Dispute accepted: {dispute.reason}", "dispute": dispute.uuid})
            entry = self._ws.conn.execute(
                "SELECT uuid FROM evaluation_history WHERE evaluation_id = ? ORDER BY id DESC LIMIT 1",
                (dispute.evaluation_id,)).fetchone()[0]
            writers.update_dispute(self._ws, dispute_id, status=ACCEPTED, resolved_by=resolver,
                                   resolved_at=utc_now(), resolution=why, regrade_uuid=entry)
        return self.get(dispute_id)

    def reject(self, dispute_id: int, *, by: str, reason: str) -> Dispute:
        """Reject an open dispute with a reason (required: the agent deserves one); the grade
        stays as it was."""
        why = _required_text(reason, "The reason for rejecting")
        with self._ws.transaction():
            self._open(dispute_id)
            resolver = self._ws.graders.ensure(by)
            writers.update_dispute(self._ws, dispute_id, status=REJECTED, resolved_by=resolver,
                                   resolved_at=utc_now(), resolution=why)
        return self.get(dispute_id)

    def _open(self, dispute_id: int) -> Dispute:
        dispute = self.get(dispute_id)
        if not dispute.is_open:
            raise DisputeError(f"This dispute was already {dispute.status} on {dispute.resolved_at[:10]} "
                               f"by {dispute.resolved_by}.")
        return dispute

    # ------------------------------------------------------------------ re-grade details

    def answer_before(self, dispute: Dispute) -> Answer | None:
        """The disputed question's answer before an accepted dispute's re-grade (None for an
        open or rejected dispute, or a dispute of the whole evaluation)."""
        if dispute.regrade_uuid is None or dispute.question_key is None:
            return None
        row = self._ws.conn.execute("SELECT snapshot FROM evaluation_history WHERE uuid = ?",
                                    (dispute.regrade_uuid,)).fetchone()
        if row is None:
            return None
        answer = json.loads(row[0]).get("answers", {}).get(dispute.question_key)
        return None if answer is None else Answer.from_json(answer)


def _required_text(text: str | None, what: str) -> str:
    text = checked_text(text or "", what).strip()
    if not text:
        raise DisputeError(f"{what} cannot be empty.")
    return text
