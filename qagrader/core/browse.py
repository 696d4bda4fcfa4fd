"""Queries behind the interactions browser and the grading queue (no Qt).

The browser holds only the ordered ids of the interactions that match the filters
(`browse_ids`, filtered and sorted in SQL) and fetches the rows it paints page by page
(`fetch_rows`). The grading queue asks for the next interaction nobody has submitted yet in the
browser's order (`next_in_queue`) or for a reproducible random sample of N interactions per agent
per week (`sample_queue`).

"Graded state" ignores calibration evaluations: an interaction is *submitted* when a regular
evaluation of it was submitted, *draft* when one is in progress and none submitted, *ungraded*
otherwise. With a `scorecard` filter only that scorecard's evaluations count, and only the
channels the scorecard is meant for are listed.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from .errors import CancelledError, QAGraderError

GradedState = Literal["any", "ungraded", "draft", "submitted"]
GRADED_STATES: tuple[str, ...] = ("any", "ungraded", "draft", "submitted")
SORT_COLUMNS: tuple[str, ...] = (
    "id", "external_id", "channel", "agent", "team", "brand", "date", "csat", "state", "score", "subject",
)

_SUBMITTED = "e.status = 'submitted'"
_DRAFT = "e.status = 'draft'"
_STATE_RANK = {0: "ungraded", 1: "draft", 2: "submitted"}
_DATE = "i.occurred_at"  # how the date range's conditions start


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


# ------------------------------------------------------------------ building the WHERE clause

def _eval_exists(status_sql: str, card_ids: Sequence[int] | None, extra: str = "") -> str:
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
class _Where:
    clauses: tuple[str, ...]
    params: tuple
    card_ids: tuple[int, ...] | None
    scan_table: bool  # a text search that no index narrows: read the table in storage order
    # The same conditions split by cost: `cheap` ones read only columns of interactions (any
    # index or row answers them); `costly` ones probe evaluations or read transcripts.
    cheap: tuple[tuple[str, tuple], ...] = ()
    costly: tuple[tuple[str, tuple], ...] = ()
    # Every listed row has an evaluation in one of these (status, scorecard ids) sets: when one
    # is small, the rows are found from it (see `browse_pages._candidates_first_page`).
    within: tuple[tuple[str, tuple[int, ...] | None], ...] = ()

    def sql(self, extra: Iterable[str] = ()) -> str:
        parts = [*self.clauses, *extra]
        return " WHERE " + " AND ".join(parts) if parts else ""

    def cheap_sql(self, extra: Iterable[str] = (), *, date_index: bool = True) -> tuple[str, list]:
        """The cheap conditions; without `date_index` the date range cannot pick the index
        (so that the one giving the display order is read instead)."""
        parts = [c if date_index or not c.startswith(_DATE) else "+" + c for c, _ in self.cheap] + list(extra)
        params = [p for _, ps in self.cheap for p in ps]
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def adding(self, clause: str, within: tuple[str, tuple[int, ...] | None] | None = None) -> "_Where":
        """These conditions and a costly `clause` (without parameters)."""
        from dataclasses import replace

        return replace(self, clauses=(*self.clauses, clause), costly=(*self.costly, (clause, ())),
                       within=(*self.within, within) if within else self.within)


def _where(conn: sqlite3.Connection, f: BrowseFilters, *, probe: bool) -> _Where:
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
        costly.append((_graded_clause(f.graded, card_ids, probe), ()))
        if f.graded in ("draft", "submitted"):
            within.append((f.graded, card_ids))
    words = f.search.split()
    for word in words:
        costly.append(("(i.subject LIKE ? ESCAPE '\\' OR i.transcript LIKE ? ESCAPE '\\')",
                       (_like(word), _like(word))))
    # Searching reads transcripts: in table order (no index) unless an index narrows the rows.
    scan_table = bool(words) and not (f.agent or f.date_from or f.date_to)
    every = cheap + costly
    return _Where(tuple(c for c, _ in every), tuple(p for _, ps in every for p in ps), card_ids, scan_table,
                  tuple(cheap), tuple(costly), tuple(within))


def _graded_clause(state: str, card_ids: Sequence[int] | None, probe: bool) -> str:
    if probe:
        submitted, draft = _eval_exists(_SUBMITTED, card_ids), _eval_exists(_DRAFT, card_ids)
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

def _sort_key(column: str) -> str:
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
        "score": (f"(SELECT e.score FROM evaluations e WHERE {sub} AND {_SUBMITTED} "
                  f"ORDER BY e.id DESC LIMIT 1)"),
    }
    if column not in keys:
        raise QAGraderError(f"Cannot sort by {column!r}; use one of {', '.join(SORT_COLUMNS)}.")
    return keys[column]


def _order_by(column: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    key = _sort_key(column)
    if column == "state":
        key = f"coalesce({key}, 0)"
    return f" ORDER BY {key} {direction}, i.id {direction}"


def _from(where: _Where) -> str:
    return " FROM interactions i NOT INDEXED" if where.scan_table else " FROM interactions i"


# ------------------------------------------------------------------ the public queries

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
    where = _where(conn, filters, probe=limit is not None)
    order = _order_by(sort_column, descending)
    if limit is None:
        return _run_ids(conn, "SELECT i.id" + _from(where) + where.sql() + order, list(where.params), cancelled)
    if cancelled is not None and cancelled():
        raise CancelledError()
    from .browse_pages import first_page  # a module of its own: the strategies are long

    with _interruptible(conn, cancelled):
        page = first_page(conn, filters, where, sort_column, descending, int(limit), cancelled)
    if page is not None:
        if cancelled is not None and cancelled():
            raise CancelledError()
        return page
    return _run_ids(conn, "SELECT i.id" + _from(where) + where.sql() + order + " LIMIT ?",
                    [*where.params, int(limit)], cancelled)


def _run_ids(conn: sqlite3.Connection, sql: str, params: list,
             cancelled: Callable[[], bool] | None) -> array:
    if cancelled is not None and cancelled():
        raise CancelledError()
    with _interruptible(conn, cancelled):
        ids = _fetch_ids(conn, sql, params)
    if cancelled is not None and cancelled():
        raise CancelledError()
    return ids


def _fetch_ids(conn: sqlite3.Connection, sql: str, params: list) -> array:
    return array("q", (r[0] for r in conn.execute(sql, params)))


def fetch_rows(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, BrowseRow]:
    """The display rows of `ids` (any order, at most a few hundred at a time)."""
    wanted = [int(i) for i in ids]
    out: dict[int, BrowseRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        evaluations: dict[int, tuple[str, float | None, str]] = {}
        for interaction_id, status, score, grader in conn.execute(
            f"""SELECT interaction_id, status, score, grader FROM evaluations
                WHERE interaction_id IN ({marks}) AND calibration = 0 ORDER BY id""", chunk
        ):
            previous = evaluations.get(interaction_id)
            if previous is None or status == "submitted" or previous[0] != "submitted":
                evaluations[interaction_id] = (status, score, grader)
        for row in conn.execute(
            f"""SELECT i.id, i.external_id, i.channel, a.name, t.name, i.brand, i.occurred_at, i.csat_raw,
                       i.csat_norm, i.subject
                FROM interactions i LEFT JOIN agents a ON a.id = i.agent_id
                LEFT JOIN teams t ON t.id = i.team_id WHERE i.id IN ({marks})""", chunk
        ):
            status, score, grader = evaluations.get(row[0], ("ungraded", None, None))
            out[row[0]] = BrowseRow(*row, state=status,
                                    score=score if status == "submitted" else None, grader=grader)
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


def graded_state(conn: sqlite3.Connection, interaction_id: int) -> str:
    """ungraded / draft / submitted for one interaction (calibration evaluations ignored)."""
    rank = conn.execute(
        "SELECT max(CASE status WHEN 'submitted' THEN 2 ELSE 1 END) FROM evaluations "
        "WHERE interaction_id = ? AND calibration = 0", (interaction_id,)
    ).fetchone()[0]
    return _STATE_RANK[rank or 0]


def next_in_queue(
    conn: sqlite3.Connection,
    filters: BrowseFilters,
    after_id: int | None = None,
    grader: str | None = None,
    *,
    sort_column: str = "date",
    descending: bool = True,
) -> int | None:
    """The next interaction to grade in the browser's order after `after_id`: it matches
    `filters`, has no submitted evaluation, and nobody but `grader` has a draft of it.
    Wraps around to the start; None when nothing is left."""
    where = _where(conn, filters, probe=True)
    open_ = ["NOT " + _eval_exists(_SUBMITTED, where.card_ids)]
    params_open: list = []
    if grader:
        open_.append("NOT " + _eval_exists(_DRAFT, where.card_ids, " AND e.grader != ?"))
        params_open.append(grader)
    key = _sort_key(sort_column)
    order = _order_by(sort_column, descending)
    base = "SELECT i.id" + _from(where)

    def first(extra: list[str], extra_params: list) -> int | None:
        sql = base + where.sql(open_ + extra) + order + " LIMIT 1"
        row = conn.execute(sql, [*where.params, *params_open, *extra_params]).fetchone()
        return row[0] if row else None

    if after_id is not None:
        current = conn.execute(f"SELECT {key} FROM interactions i WHERE i.id = ?", (after_id,)).fetchone()
        k0 = current[0] if current else None
        for extra, extra_params in _after(key, k0, int(after_id), descending, sort_column == "state"):
            found = first([extra], extra_params)
            if found is not None:
                return found
        return first(["i.id != ?"], [int(after_id)])
    return first([], [])


def _after(key: str, k0, id0: int, descending: bool, coalesce: bool) -> list[tuple[str, list]]:
    """Conditions for "comes after (k0, id0)" in `ORDER BY key, id` (NULLs sort first
    ascending and last descending, as SQLite does), tried in order."""
    if coalesce:
        key, k0 = f"coalesce({key}, 0)", k0 or 0
    if not descending:
        if k0 is None:
            return [(f"{key} IS NULL AND i.id > ?", [id0]), (f"{key} IS NOT NULL", [])]
        return [(f"({key}, i.id) > (?, ?)", [k0, id0])]
    if k0 is None:
        return [(f"{key} IS NULL AND i.id < ?", [id0])]
    return [(f"({key}, i.id) < (?, ?)", [k0, id0]), (f"{key} IS NULL", [])]


def sample_queue(
    conn: sqlite3.Connection,
    per_agent_per_week: int,
    seed: int,
    filters: BrowseFilters = BrowseFilters(),
) -> list[int]:
    """A reproducible random sample of up to `per_agent_per_week` interactions per agent per
    week (Monday to Sunday) among those matching `filters` (graded state ignored: a sample stays the same
    while it is being graded), ordered by week, then agent. The same seed and data always give
    the same sample."""
    if per_agent_per_week < 1:
        raise QAGraderError("The sample needs at least 1 interaction per agent per week.")
    where = _where(conn, filters.replace(graded="any"), probe=False)
    week = "date(i.occurred_at, 'weekday 0', '-6 days')"  # the Monday of its week
    sql = f"""SELECT id FROM (
        SELECT i.id AS id, i.agent_id AS agent_id, {week} AS week,
               row_number() OVER (PARTITION BY i.agent_id, {week}
                                  ORDER BY {_hash_sql('i.id', int(seed))}, i.id) AS n
        {_from(where)}{where.sql(["i.agent_id IS NOT NULL", "i.occurred_at IS NOT NULL"])}
    ) WHERE n <= ? ORDER BY week, agent_id, n"""
    return [r[0] for r in conn.execute(sql, [*where.params, int(per_agent_per_week)])]


def _hash_sql(column: str, seed: int) -> str:
    """A deterministic 31-bit mix of `column` and `seed` in plain SQLite arithmetic."""
    mask = 0x7FFFFFFF
    s = seed & mask

    def xor(a: str, b: str) -> str:
        return f"(({a}) | ({b})) - (({a}) & ({b}))"

    x = f"(({column} * 1103515245 + 12345) & {mask})"
    x = xor(x, str(s))
    x = f"((({x}) * 1664525 + 1013904223) & {mask})"
    x = xor(x, f"({x}) >> 15")
    return f"((({x}) * 747796405 + 2891336453) & {mask})"


class _interruptible:
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

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        if self.installed:
            self.conn.set_progress_handler(None, 0)
            self._active.discard(id(self.conn))
            self.installed = False
        if isinstance(error, sqlite3.OperationalError) and self.cancelled is not None and self.cancelled():
            raise CancelledError() from error
