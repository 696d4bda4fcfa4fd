"""Queries behind the interactions browser (no Qt).

The browser holds only the ordered ids of the interactions that match the filters
(`browse_ids`, filtered and sorted in SQL) and fetches the rows it paints page by page
(`fetch_rows`). The conditions and sort keys are built in `sql`; fast first pages in
`first_page`.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterable
import json
from dataclasses import dataclass, field

from ..errors import CancelledError
from .first_page import first_page
from .sql import BrowseFilters, from_clause, interruptible, order_by, run_ids, where_clause



@dataclass(frozen=True)
class BrowseRow:
    """One painted row of the browser."""

    id: int
    external_id: str
    channel: str
    agent: str | None
    team: str | None
    brand: str | None
    occurred_at: str | None
    csat_raw: str | None
    csat_norm: float | None
    subject: str | None
    state: str  # ungraded / draft / submitted
    score: float | None  # latest submitted score
    grader: str | None  # who submitted (or is drafting)
    fields: dict[str, str] = field(default_factory=dict)  # custom fields: {name: text}


def browse_ids(
    conn: sqlite3.Connection,
    filters: BrowseFilters,
    sort_column: str = "date",
    descending: bool = True,
    *,
    limit: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> array:
    """Ids of the interactions matching `filters`, in display order (ties broken by id), as
    a compact `array('q')` (8 bytes an id: a million ids take 8 MB, not 36 MB of Python ints).

    With `limit`, only the first rows (a fast first page while the full list loads).
    `cancelled()` is polled while SQLite works; when it turns true the query stops and
    `CancelledError` is raised.
    """
    where = where_clause(conn, filters, probe=limit is not None)
    order = order_by(sort_column, descending)
    if limit is None:
        return run_ids(conn, "SELECT i.id" + from_clause(where) + where.sql() + order, list(where.params), cancelled)
    if cancelled is not None and cancelled():
        raise CancelledError()
    with interruptible(conn, cancelled):
        page = first_page(conn, filters, where, sort_column, descending, int(limit), cancelled)
    if page is not None:
        if cancelled is not None and cancelled():
            raise CancelledError()
        return page
    return run_ids(conn, "SELECT i.id" + from_clause(where) + where.sql() + order + " LIMIT ?",
                   [*where.params, int(limit)], cancelled)


def fetch_rows(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, BrowseRow]:
    """The display rows of `ids` (any order, at most a few hundred at a time)."""
    wanted = [int(i) for i in ids]
    out: dict[int, BrowseRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        evaluations: dict[int, tuple[str, float | None, str]] = {}
        for interaction_id, status, score, grader in conn.execute(
            f"""SELECT e.interaction_id, e.status, e.score, g.name FROM evaluations e
                JOIN graders g ON g.id = e.grader_id
                WHERE e.interaction_id IN ({marks}) AND e.calibration = 0 ORDER BY e.id""", chunk
        ):
            previous = evaluations.get(interaction_id)
            if previous is None or status == "submitted" or previous[0] != "submitted":
                evaluations[interaction_id] = (status, score, grader)
        for row in conn.execute(
            f"""SELECT i.id, i.external_id, i.channel, a.name, t.name, i.brand, i.occurred_at, i.csat_raw,
                       i.csat_norm, i.subject, i.fields
                FROM interactions i LEFT JOIN agents a ON a.id = i.agent_id
                LEFT JOIN teams t ON t.id = i.team_id WHERE i.id IN ({marks})""", chunk
        ):
            status, score, grader = evaluations.get(row[0], ("ungraded", None, None))
            out[row[0]] = BrowseRow(*row[:-1], state=status, score=score if status == "submitted" else None,
                                    grader=grader, fields=json.loads(row[-1]) if row[-1] else {})
    return out


def filter_choices(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The values the browser's filter lists offer: channels, agents, teams, brands.

    Channels come from their index one distinct value at a time; brands need a scan of the
    covering browse index (a few hundred ms on a million interactions: run it off the GUI thread).
    """
    channels = [r[0] for r in conn.execute(
        """WITH RECURSIVE c(v) AS (
             SELECT min(channel) FROM interactions
             UNION ALL SELECT (SELECT min(channel) FROM interactions WHERE channel > c.v) FROM c
             WHERE c.v IS NOT NULL)
           SELECT v FROM c WHERE v IS NOT NULL""")]
    return {
        "channels": channels,
        "agents": [r[0] for r in conn.execute("SELECT name FROM agents ORDER BY name COLLATE NOCASE")],
        "teams": [r[0] for r in conn.execute("SELECT name FROM teams ORDER BY name COLLATE NOCASE")],
        "brands": [r[0] for r in conn.execute(
            "SELECT DISTINCT brand FROM interactions WHERE brand IS NOT NULL AND brand != '' "
            "ORDER BY brand COLLATE NOCASE")],
    }


def choices_version(conn: sqlite3.Connection) -> tuple:
    """Changes when the filter choices may have changed (cheap: counts and small tables)."""
    return conn.execute(
        """SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM agents),
                  (SELECT max(updated_at) FROM agents), (SELECT count(*) FROM teams),
                  (SELECT max(updated_at) FROM teams)""").fetchone()
