"""The interactions browser's SQL: conditions from the filters, sort keys, and running the
id queries so that they can be cancelled (no Qt).

"Graded state" ignores calibration evaluations: an interaction is *submitted* when a regular
evaluation of it was submitted, *draft* when one is in progress and none submitted, *ungraded*
otherwise. With a `scorecard` filter only that scorecard's evaluations count, and only the
channels the scorecard is meant for are listed.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ..errors import CancelledError, QAGraderError

GradedState = Literal["any", "ungraded", "draft", "submitted"]
GRADED_STATES: tuple[str, ...] = ("any", "ungraded", "draft", "submitted")
SORT_COLUMNS: tuple[str, ...] = (
    "id", "external_id", "channel", "agent", "team", "brand", "date", "csat", "state", "score", "subject",
)

SUBMITTED = "e.status = 'submitted'"
DRAFT = "e.status = 'draft'"
DATE = "i.occurred_at"  # how the date range's conditions start


@dataclass(frozen=True)
class BrowseFilters:
    """What the browser lists. Empty values mean "any"; dates are `YYYY-MM-DD`, both inclusive."""

    channel: str | None = None
    agent: str | None = None
    team: str | None = None
    brand: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    graded: GradedState = "any"
    search: str = ""
    scorecard: str | None = None

    def replace(self, **changes) -> "BrowseFilters":
        from dataclasses import replace

        return replace(self, **changes)


# ------------------------------------------------------------------ building the WHERE clause

def eval_exists(status_sql: str, card_ids: Sequence[int] | None, extra: str = "") -> str:
    cards = f" AND e.scorecard_id IN ({', '.join(str(int(c)) for c in card_ids)})" if card_ids else ""
    return (f"EXISTS (SELECT 1 FROM evaluations e WHERE e.interaction_id = i.id AND {status_sql} "
            f"AND e.calibration = 0{cards}{extra})")


def _eval_ids(status: str, card_ids: Sequence[int] | None) -> str:
    """The ids of interactions with an evaluation in `status`, as a list subquery (built once)."""
    cards = f" AND scorecard_id IN ({', '.join(str(int(c)) for c in card_ids)})" if card_ids else ""
    return (f"(SELECT interaction_id FROM evaluations WHERE status = '{status}' "
            f"AND calibration = 0{cards})")


def _parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise QAGraderError(f"The {what} date '{text}' is not a date like 2024-03-31.") from error


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Where:
    clauses: tuple[str, ...]
    params: tuple
    card_ids: tuple[int, ...] | None
    scan_table: bool  # a text search that no index narrows: read the table in storage order
    # The same conditions split by cost: `cheap` ones read only columns of interactions (any
    # index or row answers them); `costly` ones probe evaluations or read transcripts.
    cheap: tuple[tuple[str, tuple], ...] = ()
    costly: tuple[tuple[str, tuple], ...] = ()
    # Every listed row has an evaluation in one of these (status, scorecard ids) sets: when one
    # is small, the rows are found from it (see `first_page.first_page`).
    within: tuple[tuple[str, tuple[int, ...] | None], ...] = ()

    def sql(self, extra: Iterable[str] = ()) -> str:
        parts = [*self.clauses, *extra]
        return " WHERE " + " AND ".join(parts) if parts else ""

    def cheap_sql(self, extra: Iterable[str] = (), *, date_index: bool = True) -> tuple[str, list]:
        """The cheap conditions; without `date_index` the date range cannot pick the index
        (so that the one giving the display order is read instead)."""
        parts = [c if date_index or not c.startswith(DATE) else "+" + c for c, _ in self.cheap] + list(extra)
        params = [p for _, ps in self.cheap for p in ps]
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def adding(self, clause: str, within: tuple[str, tuple[int, ...] | None] | None = None) -> "Where":
        """These conditions and a costly `clause` (without parameters)."""
        from dataclasses import replace

        return replace(self, clauses=(*self.clauses, clause), costly=(*self.costly, (clause, ())),
                       within=(*self.within, within) if within else self.within)


def where_clause(conn: sqlite3.Connection, f: BrowseFilters, *, probe: bool) -> Where:
    """SQL conditions for `f`. `probe` prefers per-row EXISTS probes (good when few rows are
    read, e.g. with LIMIT) over list subqueries (good when every row is read)."""
    cheap: list[tuple[str, tuple]] = []
    costly: list[tuple[str, tuple]] = []
    within: list[tuple[str, tuple[int, ...] | None]] = []
    card_ids: tuple[int, ...] | None = None
    if f.channel:
        # "+" keeps SQLite off the channel index: with a handful of channels, reading the
        # covering browse index in display order is much faster than the matching rows.
        cheap.append(("+i.channel = ?", (f.channel.strip().lower(),)))
    # An agent has few interactions: their index finds them fastest. A team has many: like a
    # channel, reading the covering browse index in display order beats the team index ("+").
    for value, table, column in ((f.agent, "agents", "i.agent_id"), (f.team, "teams", "+i.team_id")):
        if value:
            row = conn.execute(f"SELECT id FROM {table} WHERE name = ?", (value,)).fetchone()
            cheap.append((f"{column} = ?", (row[0] if row else -1,)))
    if f.brand:
        cheap.append(("i.brand = ?", (f.brand,)))
    if f.date_from:
        cheap.append(("i.occurred_at >= ?", (_parse_day(f.date_from, "from").isoformat(),)))
    if f.date_to:
        cheap.append(("i.occurred_at < ?", ((_parse_day(f.date_to, "to") + timedelta(days=1)).isoformat(),)))
    if f.scorecard:
        card_ids, channels = _scorecard_scope(conn, f.scorecard)
        if channels:
            cheap.append((f"+i.channel IN ({', '.join('?' * len(channels))})", tuple(channels)))
    if f.graded not in GRADED_STATES:
        raise QAGraderError(f"Unknown graded state {f.graded!r}; use one of {', '.join(GRADED_STATES)}.")
    if f.graded != "any":
        costly.append((graded_clause(f.graded, card_ids, probe), ()))
        if f.graded in ("draft", "submitted"):
            within.append((f.graded, card_ids))
    words = f.search.split()
    for word in words:
        costly.append(("(i.subject LIKE ? ESCAPE '\\' OR i.transcript LIKE ? ESCAPE '\\')",
                       (_like(word), _like(word))))
    # Searching reads transcripts: in table order (no index) unless an index narrows the rows.
    scan_table = bool(words) and not (f.agent or f.date_from or f.date_to)
    every = cheap + costly
    return Where(tuple(c for c, _ in every), tuple(p for _, ps in every for p in ps), card_ids, scan_table,
                  tuple(cheap), tuple(costly), tuple(within))


def graded_clause(state: str, card_ids: Sequence[int] | None, probe: bool) -> str:
    if probe:
        submitted, draft = eval_exists(SUBMITTED, card_ids), eval_exists(DRAFT, card_ids)
        if state == "submitted":
            return submitted
        if state == "draft":
            return f"NOT {submitted} AND {draft}"
        return f"NOT {submitted} AND NOT {draft}"
    submitted, draft = _eval_ids("submitted", card_ids), _eval_ids("draft", card_ids)
    if state == "submitted":
        return f"i.id IN {submitted}"
    if state == "draft":
        return f"i.id NOT IN {submitted} AND i.id IN {draft}"
    return f"i.id NOT IN {submitted} AND i.id NOT IN {draft}"


def _scorecard_scope(conn: sqlite3.Connection, name: str) -> tuple[tuple[int, ...], list[str]]:
    """Ids of every version of scorecard `name` and the channels its latest version is for."""
    import json

    rows = conn.execute(
        """SELECT id, definition FROM scorecards WHERE family_uuid =
           (SELECT family_uuid FROM scorecards WHERE name = ? LIMIT 1) ORDER BY version""", (name,)
    ).fetchall()
    if not rows:
        return (-1,), []
    channels = json.loads(rows[-1][1]).get("channels", [])
    return tuple(r[0] for r in rows), [c.lower() for c in channels]


# ------------------------------------------------------------------ sorting

def sort_key(column: str) -> str:
    """The SQL expression a column sorts by."""
    sub = "e.interaction_id = i.id AND e.calibration = 0"
    keys = {
        "id": "i.id",
        "external_id": "i.external_id",
        "date": "i.occurred_at",
        "channel": "i.channel",
        "agent": "(SELECT name FROM agents WHERE id = i.agent_id)",
        "team": "(SELECT name FROM teams WHERE id = i.team_id)",
        "brand": "i.brand",
        "csat": "i.csat_norm",
        "subject": "i.subject COLLATE NOCASE",
        "state": (f"(SELECT max(CASE e.status WHEN 'submitted' THEN 2 ELSE 1 END) "
                  f"FROM evaluations e WHERE {sub})"),
        "score": (f"(SELECT e.score FROM evaluations e WHERE {sub} AND {SUBMITTED} "
                  f"ORDER BY e.id DESC LIMIT 1)"),
    }
    if column not in keys:
        raise QAGraderError(f"Cannot sort by {column!r}; use one of {', '.join(SORT_COLUMNS)}.")
    return keys[column]


def order_by(column: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    key = sort_key(column)
    if column == "state":
        key = f"coalesce({key}, 0)"
    return f" ORDER BY {key} {direction}, i.id {direction}"


def from_clause(where: Where) -> str:
    return " FROM interactions i NOT INDEXED" if where.scan_table else " FROM interactions i"


# ------------------------------------------------------------------ running id queries

def run_ids(conn: sqlite3.Connection, sql: str, params: list,
            cancelled: Callable[[], bool] | None) -> array:
    """The ids `sql` selects, stopping with `CancelledError` when `cancelled()` turns true."""
    if cancelled is not None and cancelled():
        raise CancelledError()
    with interruptible(conn, cancelled):
        ids = fetch_ids(conn, sql, params)
    if cancelled is not None and cancelled():
        raise CancelledError()
    return ids


def fetch_ids(conn: sqlite3.Connection, sql: str, params: list) -> array:
    """The ids `sql` selects, as a compact `array('q')`."""
    return array("q", (r[0] for r in conn.execute(sql, params)))


class interruptible:
    """Poll `cancelled()` while SQLite runs the queries inside the block; a true answer aborts
    the one running and the block raises `CancelledError`. Nested blocks share the outer one's
    handler."""

    _active: set[int] = set()  # ids of the connections that have a handler installed

    def __init__(self, conn: sqlite3.Connection, cancelled: Callable[[], bool] | None):
        self.conn, self.cancelled, self.installed = conn, cancelled, False

    def __enter__(self) -> None:
        if self.cancelled is not None and id(self.conn) not in self._active:
            check = self.cancelled
            self.conn.set_progress_handler(lambda: 1 if check() else 0, 20_000)
            self._active.add(id(self.conn))
            self.installed = True

    def __exit__(self, kind: type | None, error: BaseException | None, _traceback: object) -> None:
        if self.installed:
            self.conn.set_progress_handler(None, 0)
            self._active.discard(id(self.conn))
            self.installed = False
        if isinstance(error, sqlite3.OperationalError) and self.cancelled is not None and self.cancelled():
            raise CancelledError() from error
