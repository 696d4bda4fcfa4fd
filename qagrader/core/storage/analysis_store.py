"""The analysis-ready store: what the analysis reads, packed as typed arrays, kept current.

The analysis needs, per submitted non-calibration evaluation, a handful of ids, dates, CSAT and
its skill scores. Read from the normalized tables that is a join plus a lookup per skill, about
ten Python objects per evaluation (seconds at the study's 265,000); read from here it is one
blob per `CHUNK` evaluation ids, each a few typed arrays (`numpy.frombuffer`, no per-row
Python).

Tables (migration `0009_analysis_store`, which also creates the triggers):

- `analysis_chunks(chunk, data)`: chunk `k` holds the submitted, non-calibration evaluations
  whose id is in ``[k * CHUNK, (k + 1) * CHUNK)``: the `INTEGER_COLUMNS`, `TIME_COLUMNS` (µs
  since 1970, UTC), `FLOAT_COLUMNS`, the `TEXT_COLUMNS` as codes into the chunk's own list of
  values, and the skill scores as one float matrix (NaN = not scored) with the chunk's skill
  names. Names of agents, teams, graders and scorecards are not stored, only their ids: a
  rename or a team move changes nothing here (the loader looks the names up).
- `analysis_dirty(chunk)`: chunks whose evaluations changed since they were built; `ALL` (-1)
  means rebuild everything. Triggers on `evaluations`, `evaluation_skills` and `interactions`
  fill it, whoever writes (the row writers, a merge, another program), and only for changes
  the analysis sees (a draft's autosave marks nothing).

`Workspace.transaction` calls `refresh` before it commits, so every write leaves the store
current in the same transaction. `current_columns` (what the loader calls) also refreshes a
store found dirty or stale (e.g. made by an older version of this format, or a count that
disagrees with the evaluations), persisting the rebuild when it can and otherwise building it
in memory only. `columns_from_tables` reads the same columns from the normalized tables, for
the rebuild and for the check.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .workspace import Workspace

FORMAT = 2
"""Version of the chunk layout; chunks of another version are rebuilt (2: QA scores and answers)."""
CHUNK_BITS = 10
CHUNK = 1 << CHUNK_BITS
"""Evaluation ids per chunk: a submit rebuilds one chunk (a few ms), a load reads n / CHUNK blobs."""
RUN = 64
"""Chunks read from the normalized tables in one go by a rebuild (64K evaluations: bounded memory)."""
ALL = -1
"""The `analysis_dirty` mark for "rebuild every chunk"."""
NULL_ID = -1
"""A missing id (an interaction without agent or own team) in the integer columns."""
NO_TIME = np.iinfo(np.int64).min
"""A missing or unreadable time (NaT) in the time columns."""

INTEGER_COLUMNS: tuple[str, ...] = ("evaluation_id", "interaction_id", "agent_id", "team_id", "grader_id",
                                    "scorecard_id")
"""`team_id` is the interaction's own team (NULL_ID: the agent's team applies)."""
TIME_COLUMNS: tuple[str, ...] = ("occurred_at", "submitted_at", "when")
"""`when` is the interaction's date, else the submission's: what the date filters bound."""
FLOAT_COLUMNS: tuple[str, ...] = ("csat", "satisfied", "blind", "score")
"""`score` is the evaluation's QA score (NaN: nothing scorable)."""
TEXT_COLUMNS: tuple[str, ...] = ("channel", "brand", "csat_scale")

_SELECT = """
SELECT e.id, e.interaction_id, i.agent_id, i.team_id, e.grader_id, e.scorecard_id,
       i.occurred_at, e.submitted_at, COALESCE(i.occurred_at, e.submitted_at),
       i.csat_norm, i.satisfied, e.blind, e.score, i.channel, i.brand, i.csat_scale
FROM evaluations e JOIN interactions i ON i.id = e.interaction_id
WHERE e.id BETWEEN ? AND ? AND +e.status = 'submitted' AND +e.calibration = 0
ORDER BY e.id"""
# (`+` keeps SQLite on the id range: the status index would scan every submitted evaluation)
_SKILLS = "SELECT evaluation_id, skill, score FROM evaluation_skills WHERE evaluation_id BETWEEN ? AND ?"
_QUESTION_KEYS = """
SELECT s.id, json_extract(q.value, '$.key')
FROM scorecards s,
     json_each(CASE WHEN json_valid(s.definition) THEN s.definition END, '$.sections') c,
     json_each(CASE WHEN c.type = 'object' THEN c.value END, '$.questions') q
WHERE s.id IN (SELECT DISTINCT scorecard_id FROM evaluations WHERE id BETWEEN ? AND ?)
  AND json_type(q.value, '$.key') = 'text'"""
# (each version's question keys, read as tolerantly as the answers: a damaged definition has none)



@dataclass
class Answers:
    """The stored answer values of the questions of each evaluation's own scorecard version:
    `codes[row, k]` points into `values` for question key `keys[k]` (-1: NULL, i.e. no such
    question on its version, unanswered, or a value of null). A value is what SQLite's
    `json_extract(answers, '$."key".value')` gives (text, integer, real; true/false as 1/0;
    an array or object as its JSON text), so scoring them reads as the SQL reference does
    (`dataset.load_question_scores`)."""

    keys: list[str]
    values: list[object]
    codes: np.ndarray

    def value_of(self, key: str) -> np.ndarray:
        """Each row's value of question `key` as an object array (None: NULL or no such key)."""
        table = np.array([*self.values, None], dtype=object)
        if key not in self.keys:
            return np.full(len(self.codes), None, dtype=object)
        return table[self.codes[:, self.keys.index(key)]]


def no_answers(n: int = 0) -> Answers:
    return Answers([], [], np.full((n, 0), -1, dtype=np.int32))


@dataclass
class StoreColumns:
    """The store's content, one entry per submitted non-calibration evaluation, in evaluation
    id order: `arrays` by column name (see the module docstring), `texts` the values each
    text column's codes point at (code -1: NULL), `skills` the names of the columns of
    `scores` (sorted), `answers` the answers' values (only when asked for: see `concatenate`)."""

    arrays: dict[str, np.ndarray]
    texts: dict[str, list[str]]
    skills: list[str]
    scores: np.ndarray
    answers: Answers = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.answers is None:
            self.answers = no_answers(len(self))

    def __len__(self) -> int:
        return len(self.arrays["evaluation_id"])

    def text(self, column: str) -> np.ndarray:
        """The values of a text column as an object array (None for NULL)."""
        table = np.array([*self.texts[column], None], dtype=object)
        return table[self.arrays[column]]  # code -1 picks the trailing None


def empty_columns() -> StoreColumns:
    arrays = {name: np.empty(0, np.int64) for name in (*INTEGER_COLUMNS, *TIME_COLUMNS)}
    arrays.update({name: np.empty(0, np.float64) for name in FLOAT_COLUMNS})
    arrays.update({name: np.empty(0, np.int32) for name in TEXT_COLUMNS})
    return StoreColumns(arrays, {name: [] for name in TEXT_COLUMNS}, [], np.empty((0, 0)))


# ------------------------------------------------------------------ from the normalized tables

def _times(values: Sequence[str | None]) -> np.ndarray:
    """ISO text to microseconds since 1970 UTC (as the analysis frame parses it); unreadable -> NO_TIME."""
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view(np.int64)


def _codes(values: Sequence[str | None]) -> tuple[np.ndarray, list[str]]:
    """Codes into the list of distinct values (-1 for None)."""
    table: dict[str, int] = {}
    codes = np.fromiter((-1 if v is None else table.setdefault(str(v), len(table)) for v in values),
                        dtype=np.int32, count=len(values))
    return codes, list(table)


def _numbers(values: Sequence[object]) -> np.ndarray:
    """Numbers as float64, NaN for NULL or text that is no number (as the frame's loader)."""
    import pandas as pd

    return pd.to_numeric(np.array(values, dtype=object), errors="coerce").astype(np.float64)


def columns_from_tables(conn: sqlite3.Connection, first_id: int, last_id: int) -> StoreColumns:
    """The store's columns for evaluation ids `first_id..last_id`, read from the normalized
    tables (one query for the rows, one for their skill scores)."""
    rows = conn.execute(_SELECT, (first_id, last_id)).fetchall()
    if not rows:
        return empty_columns()
    fields = list(zip(*rows))
    arrays: dict[str, np.ndarray] = {}
    for index, name in enumerate(INTEGER_COLUMNS):
        values = fields[index]
        arrays[name] = np.array(values if None not in values else [NULL_ID if v is None else v for v in values],
                                dtype=np.int64)
    for index, name in enumerate(TIME_COLUMNS, start=len(INTEGER_COLUMNS)):
        arrays[name] = _times(fields[index])
    start = len(INTEGER_COLUMNS) + len(TIME_COLUMNS)
    for index, name in enumerate(FLOAT_COLUMNS, start=start):
        arrays[name] = _numbers(fields[index])
    texts = {}
    for index, name in enumerate(TEXT_COLUMNS, start=start + len(FLOAT_COLUMNS)):
        arrays[name], texts[name] = _codes(fields[index])
    ids = arrays["evaluation_id"]
    found = conn.execute(_SKILLS, (first_id, last_id)).fetchall()
    skills: list[str] = []
    scores = np.full((len(rows), 0), np.nan)
    if found:
        evaluation, names, values = zip(*found)
        evaluation = np.array(evaluation, dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, evaluation), len(ids) - 1)
        analysed = ids[at] == evaluation  # drafts' and calibration grades' scores are left out
        names = [str(n) for n in names]
        skills = sorted(set(np.array(names, dtype=object)[analysed]))
        column = {skill: index for index, skill in enumerate(skills)}
        codes = np.fromiter((column.get(n, -1) for n in names), dtype=np.int64, count=len(names))
        scores = np.full((len(rows), len(skills)), np.nan)
        scores[at[analysed], codes[analysed]] = _numbers(values)[analysed]
    return StoreColumns(arrays, texts, skills, scores, _answers_from_tables(conn, ids, first_id, last_id))


KEYS_PER_QUERY = 100
"""Question keys read by one query (one column each; SQLite parses each answers document once)."""


def _answers_from_tables(conn: sqlite3.Connection, ids: np.ndarray, first_id: int, last_id: int) -> Answers:
    """The answer values of evaluations `ids` (sorted; all in `first_id..last_id`) at the
    question keys of their own scorecard versions (see `Answers`)."""
    versions_of: dict[str, list[int]] = {}
    for scorecard_id, key in conn.execute(_QUESTION_KEYS, (first_id, last_id)):
        if '"' not in key:  # (not a key a path can name; the scorecard model allows none)
            versions_of.setdefault(key, [])
            if scorecard_id not in versions_of[key]:
                versions_of[key].append(scorecard_id)
    keys = sorted(versions_of)
    codes = np.full((len(ids), len(keys)), -1, dtype=np.int32)
    values: dict[tuple[str, object], int] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        batch = keys[start:start + KEYS_PER_QUERY]
        columns, params = [], []
        for key in batch:
            versions = ", ".join(str(int(v)) for v in versions_of[key])  # (ids inline: no limit on parameters)
            columns.append(f"CASE WHEN e.scorecard_id IN ({versions}) THEN json_extract(e.answers, ?) END")
            params.append(f'$."{key}".value')
        rows = conn.execute(
            f"SELECT e.id, {', '.join(columns)} FROM evaluations e WHERE e.id BETWEEN ? AND ? "
            f"AND +e.status = 'submitted' AND +e.calibration = 0 AND json_valid(e.answers) ORDER BY e.id",
            [*params, first_id, last_id]).fetchall()
        if not rows:
            continue
        fields = list(zip(*rows))
        found = np.array(fields[0], dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, found), len(ids) - 1)
        mine = ids[at] == found  # (an evaluation whose interaction is missing is not in `ids`)
        for offset, key in enumerate(batch, start=start):
            local, distinct = _factorize(fields[offset - start + 1])
            table = np.array([values.setdefault((type(v).__name__, v), len(values)) for v in distinct] + [-1],
                             dtype=np.int32)
            codes[at[mine], offset] = table[local[mine]]
    answered = (codes >= 0).any(axis=0)  # (a key nobody answered is left out, as in a chunk)
    return Answers([k for k, a in zip(keys, answered) if a], [value for _, value in values], codes[:, answered])


def _factorize(values: Sequence[object]) -> tuple[np.ndarray, list[object]]:
    """Codes into the distinct values (-1 for None), the distinct values in order of appearance."""
    import pandas as pd

    codes, distinct = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), list(distinct)


def _split(columns: StoreColumns, chunks: Iterable[int]) -> dict[int, StoreColumns]:
    """`columns` (in evaluation id order) cut into the given chunks."""
    ids = columns.arrays["evaluation_id"]
    parts = {}
    for chunk in chunks:
        lo, hi = np.searchsorted(ids, [chunk << CHUNK_BITS, (chunk + 1) << CHUNK_BITS])
        if lo == hi:
            parts[chunk] = empty_columns()
            continue
        scores = columns.scores[lo:hi]
        used = ~np.isnan(scores).all(axis=0)
        parts[chunk] = StoreColumns({name: values[lo:hi] for name, values in columns.arrays.items()},
                                    columns.texts, [s for s, u in zip(columns.skills, used) if u], scores[:, used],
                                    _answers_part(columns.answers, lo, hi))
    return parts


def _answers_part(answers: Answers, lo: int, hi: int) -> Answers:
    """Rows `lo:hi` of `answers`, with only the keys and values they use."""
    codes = answers.codes[lo:hi]
    used = (codes >= 0).any(axis=0)
    codes = codes[:, used]
    present = np.unique(codes[codes >= 0])
    renumber = np.full(len(answers.values) + 1, -1, dtype=np.int32)
    renumber[present] = np.arange(len(present), dtype=np.int32)
    return Answers([k for k, u in zip(answers.keys, used) if u], [answers.values[v] for v in present],
                   renumber[codes])


# ----------------------------------------------------------------------------- chunk blobs

def pack(columns: StoreColumns) -> bytes:
    """One chunk's blob: a JSON header (format, row count, text values, skill names) and the
    arrays' bytes in a fixed order."""
    answers = columns.answers
    code = _code_type(len(answers.values))
    header = json.dumps({"format": FORMAT, "n": len(columns), "texts": columns.texts, "skills": columns.skills,
                         "keys": answers.keys, "values": answers.values, "code": code.str}).encode()
    parts = [len(header).to_bytes(4, "little"), header]
    for name in (*INTEGER_COLUMNS, *TIME_COLUMNS, *FLOAT_COLUMNS, *TEXT_COLUMNS):
        parts.append(np.ascontiguousarray(columns.arrays[name]).tobytes())
    parts.append(np.ascontiguousarray(columns.scores, dtype=np.float64).tobytes())
    parts.append(np.ascontiguousarray(answers.codes, dtype=code).tobytes())
    return b"".join(parts)


def _code_type(values: int) -> np.dtype:
    """The smallest signed integer type for codes into `values` values (and -1)."""
    return np.dtype(np.int8 if values < 128 else np.int16 if values < 32768 else np.int32).newbyteorder("<")


class StaleChunk(ValueError):
    """A chunk written in another format: rebuild."""


def unpack(blob: bytes) -> StoreColumns:
    size = int.from_bytes(blob[:4], "little")
    header = json.loads(blob[4:4 + size])
    if header.get("format") != FORMAT:
        raise StaleChunk(header.get("format"))
    n, offset = header["n"], 4 + size
    arrays = {}
    for names, dtype in ((INTEGER_COLUMNS, np.int64), (TIME_COLUMNS, np.int64), (FLOAT_COLUMNS, np.float64),
                         (TEXT_COLUMNS, np.int32)):
        for name in names:
            arrays[name] = np.frombuffer(blob, dtype=dtype, count=n, offset=offset)
            offset += n * np.dtype(dtype).itemsize
    skills, keys = header["skills"], header["keys"]
    scores = np.frombuffer(blob, dtype=np.float64, count=n * len(skills), offset=offset).reshape(n, len(skills))
    offset += scores.nbytes
    codes = np.frombuffer(blob, dtype=np.dtype(header["code"]), count=n * len(keys), offset=offset)
    return StoreColumns(arrays, header["texts"], skills, scores, Answers(keys, header["values"],
                                                                         codes.reshape(n, len(keys))))


def concatenate(parts: Sequence[StoreColumns], answers: bool = False) -> StoreColumns:
    """The chunks' columns as one: text codes and skill columns mapped to common lists; with
    `answers`, the answers too (else none: the analysis frame does not read them)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_columns()
    arrays = {name: np.concatenate([p.arrays[name] for p in parts])
              for name in (*INTEGER_COLUMNS, *TIME_COLUMNS, *FLOAT_COLUMNS)}
    texts: dict[str, list[str]] = {}
    for name in TEXT_COLUMNS:
        table: dict[str, int] = {}
        mapped = []
        for part in parts:
            local = np.array([*(table.setdefault(v, len(table)) for v in part.texts[name]), -1], dtype=np.int32)
            mapped.append(local[part.arrays[name]])
        arrays[name] = np.concatenate(mapped)
        texts[name] = list(table)
    skills = sorted({s for p in parts for s in p.skills})
    if all(p.skills == skills for p in parts):
        scores = np.concatenate([p.scores for p in parts]) if skills else np.empty((len(arrays["csat"]), 0))
    else:
        column = {s: i for i, s in enumerate(skills)}
        scores = np.full((len(arrays["csat"]), len(skills)), np.nan)
        row = 0
        for part in parts:
            if part.skills:
                scores[row:row + len(part), [column[s] for s in part.skills]] = part.scores
            row += len(part)
    return StoreColumns(arrays, texts, skills, scores, _concatenate_answers(parts) if answers else None)


def _concatenate_answers(parts: Sequence[StoreColumns]) -> Answers:
    keys = sorted({k for p in parts for k in p.answers.keys})
    column = {k: i for i, k in enumerate(keys)}
    values: dict[tuple[str, object], int] = {}
    codes = np.full((sum(len(p) for p in parts), len(keys)), -1, dtype=np.int32)
    row = 0
    for part in parts:
        mine = part.answers
        table = np.array([values.setdefault((type(v).__name__, v), len(values)) for v in mine.values] + [-1],
                         dtype=np.int32)
        if mine.keys:
            codes[row:row + len(part), [column[k] for k in mine.keys]] = table[mine.codes]
        row += len(part)
    return Answers(keys, [value for _, value in values], codes)


# ------------------------------------------------------------------------ keeping it current

def has_store(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analysis_dirty'"
                        ).fetchone() is not None


def dirty_chunks(conn: sqlite3.Connection) -> list[int]:
    """The chunks marked as changed (`ALL` first when everything is)."""
    return [row[0] for row in conn.execute("SELECT chunk FROM analysis_dirty ORDER BY chunk")]


def all_chunks(conn: sqlite3.Connection) -> list[int]:
    """Every chunk an evaluation id of the workspace falls in (drafts' too: the range)."""
    first, last = conn.execute("SELECT min(id), max(id) FROM evaluations").fetchone()
    if first is None:
        return []
    return list(range(first >> CHUNK_BITS, (last >> CHUNK_BITS) + 1))


def build(conn: sqlite3.Connection, chunks: Iterable[int]) -> dict[int, bytes | None]:
    """Blobs of `chunks` from the normalized tables (None: the chunk holds nothing), read in
    runs of up to `RUN` neighbouring chunks (one query pair per run)."""
    built: dict[int, bytes | None] = {}
    wanted = sorted(set(chunks))
    while wanted:
        run = [c for c in wanted[:RUN] if c < wanted[0] + RUN]
        wanted = wanted[len(run):]
        columns = columns_from_tables(conn, run[0] << CHUNK_BITS, ((run[-1] + 1) << CHUNK_BITS) - 1)
        for chunk, part in _split(columns, run).items():
            built[chunk] = pack(part) if len(part) else None
    return built


def refresh(ws: "Workspace", dirty: Sequence[int] | None = None) -> None:
    """Rebuild the dirty chunks (every chunk when `ALL` is marked) inside the open transaction
    and clear the marks. Called by `Workspace.transaction` before it commits."""
    from .writers import write_analysis_chunks

    dirty = dirty_chunks(ws.conn) if dirty is None else dirty
    if not dirty:
        return
    everything = ALL in dirty
    chunks = all_chunks(ws.conn) if everything else dirty
    write_analysis_chunks(ws, build(ws.conn, chunks), replace_all=everything)


def stored_columns(conn: sqlite3.Connection, answers: bool = False) -> StoreColumns:
    """The chunks as stored, whether current or not (`StaleChunk` for another format); with
    `answers`, their answers too."""
    return concatenate([unpack(blob) for (blob,) in conn.execute(
        "SELECT data FROM analysis_chunks ORDER BY chunk")], answers)


def _analysed_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM evaluations WHERE status = 'submitted' AND calibration = 0"
                        ).fetchone()[0]


def current_columns(ws: "Workspace", answers: bool = False) -> StoreColumns:
    """The store's columns, made current first when they are not: dirty chunks (another
    program's writes), chunks of another format, a count that disagrees with the evaluations
    (a store written before its triggers, or tampered with). The rebuild is saved when the
    workspace can be written, else used from memory. With `answers`, the answers too."""
    conn = ws.conn
    if not has_store(conn):  # a schema without the store (not migrated): build in memory
        return _in_memory(conn, [ALL], answers)
    for attempt in range(2):
        dirty = dirty_chunks(conn)
        columns = None
        if not dirty:
            try:
                columns = stored_columns(conn, answers)
            except StaleChunk:
                dirty = [ALL]
            else:
                if len(columns) == _analysed_count(conn):
                    return columns
                dirty = [ALL]
        if attempt:
            break
        try:
            with ws.transaction():
                refresh(ws, dirty)
        except Exception:  # read-only file, busy, ...: use it unsaved
            break
    return _in_memory(conn, dirty_chunks(conn) or [ALL], answers)


def _in_memory(conn: sqlite3.Connection, dirty: list[int], answers: bool) -> StoreColumns:
    """The current columns without saving: the stored chunks with the dirty ones rebuilt."""
    def everything() -> StoreColumns:
        return concatenate([columns_from_tables(conn, c << CHUNK_BITS, ((c + 1) << CHUNK_BITS) - 1)
                            for c in all_chunks(conn)], answers)

    if ALL in dirty:
        return everything()
    stored: dict[int, bytes | None] = dict(conn.execute("SELECT chunk, data FROM analysis_chunks"))
    stored.update(build(conn, dirty))
    try:
        return concatenate([unpack(stored[c]) for c in sorted(stored) if stored[c] is not None], answers)
    except StaleChunk:
        return everything()
