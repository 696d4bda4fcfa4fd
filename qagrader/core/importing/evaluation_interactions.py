"""The interactions an evaluation import (`evaluations`) names: matched by external id, or
created from the first row naming each (its channel, blank: the scorecard's only channel; date,
agent, team, brand, subject, custom fields and CSAT, ``csat_scale`` blank = ``1-5``). An
interaction the workspace holds already is never changed.

The import reads its file chunk by chunk, so what crosses chunks is kept small: the ids of the
interactions named so far that the workspace lacked (`streaming.SeenKeys`, with the row first
naming each), those that cannot be created (each has a problem), and those waiting for a row
that is imported (with ``skip_bad_rows``, an interaction named only on skipped rows is not
created). Interactions stored before the import are told from those it created by their ids.
New interactions are created in the order of the first imported row using each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from ..errors import CsvProblem
from ..interactions.channels import CHANNEL_SYNONYMS
from ..storage.writers import select_in
from .interaction_fields import CSAT_SCALES, normalise_name, parse_csat
from .streaming import SeenKeys

if TYPE_CHECKING:
    import sqlite3

    from .evaluation_rows import EvaluationRow


class _Problems(Protocol):
    items: list[CsvProblem]

    def add(self, row: int | None, column: str | None, message: str) -> None: ...


class NewInteractions:
    """The interactions a file names that the workspace lacks, across the chunks of one import.
    `created` counts those created (or, for a dry run, that would be)."""

    def __init__(self, conn: "sqlite3.Connection", field_columns: Mapping[str, str]):
        self.conn = conn
        self.field_columns = field_columns  # {custom field: its column}
        self.first_id = 0
        self.named = SeenKeys()
        self.failed: set[str] = set()
        self.waiting: dict[str, tuple] = {}
        self.created = 0

    def begin(self) -> None:
        """Note where the interactions stored before the import end (call it inside the
        import's transaction): those it creates have larger ids."""
        self.first_id = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM interactions").fetchone()[0]

    def check(self, cells: Mapping[str, Sequence[str]], first_row: int, rows: list["EvaluationRow"],
              dates: Sequence[str | None], problems: _Problems) -> dict[str, tuple]:
        """Check the new interactions of one chunk's `rows` (cells from spreadsheet row
        `first_row` on; `dates` their interaction dates in UTC); ``{external_id: values}`` of
        those first named in this chunk, values as `EvaluationWriter.write` takes them."""
        stored = {ext for (ext,) in select_in(
            self.conn, "SELECT external_id FROM interactions WHERE external_id IN (SELECT value FROM "
                       f"json_each(?)) AND id < {int(self.first_id)}", [r.external_id for r in rows])}
        rows = [r for r in rows if r.external_id not in stored]
        before = self.named.meet(np.array([r.external_id for r in rows], dtype=object), [r.line for r in rows])
        blank = [""] * len(dates)
        col = lambda name: cells.get(name, blank)  # noqa: E731
        channels, agents, teams, brands = col("channel"), col("agent"), col("team"), col("brand")
        csats, scales, subjects = col("csat"), col("csat_scale"), col("subject")
        fields = {name: cells[column] for name, column in self.field_columns.items()}
        new: dict[str, tuple] = {}
        channel_memo: dict[str, str | None] = {}
        csat_memo: dict[tuple[str, str], tuple | CsvProblem] = {}
        for r, earlier in zip(rows, before.tolist()):
            if earlier:
                if r.external_id in self.failed:
                    problems.add(r.line, "interaction_id", f"interaction '{r.external_id}' cannot be "
                                 f"created (see row {earlier})")
                continue
            i = r.line - first_row
            count = len(problems.items)
            raw_channel = channels[i].strip()
            if raw_channel not in channel_memo:
                channel_memo[raw_channel] = CHANNEL_SYNONYMS.get(normalise_name(raw_channel))
            channel = channel_memo[raw_channel] if raw_channel else (
                r.card.card.channels[0] if len(r.card.card.channels) == 1 else None)
            if channel is None:
                problems.add(r.line, "channel", f"'{raw_channel}' is not a channel (phone, email, chat, "
                             "social, sms)" if raw_channel else "the channel is blank and needed to "
                             "create this interaction")
            csat_key = (csats[i], scales[i].strip() or "1-5")
            if csat_key not in csat_memo:
                csat_memo[csat_key] = _csat(*csat_key)
            csat = csat_memo[csat_key]
            if isinstance(csat, CsvProblem):
                problems.add(r.line, csat.column, csat.message)
                csat = (None, None, None, None)
            if len(problems.items) > count:
                self.failed.add(r.external_id)
            custom = {name: values[i].strip() for name, values in fields.items() if values[i].strip()}
            new[r.external_id] = (channel, agents[i].strip() or None, teams[i].strip() or None,
                                  brands[i].strip() or None, dates[i], subjects[i].strip() or None, *csat,
                                  json.dumps(custom, ensure_ascii=False) if custom else None)
        return new

    def needed(self, good: list["EvaluationRow"], named: Mapping[str, tuple]) -> dict[str, tuple]:
        """The interactions to create for one chunk's `good` rows (those first `named` in it, or
        waiting from an earlier chunk), in the order of the first row using each; the others
        `named` wait for a later chunk."""
        out: dict[str, tuple] = {}
        for r in good:
            ext = r.external_id
            if ext in out:
                continue
            if ext in named:
                out[ext] = named[ext]
            elif ext in self.waiting:
                out[ext] = self.waiting.pop(ext)
        for ext, values in named.items():
            if ext not in out and ext not in self.failed:
                self.waiting[ext] = values
        self.created += len(out)
        return out


def _csat(raw: str, scale: str) -> tuple | CsvProblem:
    """(csat_raw, csat_scale, csat_norm, satisfied) by the rules of `parse_csat`, or the problem."""
    if not raw.strip():
        return (None, None, None, None)
    if scale not in CSAT_SCALES:
        return CsvProblem(None, "csat_scale", f"'{scale}' is not a CSAT scale ({', '.join(CSAT_SCALES)})")
    values, bad = parse_csat(pd.Series([raw], dtype=object), scale)
    if bad:
        return CsvProblem(None, "csat", bad[0])
    return (raw, scale, float(values["csat_norm"][0]), int(values["satisfied"][0]))
