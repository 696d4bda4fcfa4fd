"""The merge as an ordered list of per-table steps, which features extend with their own tables.

A step brings one table (or a table and its children) from the other workspace, attached as the
schema ``other``, into this one. It runs inside the merge's one transaction, after the steps it
depends on, and finds their id mappings in `MergeContext.ids` (``ids["agents"][other_id] ->
local_id``); it records the mapping of its own table there, counts what it added and updated in
the report, writes through the row writers (so that `Workspace.record` learns what changed)
and lists every conflict it decided. Its `fingerprint_sql` lists its table's content by stable
keys (never integer ids), so that `fingerprint` covers it.

A feature with a table of its own (calibration sessions, disputes, coaching notes) adds a step:

    register_step(MergeStep("disputes", merge_disputes, DISPUTES_FINGERPRINT), after="evaluations")

Rules every step keeps, so that merging stays idempotent and symmetric: match rows by stable
ids (uuids, or names case-insensitively where the importers do), never copy integer ids, and
when both sides changed a row, let the later ``updated_at`` win with a deterministic tie-break.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .report import MergeReport

if TYPE_CHECKING:
    from ..storage.workspace import Workspace


@dataclass
class MergeContext:
    ws: "Workspace"
    report: MergeReport
    now: str
    ids: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per table: the other workspace's integer id -> this workspace's."""

    @property
    def conn(self) -> sqlite3.Connection:
        return self.ws.conn


@dataclass(frozen=True)
class MergeStep:
    table: str
    run: Callable[[MergeContext], None]
    fingerprint_sql: str
    """A SELECT over this workspace's tables giving one row of stable values per record, in a
    stable order; ``{s}`` stands for the schema (see `fingerprint`); empty for a step that only
    finishes what another step's table covers."""
    json_columns: tuple[int, ...] = ()
    """Columns of that SELECT holding JSON whose key order may differ between equal records."""


MERGE_STEPS: list[MergeStep] = []
"""The steps in the order they run (filled by `tables` and by features)."""


def register_step(step: MergeStep, *, after: str | None = None) -> None:
    """Add `step` at the end, or right after the step of table `after`; replaces a step of the
    same table."""
    existing = [s.table for s in MERGE_STEPS]
    if step.table in existing:
        MERGE_STEPS[existing.index(step.table)] = step
        return
    if after is None:
        MERGE_STEPS.append(step)
    else:
        MERGE_STEPS.insert(existing.index(after) + 1, step)
