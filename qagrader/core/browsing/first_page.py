"""The browser's first page, fast: strategies that find the first rows of the display order
without working out the whole list (`browser.browse_ids` with a `limit`).

The full query works out the sort key of every matching row and sorts them all; with a
graded state or a search it also probes evaluations or reads the transcript of every row
(a second or more on a million interactions). The first page needs far less. In order:

1. A draft (or submitted) state with few such evaluations: start from those evaluations.
2. Sorted by state: the order is three runs (submitted, draft, ungraded; reversed
   ascending), each by id: each run is a first page sorted by id.
3. Sorted by score: `_score_first_page`.
4. Otherwise the rows that pass the cheap filters (columns of interactions) are read in
   display order, from an index where one gives that order (agent and team: one agent or
   team at a time, in name order, each from its index by id), a chunk at a time, and the
   costly conditions (graded state, search) are checked on each chunk only, until a page
   is found. When SEARCH_WINDOW rows (SORTED_WINDOW where the order needs a sort) do
   not hold a page, the full query runs with LIMIT.

Each is the start of the full list: the rows read are a prefix of the display order of the
cheap filters' rows (ties by id), so the costly conditions keep that prefix's matches.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Generator

from .sql import (
    DATE,
    BrowseFilters,
    Where,
    fetch_ids,
    from_clause,
    graded_clause,
    order_by,
    run_ids,
    sort_key,
)

SEARCH_WINDOW = 20_000  # rows read in display order for a first page (a search, a graded state)
SORTED_WINDOW = 4_000  # the same where the display order needs a sort (brand, CSAT, subject)
CANDIDATES = 20_000  # at most this many evaluations in the graded state: start from them
NARROW = 30_000  # an agent or a date range with at most this many rows: the plain query is quick
_ORDERED = ("id", "external_id", "channel", "date")  # an index gives the display order
# Not in the covering browse index (or ordered by another index): with a long date range, read
# in display order from their own index (or the table) rather than from the date index.
_OWN_ORDER = ("id", "external_id", "channel", "subject")
_GROUPED = {"agent": ("agents", "agent_id"), "team": ("teams", "team_id")}


def first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: Where, column: str, descending: bool,
                limit: int, cancelled: _Cancelled) -> array | None:
    """The first `limit` ids in display order, or None when the full query should run."""
    sort_key(column)  # an unknown column is refused before anything runs
    page = _candidates_first_page(conn, where, column, descending, limit)
    if page is not None:
        return page
    if column == "state":
        return _state_first_page(conn, filters, where, descending, limit, cancelled)
    if column == "score":
        return _score_first_page(conn, filters, where, descending, limit, cancelled)
    narrow = _narrow(conn, filters, where)
    dates = any(c.startswith(DATE) for c, _ in where.cheap)
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


def _candidates_first_page(conn: sqlite3.Connection, where: Where, column: str, descending: bool,
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
           f"CROSS JOIN interactions i ON i.id = c.id" + where.sql() + order_by(column, descending) + " LIMIT ?")
    return fetch_ids(conn, sql, [*where.params, limit])


def _state_first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: Where, descending: bool,
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
        run = where.adding(graded_clause(state, None, probe=True),
                           (state, None) if state != "ungraded" else None)
        need = limit - len(ids)
        found = first_page(conn, filters, run, "id", descending, need, cancelled)
        if found is None:
            found = fetch_ids(conn, "SELECT i.id" + from_clause(run) + run.sql() + order_by("id", descending)
                               + " LIMIT ?", [*run.params, need])
        ids.extend(found)
        if len(ids) >= limit:
            return ids[:limit]
    return ids


def _narrow(conn: sqlite3.Connection, filters: BrowseFilters, where: Where) -> bool:
    """True when an index finds few rows (one agent, a short date range): the plain query
    reads and sorts them quickly."""
    if filters.agent:
        return True
    dates = [(c, p) for c, p in where.cheap if c.startswith(DATE)]
    if not dates:
        return False
    sql = (f"SELECT count(*) FROM (SELECT 1 FROM interactions i WHERE {' AND '.join(c for c, _ in dates)} "
           f"LIMIT {NARROW + 1})")
    return conn.execute(sql, [p for _, ps in dates for p in ps]).fetchone()[0] <= NARROW


# Ids in display order, a chunk at a time (growing from two pages); the generator returns True
# when it read every row, False when it stopped at its window.
_Chunks = Generator[array, None, bool]


def _sql_chunks(conn: sqlite3.Connection, where: Where, column: str, descending: bool, limit: int, *,
                date_index: bool = True) -> _Chunks:
    """The cheap filters' rows in display order, at most a window of them."""
    window = SEARCH_WINDOW if column in _ORDERED else SORTED_WINDOW
    clause, params = where.cheap_sql(date_index=date_index)
    cursor = conn.execute("SELECT i.id FROM interactions i" + clause + order_by(column, descending)
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


def _group_chunks(conn: sqlite3.Connection, where: Where, column: str, descending: bool, limit: int) -> _Chunks:
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
            chunk = fetch_ids(conn, f"SELECT i.id FROM interactions i{clause} ORDER BY i.id {direction} "
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


def _filter_chunks(conn: sqlite3.Connection, where: Where, chunks: _Chunks, limit: int) -> array | None:
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


def _score_first_page(conn: sqlite3.Connection, filters: BrowseFilters, where: Where, descending: bool,
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


def _scored_run(conn: sqlite3.Connection, filters: BrowseFilters, where: Where, direction: str, need: int,
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
        return run_ids(conn, sql, [*where.params, need], cancelled), True
    window = (f"SELECT s.id, s.interaction_id, s.score FROM evaluations s INDEXED BY {SCORE_INDEX} "
              f"WHERE s.status = 'submitted' AND s.calibration = 0 AND s.score IS NOT NULL "
              f"ORDER BY s.score {direction}, s.interaction_id {direction} LIMIT {SCORE_WINDOW}")
    sql = (f"SELECT i.id FROM ({window}) AS s JOIN interactions i ON i.id = s.interaction_id"
           + where.sql([_LATEST]) + f" ORDER BY s.score {direction}, s.interaction_id {direction} LIMIT ?")
    found = run_ids(conn, sql, [*where.params, need], cancelled)
    if len(found) >= need:
        return found, True
    total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM evaluations INDEXED BY {SCORE_INDEX} "
                         f"WHERE status = 'submitted' AND calibration = 0 AND score IS NOT NULL "
                         f"LIMIT {SCORE_WINDOW})").fetchone()[0]
    return found, total < SCORE_WINDOW


def _unscored_run(conn: sqlite3.Connection, filters: BrowseFilters, where: Where, direction: str, need: int,
                  cancelled: _Cancelled) -> tuple[array, bool]:
    """Interactions without a score, by id, from the start: at most `need`."""
    if filters.graded == "submitted" and not filters.scorecard:
        # Only submitted ones are listed: the unscored are the few whose latest submission
        # has no score (everything N/A), all in the index's NULL end.
        sql = (f"SELECT i.id FROM evaluations s INDEXED BY {SCORE_INDEX} JOIN interactions i "
               f"ON i.id = s.interaction_id" + where.sql([
                   "s.status = 'submitted'", "s.calibration = 0", "s.score IS NULL", _LATEST])
               + f" ORDER BY i.id {direction} LIMIT ?")
        return run_ids(conn, sql, [*where.params, need], cancelled), True
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
    sql = ("SELECT i.id" + from_clause(where) + where.sql([f"{sort_key('score')} IS NULL", window])
           + f" ORDER BY i.id {direction} LIMIT ?")
    found = run_ids(conn, sql, [*where.params, need], cancelled)
    return found, len(found) >= need or complete
