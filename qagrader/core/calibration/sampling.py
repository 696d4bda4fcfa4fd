"""Picking a session's interactions at random among those the browser's filters list (and the
session's scorecard grades)."""

from __future__ import annotations

import random
from collections.abc import Sequence
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


def create_sampled_session(ws: "Workspace", name: str, scorecard_id: int, filters: BrowseFilters, count: int, *,
                           graders: Sequence[str] = (), benchmark: str | None = None, held_on: str | None = None,
                           notes: str = "", seed: int | None = None) -> int:
    """A new session of `count` interactions drawn at random among those `filters` list and the
    scorecard grades (drawn and saved in one transaction); its id."""
    with ws.transaction():
        card = ws.scorecards.get_by_id(scorecard_id)
        drawn = sample_interactions(ws, filters.replace(scorecard=card.name), count, seed=seed)
        return ws.calibration.create(name, scorecard_id, interaction_ids=drawn, graders=graders, benchmark=benchmark,
                                     held_on=held_on, notes=notes)


def add_sample(ws: "Workspace", session_id: int, filters: BrowseFilters, count: int, *,
               seed: int | None = None) -> int:
    """Add `count` interactions drawn at random (among those not in the session yet) to an open
    session; how many were added."""
    with ws.transaction():
        session = ws.calibration.get(session_id)
        present = {item.interaction_id for item in ws.calibration.items(session_id)}
        card = ws.scorecards.get_by_id(session.scorecard_id)
        candidates = [i for i in browse_ids(ws.conn, filters.replace(scorecard=card.name), "id", False)
                      if i not in present]
        if not candidates:
            raise CalibrationError("Every interaction matching these filters is in the session already.")
        drawn = random.Random(seed).sample(candidates, min(count, len(candidates)))
        return ws.calibration.add_items(session_id, drawn)
