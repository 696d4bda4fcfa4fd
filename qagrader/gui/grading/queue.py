"""What "next" means while grading: the next interaction nobody has submitted in the
browser's current filters and order, or the next one of a random sample of N per agent per
week (a grading cadence that stops cherry-picking)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qagrader.core.browsing.sql import BrowseFilters
from qagrader.core.grading.queue import next_in_queue, sample_queue
from qagrader.core.storage.workspace import Workspace

FILTERS, SAMPLE = "filters", "sample"


@dataclass(frozen=True)
class QueueSpec:
    """The browser's filters and order, and its id list when fully loaded (walking that list
    is fast whatever the order; asking SQL for "the next" is fast only for indexed orders)."""

    filters: BrowseFilters = BrowseFilters()
    sort_column: str = "date"
    descending: bool = True
    ids: Sequence[int] | None = None


class GradingQueue:
    """Picks the next interaction to grade."""

    def __init__(self, spec: Callable[[], QueueSpec] | None = None):
        self.mode = FILTERS
        self.spec = spec or QueueSpec
        self.sample: list[int] = []
        self.sample_label = ""

    def set_sample(self, ids: list[int], label: str) -> None:
        self.sample, self.sample_label = ids, label
        self.mode = SAMPLE

    def use_filters(self) -> None:
        self.mode = FILTERS

    def next_after(self, ws: Workspace, current: int | None, grader: str) -> int | None:
        """The next interaction after `current` still to grade, or None."""
        if self.mode == SAMPLE:
            return next_in_list(ws, self.sample, current, grader)
        spec = self.spec()
        if spec.ids is not None and spec.sort_column not in ("date", "id"):
            return next_in_list(ws, spec.ids, current, grader)
        return next_in_queue(ws.conn, spec.filters, current, grader,
                             sort_column=spec.sort_column, descending=spec.descending)

    def sample_progress(self, ws: Workspace) -> tuple[int, int]:
        """(submitted, total) of the current sample."""
        if not self.sample:
            return 0, 0
        done = 0
        for start in range(0, len(self.sample), 900):
            chunk = self.sample[start:start + 900]
            done += ws.conn.execute(
                f"""SELECT count(DISTINCT interaction_id) FROM evaluations WHERE status = 'submitted'
                    AND calibration = 0 AND interaction_id IN ({', '.join('?' * len(chunk))})""", chunk
            ).fetchone()[0]
        return done, len(self.sample)


def next_in_list(ws: Workspace, ids: Sequence[int], current: int | None, grader: str) -> int | None:
    """The first id after `current` in `ids` (wrapping round) that nobody has submitted and
    nobody but `grader` is drafting."""
    if not ids:
        return None
    try:
        start = ids.index(current) + 1 if current is not None else 0  # type: ignore[union-attr]
    except ValueError:
        start = 0
    total = len(ids)
    for offset in range(0, total, 500):
        chunk = [int(ids[(start + k) % total]) for k in range(offset, min(offset + 500, total))]
        chunk = [i for i in chunk if i != current]
        if not chunk:
            continue
        marks = ", ".join("?" * len(chunk))
        taken = {r[0] for r in ws.conn.execute(
            f"""SELECT interaction_id FROM evaluations WHERE calibration = 0
                AND interaction_id IN ({marks})
                AND (status = 'submitted' OR (status = 'draft'
                     AND grader_id IS NOT (SELECT id FROM graders WHERE name = ?)))""",
            [*chunk, grader])}
        for interaction_id in chunk:
            if interaction_id not in taken:
                return interaction_id
    return None


def build_sample(path: str, per_agent_per_week: int, seed: int, filters: BrowseFilters,
                 progress=None, cancelled=None) -> list[int]:
    """Worker-thread body: the sample, on a connection of its own."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=10)
    try:
        if cancelled is not None:
            conn.set_progress_handler(lambda: 1 if cancelled() else 0, 50_000)
        try:
            return sample_queue(conn, per_agent_per_week, seed, filters)
        except sqlite3.OperationalError:
            if cancelled is not None and cancelled():
                from qagrader.core.errors import CancelledError

                raise CancelledError() from None
            raise
    finally:
        conn.close()
