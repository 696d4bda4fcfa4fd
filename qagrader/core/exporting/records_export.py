"""Disputes and coaching notes to CSV, by the rules of every CSV the app writes (`csv_files`:
UTF-8, optionally with a byte-order mark for Excel, CRLF, text cells made safe from formula
injection, times as ``YYYY-MM-DD HH:MM:SS`` in the zone the header names), written atomically. Records are named by their uuids, agents and people
by name, interactions by their external id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..coaching.notes import NoteFilters
from ..disputes.store import DisputeFilters
from .csv_files import format_number, neutralise_cell, write_rows
from .times import UTC, LocalTimes, zone_header

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

DISPUTE_COLUMNS: tuple[str, ...] = (
    "dispute_id", "status", "raised_at", "raised_by", "agent", "team", "interaction_id", "channel", "scorecard",
    "version", "grader", "evaluation_id", "question", "question_text", "answer_before", "answer_now", "reason",
    "resolved_at", "resolved_by", "resolution", "score_now",
)
COACHING_COLUMNS: tuple[str, ...] = (
    "note_id", "agent", "team", "coach", "coached_on", "skills", "agreed", "evaluations", "follow_up_on",
    "followed_up_on", "follow_up_note",
)


def _text(value: object) -> str:
    return "" if value is None else neutralise_cell(str(value))


def _answer(answer) -> str:
    if answer is None:
        return ""
    return "N/A" if answer.na else _text(answer.value)


def export_disputes(ws: "Workspace", out_path: str | Path, filters: DisputeFilters | None = None, *,
                    excel_bom: bool = False, time_zone: str = UTC) -> int:
    """Write the disputes matching `filters` (open first, then newest) to `out_path`; how many.
    Times are in `time_zone` (``UTC`` or an IANA name), named in their headers."""
    times = LocalTimes(time_zone)

    def rows() -> Iterator[Sequence]:
        for d in ws.disputes.list(filters):
            now = None
            if d.question_key is not None:
                now = ws.evaluations.get(d.evaluation_id).answers.get(d.question_key)
            yield (d.uuid, d.status, times(d.raised_at), _text(d.raised_by), _text(d.agent), _text(d.team),
                   _text(d.external_id), _text(d.channel), _text(d.scorecard), d.scorecard_version, _text(d.grader),
                   d.evaluation_uuid, _text(d.question_key), _text(d.question_text),
                   _answer(ws.disputes.answer_before(d)), _answer(now), _text(d.reason), times(d.resolved_at),
                   _text(d.resolved_by), _text(d.resolution), format_number(d.score))

    header = [zone_header(c, times.zone_name) if c in ("raised_at", "resolved_at") else c for c in DISPUTE_COLUMNS]
    return write_rows(out_path, header, rows(), excel_bom=excel_bom)


def export_coaching_notes(ws: "Workspace", out_path: str | Path, filters: NoteFilters | None = None, *,
                          excel_bom: bool = False) -> int:
    """Write the coaching notes matching `filters` (newest first) to `out_path`; how many.
    Skills and evaluations are listed with "; " between them."""
    def rows() -> Iterator[Sequence]:
        for n in ws.coaching.list(filters):
            yield (n.uuid, _text(n.agent), _text(n.team), _text(n.coach), n.coached_on,
                   _text("; ".join(n.skills)), _text(n.agreed), "; ".join(n.evaluations), n.follow_up_on or "",
                   n.followed_up_on or "", _text(n.follow_up_note))

    return write_rows(out_path, COACHING_COLUMNS, rows(), excel_bom=excel_bom)
