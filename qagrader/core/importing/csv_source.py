"""Read any CSV export into a table of strings.

- Encoding: a byte-order mark decides (UTF-8, UTF-16); otherwise UTF-8 if the whole file
  decodes as UTF-8, else Windows-1252 (cp1252), else Latin-1 (which never fails).
- Delimiter: comma, semicolon or tab, whichever parses the first records into the most
  columns consistently (the `csv` module does the parsing, quotes included).
- Every cell is read as a string; blank cells stay ``''`` (never NaN). Quoted fields may hold
  delimiters and newlines. A blank line is a row of blank cells, as in a spreadsheet.
- Row numbers follow the spreadsheet convention: the header is row 1, the first record row 2
  (a record spanning several lines is one row).

The parsing itself is pandas' C reader; this module only chooses its settings.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qagrader.core.errors import CsvProblem, QAGraderError
from qagrader.core.input_rules import BOM, FORBIDDEN_IN_TEXT, MAX_TEXT_CHARS, clean, text_problem

DELIMITERS: tuple[str, ...] = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODING_NAMES = {
    "utf-8-sig": "UTF-8 with BOM",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (no byte-order mark)",
    "utf-16-be": "UTF-16 big-endian (no byte-order mark)",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
_SNIFF_BYTES = 256 * 1024
_SNIFF_RECORDS = 200
_CHUNK_ROWS = 50_000


class CsvSourceError(QAGraderError):
    """The file cannot be read as a CSV table (missing, empty, malformed)."""


@dataclass(frozen=True)
class CsvFormat:
    """How a file is encoded and delimited."""

    encoding: str
    delimiter: str
    # False when a scan of the bytes showed that no cell can break the input rules
    needs_cell_checks: bool = field(default=True, compare=False)
    needs_length_checks: bool = field(default=True, compare=False)

    def describe(self) -> str:
        enc = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"{enc}, {DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read as strings: ``frame`` has one str column per header, in file order."""

    path: Path
    format: CsvFormat
    headers: tuple[str, ...]
    frame: pd.DataFrame
    # cells refused by the input rules (row as in a spreadsheet, column header, why)
    problems: tuple[CsvProblem, ...] = ()
    # header names used twice (row 1): no import may guess which one is meant
    header_problems: tuple[CsvProblem, ...] = ()

    def check_header(self) -> None:
        """Raise `CsvSourceError` for the first header problem."""
        if self.header_problems:
            raise CsvSourceError(f"{self.path.name}, {self.header_problems[0]}")

    @property
    def rows(self) -> int:
        return len(self.frame)


def detect_encoding(path: Path) -> str:
    """Return the codec name to read ``path`` with (see the module docstring for the order)."""
    return _scan(Path(path))[0]


# bytes that hint at a cell the input rules refuse or repair: C0 controls other than tab and
# line ends, DEL, UTF-8-encoded C1 controls, and a byte-order mark after the start
_C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
# bytes.translate table: control bytes (C0 but tab and line ends, and DEL) -> 0, others -> 1
_CONTROL_BYTES = bytes(0 if (b < 32 and b not in (9, 10, 13)) or b == 127 else 1 for b in range(256))


def _suspicious(block: bytes) -> bool:
    """True when `block` may hold a cell the input rules refuse or repair (C implementations
    only: a file of hundreds of MB is scanned at disk speed)."""
    return (block.translate(_CONTROL_BYTES).find(0) >= 0 or b"\xef\xbb\xbf" in block
            or (b"\xc2" in block and _C1_IN_UTF8.search(block) is not None))


def _has_high(block: bytes, end: int | None = None) -> bool:
    return not (block if end is None else block[:end]).isascii()


def _scan(path: Path) -> tuple[str, bool, bool]:
    """(codec, whether some cell may hold a character the input rules refuse or repair,
    whether some cell may be longer than they allow), in one pass over the bytes.

    UTF-16 without a byte-order mark is recognised by its zero bytes; a file that is UTF-8 up
    to some line and another encoding after it is refused naming that line."""
    with open(path, "rb") as f:
        head = f.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            encoding, skip = "utf-8-sig", len(codecs.BOM_UTF8)
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", True, True
        else:
            utf16 = _utf16_without_bom(head)
            if utf16:
                return utf16, True, True
            encoding, skip = "utf-8", 0
        f.seek(skip)
        decoder = codecs.getincrementaldecoder("utf-8")()
        suspicious = False
        done = skip
        high_seen = False
        lines = _LineLengths()
        while block := f.read(1 << 20):
            suspicious = suspicious or _suspicious(block)
            lines.add(block)
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                bad = max(done + error.start - len(decoder.getstate()[0]), skip)
                if high_seen or _has_high(block, max(error.start, 0)):
                    raise CsvSourceError(_mixed_encoding_message(path, bad)) from error
                break
            high_seen = high_seen or _has_high(block)
            done += len(block)
        else:
            try:
                decoder.decode(b"", final=True)
                return encoding, suspicious, lines.may_exceed(MAX_TEXT_CHARS)
            except UnicodeDecodeError as error:
                if high_seen:
                    raise CsvSourceError(_mixed_encoding_message(path, done)) from error
        f.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while block := f.read(1 << 20):
                decoder.decode(block)
            return "cp1252", True, True
        except UnicodeDecodeError:
            return "latin-1", True, True


class _LineLengths:
    """The longest line of a file fed block by block, and whether it quotes (a quoted cell may
    span lines, so only an unquoted file bounds its cells by its lines)."""

    def __init__(self) -> None:
        self.run = 0  # bytes since the last line break
        self.longest = 0
        self.quoted = False

    def add(self, block: bytes) -> None:
        self.quoted = self.quoted or b'"' in block
        breaks = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
        if not len(breaks):
            self.run += len(block)
        else:
            inner = int(np.diff(breaks).max()) if len(breaks) > 1 else 0
            self.longest = max(self.longest, self.run + int(breaks[0]), inner)
            self.run = len(block) - int(breaks[-1]) - 1
        self.longest = max(self.longest, self.run)

    def may_exceed(self, limit: int) -> bool:
        return self.quoted or self.longest > limit


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when `head` has the zero bytes of UTF-16 text (ASCII-heavy, as
    CSV headers are), else None."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def _mixed_encoding_message(path: Path, offset: int) -> str:
    with open(path, "rb") as f:
        line = f.read(offset).count(b"\n") + 1
    return (f"{path.name}, line {line}: the text changes encoding here (the lines before are "
            f"UTF-8, this line is not). Save the whole file as UTF-8 and import it again.")


def sniff_delimiter(sample: str, *, complete: bool) -> str:
    """Choose among comma, semicolon and tab from the start of the file's text.

    ``complete`` says whether ``sample`` is the whole file (else its last record may be cut).
    Each candidate parses the sample with :mod:`csv`; the winner has the most records as wide
    as its header, then the widest header. A single-column file is comma-separated.
    """
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        records = [r for r in _records(sample, delim) if r]
        if not complete and len(records) > 1:
            records = records[:-1]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:] or records
        consistent = sum(len(r) == width for r in body) / len(body)
        score = (round(consistent, 2), width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _records(sample: str, delim: str) -> list[list[str]]:
    out: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
            out.append(rec)
            if len(out) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    return out


def detect_format(path: Path) -> CsvFormat:
    """Detect encoding and delimiter of ``path``."""
    path = Path(path)
    encoding, suspicious, long_cells = _scan(path)
    with open(path, "rb") as f:
        raw = f.read(_SNIFF_BYTES)
        complete = not f.read(1)
    text = raw.decode(encoding, errors="ignore")
    if not text.strip():
        raise CsvSourceError(f"{path.name} is empty")
    return CsvFormat(encoding, sniff_delimiter(text, complete=complete), suspicious, long_cells)


def read_table(
    path: Path | str,
    *,
    nrows: int | None = None,
    on_chunk: Callable[[float], None] | None = None,
) -> CsvTable:
    """Read ``path`` as strings (see the module docstring), all records at once.

    ``nrows`` limits the records read (for previews). ``on_chunk(fraction_of_bytes_read)`` is
    called after every chunk of records; it may raise to stop reading. Imports read with
    :func:`open_table` instead, one chunk at a time.
    """
    stream = open_table(path, nrows=nrows)
    frames: list[pd.DataFrame] = []
    problems: list[CsvProblem] = []
    for chunk in stream.chunks():
        frames.append(chunk.frame)
        problems.extend(chunk.problems)
        if on_chunk is not None:
            on_chunk(chunk.fraction)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return CsvTable(path=stream.path, format=stream.format, headers=stream.headers, frame=frame,
                    problems=tuple(problems), header_problems=stream.header_problems)


@dataclass(frozen=True)
class CsvChunk:
    """Consecutive records of a file: ``frame`` (str columns named as `CsvStream.headers`,
    index from 0), ``first_row`` the spreadsheet row of its first record, ``problems`` the
    cells the input rules refuse (file rows), ``fraction`` of the file's bytes read so far."""

    frame: pd.DataFrame
    first_row: int
    problems: tuple[CsvProblem, ...]
    fraction: float


class CsvStream:
    """A CSV file opened for reading in chunks of records: memory is bounded by one chunk,
    whatever the file's size. The format and header are known on opening; :meth:`chunks`
    reads the records (again from the start on each call)."""

    def __init__(self, path: Path, fmt: CsvFormat, nrows: int | None):
        self.path, self.format, self._nrows = path, fmt, nrows
        self._size = max(os.path.getsize(path), 1)
        frames = self._frames()
        first = next(frames, None)
        frames.close()
        width = len(first[0].columns) if first is not None else 0
        self.headers, self.header_problems = _checked_headers(path, fmt, width)
        self._columns = list(first[0].columns) if first is not None else []
        if self.header_problems:  # keep pandas' unique names for the frame; report the file's names
            self.headers = tuple(str(h).strip() for h in self._columns)

    def check_header(self) -> None:
        """Raise `CsvSourceError` for the first header problem."""
        if self.header_problems:
            raise CsvSourceError(f"{self.path.name}, {self.header_problems[0]}")

    @property
    def columns(self) -> tuple[str, ...]:
        """The chunks' column names, one per header: the headers, or pandas' unique names
        (``name.1``) when a header names a column twice."""
        return tuple(self.headers) if not self.header_problems else tuple(self._columns)

    def chunks(self, *, checked: bool = True) -> Iterator[CsvChunk]:
        """The records, chunk after chunk (at least one chunk, maybe without rows). Raises
        `CsvSourceError` where the file stops being readable. ``checked=False`` (a first pass
        that only looks at some columns) skips looking for cells the input rules refuse: the
        chunks have no `problems`, their cells are the same."""
        first_row = 2
        names = list(self.columns)
        for frame, fraction in self._frames():
            frame = frame.fillna("")
            frame.columns = names
            problems = _apply_cell_rules(frame, self.format, self._size, first_row, checked=checked)
            yield CsvChunk(frame, first_row, tuple(problems), fraction)
            first_row += len(frame)

    def _frames(self) -> Iterator[tuple[pd.DataFrame, float]]:
        path, fmt = self.path, self.format
        try:
            with open(path, "rb") as handle:
                reader = pd.read_csv(
                    handle,
                    sep=fmt.delimiter,
                    encoding=fmt.encoding,
                    index_col=False,  # extra cells are an error, never a silent index column
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    engine="c",
                    nrows=self._nrows,
                    chunksize=_CHUNK_ROWS,
                )
                with reader, warnings.catch_warnings():
                    # pandas only warns (and drops cells) when a row has more cells than the header
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    for chunk in reader:
                        yield chunk.reset_index(drop=True), min(handle.tell() / self._size, 1.0)
        except pd.errors.ParserWarning as exc:
            raise CsvSourceError(_too_many_cells_message(path, fmt)) from exc
        except pd.errors.EmptyDataError as exc:
            raise CsvSourceError(f"{path.name} is empty") from exc
        except pd.errors.ParserError as exc:
            raise CsvSourceError(_parser_message(path, fmt, exc)) from exc
        except UnicodeDecodeError as exc:
            raise CsvSourceError(f"{path.name} is not readable as {fmt.encoding} text: {exc}") from exc


def open_table(path: Path | str, *, nrows: int | None = None) -> CsvStream:
    """Open ``path`` for reading in chunks (see the module docstring); raises `CsvSourceError`
    when it is not a readable CSV file."""
    path = Path(path)
    if path.is_dir():
        raise CsvSourceError(f"{path} is a folder, not a CSV file: choose a file in it.")
    if not path.is_file():
        from qagrader.core.faults import describe_os_error

        try:
            path.stat()
        except FileNotFoundError as error:
            if path.parent.is_dir():
                raise CsvSourceError(f"no such file: {path}") from error
            raise CsvSourceError(describe_os_error(error, path, action="read")) from error
        except OSError as error:
            raise CsvSourceError(describe_os_error(error, path, action="read")) from error
        raise CsvSourceError(f"{path} is not a regular file; choose a CSV file.")
    return CsvStream(path, detect_format(path), nrows)


def _checked_headers(path: Path, fmt: CsvFormat,
                     width: int) -> tuple[tuple[str, ...], tuple[CsvProblem, ...]]:
    """The header names as written (pandas renames a repeated one to ``name.1``), byte-order
    marks removed, a control character refused; and a problem per name used twice (letter
    case aside)."""
    with open(path, encoding=fmt.encoding, newline="") as handle:
        record = next(csv.reader(handle, delimiter=fmt.delimiter), [])
    names = [clean(h).strip() for h in record][:width]
    names += [f"Unnamed: {i}" for i in range(len(names), width)]
    seen: dict[str, int] = {}
    repeated: list[CsvProblem] = []
    for number, name in enumerate(names, start=1):
        problem = text_problem(name, name=True)
        if problem:
            raise CsvSourceError(f"{path.name}, row 1, column {number}: the column name {problem}")
        key = name.casefold()
        if key and key in seen:
            repeated.append(CsvProblem(1, name, f"the column appears twice (columns {seen[key]} and "
                                                f"{number}); rename or remove one"))
        seen.setdefault(key, number)
    return tuple(names), tuple(repeated)


def _apply_cell_rules(frame: pd.DataFrame, fmt: CsvFormat, size: int, first_row: int = 2, *,
                      checked: bool = True) -> list[CsvProblem]:
    """Remove byte-order marks from cells (in place) and list the cells the input rules refuse
    (`qagrader.core.input_rules`; not when not `checked`). Skipped when the byte scan found
    nothing to look at."""
    problems: list[CsvProblem] = []
    for column in frame.columns:
        cells = frame[column]
        if fmt.needs_cell_checks:
            if cells.str.contains(BOM, regex=False).any():
                cells = frame[column] = cells.str.replace(BOM, "", regex=False)
        if not checked:
            continue
        if fmt.needs_cell_checks:
            bad = cells.str.contains(FORBIDDEN_IN_TEXT).to_numpy()
        else:
            bad = np.zeros(len(cells), dtype=bool)
        if size > MAX_TEXT_CHARS and fmt.needs_length_checks:
            bad |= (cells.str.len() > MAX_TEXT_CHARS).to_numpy()
        for position in np.flatnonzero(bad):
            problems.append(CsvProblem(int(position) + first_row, column, text_problem(cells.iat[position]) or ""))
    problems.sort(key=lambda p: p.row or 0)
    return problems


def _too_many_cells_message(path: Path, fmt: CsvFormat) -> str:
    """Name the first record with more cells than the header (header = row 1)."""
    with open(path, encoding=fmt.encoding, newline="") as handle:
        records = csv.reader(handle, delimiter=fmt.delimiter)
        header = len(next(records, []))
        for row, record in enumerate(records, start=2):
            if len(record) > header:
                return (f"{path.name}, row {row}: {len(record)} cells where the header has {header} "
                        f"(read as {fmt.describe()}; is a quote missing?)")
    return f"{path.name} has rows with more cells than the header ({fmt.describe()})"


def _parser_message(path: Path, fmt: CsvFormat, exc: Exception) -> str:
    text = str(exc)
    # pandas: "Error tokenizing data. C error: Expected 10 fields in line 57, saw 11"
    marker = "C error: "
    detail = text.split(marker, 1)[1].strip() if marker in text else text
    if detail.startswith("Expected ") and " in line " in detail:
        try:
            expected = int(detail.split()[1])
            row = int(detail.split(" in line ")[1].split(",")[0])
            saw = int(detail.rsplit("saw ", 1)[1])
            return (
                f"{path.name}, row {row}: {saw} cells where the header has {expected} "
                f"(read as {fmt.describe()}; is a quote missing?)"
            )
        except (ValueError, IndexError):
            pass
    return f"{path.name} is not a readable CSV file ({fmt.describe()}): {detail}"
