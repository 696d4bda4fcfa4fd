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
  ones; problems of the whole file (header, unknown columns) are never skippable.
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

import pandas as pd

from ..errors import CancelledError, CsvImportError, CsvProblem, EvaluationError
from ..errors import QAGraderError
from ..exporting.csv_export import (
    COMMENT_SUFFIX, FIELD_PREFIX, SCORECARD_SEPARATOR, TIME_COLUMNS, WIDE_COLUMNS, restore_cell,
)
from ..exporting.times import split_zone_header, time_zone, to_utc
from ..grading.evaluations import validate_answers
from ..grading.graders import grader_key
from ..interactions.channels import CHANNEL_SYNONYMS
from ..scorecards.scoring import Answer, ScoreResult, score
from ..scorecards.store import StoredScorecard
from ..input_rules import text_problem
from ..storage.writers import select_in
from .csv_source import CsvSourceError, CsvTable, read_table
from .evaluation_rows import CheckedAnswers, EvaluationRow
from .evaluation_write import write_evaluations
from .interactions import MAX_FIELD_NAME
from .interaction_fields import CSAT_SCALES, normalise_name, parse_csat, parse_dates

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
    the grader on the file's row) and the file it came from."""

    def check(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("Import cancelled; nothing was written.")
        if progress is not None:
            progress(fraction)

    path = Path(path)
    try:
        table = read_table(path, on_chunk=lambda f: check(f * _READ))
    except CsvSourceError as error:
        raise CsvImportError([CsvProblem(None, None, str(error))]) from error
    problems = _Problems()
    cells = _restored(table)
    zones = _zoned_columns(cells, problems)
    _check_header(table, problems)
    _check_text(table, cells, problems)
    rows: list[EvaluationRow] = []
    if not any(p.row == 1 and p.column in REQUIRED_COLUMNS for p in problems.items):
        rows = _parse_rows(ws, cells, len(table.frame), problems, zones.get("graded_at"))
    check(_READ + 0.1)
    new_interactions = _interactions(ws, cells, len(table.frame), rows, problems, zones.get("interaction_date"))
    _existing(ws, rows, problems)
    check(_READ + 0.2)
    problems.items.sort(key=lambda p: (p.row or 0))
    if problems.items and not dry_run and (problems.fatal or not skip_bad_rows):
        raise CsvImportError(problems.items)
    good = [r for r in rows if r.line not in problems.rows]
    created = [r for r in good if r.existing is None]
    changed = [r for r in good if r.existing is not None and _changed(r)]
    rescored = _score(created + changed) + sum(
        _differs(r.existing[9], r.file_score) for r in good if r.existing is not None and r.result is None)
    used = {r.external_id for r in good}
    needed = {k: v for k, v in new_interactions.items() if k in used}  # in file order
    if not dry_run and not problems.fatal:
        check(_CHECK)
        write_evaluations(ws, created, changed, needed, check, _CHECK, editor=editor, source=path.name,
                          field_names=[name for column in cells if (name := _field_name(column))])
    if progress is not None:
        progress(1.0)
    return EvaluationImportReport(
        path=path, rows_read=len(table.frame), created=len(created), updated=len(changed),
        unchanged=len(good) - len(created) - len(changed), interactions_created=len(needed),
        rescored=rescored, problems=tuple(problems.items),
        skipped_rows=tuple(sorted(problems.rows)), dry_run=dry_run,
    )


# ------------------------------------------------------------------------------- reading

def _restored(table: CsvTable) -> dict[str, list[str]]:
    """Every column as a list of text cells, formula neutralisation undone (in names too)."""
    cells: dict[str, list[str]] = {}
    for name in table.headers:
        values = table.frame[name].tolist()
        joined = "\n".join(values)  # a quick look in C before a look at every cell
        if joined.startswith("'") or "\n'" in joined:
            values = [restore_cell(v) if v[:1] == "'" else v for v in values]
        cells[restore_cell(name)] = values
    return cells


def _zoned_columns(cells: dict[str, list[str]], problems: _Problems) -> dict[str, str]:
    """Rename time columns whose header names a zone (``graded_at (UTC)``) to the plain name;
    ``{column: zone name}``. A header naming an unknown zone, or a time column given twice, is a
    problem of the file."""
    zones: dict[str, str] = {}
    for header in list(cells):
        split = split_zone_header(header)
        if split is None or split[0] not in TIME_COLUMNS:
            continue
        column, zone = split
        try:
            time_zone(zone)
        except QAGraderError as error:
            problems.add(1, header, str(error))
            cells.pop(header)
            continue
        if column in cells:
            problems.add(1, header, f"the file has two '{column}' columns")
            continue
        cells[column] = cells.pop(header)
        zones[column] = zone
    return zones


def _check_text(table: CsvTable, cells: Mapping[str, list[str]], problems: _Problems) -> None:
    """Cells the input rules refuse (`csv_source`), and names with a tab or line break."""
    for problem in table.problems:
        problems.add(problem.row, problem.column, problem.message)
    for name in NAME_COLUMNS:
        for i, value in enumerate(cells.get(name, ())):
            if _INNER_BREAK.search(value.strip()):
                problems.add(i + 2, name, text_problem(value.strip(), name=True) or "")


def _check_header(table: CsvTable, problems: _Problems) -> None:
    try:
        with open(table.path, encoding=table.format.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=table.format.delimiter)
            raw = next(reader, [])
            first = next(reader, [])
    except (OSError, UnicodeDecodeError, csv.Error):
        raw, first = list(table.headers), []
    if len(first) > len(raw):
        # pandas would take the extra leading cells as an index and shift every column
        raise CsvImportError([CsvProblem(None, None, f"{table.path.name}, row 2: {len(first)} cells "
                                                     f"where the header has {len(raw)} (is a quote missing?)")])
    for problem in table.header_problems:
        problems.add(1, problem.column, problem.message)
    for name in REQUIRED_COLUMNS:
        if name not in table.headers:
            problems.add(1, name, "this required column is missing")


def _parse_rows(ws: "Workspace", cells: Mapping[str, list[str]], n: int,
                problems: _Problems, zone: str | None) -> list[EvaluationRow]:
    blank = [""] * n
    col = lambda name: cells.get(name, blank)  # noqa: E731
    cards = _scorecards(ws, col("scorecard"), col("version"), problems)
    keys = _question_columns(cells, cards, problems)
    answers, column_of = _answers(cells, cards, keys, problems)
    graded = _graded_at(col("graded_at"), problems, zone)
    rows: list[EvaluationRow] = []
    first_line: dict[str, int] = {}
    sizes = {c.id: len(c.card.questions) for c in {c.id: c for c in cards if c is not None}.values()}
    ids, ext, graders, statuses = col("evaluation_id"), col("interaction_id"), col("grader"), col("status")
    graded_raw = col("graded_at")
    calibrations, comments, scores = col("calibration"), col("overall_comment"), col("score")
    blinds = col("blind")
    for i in range(n):
        line = i + 2
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
            problems.add(line, column_of[card.id].get(missing, missing), "a submitted evaluation needs an answer (or N/A) "
                         "to every question; this one is blank")
        evaluation_id = _evaluation_uuid(ids[i], external_id, card, grader, graded_raw[i])
        if evaluation_id in first_line:
            problems.add(line, "evaluation_id", f"evaluation '{ids[i].strip() or evaluation_id}' "
                         f"appears twice (also on row {first_line[evaluation_id]})")
        first_line.setdefault(evaluation_id, line)
        rows.append(EvaluationRow(line, evaluation_id, external_id, card, grader, status,
                         int(calibration in _TRUE), graded[i], answers[i], comments[i], file_score,
                         blind=None if not blind else int(blind in _TRUE)))
    return rows


def _scorecards(ws: "Workspace", names: list[str], versions: list[str],
                problems: _Problems) -> list[StoredScorecard | None]:
    found: dict[tuple[str, str], StoredScorecard | tuple[str, str]] = {}
    out: list[StoredScorecard | None] = []
    for i, (name, version) in enumerate(zip(names, versions)):
        key = (name.strip().lower(), version.strip())
        if key not in found:
            found[key] = _scorecard(ws, name.strip(), version.strip())
        hit = found[key]
        if isinstance(hit, tuple):
            problems.add(i + 2, *hit)
            out.append(None)
        else:
            out.append(hit)
    return out


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


def _labels(cards: list[StoredScorecard | None]) -> dict[str, dict[str, str]]:
    """Per scorecard name (lower case) in the file: ``{key or unique question text: key}``."""
    groups: dict[str, dict[str, str]] = {}
    texts: dict[str, dict[str, set[str]]] = {}
    for stored in {c.id: c for c in cards if c is not None}.values():
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


def _question_columns(cells: Mapping[str, list[str]], cards: list[StoredScorecard | None],
                      problems: _Problems) -> dict[str, _Column]:
    """Question columns: ``{column: _Column}``; every other unknown column is a problem."""
    groups = _labels(cards)
    columns: dict[str, _Column] = {}
    for name in cells:
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
            names = ", ".join(f"'{c.label}'" for c in {c.id: c for c in cards if c is not None}.values())
            problems.add(1, name, f"unknown column: not a question of scorecard {names}")
    return columns


def _answers(cells: Mapping[str, list[str]], cards: list[StoredScorecard | None],
             columns: Mapping[str, _Column], problems: _Problems
             ) -> tuple[list[CheckedAnswers | None], dict[int, dict[str, str]]]:
    """Per row: validated answers of the row's scorecard, or None when a cell is bad; and per
    scorecard version, the column of each question (``{card id: {key: column}}``)."""
    checked: dict[tuple[int, str, str], _Cell | str] = {}
    plans: dict[int, tuple[list, list]] = {}
    groups = _labels(cards)
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
                    problems.add(i + 2, column, hit)  # type: ignore[arg-type]
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
                problems.add(i + 2, column, f"'{columns[column].label}' is not a question of "
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


def _graded_at(values: list[str], problems: _Problems, zone: str | None) -> list[str | None]:
    """Our UTC timestamps as they are; other dates parsed (`parse_dates`) in `zone` (None:
    UTC) and stored in UTC; blank = None."""
    return [f"{v}.000000Z" if v is not None and not v.endswith("Z") else v
            for v in _times(values, "graded_at", problems, zone, keep=_OUR_TIME)]


def _times(values: list[str], column: str, problems: _Problems, zone: str | None,
           keep: re.Pattern | None = None) -> list[str | None]:
    """Dates and times parsed (`parse_dates`), from `zone` (None: UTC) to UTC
    ``YYYY-MM-DDTHH:MM:SS``; values matching `keep` as they are; blank = None."""
    out: list[str | None] = [v.strip() or None for v in values]
    foreign = [i for i, v in enumerate(out) if v is not None and (keep is None or not keep.match(v))]
    if foreign:
        parsed, bad, file_problem = parse_dates(pd.Series([out[i] for i in foreign], dtype=object), "auto")
        if file_problem:
            problems.add(None, column, file_problem)
        converted: dict[str, str] = {}
        for pos, i in enumerate(foreign):
            if pos in bad:
                problems.add(i + 2, column, bad[pos])
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


# ----------------------------------------------------------------- interactions and matching

def _interactions(ws: "Workspace", cells: Mapping[str, list[str]], n: int, rows: list[EvaluationRow],
                  problems: _Problems, zone: str | None) -> dict[str, tuple]:
    """New interactions to create, from the first row naming each: ``{external_id: values}``
    with values (channel, agent, team, brand, occurred_at, subject, csat_raw, csat_scale,
    csat_norm, satisfied, custom fields as a JSON object or None)."""
    existing = {ext for (ext,) in select_in(ws.conn, "SELECT external_id FROM interactions WHERE "
                                             "external_id IN (SELECT value FROM json_each(?))",
                                             [r.external_id for r in rows])}
    blank = [""] * n
    col = lambda name: cells.get(name, blank)  # noqa: E731
    channels, agents, teams, brands = col("channel"), col("agent"), col("team"), col("brand")
    csats, scales, subjects = col("csat"), col("csat_scale"), col("subject")
    dates = _times(col("interaction_date"), "interaction_date", problems, zone) if "interaction_date" in cells \
        else [None] * n
    fields = {name: cells[column] for column in cells if (name := _field_name(column))}
    new: dict[str, tuple] = {}
    first: dict[str, int] = {}
    failed: set[str] = set()
    channel_memo: dict[str, str | None] = {}
    csat_memo: dict[tuple[str, str], tuple | CsvProblem] = {}
    for r in rows:
        if r.external_id in existing:
            continue
        if r.external_id in first:
            if r.external_id in failed:
                problems.add(r.line, "interaction_id", f"interaction '{r.external_id}' cannot be "
                             f"created (see row {first[r.external_id]})")
            continue
        i = r.line - 2
        first[r.external_id] = r.line
        before = len(problems.items)
        raw_channel = channels[i].strip()
        if raw_channel not in channel_memo:
            channel_memo[raw_channel] = CHANNEL_SYNONYMS.get(normalise_name(raw_channel))
        channel = channel_memo[raw_channel] if raw_channel else (
            r.card.card.channels[0] if len(r.card.card.channels) == 1 else None)
        if channel is None:
            problems.add(r.line, "channel", f"'{raw_channel}' is not a channel (phone, email, chat, "
                         "social, sms)" if raw_channel else "the channel is blank and needed to "
                         "create this interaction")
        csat_key = (csats[i], scales[i].strip() or "1-5")
        if csat_key not in csat_memo:
            csat_memo[csat_key] = _csat(*csat_key)
        csat = csat_memo[csat_key]
        if isinstance(csat, CsvProblem):
            problems.add(r.line, csat.column, csat.message)
            csat = (None, None, None, None)
        if len(problems.items) > before:
            failed.add(r.external_id)
        custom = {name: values[i].strip() for name, values in fields.items() if values[i].strip()}
        new[r.external_id] = (channel, agents[i].strip() or None, teams[i].strip() or None,
                              brands[i].strip() or None, dates[i], subjects[i].strip() or None, *csat,
                              json.dumps(custom, ensure_ascii=False) if custom else None)
    return new


def _csat(raw: str, scale: str) -> tuple | CsvProblem:
    """(csat_raw, csat_scale, csat_norm, satisfied) by the rules of `parse_csat`, or the problem."""
    if not raw.strip():
        return (None, None, None, None)
    if scale not in CSAT_SCALES:
        return CsvProblem(None, "csat_scale", f"'{scale}' is not a CSAT scale ({', '.join(CSAT_SCALES)})")
    values, bad = parse_csat(pd.Series([raw], dtype=object), scale)
    if bad:
        return CsvProblem(None, "csat", bad[0])
    return (raw, scale, float(values["csat_norm"][0]), int(values["satisfied"][0]))


def _existing(ws: "Workspace", rows: list[EvaluationRow], problems: _Problems) -> None:
    """Attach the stored evaluation to rows whose evaluation_id exists; check it may change."""
    sql = """SELECT e.uuid, e.id, i.external_id, e.scorecard_id, g.name, e.status, e.answers,
             e.overall_comment, e.calibration, e.score, e.auto_failed, e.updated_at, e.submitted_at, e.grader_id,
             e.blind
             FROM evaluations e JOIN interactions i ON i.id = e.interaction_id JOIN graders g ON g.id = e.grader_id
             WHERE e.uuid IN (SELECT value FROM json_each(?))"""
    found = {record[0]: record for record in select_in(ws.conn, sql, [r.uuid for r in rows])}
    for r in rows:
        record = found.get(r.uuid)
        if record is None:
            continue
        if record[2] != r.external_id:
            problems.add(r.line, "interaction_id", f"evaluation '{r.uuid}' belongs to interaction "
                         f"'{record[2]}' in this workspace, not '{r.external_id}'")
        elif record[5] == "submitted" and r.status == "draft":
            problems.add(r.line, "status", f"evaluation '{r.uuid}' is already submitted in this "
                         "workspace and cannot go back to draft")
        r.existing = record



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
