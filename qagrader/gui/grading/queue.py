"""What "next" means while grading: the next interaction nobody has submitted in the
browser's current filters and order, or the next one of a random sample of N per agent per
week (a grading cadence that stops cherry-picking)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from qagrader.core.browsing.sql import BrowseFilters
from qagrader.core.grading.queue import count_submitted, next_in_list, next_in_queue, sample_queue
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

    def next_after(self, ws: Workspace, current: int | None, grader: str,
                   exclude: Collection[int] = ()) -> int | None:
        """The next interaction after `current` still to grade and not in `exclude` (e.g. being
        submitted right now), or None."""
        after = current
        for _ in range(len(exclude) + 1):
            found = self._next(ws, after, grader)
            if found is None or found not in exclude:
                return found
            after = found
        return None

    def _next(self, ws: Workspace, current: int | None, grader: str) -> int | None:
        if self.mode == SAMPLE:
            return next_in_list(ws.conn, self.sample, current, grader)
        spec = self.spec()
        if spec.ids is not None and spec.sort_column not in ("date", "id"):
            return next_in_list(ws.conn, spec.ids, current, grader)
        return next_in_queue(ws.conn, spec.filters, current, grader,
                             sort_column=spec.sort_column, descending=spec.descending)

    def sample_progress(self, ws: Workspace) -> tuple[int, int]:
        """(submitted, total) of the current sample."""
        if not self.sample:
            return 0, 0
        return count_submitted(ws.conn, self.sample), len(self.sample)


def build_sample(path: str, per_agent_per_week: int, seed: int, filters: BrowseFilters,
                 progress=None, cancelled=None) -> list[int]:
    """Worker-thread body: the sample, on a connection of its own."""
    with Workspace.open(path, create=False) as ws:
        return sample_queue(ws.conn, per_agent_per_week, seed, filters, cancelled=cancelled)
