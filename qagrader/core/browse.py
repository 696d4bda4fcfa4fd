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
    # is small, the rows are found from it (see `_candidates_first_page`).
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
    with _interruptible(conn, cancelled):
        page = _first_page(conn, filters, where, sort_column, descending, int(limit), cancelled)
    if page is not None:
        if cancelled is not None and cancelled():
            raise CancelledError()
        return page
    return _run_ids(conn, "SELECT i.id" + _from(where) + where.sql() + order + " LIMIT ?",
                    [*where.params, int(limit)], cancelled)


# ------------------------------------------------------------------ the first page
#
# The full query works out the sort key of every matching row and sorts them all; with a
# graded state or a search it also probes evaluations or reads the transcript of every row
# (a second or more on a million interactions). The first page needs far less. In order:
#
# 1. A draft (or submitted) state with few such evaluations: start from those evaluations.
# 2. Sorted by state: the order is three runs (submitted, draft, ungraded; reversed
#    ascending), each by id: each run is a first page sorted by id.
# 3. Sorted by score: `_score_first_page`.
# 4. Otherwise the rows that pass the cheap filters (columns of interactions) are read in
#    display order, from an index where one gives that order (agent and team: one agent or
#    team at a time, in name order, each from its index by id), a chunk at a time, and the
#    costly conditions (graded state, search) are checked on each chunk only, until a page
#    is found. When SEARCH_WINDOW rows (SORTED_WINDOW where the order needs a sort) do
#    not hold a page, the full query runs with LIMIT.
#
# Each is the start of the full list: the rows read are a prefix of the display order of the
# cheap filters' rows (ties by id), so the costly conditions keep that prefix's matches.

SEARCH_WINDOW = 20_000  # rows read in display order for a first page (a search, a graded state)
SORTED_WINDOW = 4_000  # the same where the display order needs a sort (brand, CSAT, subject)
CANDIDATES = 20_000  # at most this many evaluations in the graded state: start from them
NARROW = 30_000  # an agent or a date range with at most this many rows: the plain query is quick
_DATE = "i.occurred_at"  # how the date range's conditions start
_ORDERED = ("id", "external_id", "channel", "date")  # an index gives the display order
# Not in the covering browse index (or ordered by another index): with a long date range, read
# in display order from their own index (or the table) rather than from the date index.
_OWN_ORDER = ("id", "external_id", "channel", "subject")
_GROUPED = {"agent": ("agents", "agent_id"), "team": ("teams", "team_id")}


def _first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where, column: str, descending: bool,
                limit: int, cancelled: _Cancelled) -> array | None:
    """The first `limit` ids in display order, or None when the full query should run."""
    _sort_key(column)  # an unknown column is refused before anything runs
    page = _candidates_first_page(conn, where, column, descending, limit)
    if page is not None:
        return page
    if column == "state":
        return _state_first_page(conn, filters, where, descending, limit, cancelled)
    if column == "score":
        return _score_first_page(conn, filters, where, descending, limit, cancelled)
    narrow = _narrow(conn, filters, where)
    dates = any(c.startswith(_DATE) for c, _ in where.cheap)
    if column in _GROUPED and not narrow:
        chunks = _group_chunks(conn, where, column, descending, limit)
    elif where.costly or (dates and not narrow and column in _OWN_ORDER):
        # A long date range: read the display order's index (or the table), not the rows of
        # the range in date order (one random read each) and sort them.
        date_index = narrow or column not in _OWN_ORDER
        chunks = _sql_chunks(conn, where, column, descending, limit, date_index=date_index)
    else:
        return None  # the plain query reads the cheap filters' rows in display order already
    return _filter_chunks(conn, where, chunks, limit)


def _candidates_first_page(conn: sqlite3.Connection, where: _Where, column: str, descending: bool,
                           limit: int) -> array | None:
    """When every listed row has one of at most CANDIDATES evaluations (say, drafts), the
    full query run from those evaluations instead of from every interaction."""
    best: tuple[int, str] | None = None
    for status, card_ids in where.within:
        cards = f" AND scorecard_id IN ({', '.join(str(int(c)) for c in card_ids)})" if card_ids else ""
        source = (f"SELECT interaction_id FROM evaluations WHERE status = '{status}' "
                  f"AND calibration = 0{cards}")
        count = conn.execute(f"SELECT count(*) FROM ({source} LIMIT {CANDIDATES + 1})").fetchone()[0]
        if count <= CANDIDATES and (best is None or count < best[0]):
            best = (count, source)
    if best is None:
        return None
    if best[0] == 0:
        return array("q")
    sql = (f"SELECT i.id FROM (SELECT DISTINCT interaction_id AS id FROM ({best[1]})) AS c "
           f"CROSS JOIN interactions i ON i.id = c.id" + where.sql() + _order_by(column, descending) + " LIMIT ?")
    return _fetch_ids(conn, sql, [*where.params, limit])


def _state_first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where, descending: bool,
                      limit: int, cancelled: _Cancelled) -> array | None:
    """Sorted by state: submitted, draft, then ungraded interactions (any scorecard; the
    reverse ascending), each run by id."""
    states = ["submitted", "draft", "ungraded"]
    if not descending:
        states.reverse()
    if filters.graded != "any" and (not filters.scorecard or filters.graded == "submitted"):
        states = [filters.graded]  # the other runs are empty
    ids = array("q")
    for state in states:
        run = where.adding(_graded_clause(state, None, probe=True),
                           (state, None) if state != "ungraded" else None)
        need = limit - len(ids)
        found = _first_page(conn, filters, run, "id", descending, need, cancelled)
        if found is None:
            found = _fetch_ids(conn, "SELECT i.id" + _from(run) + run.sql() + _order_by("id", descending)
                               + " LIMIT ?", [*run.params, need])
        ids.extend(found)
        if len(ids) >= limit:
            return ids[:limit]
    return ids


def _narrow(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where) -> bool:
    """True when an index finds few rows (one agent, a short date range): the plain query
    reads and sorts them quickly."""
    if filters.agent:
        return True
    dates = [(c, p) for c, p in where.cheap if c.startswith(_DATE)]
    if not dates:
        return False
    sql = (f"SELECT count(*) FROM (SELECT 1 FROM interactions i WHERE {' AND '.join(c for c, _ in dates)} "
           f"LIMIT {NARROW + 1})")
    return conn.execute(sql, [p for _, ps in dates for p in ps]).fetchone()[0] <= NARROW


# Ids in display order, a chunk at a time (growing from two pages); the generator returns True
# when it read every row, False when it stopped at its window.
_Chunks = Generator[array, None, bool]


def _sql_chunks(conn: sqlite3.Connection, where: _Where, column: str, descending: bool, limit: int, *,
                date_index: bool = True) -> _Chunks:
    """The cheap filters' rows in display order, at most a window of them."""
    window = SEARCH_WINDOW if column in _ORDERED else SORTED_WINDOW
    clause, params = where.cheap_sql(date_index=date_index)
    cursor = conn.execute("SELECT i.id FROM interactions i" + clause + _order_by(column, descending)
                          + f" LIMIT {int(window)}", params)
    size, read = 2 * limit, 0
    try:
        while True:
            chunk = array("q", (r[0] for r in cursor.fetchmany(size)))
            read += len(chunk)
            if chunk:
                yield chunk
            if read >= window:
                return False  # the window is read (even if nothing follows it: not known)
            if len(chunk) < size:
                return True
            size *= 2
    finally:
        cursor.close()  # a statement left open would hold the read snapshot


def _group_chunks(conn: sqlite3.Connection, where: _Where, column: str, descending: bool, limit: int) -> _Chunks:
    """The cheap filters' rows sorted by agent (or team) name: one agent at a time, in the
    order of the sort key, each agent's rows from its index by id; the rows without one
    (no agent, or one that no longer exists) first ascending, last descending."""
    table, fk = _GROUPED[column]
    named, unnamed = [], []
    for value, missing in conn.execute(
        f"""WITH RECURSIVE used(v) AS (
              SELECT min({fk}) FROM interactions
              UNION ALL SELECT (SELECT min({fk}) FROM interactions WHERE {fk} > used.v) FROM used
              WHERE used.v IS NOT NULL)
            SELECT v, (SELECT name FROM {table} WHERE id = v) IS NULL FROM used WHERE v IS NOT NULL
            ORDER BY (SELECT name FROM {table} WHERE id = v), v"""):
        (unnamed if missing else named).append(int(value))
    nulls = f"i.{fk} IS NULL" + (f" OR i.{fk} IN ({', '.join(map(str, unnamed))})" if unnamed else "")
    groups = [f"({nulls})"] + [f"i.{fk} = {value}" for value in named]
    if descending:
        groups.reverse()
    direction, after = ("DESC", "<") if descending else ("ASC", ">")
    read = 0
    for group in groups:
        last = None
        size = 2 * limit
        while True:
            extra = [group] + ([f"i.id {after} {int(last)}"] if last is not None else [])
            clause, params = where.cheap_sql(extra, date_index=False)  # the group's index, not the dates'
            chunk = _fetch_ids(conn, f"SELECT i.id FROM interactions i{clause} ORDER BY i.id {direction} "
                                     f"LIMIT {int(size)}", params)
            read += len(chunk)
            if chunk:
                yield chunk
            if read >= SEARCH_WINDOW:
                return False
            if len(chunk) < size:
                break
            last, size = chunk[-1], size * 2
    return True


def _filter_chunks(conn: sqlite3.Connection, where: _Where, chunks: _Chunks, limit: int) -> array | None:
    """The first `limit` ids of `chunks` that meet the costly conditions (checked one chunk at
    a time, only on its rows), or None when the chunks stop at their window before a page."""
    import json

    ids = array("q")
    costly = " AND ".join(c for c, _ in where.costly)
    params = [p for _, ps in where.costly for p in ps]
    while True:
        try:
            chunk = next(chunks)
        except StopIteration as stop:
            return ids if stop.value else None
        if costly:
            keep = {r[0] for r in conn.execute(
                "SELECT i.id FROM interactions i WHERE i.id IN (SELECT value FROM json_each(?)) AND " + costly,
                [json.dumps(chunk.tolist()), *params])}
            ids.extend(i for i in chunk if i in keep)
        else:
            ids.extend(chunk)
        if len(ids) >= limit:
            chunks.close()
            return ids[:limit]


SCORE_WINDOW = 20_000
SCORE_INDEX = "evaluations_submitted_score"  # migration 0003
_LATEST = ("NOT EXISTS (SELECT 1 FROM evaluations l WHERE l.interaction_id = s.interaction_id "
           "AND l.status = 'submitted' AND l.calibration = 0 AND l.id > s.id)")


def _score_first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where, descending: bool,
                      limit: int, cancelled: Callable[[], bool] | None) -> array | None:
    """The first `limit` ids in score order, or None when the quick ways below cannot tell.

    The full query works out every matching interaction's latest submitted score and sorts
    them all (over a second on a million interactions). But the order is two runs: the
    interactions with a score, by (score, id), and those without one (never submitted, or an
    all-N/A submission), by id; descending puts the scored ones first, ascending the others.
    Each run is read from its start and only as far as the page needs: the scored one from
    the index of submitted scores (migration 0003; see `_scored_run`); the unscored one
    through the newest (or oldest) SCORE_WINDOW interactions, or, when only submitted
    interactions are listed, from the same index. When a run stops short of a page inside a
    window that does not reach its end, the page is unknown: None, and the full query runs
    with LIMIT.
    """
    direction = "DESC" if descending else "ASC"
    runs = [_scored_run, _unscored_run]
    if not descending:
        runs.reverse()
    ids = array("q")
    for run in runs:
        found, complete = run(conn, filters, where, direction, limit - len(ids), cancelled)
        ids.extend(found)
        if len(ids) >= limit:
            return ids[:limit]
        if not complete:
            return None
    return ids  # fewer matches than a page: this is the whole list


_Cancelled = Callable[[], bool] | None


def _scored_run(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where, direction: str, need: int,
                cancelled: _Cancelled) -> tuple[array, bool]:
    """Interactions whose latest submitted evaluation has a score, by (score, id), from the
    start: at most `need`, read from the index of submitted scores in order, as far as the page
    needs (at most every submitted evaluation: a few hundred ms for a filter that few of
    them meet, such as a channel whose scores are all at the other end). With an index that
    narrows the rows (an agent, a short date range), from the best (or worst) SCORE_WINDOW
    scores only: if they do not hold the page, the full query is quicker."""
    if filters.graded in ("ungraded", "draft") and not filters.scorecard:
        return array("q"), True  # nothing submitted: no scores at all
    if not _narrow(conn, filters, where):
        sql = (f"SELECT i.id FROM evaluations s INDEXED BY {SCORE_INDEX} CROSS JOIN interactions i "
               f"ON i.id = s.interaction_id" + where.sql([
                   "s.status = 'submitted'", "s.calibration = 0", "s.score IS NOT NULL", _LATEST])
               + f" ORDER BY s.score {direction}, s.interaction_id {direction} LIMIT ?")
        return _run_ids(conn, sql, [*where.params, need], cancelled), True
    window = (f"SELECT s.id, s.interaction_id, s.score FROM evaluations s INDEXED BY {SCORE_INDEX} "
              f"WHERE s.status = 'submitted' AND s.calibration = 0 AND s.score IS NOT NULL "
              f"ORDER BY s.score {direction}, s.interaction_id {direction} LIMIT {SCORE_WINDOW}")
    sql = (f"SELECT i.id FROM ({window}) AS s JOIN interactions i ON i.id = s.interaction_id"
           + where.sql([_LATEST]) + f" ORDER BY s.score {direction}, s.interaction_id {direction} LIMIT ?")
    found = _run_ids(conn, sql, [*where.params, need], cancelled)
    if len(found) >= need:
        return found, True
    total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM evaluations INDEXED BY {SCORE_INDEX} "
                         f"WHERE status = 'submitted' AND calibration = 0 AND score IS NOT NULL "
                         f"LIMIT {SCORE_WINDOW})").fetchone()[0]
    return found, total < SCORE_WINDOW


def _unscored_run(conn: sqlite3.Connection, filters: BrowseFilters, where: _Where, direction: str, need: int,
                  cancelled: _Cancelled) -> tuple[array, bool]:
    """Interactions without a score, by id, from the start: at most `need`."""
    if filters.graded == "submitted" and not filters.scorecard:
        # Only submitted ones are listed: the unscored are the few whose latest submission
        # has no score (everything N/A), all in the index's NULL end.
        sql = (f"SELECT i.id FROM evaluations s INDEXED BY {SCORE_INDEX} JOIN interactions i "
               f"ON i.id = s.interaction_id" + where.sql([
                   "s.status = 'submitted'", "s.calibration = 0", "s.score IS NULL", _LATEST])
               + f" ORDER BY i.id {direction} LIMIT ?")
        return _run_ids(conn, sql, [*where.params, need], cancelled), True
    low, high = conn.execute(  # two subqueries: each reads one end of the table
        "SELECT (SELECT min(id) FROM interactions), (SELECT max(id) FROM interactions)").fetchone()
    if low is None:
        return array("q"), True
    if direction == "DESC":
        bound, complete = max(low, high - SCORE_WINDOW + 1), high - SCORE_WINDOW + 1 <= low
        window = f"i.id >= {int(bound)}"
    else:
        bound, complete = min(high, low + SCORE_WINDOW - 1), low + SCORE_WINDOW - 1 >= high
        window = f"i.id <= {int(bound)}"
    sql = ("SELECT i.id" + _from(where) + where.sql([f"{_sort_key('score')} IS NULL", window])
           + f" ORDER BY i.id {direction} LIMIT ?")
    found = _run_ids(conn, sql, [*where.params, need], cancelled)
    return found, len(found) >= need or complete


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
