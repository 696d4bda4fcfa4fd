"""Merge steps for calibration, so that sessions travel between graders' workspaces: the lead
creates a session and publishes it, each grader grades it in their own workspace, and merging
their files brings every grade back to the lead (rules in `core/merging/steps.py`).

Sessions match by uuid; items by session and interaction, members by session and grader; the
later `updated_at` wins (ties: by content), so a removal, a close or a rename travels. Grade
links come with their evaluations and never change.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..merging.report import KIND_LABELS
from ..merging.steps import MergeContext, MergeStep
from ..storage import writers

KIND_LABELS.setdefault("calibration_sessions", ("calibration session", "calibration sessions"))
KIND_LABELS.setdefault("calibration_items", ("session interaction", "session interactions"))
KIND_LABELS.setdefault("calibration_members", ("session grader", "session graders"))

_SESSION_VALUES = ("name", "held_on", "status", "closed_at", "deleted", "notes")


def _later(theirs: tuple, mine: tuple) -> bool:
    """Whether their version wins: the later `updated_at` (first), then the larger content."""
    return tuple("" if v is None else str(v) for v in theirs) > tuple("" if v is None else str(v) for v in mine)


def merge_sessions(ctx: MergeContext) -> None:
    """Sessions by uuid; their scorecard version and benchmark grader through the earlier steps'
    mappings; a session changed on both sides takes the later change."""
    conn = ctx.conn
    scorecards, graders = ctx.ids.get("scorecards", {}), ctx.ids.get("graders", {})
    mapping = ctx.ids.setdefault("calibration_sessions", {})
    values = ", ".join(_SESSION_VALUES)
    mine = {r[1]: r for r in conn.execute(
        f"SELECT id, uuid, scorecard_id, benchmark_grader_id, {values}, created_at, updated_at "
        "FROM main.calibration_sessions")}
    inserts, updates, touched = [], [], []
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM main.calibration_sessions").fetchone()[0]
    for other_id, uuid, card, benchmark, *theirs, created_at, updated_at in conn.execute(
            f"SELECT id, uuid, scorecard_id, benchmark_grader_id, {values}, created_at, updated_at "
            "FROM other.calibration_sessions ORDER BY id").fetchall():
        placed = (scorecards[card], graders[benchmark] if benchmark is not None else None)
        local = mine.get(uuid)
        if local is None:
            inserts.append((next_id, uuid, *placed, *theirs, created_at, updated_at))
            mapping[other_id] = next_id
            touched.append(next_id)
            next_id += 1
            continue
        local_id, _uuid, *ours, _created, local_updated = local
        mapping[other_id] = local_id
        if (*placed, *theirs) != tuple(ours) and _later((updated_at, *placed, *theirs),
                                                        (local_updated, *ours)):
            updates.append((*placed, *theirs, updated_at, local_id))
            touched.append(local_id)
    columns = ("id", "uuid", "scorecard_id", "benchmark_grader_id", *_SESSION_VALUES, "created_at", "updated_at")
    writers.merge_calibration_rows(ctx.ws, "calibration_sessions", columns, inserts, updates=updates, key=("id",),
                     updated=("scorecard_id", "benchmark_grader_id", *_SESSION_VALUES, "updated_at"), sessions=touched)
    ctx.report.add("calibration_sessions", len(inserts))
    ctx.report.update("calibration_sessions", len(updates))


def _merge_children(ctx: MergeContext, table: str, column: str, translate: dict[int, int],
                    values: Sequence[str]) -> None:
    """Rows keyed by (session, `column`) whose later version wins."""
    conn = ctx.conn
    sessions = ctx.ids.get("calibration_sessions", {})
    listed = ", ".join(values)
    mine = {(s, k): tuple(v) for s, k, *v in conn.execute(
        f"SELECT session_id, {column}, updated_at, {listed} FROM main.{table}")}
    inserts, updates, touched = [], [], []
    for session, key, updated_at, *theirs in conn.execute(
            f"SELECT session_id, {column}, updated_at, {listed} FROM other.{table}").fetchall():
        local_key = (sessions[session], translate[key])
        local = mine.get(local_key)
        if local is None:
            inserts.append((*local_key, updated_at, *theirs))
            touched.append(local_key[0])
        elif (updated_at, *theirs) != local and _later((updated_at, *theirs), local):
            updates.append((updated_at, *theirs, *local_key))
            touched.append(local_key[0])
    writers.merge_calibration_rows(ctx.ws, table, ("session_id", column, "updated_at", *values), inserts,
                     updated=("updated_at", *values), updates=updates, key=("session_id", column), sessions=touched)
    ctx.report.add(table, len(inserts))
    ctx.report.update(table, len(updates))


def merge_items(ctx: MergeContext) -> None:
    """A session's interactions, by session and interaction; the later change (a removal too) wins."""
    _merge_children(ctx, "calibration_items", "interaction_id", ctx.ids.get("interactions", {}),
                    ("removed", "position"))


def merge_members(ctx: MergeContext) -> None:
    """A session's graders, by session and grader; the later change (a removal too) wins."""
    _merge_children(ctx, "calibration_members", "grader_id", ctx.ids.get("graders", {}), ("removed",))


def merge_grade_links(ctx: MergeContext) -> None:
    """Which session each calibration evaluation belongs to: links this workspace lacks."""
    conn = ctx.conn
    evaluations = ctx.ids.get("evaluations", {})
    sessions = ctx.ids.get("calibration_sessions", {})
    linked = {r[0] for r in conn.execute("SELECT evaluation_id FROM main.calibration_grades")}
    inserts = [(evaluations[e], sessions[s]) for e, s in conn.execute(
        "SELECT evaluation_id, session_id FROM other.calibration_grades").fetchall()
        if e in evaluations and evaluations[e] not in linked]  # (a deleted draft has no link)
    writers.merge_calibration_rows(ctx.ws, "calibration_grades", ("evaluation_id", "session_id"), inserts,
                     sessions=[s for _, s in inserts])


# One row of stable values per record, by stable keys; {s} is the schema.
_SESSIONS_FP = f"""SELECT c.uuid, s.uuid, lower(b.name), {', '.join(f'c.{v}' for v in _SESSION_VALUES)}, c.updated_at
                   FROM {{s}}.calibration_sessions c JOIN {{s}}.scorecards s ON s.id = c.scorecard_id
                   LEFT JOIN {{s}}.graders b ON b.id = c.benchmark_grader_id ORDER BY c.uuid"""
_ITEMS_FP = """SELECT c.uuid, i.external_id, ci.removed, ci.position, ci.updated_at
               FROM {s}.calibration_items ci JOIN {s}.calibration_sessions c ON c.id = ci.session_id
               JOIN {s}.interactions i ON i.id = ci.interaction_id ORDER BY 1, 2"""
_MEMBERS_FP = """SELECT c.uuid, lower(g.name), m.removed, m.updated_at
                 FROM {s}.calibration_members m JOIN {s}.calibration_sessions c ON c.id = m.session_id
                 JOIN {s}.graders g ON g.id = m.grader_id ORDER BY 1, 2"""
_GRADES_FP = """SELECT e.uuid, c.uuid FROM {s}.calibration_grades k JOIN {s}.evaluations e ON e.id = k.evaluation_id
                JOIN {s}.calibration_sessions c ON c.id = k.session_id ORDER BY 1"""

CALIBRATION_STEPS: tuple[MergeStep, ...] = (
    MergeStep("calibration_sessions", merge_sessions, _SESSIONS_FP),
    MergeStep("calibration_items", merge_items, _ITEMS_FP),
    MergeStep("calibration_members", merge_members, _MEMBERS_FP),
    MergeStep("calibration_grades", merge_grade_links, _GRADES_FP),
)
"""In order; `core/merging/tables.py` registers them after the evaluations step."""
