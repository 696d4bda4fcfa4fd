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

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qagrader.core.importing.csv_source import CsvFormat, CsvTable, read_table
from qagrader.core.errors import CancelledError, CsvImportError, CsvProblem
from qagrader.core.interactions.channels import CHANNELS
from qagrader.core.importing.interaction_fields import (
    CSAT_SCALES,
    DATE_ORDERS,
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
_READ_SHARE, _CHECK_SHARE = 0.4, 0.1  # progress fractions; writing takes the rest


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
    :class:`ImportCancelled`; in every case nothing was written."""
    report = progress or (lambda fraction: None)

    def check(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        report(fraction)

    lookup = _check_options(options)
    if options.skip_bad_rows and not options.dry_run:  # refuse a bad rejects file before reading
        check_output(rejects_target(path, options.rejects_path), inputs=(path,))
    table = read_table(path, on_chunk=lambda f: check(f * _READ_SHARE))
    table.check_header()
    mapping = resolve_mapping(table.headers, options.mapping)
    _check_mapping(table, mapping, options)
    _check_kept(table, mapping, options.keep_columns)
    rows = _Rows.parse(table, mapping, options, lookup)
    check(_READ_SHARE + _CHECK_SHARE)

    fatal = [p for p in rows.problems if p.row is None]
    if rows.problems and not options.dry_run and (fatal or not options.skip_bad_rows):
        raise ImportFailed(rows.problems)
    good = np.flatnonzero(rows.keep & ~rows.bad)
    skipped = int((rows.keep & rows.bad).sum())
    rejects: Path | None = None
    if options.dry_run:
        existing = _existing(ws.conn, rows.external_id[good])
        inserted = len(good) - len(existing)
        updated = len(existing)
    else:
        if skipped:  # written first: if it cannot be written, nothing is imported
            rejects = _write_rejects(table, rows, options.rejects_path)
        try:
            inserted, updated = _write(ws, rows, good, mapping, check)
        except BaseException:
            if rejects is not None:
                rejects.unlink(missing_ok=True)
            raise
    report(1.0)
    return ImportReport(
        path=table.path, rows_read=int(rows.keep.sum()), inserted=inserted, updated=updated,
        skipped=skipped, problems=tuple(rows.problems), mapping=mapping, rejects_path=rejects,
        dry_run=options.dry_run, format=table.format, kept=tuple(options.keep_columns),
        ignored=tuple(ignored_columns(table.headers, mapping, options.keep_columns)),
    )


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


def _check_mapping(table: CsvTable, mapping: Mapping[str, str], options: ImportOptions) -> None:
    columns = ", ".join(table.headers)
    if "external_id" not in mapping:
        raise MappingError(f"no column holds the interaction id: map one with "
                           f"external_id=COLUMN (columns: {columns})")
    if "channel" not in mapping and not options.default_channel:
        raise MappingError("the file has no channel column: choose a default channel "
                           "(phone, email, chat, ...) or map one with channel=COLUMN")


def _check_kept(table: CsvTable, mapping: Mapping[str, str], keep: Sequence[str]) -> None:
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
    def parse(cls, table: CsvTable, mapping: Mapping[str, str],
              options: ImportOptions, lookup: Mapping[str, str]) -> "_Rows":
        frame, n = table.frame, len(table.frame)
        found: list[tuple[int, int, ImportProblem]] = []  # (position, field order, problem)
        order = {f: i for i, f in enumerate(FIELDS)}

        def add(field_name: str, column: str, raw: pd.Series, problems: dict[int, str]) -> None:
            for pos, message in problems.items():
                found.append((pos, order[field_name],
                              ImportProblem(pos + 2, column, raw.iat[pos], message)))

        for problem in table.problems:  # cells the input rules refuse (control characters, size)
            found.append((problem.row - 2, -1, ImportProblem(problem.row, problem.column,
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
        dup = ids.duplicated(keep=False).to_numpy() & (ids.to_numpy() != "")
        first: dict[str, int] = {}
        repeats: dict[int, str] = {}
        for pos in np.flatnonzero(dup):
            value = ids.iat[pos]
            if value in first:
                repeats[int(pos)] = f"'{value}' is already on row {first[value] + 2}"
            else:
                first[value] = int(pos)
        add("external_id", id_col, ids, repeats)

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
        file_problems: list[ImportProblem] = []
        if "occurred_at" in mapping:
            column, raw = mapping["occurred_at"], frame[mapping["occurred_at"]]
            if TIME_FIELD in mapping:
                column = f"{column} + {mapping[TIME_FIELD]}"
                time = frame[mapping[TIME_FIELD]].str.strip()
                raw = (raw.str.strip() + " " + time).where(time != "", raw)
            dates, problems, whole = parse_dates(raw, options.date_order)
            add("occurred_at", column, raw, problems)
            if whole:
                file_problems.append(ImportProblem(None, column, None, whole))
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
        problems = file_problems + [p for _, _, p in found]
        return cls(external_id, values, problems, bad, keep, fields)


def _default(options: ImportOptions) -> str | None:
    return normalise_channel(options.default_channel) if options.default_channel else None


def _nullable(series: pd.Series) -> np.ndarray:
    out = series.to_numpy(dtype=object, copy=True)
    out[out == ""] = None
    return out


def _write_rejects(table: CsvTable, rows: _Rows, target: Path | None) -> Path:
    """The bad rows, original columns plus ``problem``, in the source's delimiter (UTF-8 BOM)."""
    target = rejects_target(table.path, target)
    by_row: dict[int, list[str]] = {}
    for p in rows.problems:
        if p.row is not None:
            by_row.setdefault(p.row - 2, []).append(str(p))
    positions = sorted(by_row)
    frame = table.frame.iloc[positions].copy()
    column = "problem" if "problem" not in frame.columns else "import problem"
    frame[column] = ["; ".join(by_row[p]) for p in positions]
    with atomic_file(target, "w", encoding="utf-8-sig", newline="", inputs=(table.path,)) as handle:
        frame.to_csv(handle, index=False, sep=table.format.delimiter)
    return target


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


def _write(ws: Workspace, rows: _Rows, good: np.ndarray, mapping: Mapping[str, str],
           check: Callable[[float], None]) -> tuple[int, int]:
    """Upsert the good rows in one transaction; returns (inserted, updated)."""
    now = utc_now()
    start = _READ_SHARE + _CHECK_SHARE
    data = {k: v[good] for k, v in rows.values.items()}
    external_id = rows.external_id[good]
    with ws.transaction() as conn, writers.bulk_write(ws, "interactions", len(external_id)):
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
                columns["team_id"] = np.array([teams.get(a) for a in columns["agent_id"]],
                                              dtype=object)
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
            check(start + (1 - start) * end / total)
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
