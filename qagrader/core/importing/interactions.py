"""Import interactions from any helpdesk CSV export.

``import_interactions(ws, path, options)`` reads the file (:mod:`csv_source`), maps its columns
to our fields (guessed, overridable; :mod:`interaction_fields`), checks every cell, then writes
everything in one transaction:

- All or nothing: any problem raises :class:`ImportFailed` carrying every problem (row and
  column as in a spreadsheet, value, message) and the workspace is untouched. ``dry_run``
  returns the report with every problem and writes nothing. ``skip_bad_rows`` imports the
  good rows and writes the bad ones, with a ``problem`` column, to a rejects CSV. Problems of
  the whole file (e.g. ambiguous date order) are never skippable.
- Upsert on ``external_id``: a known interaction keeps its uuid and ``created_at``; the fields
  this file maps are overwritten and ``updated_at`` is bumped. Rows whose cells are all blank
  are ignored.
- Agents and teams are created by name (case-insensitive). An agent's team is set from the
  team column; an interaction's team is the team column, else its agent's team.
- ``progress(fraction)`` is called as work advances; ``cancelled()`` returning True stops the
  import with :class:`ImportCancelled` and rolls everything back.
- Custom fields: columns named in ``keep_columns`` are kept as the interactions' custom fields
  (text, by the column's name; e.g. handle time, resolved), listed by `ignored_columns` until
  kept. Re-importing updates the fields a file keeps (a blank cell clears one) and leaves
  the others.
- CSAT: blank = no survey (all CSAT columns NULL, never 0); ``csat_norm`` in 0..1; satisfied =
  top two boxes on 1-5 (4-5), 1-10 and 0-10 (9-10), ``>= 80`` on 0-100, positive on binary
  (full rule in :mod:`qagrader.core.importing.interaction_fields`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.importing.csv_source import CsvChunk, CsvFormat, CsvStream, open_table, read_table
from qagrader.core.errors import CancelledError, CsvImportError, CsvProblem
from qagrader.core.interactions.channels import CHANNELS
from qagrader.core.importing.interaction_fields import (
    CSAT_SCALES,
    DATE_ORDERS,
    DateEvidence,
    FIELDS,
    MAPPABLE,
    TIME_FIELD,
    MappingError,
    channel_lookup,
    guess_mapping,
    normalise_channel,
    parse_assignments,
    parse_channels,
    parse_csat,
    parse_dates,
    resolve_mapping,
)
from qagrader.core.importing.streaming import CACHE_KIB, SeenKeys, estimate_rows
from qagrader.core.input_rules import text_problem
from qagrader.core.storage import writers
from qagrader.core.storage.files import atomic_file, check_output
from qagrader.core.storage.records import new_uuids, utc_now
from qagrader.core.storage.writers import nocase

if TYPE_CHECKING:
    from qagrader.core.storage.workspace import Workspace

__all__ = [
    "CHANNELS", "CSAT_SCALES", "DATE_ORDERS", "FIELDS", "MAPPABLE", "ImportCancelled",
    "ImportFailed", "ImportOptions", "ImportPreview", "ImportProblem", "ImportReport",
    "MappingError", "guess_mapping", "ignored_columns", "import_interactions", "parse_assignments", "preview",
    "resolve_mapping",
]

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]
NAME_FIELDS: tuple[str, ...] = ("external_id", "channel", "agent", "team", "brand")
_WRITE_CHUNK = 25_000


@dataclass(frozen=True)
class ImportOptions:
    """How to read one export. ``mapping`` overrides guessed ``{field: column}`` pairs (a
    blank column unmaps a field); ``channel_map`` maps raw channel values (``Inbound``) to
    channels, beyond the built-in synonyms; ``default_channel`` fills a missing or blank
    channel; ``date_order`` is ``auto``, ``dayfirst`` or ``monthfirst``; ``keep_columns`` are
    columns no field maps, kept as custom interaction fields."""

    mapping: Mapping[str, str | None] = field(default_factory=dict)
    default_channel: str | None = None
    csat_scale: str = "1-5"
    channel_map: Mapping[str, str] = field(default_factory=dict)
    date_order: str = "auto"
    dry_run: bool = False
    skip_bad_rows: bool = False
    rejects_path: Path | None = None
    keep_columns: tuple[str, ...] = ()


MAX_FIELD_NAME = 100


def ignored_columns(headers: Sequence[str], mapping: Mapping[str, str], keep: Sequence[str] = ()) -> list[str]:
    """The columns of a file that an import with `mapping` and `keep` columns would not read,
    in file order (blank header names aside)."""
    used = set(mapping.values()) | set(keep)
    return [h for h in headers if h not in used and h.strip()]


class ImportProblem(CsvProblem):
    """One bad cell: ``str()`` gives ``row 57, column 'CSAT': 'abc' is not a number from 1 to 5``.
    ``row`` is None for a problem of a whole column."""

    def __init__(self, row: int | None, column: str | None, value: str | None, message: str):
        super().__init__(row, column, message)
        self.value = value

    def _key(self) -> tuple:
        return (self.row, self.column, self.value, self.message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImportProblem) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"ImportProblem{self._key()!r}"


class ImportFailed(CsvImportError):
    """The file has problems; nothing was written. ``problems`` lists every one of them."""

    problems: list[ImportProblem]


class ImportCancelled(CancelledError):
    """The user cancelled the import; nothing was written."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do with ``skip_bad_rows``)."""

    path: Path
    rows_read: int
    inserted: int
    updated: int
    skipped: int
    problems: tuple[ImportProblem, ...]
    mapping: Mapping[str, str]
    rejects_path: Path | None
    dry_run: bool
    format: CsvFormat
    kept: tuple[str, ...] = ()  # columns kept as custom fields
    ignored: tuple[str, ...] = ()  # columns read for nothing

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportPreview:
    """The first rows of a file and the guessed mapping, for an import wizard."""

    path: Path
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mapping: Mapping[str, str]
    format: CsvFormat

    @property
    def encoding(self) -> str:
        return self.format.encoding

    @property
    def delimiter(self) -> str:
        return self.format.delimiter


def preview(path: Path | str, n: int = 20) -> ImportPreview:
    """Headers, the first ``n`` records, the guessed mapping and the detected format."""
    table = read_table(path, nrows=n)
    table.check_header()
    rows = tuple(tuple(r) for r in table.frame.itertuples(index=False, name=None))
    return ImportPreview(table.path, table.headers, rows, guess_mapping(table.headers), table.format)


def import_interactions(
    ws: Workspace,
    path: Path | str,
    options: ImportOptions = ImportOptions(),
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportReport:
    """Import ``path`` into ``ws`` (module docstring). Raises :class:`MappingError`,
    :class:`~qagrader.core.importing.csv_source.CsvSourceError`, :class:`ImportFailed` or
    :class:`ImportCancelled`; in every case nothing was written.

    The file streams: each chunk of records is parsed, checked and written inside the one
    open transaction, its rejected rows appended to the rejects file (which replaces its
    target only at the end); a refusal rolls the whole transaction back. Memory is bounded
    by a chunk plus 16 bytes per interaction id (to find ids used twice)."""
    report = progress or (lambda fraction: None)

    def check(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        report(fraction)

    lookup = _check_options(options)
    writing = not options.dry_run
    if options.skip_bad_rows and writing:  # refuse a bad rejects file before reading
        check_output(rejects_target(path, options.rejects_path), inputs=(path,))
    stream = open_table(path)
    stream.check_header()
    mapping = resolve_mapping(stream.headers, options.mapping)
    _check_mapping(stream, mapping, options)
    _check_kept(stream, mapping, options.keep_columns)
    evidence = _date_evidence(stream, mapping, options, check)
    file_problems = [ImportProblem(None, _date_column(mapping), None, evidence.problem())] \
        if evidence is not None and evidence.problem() else []

    state = _Import(stream, mapping, options, lookup, evidence, file_problems)
    target = rejects_target(stream.path, options.rejects_path)
    if not writing:
        for chunk in stream.chunks():
            state.read(chunk, ws.conn, None)
            check(chunk.fraction * _READ_SHARE_STREAM)
        written = False
    else:
        written = False
        try:
            with ws.transaction() as conn:
                with contextlib.ExitStack() as files, \
                        writers.bulk_write(ws, "interactions", estimate_rows(stream),
                                           cache_kib=CACHE_KIB):
                    rejects = _Rejects(target, stream, files) if options.skip_bad_rows else None
                    for chunk in stream.chunks():
                        by_row = state.read(chunk, conn, ws)
                        if rejects is not None and not state.failing():
                            rejects.add(chunk.frame, by_row)
                        check(chunk.fraction * _READ_SHARE_STREAM)
                    if state.failing():
                        raise ImportFailed(state.problems)
                written = rejects is not None and rejects.handle is not None
        except BaseException:
            if written:  # the rejects file was in place when the commit failed
                target.unlink(missing_ok=True)
            raise
    report(1.0)
    return ImportReport(
        path=stream.path, rows_read=state.rows_read, inserted=state.inserted, updated=state.updated,
        skipped=state.skipped, problems=tuple(state.problems), mapping=mapping,
        rejects_path=target if written else None,
        dry_run=options.dry_run, format=stream.format, kept=tuple(options.keep_columns),
        ignored=tuple(ignored_columns(stream.headers, mapping, options.keep_columns)),
    )


_READ_SHARE_STREAM = 0.98  # progress fraction of reading, checking and writing the chunks


def _date_column(mapping: Mapping[str, str]) -> str | None:
    if "occurred_at" not in mapping:
        return None
    column = mapping["occurred_at"]
    return f"{column} + {mapping[TIME_FIELD]}" if TIME_FIELD in mapping else column


def _date_text(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.Series:
    """The date cells of `frame`, with the time column's cell appended when one is mapped."""
    raw = frame[mapping["occurred_at"]]
    if TIME_FIELD in mapping:
        time = frame[mapping[TIME_FIELD]].str.strip()
        raw = (raw.str.strip() + " " + time).where(time != "", raw)
    return raw


def _date_evidence(stream: CsvStream, mapping: Mapping[str, str], options: ImportOptions,
                   check: Callable[[float], None]) -> DateEvidence | None:
    """With ``auto`` date order, a first pass over the dates decides the order of the whole
    file (a chunk alone could read a date day-first that a later chunk proves month-first)."""
    if "occurred_at" not in mapping or options.date_order != "auto":
        return None
    evidence = DateEvidence()
    for chunk in stream.chunks(checked=False):
        evidence.add(_date_text(chunk.frame, mapping), chunk.first_row)
        check(0.0)
    return evidence


class _Rejects:
    """The rejects CSV, appended chunk by chunk to a temporary file (opened at the first
    rejected row) that replaces the target when the import's block ends well
    (`qagrader.core.storage.files.atomic_file`)."""

    def __init__(self, target: Path, stream: CsvStream, files: contextlib.ExitStack):
        self.target, self.stream, self.files = target, stream, files
        self.handle = None

    def add(self, frame: pd.DataFrame, by_row: Mapping[int, list[str]]) -> None:
        if not by_row:
            return
        if self.handle is None:
            self.handle = self.files.enter_context(atomic_file(
                self.target, "w", encoding="utf-8-sig", newline="", inputs=(self.stream.path,)))
        positions = sorted(by_row)
        rows = frame.iloc[positions].copy()
        column = "problem" if "problem" not in rows.columns else "import problem"
        rows[column] = ["; ".join(by_row[p]) for p in positions]
        rows.to_csv(self.handle, index=False, header=self.handle.tell() == 0,
                    sep=self.stream.format.delimiter)


class _SeenIds:
    """The interaction ids met so far and the row of each (`streaming.SeenKeys`)."""

    def __init__(self) -> None:
        self.keys = SeenKeys()

    def repeats(self, ids: pd.Series, first_row: int) -> dict[int, str]:
        """``{position: message}`` for each non-blank id of this chunk met before (in an
        earlier chunk or earlier in this one); then remembers this chunk's new ids."""
        positions = np.flatnonzero(ids.to_numpy() != "")
        values = ids.to_numpy(dtype=object)[positions]
        before = self.keys.meet(values, positions + first_row)
        return {int(positions[i]): f"'{values[i]}' is already on row {int(before[i])}"
                for i in np.flatnonzero(before)}


class _Import:
    """The running state of one import: counts, problems and the ids met so far."""

    def __init__(self, stream: CsvStream, mapping: Mapping[str, str], options: ImportOptions,
                 lookup: Mapping[str, str], evidence: DateEvidence | None,
                 file_problems: list[ImportProblem]):
        self.stream, self.mapping, self.options, self.lookup = stream, mapping, options, lookup
        self.evidence = evidence
        self.problems: list[ImportProblem] = list(file_problems)
        self.fatal = bool(file_problems)
        self.seen = _SeenIds()
        self.rows_read = self.inserted = self.updated = self.skipped = 0
        self.now = utc_now()
        self.fields_spelled: dict[str, str] | None = None

    def failing(self) -> bool:
        """True once the import is sure to be refused (nothing more needs writing)."""
        return bool(self.problems) and (self.fatal or not self.options.skip_bad_rows)

    def read(self, chunk: CsvChunk, conn, ws: Workspace | None) -> dict[int, list[str]]:
        """Parse and check one chunk, write its good rows (with `ws`, unless the import is
        failing; else only count them), and return its rejected rows ``{position: [problem]}``."""
        rows = _Rows.parse(chunk, self.mapping, self.options, self.lookup, self.seen, self.evidence)
        self.problems.extend(rows.problems)
        good = np.flatnonzero(rows.keep & ~rows.bad)
        self.skipped += int((rows.keep & rows.bad).sum())
        self.rows_read += int(rows.keep.sum())
        if ws is None:
            existing = _existing(conn, rows.external_id[good])
            self.inserted += len(good) - len(existing)
            self.updated += len(existing)
        elif not self.failing():
            inserted, updated = _write(ws, rows, good, self.now)
            self.inserted += inserted
            self.updated += updated
        by_row: dict[int, list[str]] = {}
        for problem in rows.problems:
            by_row.setdefault(problem.row - chunk.first_row, []).append(str(problem))
        return by_row


# ---------------------------------------------------------------------------- checking rows

def _check_options(options: ImportOptions) -> dict[str, str]:
    if options.csat_scale not in CSAT_SCALES:
        raise MappingError(f"unknown CSAT scale '{options.csat_scale}' "
                           f"(scales: {', '.join(CSAT_SCALES)})")
    if options.date_order not in DATE_ORDERS:
        raise MappingError(f"unknown date order '{options.date_order}' "
                           f"(orders: {', '.join(DATE_ORDERS)})")
    if options.default_channel:
        normalise_channel(options.default_channel)
    return channel_lookup(options.channel_map)


def _check_mapping(table: CsvStream, mapping: Mapping[str, str], options: ImportOptions) -> None:
    columns = ", ".join(table.headers)
    if "external_id" not in mapping:
        raise MappingError(f"no column holds the interaction id: map one with "
                           f"external_id=COLUMN (columns: {columns})")
    if "channel" not in mapping and not options.default_channel:
        raise MappingError("the file has no channel column: choose a default channel "
                           "(phone, email, chat, ...) or map one with channel=COLUMN")


def _check_kept(table: CsvStream, mapping: Mapping[str, str], keep: Sequence[str]) -> None:
    mapped = {column: field_name for field_name, column in mapping.items()}
    problems = []
    names: dict[str, str] = {}
    for column in keep:
        if column not in table.headers:
            problems.append(f"column '{column}' (to keep as a custom field) is not in the file")
        elif column in mapped:
            problems.append(f"column '{column}' is read as {mapped[column]}; it cannot also be a custom field")
        elif not column.strip() or len(column.strip()) > MAX_FIELD_NAME or text_problem(column.strip(), name=True):
            problems.append(f"column '{column}' cannot be a custom field: its name must be 1 to "
                            f"{MAX_FIELD_NAME} characters on one line")
        elif nocase(column.strip()) in names:
            problems.append(f"columns '{names[nocase(column.strip())]}' and '{column}' would be the same custom field")
        else:
            names[nocase(column.strip())] = column
    if problems:
        raise MappingError("; ".join(problems))


@dataclass
class _Rows:
    """Parsed, checked column values (object arrays, None = NULL) and the problems found."""

    external_id: np.ndarray
    values: dict[str, np.ndarray]
    problems: list[ImportProblem]
    bad: np.ndarray   # row has a problem
    keep: np.ndarray  # row is not entirely blank
    fields: dict[str, np.ndarray]  # kept columns: {column: text ('' = blank)}

    @classmethod
    def parse(cls, chunk: CsvChunk, mapping: Mapping[str, str], options: ImportOptions,
              lookup: Mapping[str, str], seen: _SeenIds, evidence: DateEvidence | None) -> "_Rows":
        frame, n, first_row = chunk.frame, len(chunk.frame), chunk.first_row
        found: list[tuple[int, int, ImportProblem]] = []  # (position, field order, problem)
        order = {f: i for i, f in enumerate(FIELDS)}

        def add(field_name: str, column: str, raw: pd.Series, problems: dict[int, str]) -> None:
            for pos, message in problems.items():
                found.append((pos, order[field_name],
                              ImportProblem(pos + first_row, column, raw.iat[pos], message)))

        for problem in chunk.problems:  # cells the input rules refuse (control characters, size)
            found.append((problem.row - first_row, -1, ImportProblem(problem.row, problem.column,
                                                             None, problem.message)))
        for name in NAME_FIELDS:  # names: no tab or line break inside either
            if name in mapping:
                raw = frame[mapping[name]]
                inner = raw.str.strip().str.contains(r"[\t\r\n]").to_numpy()
                add(name, mapping[name], raw, {int(p): text_problem(raw.iat[p].strip(), name=True) or ""
                                               for p in np.flatnonzero(inner)})

        id_col = mapping["external_id"]
        ids = frame[id_col].str.strip()
        external_id = _nullable(ids)
        keep = np.ones(n, dtype=bool)
        blank = np.flatnonzero(ids.to_numpy() == "")
        if len(blank):
            empty = (frame.iloc[blank].apply(lambda c: c.str.strip()) == "").all(axis=1)
            keep[blank[empty.to_numpy()]] = False
            blank = blank[~empty.to_numpy()]
        add("external_id", id_col, ids, {int(p): "the interaction id is blank" for p in blank})
        add("external_id", id_col, ids, seen.repeats(ids, first_row))

        values: dict[str, np.ndarray] = {}
        if "channel" in mapping:
            raw = frame[mapping["channel"]]
            channels, problems = parse_channels(raw, lookup, _default(options))
            add("channel", mapping["channel"], raw, problems)
        else:
            channels = np.full(n, _default(options), dtype=object)
        values["channel"] = channels
        for name in ("agent", "team", "brand", "subject"):
            if name in mapping:
                values[name] = _nullable(frame[mapping[name]].str.strip())
        if "transcript" in mapping:
            raw = frame[mapping["transcript"]]
            text = raw.to_numpy(dtype=object, copy=True)
            text[(raw.str.strip() == "").to_numpy()] = None
            values["transcript"] = text
        if "occurred_at" in mapping:
            raw = _date_text(frame, mapping)
            dates, problems, _ = parse_dates(raw, options.date_order, evidence or DateEvidence())
            add("occurred_at", _date_column(mapping), raw, problems)
            values["occurred_at"] = dates
        if "csat" in mapping:
            raw = frame[mapping["csat"]]
            csat, problems = parse_csat(raw, options.csat_scale)
            add("csat", mapping["csat"], raw, problems)
            values.update(csat)
        fields = {column: frame[column].str.strip().to_numpy(dtype=object) for column in options.keep_columns}

        bad = np.zeros(n, dtype=bool)
        bad[[pos for pos, _, _ in found]] = True
        bad &= keep
        found = [f for f in found if keep[f[0]]]
        found.sort(key=lambda f: (f[0], f[1]))
        problems = [p for _, _, p in found]
        return cls(external_id, values, problems, bad, keep, fields)


def _default(options: ImportOptions) -> str | None:
    return normalise_channel(options.default_channel) if options.default_channel else None


def _nullable(series: pd.Series) -> np.ndarray:
    out = series.to_numpy(dtype=object, copy=True)
    out[out == ""] = None
    return out


def rejects_target(source: Path | str, rejects_path: Path | str | None) -> Path:
    """Where the rejected rows of `source` go: `rejects_path`, else ``<name>.rejects.csv``
    beside it."""
    source = Path(source)
    return Path(rejects_path) if rejects_path else source.with_name(f"{source.stem}.rejects.csv")


# ---------------------------------------------------------------------------------- writing

def _existing(conn, external_ids: np.ndarray) -> dict[str, str]:
    """``{external_id: uuid}`` of the given ids already in the workspace (one query)."""
    if not len(external_ids):
        return {}
    sql = ("SELECT external_id, uuid FROM interactions "
           "WHERE external_id IN (SELECT value FROM json_each(?))")
    return dict(conn.execute(sql, (json.dumps(external_ids.tolist()),)).fetchall())


def _distinct(names: np.ndarray) -> list[str]:
    seen: dict[str, str] = {}
    for name in pd.unique(names[pd.notna(names)]):
        seen.setdefault(nocase(name), name)
    return list(seen.values())


def _resolve(names: np.ndarray, ids: Mapping[str, int]) -> np.ndarray:
    codes, uniques = pd.factorize(names)
    table = np.array([ids[nocase(u)] for u in uniques] + [None], dtype=object)
    return table[codes]


def _write(ws: Workspace, rows: _Rows, good: np.ndarray, now: str) -> tuple[int, int]:
    """Upsert the good rows of one chunk inside the open transaction; (inserted, updated)."""
    conn = ws.conn
    data = {k: v[good] for k, v in rows.values.items()}
    external_id = rows.external_id[good]
    columns: dict[str, np.ndarray] = {"channel": data["channel"]}
    team_ids: dict[str, int] = {}
    if "team" in data:
        team_ids = writers.ensure_teams(ws, _distinct(data["team"]), now=now)
        columns["team_id"] = _resolve(data["team"], team_ids)
    if "agent" in data:
        agent_team = _agent_teams(data, team_ids)
        agent_ids = writers.ensure_agents(ws, _distinct(data["agent"]), teams=agent_team, move=True, now=now)
        columns["agent_id"] = _resolve(data["agent"], agent_ids)
        if "team_id" not in columns:
            teams = dict(writers.select_in(conn, "SELECT id, team_id FROM agents WHERE id IN "
                                                 "(SELECT value FROM json_each(?))", agent_ids.values()))
            columns["team_id"] = np.array([teams.get(a) for a in columns["agent_id"]], dtype=object)
    for name in ("brand", "occurred_at", "subject", "transcript", "csat_raw",
                 "csat_scale", "csat_norm", "satisfied"):
        if name in data:
            columns[name] = data[name]
    existing = _existing(conn, external_id)
    new = np.array([e not in existing for e in external_id], dtype=bool)
    if rows.fields:
        spelled = writers.add_interaction_fields(ws, [c.strip() for c in rows.fields], now=now)
        columns["fields"] = _fields_json({spelled[nocase(c.strip())]: v[good] for c, v in rows.fields.items()},
                                         new)
    uuids = np.array([existing.get(e) for e in external_id], dtype=object)
    uuids[new] = new_uuids(int(new.sum()))
    names = ["uuid", "external_id", *columns, "created_at", "updated_at"]
    stamps = np.full(len(external_id), now, dtype=object)
    arrays = [uuids, external_id, *columns.values(), stamps, stamps]
    total = len(external_id)
    for begin in range(0, total, _WRITE_CHUNK):
        end = min(begin + _WRITE_CHUNK, total)
        writers.upsert_interactions(ws, names, zip(*(a[begin:end].tolist() for a in arrays)))
    return int(new.sum()), int(total - new.sum())


def _fields_json(fields: Mapping[str, np.ndarray], new: np.ndarray) -> np.ndarray:
    """Per row, the custom fields as a JSON object: a new row's without its blank cells (None
    when all are blank), an existing row's with blanks as null (`upsert_interactions` then
    removes them and keeps fields this file does not name)."""
    names = list(fields)
    out = np.empty(len(new), dtype=object)
    for i, cells in enumerate(zip(*fields.values())):
        if new[i]:
            values = {n: c for n, c in zip(names, cells) if c}
            out[i] = json.dumps(values, ensure_ascii=False) if values else None
        else:
            out[i] = json.dumps({n: c or None for n, c in zip(names, cells)}, ensure_ascii=False)
    return out


def _agent_teams(data: Mapping[str, np.ndarray], team_ids: Mapping[str, int]) -> dict[str, int]:
    """``{nocase(agent): team id}`` from the last row naming both (files with a team column)."""
    if "team" not in data:
        return {}
    pairs = pd.DataFrame({"agent": data["agent"], "team": data["team"]}).dropna()
    pairs = pairs.assign(key=pairs["agent"].map(nocase)).drop_duplicates("key", keep="last")
    return {k: team_ids[nocase(t)] for k, t in zip(pairs["key"], pairs["team"])}
