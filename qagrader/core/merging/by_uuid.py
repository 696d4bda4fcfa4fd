"""A merge step for a table whose rows are records of their own, matched by uuid (disputes,
coaching notes): new rows come in with their uuid and times, and for a row both workspaces hold,
the later `updated_at` wins (ties: the larger content), so that an edit, a resolution or a
deletion flag travels and both directions of a merge decide alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .report import Conflict
from .steps import MergeContext

Values = dict[str, object]


@dataclass(frozen=True)
class UuidTable:
    table: str
    columns: Sequence[str]
    """The columns merged (besides uuid and times), in the writers' names."""
    foreign: Mapping[str, str]
    """Columns holding another table's integer id -> that table (mapped through `ctx.ids`)."""
    insert: Callable[..., int]
    """The row writer for a new row: ``insert(ws, uuid=, now=, created_at=, **values)``."""
    update: Callable[..., None]
    """The row writer for a changed row: ``update(ws, id, now=, **values)``."""
    conflict: Callable[[MergeContext, int, Values, Values, bool], Conflict | None] | None = None
    """Called for a row both sides changed: (ctx, local id, theirs, ours, whether theirs won);
    returns the conflict to report, if the difference is one."""


def _rank(updated_at: str, values: Values) -> tuple[str, ...]:
    return (updated_at, *("" if v is None else str(v) for v in values.values()))


def merge_by_uuid(ctx: MergeContext, spec: UuidTable) -> None:
    """Merge `spec.table` from the other workspace (see the module docstring); records the
    other -> local id mapping in ``ctx.ids[spec.table]`` and counts in the report."""
    conn = ctx.conn
    listed = ", ".join(spec.columns)
    select = f"SELECT id, uuid, {listed}, created_at, updated_at FROM {{}}.{spec.table}"
    mine = {row[1]: row for row in conn.execute(select.format("main"))}
    mapping = ctx.ids.setdefault(spec.table, {})
    added = updated = 0
    for other_id, uuid, *values, created_at, updated_at in conn.execute(
            select.format("other") + " ORDER BY id").fetchall():
        theirs = dict(zip(spec.columns, values))
        if any(theirs[c] is not None and theirs[c] not in ctx.ids[t] for c, t in spec.foreign.items()):
            continue  # about a record whose deletion came in (e.g. a deleted draft): goes with it
        for column, table in spec.foreign.items():
            if theirs[column] is not None:
                theirs[column] = ctx.ids[table][theirs[column]]
        local = mine.get(uuid)
        if local is None:
            mapping[other_id] = spec.insert(ctx.ws, uuid=uuid, now=updated_at, created_at=created_at, **theirs)
            added += 1
            continue
        local_id, _, *local_values, _, local_updated = local
        mapping[other_id] = local_id
        ours = dict(zip(spec.columns, local_values))
        if theirs == ours:
            if updated_at > local_updated:
                spec.update(ctx.ws, local_id, now=updated_at, **{spec.columns[0]: ours[spec.columns[0]]})
            continue
        theirs_win = _rank(updated_at, theirs) > _rank(local_updated, ours)
        if theirs_win:
            spec.update(ctx.ws, local_id, now=updated_at,
                        **{c: v for c, v in theirs.items() if v != ours[c]})
            updated += 1
        if spec.conflict is not None:
            found = spec.conflict(ctx, local_id, theirs, ours, theirs_win)
            if found is not None:
                ctx.report.conflicts.append(found)
    ctx.report.add(spec.table, added)
    ctx.report.update(spec.table, updated)
