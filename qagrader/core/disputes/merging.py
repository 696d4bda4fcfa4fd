"""The merge step of disputes, so that a dispute raised or resolved in one grader's workspace
travels to the others: by uuid, the later change wins (`core/merging/by_uuid.py`). When both
workspaces resolved the same dispute differently, the report lists it. The re-grade of an
accepted dispute is an edit of its evaluation, which the evaluations step brings along (with
its history entry)."""

from __future__ import annotations

from ..merging.by_uuid import UuidTable, Values, merge_by_uuid
from ..merging.report import KIND_LABELS, Conflict
from ..merging.steps import MergeContext, MergeStep
from ..storage import writers
from ..storage.changes import DISPUTES

KIND_LABELS.setdefault(DISPUTES, ("dispute", "disputes"))


def _conflict(ctx: MergeContext, local_id: int, theirs: Values, ours: Values, theirs_win: bool) -> Conflict | None:
    """Resolved on both sides, differently."""
    if "open" in (theirs["status"], ours["status"]) or (theirs["status"], theirs["resolution"]) == \
            (ours["status"], ours["resolution"]):
        return None
    external_id, question = ctx.conn.execute(
        """SELECT i.external_id, d.question_key FROM main.disputes d JOIN main.evaluations e ON e.id = d.evaluation_id
           JOIN main.interactions i ON i.id = e.interaction_id WHERE d.id = ?""", (local_id,)).fetchone()
    kept = theirs if theirs_win else ours
    return Conflict("dispute", f"of interaction {external_id}" + (f", question '{question}'" if question else ""),
                    f"{ours['status']} here, {theirs['status']} in the other workspace; kept the later decision "
                    f"({kept['status']}, {str(kept['resolved_at'])[:16].replace('T', ' ')} UTC)")


_DISPUTES = UuidTable(
    DISPUTES, writers.DISPUTE_COLUMNS,
    {"evaluation_id": "evaluations", "raised_by": "graders", "resolved_by": "graders"},
    writers.insert_dispute, writers.update_dispute, _conflict)


def merge_disputes(ctx: MergeContext) -> None:
    """Disputes by uuid; their evaluation and people through the earlier steps' mappings."""
    merge_by_uuid(ctx, _DISPUTES)


_DISPUTES_FP = """SELECT d.uuid, e.uuid, d.question_key, d.reason, lower(rb.name), d.raised_at, d.status,
                         lower(sb.name), d.resolved_at, d.resolution, d.regrade_uuid, d.updated_at
                  FROM {s}.disputes d JOIN {s}.evaluations e ON e.id = d.evaluation_id
                  JOIN {s}.graders rb ON rb.id = d.raised_by LEFT JOIN {s}.graders sb ON sb.id = d.resolved_by
                  ORDER BY d.uuid"""

DISPUTES_STEP = MergeStep(DISPUTES, merge_disputes, _DISPUTES_FP)
"""Registered by `core/merging/tables.py`, after the evaluations and graders steps."""
