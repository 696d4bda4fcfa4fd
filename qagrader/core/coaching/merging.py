"""The merge step of coaching notes: by uuid, the later change wins (an edit, a follow-up done,
a deletion; see `core/merging/by_uuid.py`). The agent and the coach come through the earlier
steps' mappings (agents and graders match by name); the evaluations a note is about are uuids
already."""

from __future__ import annotations

from ..merging.by_uuid import UuidTable, merge_by_uuid
from ..merging.report import KIND_LABELS
from ..merging.steps import MergeContext, MergeStep
from ..storage import writers
from ..storage.changes import COACHING_NOTES

KIND_LABELS.setdefault(COACHING_NOTES, ("coaching note", "coaching notes"))

_NOTES = UuidTable(COACHING_NOTES, writers.COACHING_NOTE_COLUMNS, {"agent_id": "agents", "coach_id": "graders"},
                   writers.insert_coaching_note, writers.update_coaching_note)


def merge_coaching_notes(ctx: MergeContext) -> None:
    """Coaching notes by uuid; the later version wins."""
    merge_by_uuid(ctx, _NOTES)


_NOTES_FP = """SELECT n.uuid, lower(a.name), lower(c.name), n.coached_on, n.skills, n.evaluations, n.agreed,
                      n.follow_up_on, n.followed_up_on, n.follow_up_note, n.deleted_at, n.updated_at
               FROM {s}.coaching_notes n JOIN {s}.agents a ON a.id = n.agent_id
               JOIN {s}.graders c ON c.id = n.coach_id ORDER BY n.uuid"""

COACHING_STEP = MergeStep(COACHING_NOTES, merge_coaching_notes, _NOTES_FP)
"""Registered by `core/merging/tables.py`, after the agents and graders steps."""
