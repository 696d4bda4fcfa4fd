"""The grading queue: the next interaction nobody has submitted yet in the browser's order
(`next_in_queue`) or in a list of ids (`next_in_list`), and a reproducible random sample of N
interactions per agent per week (`sample_queue`) with its progress (`count_submitted`). No Qt."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from ..browsing.sql import (
    DRAFT,
    SUBMITTED,
    BrowseFilters,
    eval_exists,
    from_clause,
    interruptible,
    order_by,
    sort_key,
    where_clause,
)
from ..errors import CancelledError, QAGraderError


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
    where = where_clause(conn, filters, probe=True)
    open_ = ["NOT " + eval_exists(SUBMITTED, where.card_ids)]
    params_open: list = []
    if grader:
        open_.append("NOT " + eval_exists(DRAFT, where.card_ids,
                                          " AND e.grader_id IS NOT (SELECT id FROM graders WHERE name = ?)"))
        params_open.append(grader)
    key = sort_key(sort_column)
    order = order_by(sort_column, descending)
    base = "SELECT i.id" + from_clause(where)

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
    *,
    cancelled: Callable[[], bool] | None = None,
) -> list[int]:
    """A reproducible random sample of up to `per_agent_per_week` interactions per agent per
    week (Monday to Sunday) among those matching `filters` (graded state ignored: a sample stays the same
    while it is being graded), ordered by week, then agent. The same seed and data always give
    the same sample. `cancelled()` is polled while SQLite works (then `CancelledError`)."""
    if per_agent_per_week < 1:
        raise QAGraderError("The sample needs at least 1 interaction per agent per week.")
    where = where_clause(conn, filters.replace(graded="any"), probe=False)
    week = "date(i.occurred_at, 'weekday 0', '-6 days')"  # the Monday of its week
    sql = f"""SELECT id FROM (
        SELECT i.id AS id, i.agent_id AS agent_id, {week} AS week,
               row_number() OVER (PARTITION BY i.agent_id, {week}
                                  ORDER BY {_hash_sql('i.id', int(seed))}, i.id) AS n
        {from_clause(where)}{where.sql(["i.agent_id IS NOT NULL", "i.occurred_at IS NOT NULL"])}
    ) WHERE n <= ? ORDER BY week, agent_id, n"""
    if cancelled is not None and cancelled():
        raise CancelledError()
    with interruptible(conn, cancelled):
        return [r[0] for r in conn.execute(sql, [*where.params, int(per_agent_per_week)])]


def next_in_list(conn: sqlite3.Connection, ids: Sequence[int], current: int | None, grader: str) -> int | None:
    """The first id after `current` in `ids` (wrapping round) that nobody has submitted and
    nobody but `grader` is drafting (calibration evaluations ignored); None when none is left."""
    if not ids:
        return None
    try:
        start = ids.index(current) + 1 if current is not None else 0  # type: ignore[union-attr]
    except ValueError:
        start = 0
    total = len(ids)
    for offset in range(0, total, 500):
        chunk = [int(ids[(start + k) % total]) for k in range(offset, min(offset + 500, total))]
        chunk = [i for i in chunk if i != current]
        if not chunk:
            continue
        marks = ", ".join("?" * len(chunk))
        taken = {r[0] for r in conn.execute(
            f"""SELECT interaction_id FROM evaluations WHERE calibration = 0
                AND interaction_id IN ({marks})
                AND (status = 'submitted' OR (status = 'draft'
                     AND grader_id IS NOT (SELECT id FROM graders WHERE name = ?)))""",
            [*chunk, grader])}
        for interaction_id in chunk:
            if interaction_id not in taken:
                return interaction_id
    return None


def count_submitted(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """How many of the interactions `ids` have a submitted (non-calibration) evaluation."""
    ids = list(dict.fromkeys(ids))
    done = 0
    for start in range(0, len(ids), 900):
        chunk = [int(i) for i in ids[start:start + 900]]
        done += conn.execute(
            f"""SELECT count(DISTINCT interaction_id) FROM evaluations WHERE status = 'submitted'
                AND calibration = 0 AND interaction_id IN ({', '.join('?' * len(chunk))})""", chunk
        ).fetchone()[0]
    return done


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
