"""Deletions travel by merge: the tombstones step, and the rule every step applies.

Deleting a record the app lets a user delete outright (a draft evaluation, an unused scorecard
version) leaves a tombstone: the record's table and uuid, when, and by whom
(`writers.add_tombstones`). Tombstones are merged like records (by table and uuid; the later
deletion wins, ties by the deleter's name), and the rule is:

    A tombstone beats a copy of its record that was last changed at or before the deletion;
    a copy changed after it (an edit made after the deletion, in another workspace) wins and the
    record lives on. A submitted evaluation always beats a tombstone (only drafts can be
    deleted, and a submitted version is not one), and so does a scorecard version that an
    evaluation or a calibration session still uses (the evaluation would lose its scorecard).

Why: every copy of a record carries its `updated_at`, so "changed after the deletion" is
decided from the two rows alone, the same way in both workspaces whatever the order of the
merges; a tombstone is never removed, so a copy arriving later through a third workspace is
beaten as well (A deletes, B still holds the record, C merges B and then A, or A then B: the
record is gone either way). Like every later-wins rule, this trusts the laptops' clocks.

The tombstones step runs right after the graders step (it maps who deleted); the evaluations
step skips their beaten copies and deletes ours; the last step deletes scorecard versions left
beaten and unused once everything else has come in.
"""

from __future__ import annotations

from .report import KIND_LABELS
from .steps import MergeContext, MergeStep
from ..storage import writers

TOMBSTONES = "tombstones"
DELETABLE_TABLES = ("evaluations", "scorecards")
"""The tables whose records can be deleted outright, and so have tombstones."""

KIND_LABELS.setdefault(TOMBSTONES, ("deletion made elsewhere", "deletions made elsewhere"))

BEATEN_EVALUATIONS = """SELECT e.id, e.interaction_id FROM main.tombstones t
                        JOIN main.evaluations e ON e.uuid = t.uuid
                        WHERE t.record_table = 'evaluations' AND e.status = 'draft' AND e.updated_at <= t.deleted_at"""
"""This workspace's evaluations that a tombstone beats (see the rule above)."""

_BEATEN_SCORECARDS = """SELECT s.id FROM main.tombstones t JOIN main.scorecards s ON s.uuid = t.uuid
                        WHERE t.record_table = 'scorecards' AND s.updated_at <= t.deleted_at
                          AND NOT EXISTS (SELECT 1 FROM main.evaluations e WHERE e.scorecard_id = s.id)
                          AND NOT EXISTS (SELECT 1 FROM main.calibration_sessions c WHERE c.scorecard_id = s.id)
                        ORDER BY s.id"""


def merge_tombstones(ctx: MergeContext) -> None:
    """Their tombstones this workspace lacks, or holds an earlier deletion of (ties: the
    deleter's name, then whoever is named), with their deleter mapped to ours."""
    graders = ctx.ids.get("graders", {})
    rows = ctx.conn.execute("""
        SELECT o.record_table, o.uuid, o.deleted_at, o.deleted_by, lower(og.name), l.deleted_at, lower(lg.name)
        FROM other.tombstones o LEFT JOIN other.graders og ON og.id = o.deleted_by
        LEFT JOIN main.tombstones l ON l.record_table = o.record_table AND l.uuid = o.uuid
        LEFT JOIN main.graders lg ON lg.id = l.deleted_by
        ORDER BY o.id""").fetchall()
    wanted = []
    for table, uuid, deleted_at, deleted_by, name, local_at, local_name in rows:
        if local_at is not None and (deleted_at, name or "") <= (local_at, local_name or ""):
            continue
        wanted.append((table, uuid, deleted_at, None if deleted_by is None else graders[deleted_by]))
    ctx.report.add(TOMBSTONES, writers.add_tombstones(ctx.ws, wanted))


def delete_beaten_scorecards(ctx: MergeContext) -> None:
    """Scorecard versions here that a tombstone beats and nothing uses, now that every step
    has run (an evaluation skipped or deleted may have been their last use)."""
    beaten = [row[0] for row in ctx.conn.execute(_BEATEN_SCORECARDS)]
    if beaten:
        writers.delete_scorecard_versions(ctx.ws, beaten)
        ctx.report.delete("scorecards", len(beaten))
        gone = set(beaten)
        mapping = ctx.ids.get("scorecards", {})
        for other_id in [o for o, local in mapping.items() if local in gone]:
            del mapping[other_id]


TOMBSTONES_FP = """SELECT t.record_table, t.uuid, t.deleted_at, lower(g.name) FROM {s}.tombstones t
                   LEFT JOIN {s}.graders g ON g.id = t.deleted_by ORDER BY 1, 2"""

TOMBSTONES_STEP = MergeStep(TOMBSTONES, merge_tombstones, TOMBSTONES_FP)
"""Registered by `tables`, right after the graders step."""
BEATEN_SCORECARDS_STEP = MergeStep("beaten_scorecards", delete_beaten_scorecards, "")
"""Registered by `tables`, last; adds nothing to the fingerprint (the scorecards step's covers it)."""
