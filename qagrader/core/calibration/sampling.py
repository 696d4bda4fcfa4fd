"""Picking a session's interactions at random among those the browser's filters list."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..browsing.browser import browse_ids
from ..browsing.sql import BrowseFilters
from .sessions import CalibrationError

if TYPE_CHECKING:
    from ..storage.workspace import Workspace


def sample_interactions(ws: "Workspace", filters: BrowseFilters, count: int, *,
                        seed: int | None = None) -> list[int]:
    """`count` interaction ids drawn at random (without replacement) from those matching
    `filters`, in the order drawn; all of them when fewer match. `seed` repeats a draw."""
    if count < 1:
        raise CalibrationError("Sample at least one interaction.")
    ids = list(browse_ids(ws.conn, filters, "id", False))
    if not ids:
        raise CalibrationError("No interaction matches these filters; widen them to draw a sample.")
    return random.Random(seed).sample(ids, min(count, len(ids)))
