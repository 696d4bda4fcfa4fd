"""Dispute rates per grader and per question, with 95% Wilson intervals and n.

A question disputed often needs a clearer guideline; a grader whose grades are disputed (and
overturned) often may need calibration. `rate` = evaluations with a dispute / evaluations;
`overturned` = accepted / resolved disputes. `above_usual` marks a rate higher than that of all
the others together beyond noise: the 95% interval of the difference (Newcombe's hybrid score
interval) lies above 0. A pointer to look closer, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.disputes.counts import DisputeCount, counts_by_grader, counts_by_question

from ._stats import newcombe_difference, wilson_ci

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

RATE_COLUMNS: tuple[str, ...] = (
    "evaluations", "disputed", "rate", "rate_ci_low", "rate_ci_high", "accepted", "rejected", "open",
    "overturned", "overturned_ci_low", "overturned_ci_high", "above_usual",
)


def rate_table(counts: Sequence[DisputeCount], keys: Sequence[str]) -> pd.DataFrame:
    """`counts` (of `core.disputes.counts`) as a table: the `keys` columns, then `RATE_COLUMNS`."""
    frame = pd.DataFrame([{**{k: getattr(c, k) for k in keys}, "evaluations": c.evaluations,
                           "disputed": c.disputed, "accepted": c.accepted, "rejected": c.rejected,
                           "open": c.open} for c in counts],
                         columns=[*keys, "evaluations", "disputed", "accepted", "rejected", "open"])
    n = frame["evaluations"].to_numpy(dtype="float64")
    k = frame["disputed"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rate"] = k / n
        resolved = (frame["accepted"] + frame["rejected"]).to_numpy(dtype="float64")
        frame["overturned"] = frame["accepted"].to_numpy(dtype="float64") / resolved
    frame["rate_ci_low"], frame["rate_ci_high"] = wilson_ci(k, n)
    frame["overturned_ci_low"], frame["overturned_ci_high"] = wilson_ci(frame["accepted"], resolved)
    lows = [newcombe_difference(ki, ni, k.sum() - ki, n.sum() - ni)[1] for ki, ni in zip(k, n)]
    frame["above_usual"] = np.asarray(lows, dtype="float64") > 0  # NaN (nobody else) is False
    return frame[[*keys, *RATE_COLUMNS]]


def grader_dispute_rates(ws: "Workspace", graded_from: str | None = None,
                         graded_to: str | None = None) -> pd.DataFrame:
    """Per grader: how often their grades were disputed and overturned (`rate_table`)."""
    return rate_table(counts_by_grader(ws, graded_from, graded_to), ["grader"])


def question_dispute_rates(ws: "Workspace", graded_from: str | None = None,
                           graded_to: str | None = None) -> pd.DataFrame:
    """Per scorecard question: how often it was disputed and overturned (`rate_table`), most
    disputed first."""
    table = rate_table(counts_by_question(ws, graded_from, graded_to),
                       ["scorecard", "question_key", "question_text"])
    return table.sort_values(["rate", "evaluations"], ascending=[False, False], kind="stable").reset_index(drop=True)
