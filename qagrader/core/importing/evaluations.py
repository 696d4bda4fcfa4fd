"""Import evaluations from the wide CSV (ours, or grades kept in a spreadsheet or another tool).

The file has the columns of `csv_export.WIDE_COLUMNS` (only ``interaction_id``, ``scorecard`` and
``grader`` are required) plus one column per question and optional ``<question>.comment``
columns, and the interactions' custom fields as ``field: <name>`` columns (as the export
writes them). A question column is named by the question's key or its text (when unique within its
scorecard), optionally after the scorecard's name (``Phone QA: authenticity``, as the export
writes it for several scorecards; such a column is read only on rows of that scorecard). Rules:

- Cells are read as text (UTF-8 with or without BOM, cp1252; comma, semicolon or tab) and the
  export's formula neutralisation is undone (`csv_export.restore_cell`).
- The scorecard (``scorecard`` by name, ``version``; a blank version means the latest) must be
  in the workspace already. Answers are checked with `validate_answers`: a label, a scale
  number, ``N/A`` or blank (unanswered). A ``submitted`` row (the default for a blank status)
  needs every question answered. A column that is no question of the file's scorecards is an
  error.
- Interactions are matched by external id; a missing one is created from the row's channel
  (blank: the scorecard's only channel), date, agent, team, brand, subject, custom fields and
  CSAT (``csat_scale`` blank = ``1-5``); agents and teams are created by name. Existing interactions are not changed.
- Evaluations are matched by ``evaluation_id``: re-importing updates, never duplicates. An id
  that is not a UUID (another tool's id), or a blank one, is turned into a stable UUID (uuid5 of
  the id, or of interaction, scorecard, version, grader and graded_at), so re-importing the same
  file still updates. A submitted evaluation cannot go back to draft; updating one keeps its
  previous state in the history, as an edit in the app does (edited by `editor`, else the
  row's grader, with the file's name as ``imported_from``).
- ``score`` and ``auto_failed`` are recomputed with `score()`; a file score that differs (the
  file may come from another tool) is no error, only counted in the report (``rescored``).
  ``graded_at`` becomes the submission time (the last save time for drafts); blank = now.
- Times (``graded_at``, ``interaction_date``) are in the zone their header names
  (``graded_at (Europe/Berlin)``, as the export writes them), else UTC; they are stored in UTC.
  A ``graded_at`` equal to the stored one to the second is no change.
- All or nothing: every problem (row as in a spreadsheet, header = row 1; column) is collected
  and `CsvImportError` raised, nothing written. ``dry_run`` returns the report with every
  problem and writes nothing. ``skip_bad_rows`` imports the good rows and reports the skipped
  ones; problems of the whole file (header, unknown columns, dates of ambiguous order) are
  never skippable.
- The file streams, in chunks, inside one transaction (`import_evaluations`; docs/ARCHITECTURE.md,
  "Streaming imports"): memory does not grow with the file, and the result is the same
  whatever the chunks.
"""

from __future__ import annotations

import csv
import json
import re
import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import CancelledError, CsvImportError, CsvProblem, EvaluationError
from ..errors import QAGraderError
from ..exporting.csv_export import (
    COMMENT_SUFFIX, FIELD_PREFIX, SCORECARD_SEPARATOR, TIME_COLUMNS, WIDE_COLUMNS, restore_cell,
)
from ..exporting.times import split_zone_header, time_zone, to_utc
from ..grading.evaluations import validate_answers
from ..grading.graders import grader_key
from ..scorecards.scoring import Answer, ScoreResult, score
from ..scorecards.store import StoredScorecard
from ..input_rules import text_problem
from ..storage import writers
from ..storage.writers import select_in
from .csv_source import CsvChunk, CsvSourceError, CsvStream, open_table
from .evaluation_interactions import NewInteractions
from .evaluation_rows import CheckedAnswers, EvaluationRow
from .evaluation_write import EvaluationWriter
from .interactions import MAX_FIELD_NAME
from .interaction_fields import DateEvidence, parse_dates
from .streaming import CACHE_KIB, SeenKeys

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]

REQUIRED_COLUMNS: tuple[str, ...] = ("interaction_id", "scorecard", "grader")
#: Columns holding names (no tab or line break inside, see core/input_rules.py).
NAME_COLUMNS: tuple[str, ...] = ("evaluation_id", "interaction_id", "scorecard", "grader", "agent",
                                 "team", "channel", "brand", "subject")
_INNER_BREAK = re.compile(r"[\t\r\n]")
KNOWN_COLUMNS: frozenset[str] = frozenset(WIDE_COLUMNS)
#: Namespace of the uuid5 ids given to rows without a UUID evaluation_id.
ID_NAMESPACE = uuidlib.UUID("6f0c4a8e-51d4-4b7e-9a61-0c7a2f4b9d13")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_OUR_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\Z")
_TRUE, _FALSE = ("1", "yes", "true", "y"), ("", "0", "no", "false", "n")
_READ, _CHECK = 0.3, 0.6  # progress fractions at the end of reading and of checking


@dataclass(frozen=True)
class EvaluationImportReport:
    """What an import did (for a dry run: would do, skipping the rows with problems)."""

    path: Path
    rows_read: int
    created: int
    updated: int
    unchanged: int
    interactions_created: int
    rescored: int  # rows whose file score differs from the recomputed one
    problems: tuple[CsvProblem, ...]
    skipped_rows: tuple[int, ...]  # spreadsheet row numbers not imported
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """What happened, in one line for people (the CLI prints it, the app shows it)."""
        would = "would be " if self.dry_run else ""
        counts = [f"{self.created:,} {would}new", f"{self.updated:,} {would}updated"]
        if self.unchanged:
            counts.append(f"{self.unchanged:,} unchanged")
        if self.dry_run:
            text = f"Dry run of {self.path.name}: {self.rows_read:,} rows read; {', '.join(counts)}."
        else:
            text = f"Imported evaluations from {self.path.name}: {', '.join(counts)}."
        if self.interactions_created:
            text += (f" {self.interactions_created:,} interactions {'would be' if self.dry_run else 'were'} "
                     f"created for them.")
        if self.skipped_rows:
            text += f" {'Would skip' if self.dry_run else 'Skipped'} {len(self.skipped_rows):,} rows with problems."
        if self.rescored:
            text += (f" {self.rescored:,} scores in the file differed from this scorecard's rules "
                     f"and {'would be' if self.dry_run else 'were'} recalculated.")
        if self.dry_run:
            text += " Nothing was written."
        return text


@dataclass
class _Problems:
    items: list[CsvProblem] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)  # spreadsheet rows with a problem
    fatal: bool = False

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.items.append(CsvProblem(row, column, message))
        if row is None or row == 1:
            self.fatal = True
        else:
            self.rows.add(row)


def import_evaluations(
    ws: "Workspace",
    path: str | Path,
    *,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    editor: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> EvaluationImportReport:
    """Import the wide evaluations CSV at `path` (rules in the module docstring). The history
    of a submitted evaluation the import changes names `editor` as who made the edit (default:
    the grader on the file's row) and the file it came from.

    The file streams: a first pass reads what the whole file decides (its scorecards, the
    day/month order of its dates; a record the CSV reader refuses stops it there); then each
    chunk of records is checked and its good rows written inside the one open transaction, so
    that memory is a chunk plus 17 bytes an evaluation id and a new interaction's id. A
    refusal rolls the whole transaction back."""

    def check(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("Import cancelled; nothing was written.")
        if progress is not None:
            progress(fraction)

    path = Path(path)
    try:
        stream = open_table(path)
        layout = _Layout(stream)
        survey = _Survey.read(ws, stream, layout, lambda f: check(f * _SURVEY))
        _check_header(stream, layout.problems)
    except CsvSourceError as error:
        raise CsvImportError([CsvProblem(None, None, str(error))]) from error
    state = _Import(ws, stream, layout, survey, skip_bad_rows=skip_bad_rows, dry_run=dry_run)
    if dry_run or state.file.fatal:  # nothing to write: check every chunk for the report
        state.read_all(None, check)
    else:
        new_rows = survey.rows - survey.stored  # about: the workspace may change before the write
        with ws.transaction(), writers.bulk_write(ws, "evaluations", new_rows, cache_kib=CACHE_KIB):
            writer = EvaluationWriter(ws, editor=editor, source=path.name, field_names=layout.field_names)
            state.read_all(writer, check)
            if state.failing():
                raise CsvImportError(state.problems())
    if state.problems() and not dry_run and state.failing():
        raise CsvImportError(state.problems())
    if progress is not None:
        progress(1.0)
    return state.report(path)


_SURVEY = 0.2  # progress fraction at the end of the first pass
# answer cells kept checked across chunks, at most (a file of distinct values must not grow it)
_CHECKED_LIMIT = 100_000
# an evaluation's stored status as a `SeenKeys` tag
_TAG_OF_STATUS = {"draft": 1, "submitted": 2}
_STATUS_OF_TAG = {tag: status for status, tag in _TAG_OF_STATUS.items()}


# ------------------------------------------------------------------------------- the file

class _Layout:
    """The columns as the import reads them (``{name: the frame's column}``, in file order):
    header names with the export's formula neutralisation undone, and time columns whose
    header names a zone (``graded_at (UTC)``) under the plain name. Its `problems` are the
    header's (row 1)."""

    def __init__(self, stream: CsvStream):
        self.problems = _Problems()
        columns: dict[str, str] = {}
        for header, column in zip(stream.headers, stream.columns):
            columns[restore_cell(header)] = column
        self.zones = _zoned_columns(columns, self.problems)
        self.columns = columns
        self.field_names = [name for column in columns if (name := _field_name(column))]

    def required_ok(self) -> bool:
        """Whether the rows can be read (no required column missing or named twice)."""
        return not any(p.row == 1 and p.column in REQUIRED_COLUMNS for p in self.problems.items)

    def cells(self, chunk: CsvChunk, names: tuple[str, ...] | None = None) -> dict[str, list[str]]:
        """The chunk's columns (all, or those of `names` the file has) as lists of text cells,
        formula neutralisation undone."""
        cells: dict[str, list[str]] = {}
        for name, column in self.columns.items():
            if names is not None and name not in names:
                continue
            values = chunk.frame[column].tolist()
            joined = "\n".join(values)  # a quick look in C before a look at every cell
            if joined.startswith("'") or "\n'" in joined:
                values = [restore_cell(v) if v[:1] == "'" else v for v in values]
            cells[name] = values
        return cells


def _zoned_columns(columns: dict[str, str], problems: _Problems) -> dict[str, str]:
    """Rename time columns whose header names a zone (``graded_at (UTC)``) to the plain name;
    ``{column: zone name}``. A header naming an unknown zone, or a time column given twice, is a
    problem of the file."""
    zones: dict[str, str] = {}
    for header in list(columns):
        split = split_zone_header(header)
        if split is None or split[0] not in TIME_COLUMNS:
            continue
        column, zone = split
        try:
            time_zone(zone)
        except QAGraderError as error:
            problems.add(1, header, str(error))
            columns.pop(header)
            continue
        if column in columns:
            problems.add(1, header, f"the file has two '{column}' columns")
            continue
        columns[column] = columns.pop(header)
        zones[column] = zone
    return zones


def _check_header(stream: CsvStream, problems: _Problems) -> None:
    try:
        with open(stream.path, encoding=stream.format.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=stream.format.delimiter)
            raw = next(reader, [])
            first = next(reader, [])
    except (OSError, UnicodeDecodeError, csv.Error):
        raw, first = list(stream.headers), []
    if len(first) > len(raw):
        # pandas would take the extra leading cells as an index and shift every column
        raise CsvSourceError(f"{stream.path.name}, row 2: {len(first)} cells where the header has "
                             f"{len(raw)} (is a quote missing?)")
    for problem in stream.header_problems:
        problems.add(1, problem.column, problem.message)
    for name in REQUIRED_COLUMNS:
        if name not in stream.headers:
            problems.add(1, name, "this required column is missing")


def _check_text(chunk: CsvChunk, cells: Mapping[str, list[str]], problems: _Problems) -> None:
    """Cells the input rules refuse (`csv_source`), and names with a tab or line break."""
    for problem in chunk.problems:
        problems.add(problem.row, problem.column, problem.message)
    for name in NAME_COLUMNS:
        for i, value in enumerate(cells.get(name, ())):
            if _INNER_BREAK.search(value.strip()):
                problems.add(i + chunk.first_row, name, text_problem(value.strip(), name=True) or "")


@dataclass
class _Survey:
    """What the whole file decides, from a first pass over its records: the scorecards its
    rows name (``{(name lower case, version): the stored scorecard or (column, problem)}``, in
    file order), the day/month order of its dates, how many records it has and how many of
    them name (by UUID) an evaluation the workspace holds (to tell `bulk_write` about how many
    rows are new)."""

    cards: dict[tuple[str, str], StoredScorecard | tuple[str, str]]
    graded_at: DateEvidence
    interaction_date: DateEvidence
    rows: int = 0
    stored: int = 0

    @classmethod
    def read(cls, ws: "Workspace", stream: CsvStream, layout: _Layout,
             progress: Callable[[float], None]) -> "_Survey":
        survey = cls({}, DateEvidence(), DateEvidence())
        for chunk in stream.chunks(checked=False):
            cells = layout.cells(chunk, ("evaluation_id", "scorecard", "version", "graded_at", "interaction_date"))
            n = len(chunk.frame)
            if "scorecard" in cells:
                versions = cells.get("version", [""] * n)
                for key in dict.fromkeys(zip(cells["scorecard"], versions)):
                    _scorecard_of(ws, survey.cards, *key)
            for name, keep in (("graded_at", _OUR_TIME), ("interaction_date", None)):
                if name in cells:
                    foreign = pd.Series([v if keep is None or not keep.match(v) else ""
                                         for v in (c.strip() for c in cells[name])], dtype=object)
                    getattr(survey, name).add(foreign, chunk.first_row)
            if "evaluation_id" in cells:
                ids = [v for v in (c.strip() for c in cells["evaluation_id"]) if _CANONICAL_UUID.match(v)]
                survey.stored += sum(count for (count,) in select_in(
                    ws.conn, "SELECT count(*) FROM evaluations WHERE uuid IN (SELECT value FROM json_each(?))", ids))
            survey.rows += n
            progress(chunk.fraction)
        return survey

    def scorecards(self) -> list[StoredScorecard]:
        """The scorecards the file names, each once, in file order."""
        return list({c.id: c for c in self.cards.values() if not isinstance(c, tuple)}.values())


def _scorecard_of(ws: "Workspace", found: dict, name: str, version: str) -> StoredScorecard | tuple[str, str]:
    """The scorecard a row names (memo `found`, by name in lower case and version), or (column,
    problem)."""
    key = (name.strip().lower(), version.strip())
    if key not in found:
        found[key] = _scorecard(ws, name.strip(), version.strip())
    return found[key]


# -------------------------------------------------------------------------- the chunks

class _Import:
    """The running state of one import across its chunks: problems, counts, the evaluation ids
    met so far (to find one used twice) and the new interactions."""

    def __init__(self, ws: "Workspace", stream: CsvStream, layout: _Layout, survey: _Survey, *,
                 skip_bad_rows: bool, dry_run: bool):
        self.ws, self.stream, self.layout, self.survey = ws, stream, layout, survey
        self.skip_bad_rows, self.dry_run = skip_bad_rows, dry_run
        self.required_ok = layout.required_ok()
        self.file = layout.problems  # the whole file's problems (rows None and 1)
        self.cards = survey.scorecards()
        self.groups = _labels(self.cards)
        self.columns: dict[str, _Column] = {}
        if self.required_ok:
            self.columns = _question_columns(layout.columns, self.cards, self.groups, self.file)
            if survey.graded_at.problem():
                self.file.add(None, "graded_at", survey.graded_at.problem() or "")
        if "interaction_date" in layout.columns and survey.interaction_date.problem():
            self.file.add(None, "interaction_date", survey.interaction_date.problem() or "")
        self.file.items.sort(key=lambda p: (p.row or 0))
        self.found: list[CsvProblem] = []  # the chunks' problems, in file order
        self.skipped: list[int] = []
        self.created = self.updated = self.unchanged = self.rescored = 0
        self.evaluation_ids = SeenKeys()
        self.interactions = NewInteractions(ws.conn, {name: column for column in layout.columns
                                                      if (name := _field_name(column))})
        self.checked: dict[tuple[int, str, str], _Cell | str] = {}  # answer cells checked, by value
        self.first_evaluation = 0

    def problems(self) -> list[CsvProblem]:
        return self.file.items + self.found

    def failing(self) -> bool:
        """True once the import is sure to be refused (nothing more needs writing)."""
        return bool(self.file.items or self.found) and (self.file.fatal or not self.skip_bad_rows)

    def read_all(self, writer: EvaluationWriter | None, check: Callable[[float], None]) -> None:
        """Check every chunk; with `writer` (inside the transaction), write each chunk's good
        rows while the import is not failing."""
        # evaluations stored before the import have smaller ids than those it inserts
        self.first_evaluation = self.ws.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluations").fetchone()[0]
        self.interactions.begin()
        for chunk in self.stream.chunks():
            done = _SURVEY + (1 - _SURVEY) * 0.98 * chunk.fraction
            self.read(chunk, writer if writer is not None and not self.failing() else None,
                      lambda: check(done))
            check(done)

    def read(self, chunk: CsvChunk, writer: EvaluationWriter | None, check: Callable[[], None]) -> None:
        """Check one chunk, count what it would do and, with `writer`, write it."""
        if len(self.checked) > _CHECKED_LIMIT:  # scores are cached per chunk: safe to forget here
            self.checked.clear()
        problems = _Problems()
        cells = self.layout.cells(chunk)
        n, first_row = len(chunk.frame), chunk.first_row
        _check_text(chunk, cells, problems)
        rows: list[EvaluationRow] = []
        if self.required_ok:
            rows = self._parse_rows(cells, n, first_row, problems)
        dates = _times(cells["interaction_date"], first_row, "interaction_date", problems,
                       self.layout.zones.get("interaction_date"), self.survey.interaction_date) \
            if "interaction_date" in cells else [None] * n
        named = self.interactions.check(cells, first_row, rows, dates, problems)
        self._existing(rows, problems)
        problems.items.sort(key=lambda p: p.row or 0)
        self.found.extend(problems.items)
        self.skipped.extend(sorted(problems.rows))
        if not self.dry_run and (writer is None or self.failing()):
            return  # refused at the end: only the problems matter
        good = [r for r in rows if r.line not in problems.rows]
        writes = [r for r in good if r.existing is None or _changed(r)]  # in file order
        created = [r for r in writes if r.existing is None]
        changed = [r for r in writes if r.existing is not None]
        self.rescored += _score(writes) + sum(_differs(r.existing[9], r.file_score)
                                              for r in good if r.existing is not None and r.result is None)
        self.created += len(created)
        self.updated += len(changed)
        self.unchanged += len(good) - len(writes)
        needed = self.interactions.needed(good, named)
        if writer is not None:
            writer.write(created, changed, needed, [r.grader for r in writes], check)

    def _parse_rows(self, cells: Mapping[str, list[str]], n: int, first_row: int,
                    problems: _Problems) -> list[EvaluationRow]:
        blank = [""] * n
        col = lambda name: cells.get(name, blank)  # noqa: E731
        cards = self._scorecards(col("scorecard"), col("version"), first_row, problems)
        answers, column_of = _answers(cells, cards, self.columns, self.groups, self.checked, first_row, problems)
        graded = _graded_at(col("graded_at"), first_row, problems, self.layout.zones.get("graded_at"),
                            self.survey.graded_at)
        rows: list[EvaluationRow] = []
        sizes = {c.id: len(c.card.questions) for c in self.cards}
        ids, ext, graders, statuses = col("evaluation_id"), col("interaction_id"), col("grader"), col("status")
        graded_raw = col("graded_at")
        calibrations, comments, scores = col("calibration"), col("overall_comment"), col("score")
        blinds = col("blind")
        for i in range(n):
            line = i + first_row
            external_id = ext[i].strip()
            grader = graders[i].strip()
            status = statuses[i].strip().lower() or "submitted"
            calibration = calibrations[i].strip().lower()
            if not external_id:
                problems.add(line, "interaction_id", "the interaction id is blank")
            if not grader:
                problems.add(line, "grader", "the grader is blank")
            if status not in ("draft", "submitted"):
                problems.add(line, "status", f"'{statuses[i]}' is not draft or submitted")
            if calibration not in _TRUE + _FALSE:
                problems.add(line, "calibration", f"'{calibrations[i]}' is not 0 or 1")
            blind = blinds[i].strip().lower()
            if blind and blind not in _TRUE + _FALSE:
                problems.add(line, "blind", f"'{blinds[i]}' is not 1 (CSAT hidden from the grader), "
                             "0 (CSAT visible) or blank (not known)")
            file_score = _number(scores[i])
            card = cards[i]
            if card is None or answers[i] is None:
                continue
            if status == "submitted" and len(answers[i].signature) < sizes[card.id]:
                given = answers[i].answers
                missing = next(q.key for q in card.card.questions if q.key not in given or not given[q.key].answered)
                problems.add(line, column_of[card.id].get(missing, missing), "a submitted evaluation needs an answer "
                             "(or N/A) to every question; this one is blank")
            evaluation_id = _evaluation_uuid(ids[i], external_id, card, grader, graded_raw[i])
            rows.append(EvaluationRow(line, evaluation_id, external_id, card, grader, status,
                                      int(calibration in _TRUE), graded[i], answers[i], comments[i], file_score,
                                      blind=None if not blind else int(blind in _TRUE)))
        # an id used twice (earlier in this chunk or in an earlier one): the problem closes its
        # row's checks, as it did when every row was checked at once
        before = self.evaluation_ids.meet(np.array([r.uuid for r in rows], dtype=object), [r.line for r in rows])
        for r, earlier in zip(rows, before.tolist()):
            if earlier:
                raw = ids[r.line - first_row].strip()
                problems.add(r.line, "evaluation_id", f"evaluation '{raw or r.uuid}' appears twice (also on row "
                             f"{earlier})")
        return rows

    def _scorecards(self, names: list[str], versions: list[str], first_row: int,
                    problems: _Problems) -> list[StoredScorecard | None]:
        out: list[StoredScorecard | None] = []
        for i, (name, version) in enumerate(zip(names, versions)):
            hit = _scorecard_of(self.ws, self.survey.cards, name, version)
            if isinstance(hit, tuple):
                problems.add(i + first_row, *hit)
                out.append(None)
            else:
                out.append(hit)
        return out

    def _existing(self, rows: list[EvaluationRow], problems: _Problems) -> None:
        """Attach the stored evaluation to rows whose evaluation_id existed before the import;
        check it may change. An evaluation the import has written already (an id used twice)
        is checked as it was before the import."""
        sql = """SELECT e.uuid, e.id, i.external_id, e.scorecard_id, g.name, e.status, e.answers,
                 e.overall_comment, e.calibration, e.score, e.auto_failed, e.updated_at, e.submitted_at,
                 e.grader_id, e.blind
                 FROM evaluations e JOIN interactions i ON i.id = e.interaction_id
                 JOIN graders g ON g.id = e.grader_id
                 WHERE e.uuid IN (SELECT value FROM json_each(?)) AND e.id < """ + str(self.first_evaluation)
        found = {record[0]: record for record in select_in(self.ws.conn, sql, [r.uuid for r in rows])}
        stored = [r for r in rows if r.uuid in found]
        if not stored:
            return
        keys = np.array([r.uuid for r in stored], dtype=object)
        before = self.evaluation_ids.tags(keys)  # the status an earlier chunk found
        for r, tag in zip(stored, before.tolist()):
            record = found[r.uuid]
            status = _STATUS_OF_TAG.get(tag, record[5])
            if record[2] != r.external_id:
                problems.add(r.line, "interaction_id", f"evaluation '{r.uuid}' belongs to interaction "
                             f"'{record[2]}' in this workspace, not '{r.external_id}'")
            elif status == "submitted" and r.status == "draft":
                problems.add(r.line, "status", f"evaluation '{r.uuid}' is already submitted in this "
                             "workspace and cannot go back to draft")
            r.existing = record if status == record[5] else (*record[:5], status, *record[6:])
        self.evaluation_ids.tag(keys, [_TAG_OF_STATUS[found[r.uuid][5]] for r in stored])

    def report(self, path: Path) -> EvaluationImportReport:
        return EvaluationImportReport(
            path=path, rows_read=self.survey.rows, created=self.created, updated=self.updated,
            unchanged=self.unchanged, interactions_created=self.interactions.created,
            rescored=self.rescored, problems=tuple(self.problems()), skipped_rows=tuple(self.skipped),
            dry_run=self.dry_run,
        )


def _scorecard(ws: "Workspace", name: str, version: str) -> StoredScorecard | tuple[str, str]:
    """The stored scorecard, or (column, problem)."""
    if not name:
        return "scorecard", "the scorecard is blank"
    number = _number(version)
    if version and (number is None or not number.is_integer() or number < 1):
        return "version", f"'{version}' is not a version number"
    row = ws.conn.execute(
        "SELECT name FROM scorecards WHERE name = ? AND (? IS NULL OR version = ?) LIMIT 1",
        (name, number, number)).fetchone()
    if row is None:
        which = f"'{name}' version {int(number)}" if number is not None else f"'{name}'"
        return "scorecard", f"there is no scorecard {which} in this workspace; import its JSON first"
    return ws.scorecards.get(name, int(number) if number is not None else None)


@dataclass(frozen=True)
class _Column:
    """A question column: the scorecard it names (lower case; None: any), the question's key
    or text as written, and whether it holds comments."""

    scorecard: str | None
    label: str
    comment: bool


def _field_name(column: str) -> str | None:
    """The custom field a ``field: <name>`` column holds, else None."""
    if column.startswith(FIELD_PREFIX) and column[len(FIELD_PREFIX):].strip():
        return column[len(FIELD_PREFIX):].strip()
    return None


def _labels(cards: list[StoredScorecard]) -> dict[str, dict[str, str]]:
    """Per scorecard name (lower case) in the file: ``{key or unique question text: key}``."""
    groups: dict[str, dict[str, str]] = {}
    texts: dict[str, dict[str, set[str]]] = {}
    for stored in cards:
        name = stored.name.lower()
        keys, by_text = groups.setdefault(name, {}), texts.setdefault(name, {})
        for q in stored.card.questions:
            keys[q.key] = q.key
            if q.text.strip():
                by_text.setdefault(q.text.strip(), set()).add(q.key)
    for name, by_text in texts.items():
        for text, keys in by_text.items():
            if len(keys) == 1 and text not in groups[name]:
                groups[name][text] = next(iter(keys))
    return groups


def _question_columns(names: Mapping[str, str], cards: list[StoredScorecard], groups: Mapping[str, Mapping[str, str]],
                      problems: _Problems) -> dict[str, _Column]:
    """Question columns among `names`: ``{column: _Column}``; every other unknown column is a
    problem."""
    columns: dict[str, _Column] = {}
    for name in names:
        if name in KNOWN_COLUMNS:
            continue
        if _field_name(name):
            if len(_field_name(name) or "") > MAX_FIELD_NAME or _INNER_BREAK.search(name):
                problems.add(1, name, f"a custom field's name must be 1 to {MAX_FIELD_NAME} characters on one line")
            continue
        comment = name.endswith(COMMENT_SUFFIX)
        base = name[: -len(COMMENT_SUFFIX)] if comment else name
        found: _Column | None = None
        if SCORECARD_SEPARATOR in base:
            prefix, label = base.split(SCORECARD_SEPARATOR, 1)
            if label in groups.get(prefix.strip().lower(), {}):
                found = _Column(prefix.strip().lower(), label, comment)
        if found is None and any(base in labels for labels in groups.values()):
            found = _Column(None, base, comment)
        if found is not None:
            columns[name] = found
        elif groups:
            labels = ", ".join(f"'{c.label}'" for c in cards)
            problems.add(1, name, f"unknown column: not a question of scorecard {labels}")
    return columns


def _answers(cells: Mapping[str, list[str]], cards: list[StoredScorecard | None],
             columns: Mapping[str, _Column], groups: Mapping[str, Mapping[str, str]],
             checked: dict[tuple[int, str, str], _Cell | str], first_row: int, problems: _Problems
             ) -> tuple[list[CheckedAnswers | None], dict[int, dict[str, str]]]:
    """Per row: validated answers of the row's scorecard, or None when a cell is bad; and per
    scorecard version, the column of each question (``{card id: {key: column}}``). `checked`
    keeps the answer cells checked so far, by value (their identity is the rows' score
    signature)."""
    plans: dict[int, tuple[list, list]] = {}
    out: list[CheckedAnswers | None] = []
    for i, stored in enumerate(cards):
        if stored is None:
            out.append(None)
            continue
        plan = plans.get(stored.id)
        if plan is None:
            plan = plans[stored.id] = _plan(stored, cells, columns, groups)
        own, others = plan
        answers: dict[str, Answer] = {}
        fragments: list[str] = []
        signature: list[int] = []
        ok = True
        for key, column, values, notes in own:
            raw = values[i] if values is not None else ""
            note = notes[i] if notes is not None else ""
            hit: _Cell | str | None = None
            if raw:
                hit = checked.get((stored.id, key, raw))
                if hit is None:
                    hit = checked[(stored.id, key, raw)] = _check_cell(stored, key, raw)
                if hit.__class__ is str:
                    problems.add(i + first_row, column, hit)  # type: ignore[arg-type]
                    ok = False
                    continue
                if hit is _BLANK:
                    hit = None
            if hit is not None:
                signature.append(id(hit))
                if note:
                    answer = Answer(hit.answer.value, hit.answer.na, note)  # type: ignore[union-attr]
                    answers[key] = answer
                    fragments.append(_fragment(key, answer))
                else:
                    answers[key] = hit.answer  # type: ignore[union-attr]
                    fragments.append(hit.fragment)  # type: ignore[union-attr]
            elif note:
                answers[key] = answer = Answer(None, False, note)
                fragments.append(_fragment(key, answer))
        for column, values in others:  # another scorecard's question: must be blank here
            if values[i].strip():
                problems.add(i + first_row, column, f"'{columns[column].label}' is not a question of "
                             f"scorecard '{stored.label}'")
                ok = False
        out.append(CheckedAnswers(answers, "{" + ", ".join(fragments) + "}", tuple(signature)) if ok else None)
    return out, {card_id: {key: column for key, column, _v, _n in own} for card_id, (own, _o) in plans.items()}


@dataclass(frozen=True)
class _Cell:
    """A checked answer cell without comment, and its JSON as `Evaluations` stores it."""

    answer: Answer
    fragment: str


_BLANK = _Cell(Answer(), "")


def _plan(stored: StoredScorecard, cells: Mapping[str, list[str]], columns: Mapping[str, _Column],
          groups: Mapping[str, Mapping[str, str]]) -> tuple[list, list]:
    """(per question of `stored`: key, its answer cells, its comment cells) and (the other
    question columns, which must be blank on its rows). A column naming this scorecard wins
    over one naming no scorecard."""
    name = stored.name.lower()
    labels = groups.get(name, {})
    keys = {q.key for q in stored.card.questions}
    values: dict[str, str] = {}
    notes: dict[str, str] = {}
    for column, spec in sorted(columns.items(), key=lambda item: item[1].scorecard is not None):
        key = labels.get(spec.label) if spec.scorecard in (None, name) else None
        if key in keys:
            (notes if spec.comment else values)[key] = column
    used = set(values.values()) | set(notes.values())
    own = [(q.key, values.get(q.key, q.key), cells.get(values.get(q.key, "")), cells.get(notes.get(q.key, "")))
           for q in stored.card.questions]
    others = [(c, cells[c]) for c in columns if c not in used]
    return own, others


def _fragment(key: str, answer: Answer) -> str:
    """``"key": {...}`` exactly as `json.dumps` writes it inside the answers object."""
    return f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(answer.to_json(), ensure_ascii=False)}"


def _check_cell(stored: StoredScorecard, key: str, raw: str) -> _Cell | str:
    """One answer cell checked by `validate_answers`, or the problem."""
    text = raw.strip()
    if not text:
        return _BLANK
    na = text.upper() == "N/A"
    try:
        clean = validate_answers(stored.card, {key: Answer(None if na else text, na)})[key]
    except EvaluationError as error:
        message = str(error)
        prefix = f"question '{key}': "
        return message[len(prefix):] if message.startswith(prefix) else message
    return _Cell(clean, _fragment(key, clean))


def _graded_at(values: list[str], first_row: int, problems: _Problems, zone: str | None,
               evidence: DateEvidence) -> list[str | None]:
    """Our UTC timestamps as they are; other dates parsed (`parse_dates`) in `zone` (None:
    UTC) and stored in UTC; blank = None."""
    return [f"{v}.000000Z" if v is not None and not v.endswith("Z") else v
            for v in _times(values, first_row, "graded_at", problems, zone, evidence, keep=_OUR_TIME)]


def _times(values: list[str], first_row: int, column: str, problems: _Problems, zone: str | None,
           evidence: DateEvidence, keep: re.Pattern | None = None) -> list[str | None]:
    """Dates and times parsed (`parse_dates`, in the day/month order of the whole file's
    `evidence`), from `zone` (None: UTC) to UTC ``YYYY-MM-DDTHH:MM:SS``; values matching
    `keep` as they are; blank = None."""
    out: list[str | None] = [v.strip() or None for v in values]
    foreign = [i for i, v in enumerate(out) if v is not None and (keep is None or not keep.match(v))]
    if foreign:
        parsed, bad, _ = parse_dates(pd.Series([out[i] for i in foreign], dtype=object), "auto", evidence)
        converted: dict[str, str] = {}
        for pos, i in enumerate(foreign):
            if pos in bad:
                problems.add(i + first_row, column, bad[pos])
            local = parsed[pos]
            if local and zone is not None and local not in converted:
                converted[local] = to_utc(local, zone)
            out[i] = (converted[local] if zone is not None else local) if local else None
    return out


def _evaluation_uuid(raw: str, external_id: str, card: StoredScorecard, grader: str,
                     graded_at: str) -> str:
    text = raw.strip()
    if _CANONICAL_UUID.match(text):
        return text
    if text:
        try:
            return str(uuidlib.UUID(text))
        except ValueError:
            return str(uuidlib.uuid5(ID_NAMESPACE, text))
    parts = (external_id, card.name.lower(), str(card.version), grader, graded_at.strip())
    return str(uuidlib.uuid5(ID_NAMESPACE, "\x1f".join(parts)))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _score(rows: list[EvaluationRow]) -> int:
    """Score the rows to write (cached by scorecard and answer values); returns how many
    differ from the file's score."""
    cache: dict[tuple, tuple[ScoreResult, str]] = {}
    differ = 0
    for r in rows:
        key = (r.card.id, r.answers.signature)
        hit = cache.get(key)
        if hit is None:
            result = score(r.card.card, r.answers.answers)
            hit = cache[key] = (result, json.dumps(list(result.auto_fail_reasons)))
        r.result, r.reasons = hit
        differ += _differs(r.result.total, r.file_score)
    return differ


def _differs(total: float | None, file_score: float | None) -> bool:
    """Whether a file's score is not the score (rounded to 2 decimals as the export writes it)."""
    if total is None or file_score is None:
        return (total is None) != (file_score is None)
    return abs(round(total, 2) - file_score) > 0.006


def _changed(r: EvaluationRow) -> bool:
    (_u, _id, _ext, scorecard_id, grader, status, answers, comment, calibration, _s, _a,
     updated_at, submitted_at, _g, blind) = r.existing  # type: ignore[misc]
    when = submitted_at if status == "submitted" else updated_at
    if (scorecard_id, grader_key(grader), status, comment, calibration, blind) != (
            r.card.id, grader_key(r.grader), r.status, r.comment, r.calibration, r.blind) or (
            r.graded_at is not None and r.graded_at[:19] != (when or "")[:19]):
        return True
    if answers == r.answers.json:  # the usual case, without parsing
        return False
    return {k: Answer.from_json(v) for k, v in json.loads(answers).items()} != r.answers.answers
