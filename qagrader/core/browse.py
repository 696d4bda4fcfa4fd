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
from collections.abc import Callable, Iterable, Sequence
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

    def sql(self, extra: Iterable[str] = ()) -> str:
        parts = [*self.clauses, *extra]
        return " WHERE " + " AND ".join(parts) if parts else ""


def _where(conn: sqlite3.Connection, f: BrowseFilters, *, probe: bool) -> _Where:
    """SQL conditions for `f`. `probe` prefers per-row EXISTS probes (good when few rows are
    read, e.g. with LIMIT) over list subqueries (good when every row is read)."""
    clauses: list[str] = []
    params: list = []
    card_ids: tuple[int, ...] | None = None
    if f.channel:
        # "+" keeps SQLite off the channel index: with a handful of channels, reading the
        # covering browse index in display order is much faster than the matching rows.
        clauses.append("+i.channel = ?")
        params.append(f.channel.strip().lower())
    # An agent has few interactions: their index finds them fastest. A team has many: like a
    # channel, reading the covering browse index in display order beats the team index ("+").
    for value, table, column in ((f.agent, "agents", "i.agent_id"), (f.team, "teams", "+i.team_id")):
        if value:
            row = conn.execute(f"SELECT id FROM {table} WHERE name = ?", (value,)).fetchone()
            clauses.append(f"{column} = ?")
            params.append(row[0] if row else -1)
    if f.brand:
        clauses.append("i.brand = ?")
        params.append(f.brand)
    if f.date_from:
        clauses.append("i.occurred_at >= ?")
        params.append(_parse_day(f.date_from, "from").isoformat())
    if f.date_to:
        clauses.append("i.occurred_at < ?")
        params.append((_parse_day(f.date_to, "to") + timedelta(days=1)).isoformat())
    if f.scorecard:
        card_ids, channels = _scorecard_scope(conn, f.scorecard)
        if channels:
            clauses.append(f"+i.channel IN ({', '.join('?' * len(channels))})")
            params.extend(channels)
    if f.graded not in GRADED_STATES:
        raise QAGraderError(f"Unknown graded state {f.graded!r}; use one of {', '.join(GRADED_STATES)}.")
    if f.graded != "any":
        clauses.append(_graded_clause(f.graded, card_ids, probe))
    words = f.search.split()
    for word in words:
        clauses.append("(i.subject LIKE ? ESCAPE '\\' OR i.transcript LIKE ? ESCAPE '\\')")
        params.extend([_like(word), _like(word)])
    # Searching reads transcripts: in table order (no index) unless an index narrows the rows.
    scan_table = bool(words) and not (f.agent or f.date_from or f.date_to)
    return _Where(tuple(clauses), tuple(params), card_ids, scan_table)


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
    if limit is not None and sort_column == "score":
        page = _score_first_page(conn, filters, where, descending, int(limit), cancelled)
        if page is not None:
            return page
    order = _order_by(sort_column, descending)
    queries: list[tuple[str, list]] = []
    if limit is not None and where.scan_table and sort_column in ("date", "id"):
        # A text search reads every transcript unless it can stop early: first try the newest
        # (or oldest) WINDOW interactions in display order; if they hold a full page of matches,
        # that page is the start of the full list.
        key = "occurred_at" if sort_column == "date" else "id"
        direction = "DESC" if descending else "ASC"
        window = (f"i.id IN (SELECT id FROM interactions ORDER BY {key} {direction}, id {direction} "
                  f"LIMIT {SEARCH_WINDOW})")
        queries.append(("SELECT i.id FROM interactions i" + where.sql([window]) + order + " LIMIT ?",
                        [*where.params, int(limit)]))
    sql = "SELECT i.id" + _from(where) + where.sql() + order
    params = list(where.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    queries.append((sql, params))
    for number, (sql, params) in enumerate(queries, start=1):
        ids = _run_ids(conn, sql, params, cancelled)
        if number == len(queries) or len(ids) >= (limit or 0):
            return ids
    raise AssertionError("unreachable")


SEARCH_WINDOW = 20_000
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
    the index of submitted scores (migration 0003); the unscored one through the newest (or
    oldest) SCORE_WINDOW interactions, or, when only submitted interactions are listed, from
    the same index. When a run stops short of a page inside a window that does not reach its
    end, the page is unknown: None, and the full query runs with LIMIT.
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
    start: at most `need`, read from the best (or worst) SCORE_WINDOW submitted scores."""
    if filters.graded in ("ungraded", "draft") and not filters.scorecard:
        return array("q"), True  # nothing submitted: no scores at all
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
        try:
            ids = array("q", (r[0] for r in conn.execute(sql, params)))
        except sqlite3.OperationalError as error:
            if cancelled is not None and cancelled():
                raise CancelledError() from error
            raise
    if cancelled is not None and cancelled():
        raise CancelledError()
    return ids


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
    """Poll `cancelled()` while SQLite runs a query; a true answer aborts it."""

    def __init__(self, conn: sqlite3.Connection, cancelled: Callable[[], bool] | None):
        self.conn, self.cancelled = conn, cancelled

    def __enter__(self) -> None:
        if self.cancelled is not None:
            check = self.cancelled
            self.conn.set_progress_handler(lambda: 1 if check() else 0, 20_000)

    def __exit__(self, *exc: object) -> None:
        if self.cancelled is not None:
            self.conn.set_progress_handler(None, 0)
