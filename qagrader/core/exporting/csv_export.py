"""CSV export: evaluations (wide and long shapes) and scorecard definitions.

Files follow the conventions of `csv_files` (UTF-8, optional byte-order mark, ``\\r\\n`` line
ends, formula neutralisation, numbers as numbers) and `times` (``YYYY-MM-DD HH:MM:SS`` in a zone
named in the header).
"""

from __future__ import annotations

from json import loads
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import CancelledError, NotFound, QAGraderError
from ..scorecards.model import NA, Question, Scorecard
from ..scorecards.scoring import answer_fraction, question_possible
from ..interactions.store import custom_fields
from ..storage.files import write_file
from ..storage.writers import nocase
from .csv_files import (  # noqa: F401  (FORMULA_TRIGGERS, restore_cell: part of this module's API)
    FORMULA_TRIGGERS, LINE_END, RISKY_FIRST, format_number, neutralise_cell, restore_cell, write_rows,
)
from .times import UTC, LocalTimes, zone_header

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]
Shape = Literal["wide", "long"]
Headers = Literal["key", "text"]

COMMENT_SUFFIX = ".comment"
#: Separates a scorecard's name from a question in the wide export's column names when several
#: scorecards are exported (``Phone QA: authenticity``).
SCORECARD_SEPARATOR = ": "
#: Starts the wide export's column of a custom interaction field (``field: Handle time``).
FIELD_PREFIX = "field: "
#: Columns holding times; their headers name the zone (`times.zone_header`).
TIME_COLUMNS: tuple[str, ...] = ("interaction_date", "graded_at")
#: Columns of the wide shape before the question columns, in order (time columns without zone).
WIDE_COLUMNS: tuple[str, ...] = (
    "evaluation_id", "interaction_id", "interaction_date", "channel", "brand", "agent", "team",
    "subject", "scorecard", "version", "grader", "graded_at", "status", "calibration", "blind",
    "score", "auto_failed", "csat", "csat_scale", "overall_comment",
)
#: Columns of the long shape (one row per answer).
LONG_COLUMNS: tuple[str, ...] = (
    "evaluation_id", "interaction_id", "interaction_date", "channel", "brand", "agent", "team",
    "scorecard", "version", "grader", "graded_at", "status", "section", "question", "question_text",
    "skill", "answer", "points_earned", "points_possible", "comment",
)
#: Columns of a scorecard definition exported to CSV (one row per question).
SCORECARD_COLUMNS: tuple[str, ...] = (
    "section", "section_weight", "bonus", "key", "text", "guideline", "type", "options",
    "weight", "allow_na", "auto_fail", "skill", "polarity",
)
_CHUNK = 5_000
_RISKY_FIRST = RISKY_FIRST


def header_of(columns: Iterable[str], zone_name: str) -> list[str]:
    """Column names with the time columns naming their zone (``graded_at (UTC)``)."""
    return [zone_header(c, zone_name) if c in TIME_COLUMNS else c for c in columns]


class _Memo(dict):
    """``memo[value]`` = ``function(value)``, computed once per distinct value."""

    def __init__(self, function: Callable[[Any], Any]):
        super().__init__()
        self._function = function

    def __missing__(self, value: Any) -> Any:
        result = self[value] = self._function(value)
        return result


# ------------------------------------------------------------------------------ evaluations

_SELECT = """SELECT e.uuid, i.external_id, i.occurred_at, i.channel, i.brand, a.name, t.name,
    i.subject, s.name, s.version, g.name,
    CASE e.status WHEN 'submitted' THEN coalesce(e.submitted_at, e.updated_at) ELSE e.updated_at END,
    e.status, e.calibration, e.blind, e.score, e.auto_failed, i.csat_raw, i.csat_scale,
    e.overall_comment, e.answers, e.scorecard_id, i.fields
    FROM evaluations e
    JOIN interactions i ON i.id = e.interaction_id
    JOIN scorecards s ON s.id = e.scorecard_id
    JOIN graders g ON g.id = e.grader_id
    LEFT JOIN agents a ON a.id = i.agent_id
    LEFT JOIN teams t ON t.id = i.team_id"""


def export_evaluations(
    ws: "Workspace",
    out_path: str | Path,
    *,
    shape: Shape = "wide",
    scorecard: str | None = None,
    status: str | None = None,
    include_calibration: bool = False,
    excel_bom: bool = False,
    headers: Headers = "key",
    time_zone: str = UTC,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """Write evaluations to `out_path` as CSV; returns the number of data rows written.

    `shape` "wide": one row per evaluation, `WIDE_COLUMNS` (the interaction's date, channel,
    brand, agent, team and subject; the grade), the interactions' custom fields
    (``field: <name>``), then one column per question (answer label,
    scale number, ``N/A``, or empty when unanswered) in scorecard order, each followed by a
    ``<question>.comment`` column when any exported answer to it has a comment. When the
    evaluations are on several scorecards, question columns are per scorecard
    (``Phone QA: authenticity``), so a key two scorecards share never mixes their answer types
    in one column. `headers` "text" names the questions by their text instead of their key
    (the key where the text is blank or not unique). `graded_at` is the submission time (the
    last save for drafts); `score` is rounded to 2 decimals.
    `shape` "long": one row per answered (or commented) question, `LONG_COLUMNS`; points are
    the question's own points as `score()` counts them (N/A: empty, or full points under the
    ``pass`` policy; an auto-failed section's zeroing is not applied per question).

    Times are ``YYYY-MM-DD HH:MM:SS`` in `time_zone` (``UTC`` or an IANA name), named in the
    header (``graded_at (Europe/Berlin)``). `scorecard` keeps one scorecard (every version, by
    name); `status` keeps ``draft`` or ``submitted``. Calibration grades are left out unless
    `include_calibration` (then those of closed sessions come too: an open session's answers
    stay hidden). Rows are in evaluation creation order. The file appears only when complete:
    cancelling (`cancelled()` returning True) raises `CancelledError` and leaves no file.
    """
    if shape not in ("wide", "long"):
        raise QAGraderError(f"Unknown export format '{shape}'; use wide or long.")
    if headers not in ("key", "text"):
        raise QAGraderError(f"Unknown question headers '{headers}'; use key or text.")
    times = LocalTimes(time_zone)
    with _read_snapshot(ws):  # header and rows from the same state of the workspace
        where, args = _filters(ws, scorecard, status, include_calibration)
        total = ws.conn.execute(f"SELECT count(*) FROM evaluations e JOIN scorecards s ON s.id = "
                                f"e.scorecard_id {where}", args).fetchone()[0]
        cards = _cards_in_order(ws, where, args)
        rows = _rows(ws, where, args, total, progress, cancelled)
        if shape == "wide":
            header, records = _wide(ws, cards, where, args, rows, headers, times)
        else:
            header, records = header_of(LONG_COLUMNS, times.zone_name), _long(cards, rows, times)
        count = write_rows(out_path, header, records, excel_bom=excel_bom)
    if progress:
        progress(1.0)
    return count


def question_columns(cards: Iterable[tuple[str, Scorecard]], headers: Headers = "key"
                     ) -> dict[str, dict[str, str]]:
    """The wide shape's question column names: ``{scorecard name: {key: column}}`` for
    (name, card) pairs (a scorecard's versions under one name), in order. Prefixed with the
    scorecard's name when there are several names; by question text when `headers` is "text"
    and the text is unique within the scorecard (else the key). Names that look like formulas
    are neutralised (`csv_files`), as cells are."""
    groups: dict[str, dict[str, str]] = {}  # name -> key -> text (first version naming the key)
    for name, card in cards:
        group = groups.setdefault(name, {})
        for q in card.questions:
            group.setdefault(q.key, q.text.strip())
    prefixed = len(groups) > 1
    out: dict[str, dict[str, str]] = {}
    for name, texts in groups.items():
        counts: dict[str, int] = {}
        for text in texts.values():
            counts[text] = counts.get(text, 0) + 1
        labels = {key: text if headers == "text" and text and counts[text] == 1 and text not in WIDE_COLUMNS
                  and "\n" not in text else key for key, text in texts.items()}
        out[name] = {key: neutralise_cell(f"{name}{SCORECARD_SEPARATOR}{label}" if prefixed else label)
                     for key, label in labels.items()}
    return out


@contextmanager
def _read_snapshot(ws: "Workspace") -> Iterator[None]:
    """One read transaction (WAL: a consistent snapshot while other connections write)."""
    if ws.conn.in_transaction:
        yield
        return
    ws.conn.execute("BEGIN")
    try:
        yield
    finally:
        if ws.conn.in_transaction:
            ws.conn.execute("ROLLBACK")


_CALIBRATION_SHOWN = """(e.calibration = 0 OR NOT EXISTS (SELECT 1 FROM calibration_grades k
    JOIN calibration_sessions c ON c.id = k.session_id WHERE k.evaluation_id = e.id
    AND (c.status = 'open' OR c.deleted = 1)))"""


def _filters(ws: "Workspace", scorecard: str | None, status: str | None,
             include_calibration: bool) -> tuple[str, list]:
    clauses, args = [_CALIBRATION_SHOWN if include_calibration else "e.calibration = 0"], []
    if scorecard is not None:
        if ws.conn.execute("SELECT 1 FROM scorecards WHERE name = ?", (scorecard,)).fetchone() is None:
            raise NotFound(f"No scorecard named '{scorecard}'.")
        clauses.append("s.name = ?")
        args.append(scorecard)
    if status is not None:
        if status not in ("draft", "submitted"):
            raise QAGraderError(f"Unknown status '{status}'; use draft or submitted.")
        clauses.append("e.status = ?")
        args.append(status)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def _cards_in_order(ws: "Workspace", where: str, args: list) -> dict[int, Scorecard]:
    """Scorecards of the exported evaluations, by first appearance in row order."""
    ids = ws.conn.execute(
        f"""SELECT e.scorecard_id, min(e.id) AS first FROM evaluations e
            JOIN scorecards s ON s.id = e.scorecard_id {where}
            GROUP BY e.scorecard_id ORDER BY first""", args).fetchall()
    return {sid: ws.scorecards.get_by_id(sid).card for sid, _ in ids}


def _rows(ws: "Workspace", where: str, args: list, total: int,
          progress: Progress | None, cancelled: Cancelled | None) -> Iterator[tuple]:
    cursor = ws.conn.execute(f"{_SELECT} {where} ORDER BY e.id", args)
    done = 0
    while batch := cursor.fetchmany(_CHUNK):
        if cancelled is not None and cancelled():
            raise CancelledError("Export cancelled; no file was written.")
        yield from batch
        done += len(batch)
        if progress and total:
            progress(min(done / total, 0.99))


def _commented_keys(ws: "Workspace", where: str, args: list) -> set[tuple[str, str]]:
    """(scorecard name, question key) pairs with a non-empty comment in any exported evaluation."""
    sql = f"""SELECT DISTINCT s.name, j.key FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id,
              json_each(e.answers) j {where}
              {'AND' if where else 'WHERE'} coalesce(json_extract(j.value, '$.comment'), '') <> ''"""
    return {(row[0], row[1]) for row in ws.conn.execute(sql, args)}


def _wide(ws: "Workspace", cards: dict[int, Scorecard], where: str, args: list,
          rows: Iterable[tuple], headers: Headers, times: LocalTimes) -> tuple[list[str], Iterator[list]]:
    names = _card_names(ws, cards)
    columns = question_columns(((names[sid], card) for sid, card in cards.items()), headers)
    commented = _commented_keys(ws, where, args)
    header = header_of(WIDE_COLUMNS, times.zone_name)
    fields = custom_fields(ws.conn)
    header += [neutralise_cell(FIELD_PREFIX + name) for name in fields]
    value_pos: dict[str, dict[str, int]] = {}  # scorecard name -> key -> position
    comment_pos: dict[str, dict[str, int]] = {}
    for name, keys in columns.items():
        values, notes = value_pos.setdefault(name, {}), comment_pos.setdefault(name, {})
        for key, column in keys.items():
            values[key] = len(header)
            header.append(column)
            if (name, key) in commented:
                notes[key] = len(header)
                header.append(column + COMMENT_SUFFIX)
    width = len(header) - len(WIDE_COLUMNS) - len(fields)
    by_card = {sid: (value_pos[names[sid]], comment_pos[names[sid]]) for sid in cards}
    esc = neutralise_cell
    safe = _Memo(lambda v: "" if v is None else neutralise_cell(v) if isinstance(v, str) else v)
    number = _Memo(format_number)
    day = times  # cached per UTC hour inside; dates rarely repeat, so no memo
    risky = _RISKY_FIRST

    def records() -> Iterator[list]:
        # Hot loop (265,000 rows in a few seconds): repeated values go through memo tables,
        # unique text is checked inline before calling `neutralise_cell`.
        for (uuid, ext, occurred, channel, brand, agent, team, subject, card_name, version, grader,
             graded_at, status, calibration, blind, score, auto_failed, csat, csat_scale, comment,
             answers, sid, custom) in rows:
            record = [esc(uuid), ext if ext[:1] not in risky else esc(ext), day(occurred), safe[channel],
                      safe[brand], safe[agent], safe[team],
                      "" if subject is None else subject if subject[:1] not in risky else esc(subject),
                      safe[card_name], version, safe[grader], times(graded_at), status, calibration,
                      "" if blind is None else blind, number[score], auto_failed, safe[csat], csat_scale or "",
                      comment if comment[:1] not in risky else esc(comment),
                      *(_field_cells(custom, fields) if fields else ()), *([""] * width)]
            value_at, comment_at = by_card[sid]
            for key, answer in loads(answers).items():
                pos = value_at.get(key)
                if pos is None:
                    continue
                record[pos] = NA if answer.get("na") else safe[answer.get("value")]
                note = answer.get("comment")
                if note and key in comment_at:
                    record[comment_at[key]] = note if note[:1] not in risky else esc(note)
            yield record

    return header, records()


def _field_cells(custom: str | None, fields: list[str]) -> list[str]:
    """An interaction's custom field values (its JSON object) in the order of `fields`."""
    if not custom:
        return [""] * len(fields)
    values = {nocase(name): value for name, value in loads(custom).items()}  # names match by NOCASE
    return [neutralise_cell(values.get(nocase(name)) or "") for name in fields]


def _card_names(ws: "Workspace", cards: dict[int, Scorecard]) -> dict[int, str]:
    """The stored name of each exported scorecard version."""
    return dict(ws.conn.execute("SELECT id, name FROM scorecards WHERE id IN (SELECT value FROM "
                                "json_each(?))", (f"[{','.join(str(i) for i in cards)}]",)).fetchall())


def _long(cards: dict[int, Scorecard], rows: Iterable[tuple], times: LocalTimes) -> Iterator[list]:
    esc = neutralise_cell
    safe = _Memo(lambda v: "" if v is None else neutralise_cell(v) if isinstance(v, str) else v)
    day = times  # cached per UTC hour inside; dates rarely repeat, so no memo
    risky = _RISKY_FIRST
    # per scorecard: (key, the row's fixed question cells, memo of (value, na) -> answer cells)
    plans = {sid: [(q.key, [esc(s.name), q.key, esc(q.text), esc(q.skill or "")],
                    _Memo(_points(card, s.bonus, q)))
                   for s in card.sections for q in s.questions]
             for sid, card in cards.items()}
    for (uuid, ext, occurred, channel, brand, agent, team, _subject, card_name, version, grader,
         graded_at, status, _cal, _blind, _score, _af, _csat, _scale, _comment, answers_json, sid, _fields) in rows:
        answers = loads(answers_json)
        head = [esc(uuid), ext if ext[:1] not in risky else esc(ext), day(occurred), safe[channel],
                safe[brand], safe[agent], safe[team], safe[card_name], version, safe[grader],
                times(graded_at), status]
        for key, question_cells, points in plans[sid]:
            answer = answers.get(key)
            if not answer:
                continue
            value, na, note = answer.get("value"), bool(answer.get("na")), answer.get("comment") or ""
            if not na and value is None and not note:
                continue
            yield [*head, *question_cells, *points[(value, na)],
                   note if note[:1] not in risky else esc(note)]


def _points(card: Scorecard, bonus: bool, q: Question) -> Callable[[tuple], tuple]:
    """(value, na) -> (answer cell, points earned, points possible) as `score()` counts them."""
    worth = question_possible(q)

    def cells(key: tuple) -> tuple:
        value, na = key
        if na:
            full = format_number(worth, 4) if card.na_policy == "pass" and not bonus else ""
            return NA, full, full
        if value is None:
            return "", "", ""
        fraction, _ = answer_fraction(q, value)
        shown = neutralise_cell(value) if isinstance(value, str) else value
        return shown, format_number(worth * fraction, 4), format_number(worth, 4)

    return cells


# ------------------------------------------------------------------------------- scorecards

def export_scorecard_csv(card: Scorecard, out_path: str | Path, *, excel_bom: bool = False) -> int:
    """Write `card` as CSV, one row per question (`SCORECARD_COLUMNS`); returns the row count.

    `options` lists answers with points: ``Yes=1; No=0`` (yes/no), ``Yes=2; Partial=1; No=0``
    (options), ``1..5`` (scale). `auto_fail` names the answer that triggers it and its scope,
    e.g. ``No=section`` or ``Yes=all``. Flags are ``yes``/``no``.
    """
    esc = neutralise_cell
    records = []
    for section in card.sections:
        for q in section.questions:
            if q.type == "scale":
                options, auto_fail = f"{q.min}..{q.max}", ""
            elif q.type == "yes_no":
                options = "Yes=1; No=0"
                auto_fail = f"No={q.auto_fail}" if q.auto_fail else ""
            else:
                options = "; ".join(f"{o.label}={format_number(o.points, 4)}" for o in q.options)
                auto_fail = "; ".join(f"{o.label}={o.auto_fail}" for o in q.options if o.auto_fail)
            records.append([
                esc(section.name), format_number(section.weight, 4), _flag(section.bonus), q.key,
                esc(q.text), esc(q.guideline), q.type, esc(options), format_number(q.weight, 4),
                _flag(q.allow_na), esc(auto_fail), esc(q.skill or ""), q.polarity,
            ])
    return write_rows(out_path, SCORECARD_COLUMNS, records, excel_bom=excel_bom)


def export_scorecard(ws: "Workspace", name: str, out_path: str | Path,
                     version: int | None = None, *, excel_bom: bool = False) -> Path:
    """Export a stored scorecard as JSON (``.json``) or CSV (``.csv``), chosen by suffix."""
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise QAGraderError(f"Cannot export a scorecard to '{out.name}': use a .json or .csv file name.")
    stored = ws.scorecards.get(name, version)
    if suffix == ".csv":
        export_scorecard_csv(stored.card, out, excel_bom=excel_bom)
    else:
        write_file(out, ws.scorecards.export_json(stored.name, stored.version))
    return out


def _flag(value: bool) -> str:
    return "yes" if value else "no"
