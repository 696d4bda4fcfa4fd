"""The conventions of every CSV file the app writes, so that each opens cleanly in Excel.

- UTF-8, optionally with a byte-order mark (``excel_bom``: Excel then detects the encoding and
  shows accents correctly; other tools ignore it), comma-separated, minimal quoting.
- ``\\r\\n`` line ends (RFC 4180) on every line, whatever the operating system.
- Dates and times as ``YYYY-MM-DD HH:MM:SS`` (`EXCEL_TIME`), a form Excel reads as a date; the
  zone they are in is named in the column header (see `times`).
- Formula injection (OWASP "CSV injection"): a text cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is written with a leading ``'``, so a spreadsheet shows it
  as text instead of running it. A text cell that is a plain number (``-1``, ``+5``,
  ``-2.5e3``) is left alone: a spreadsheet reads it as that number, which runs nothing. A text
  cell that already begins with ``'`` followed by what would be neutralised gets one more
  ``'``, so that `restore_cell` (used by the imports) undoes the rule exactly and export ->
  import -> export is lossless. Numbers are written as numbers and never touched.
- Every file is written atomically (`core.storage.files`).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..storage.files import atomic_file

if TYPE_CHECKING:
    import pandas as pd

LINE_END = "\r\n"
EXCEL_TIME = "%Y-%m-%d %H:%M:%S"
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
RISKY_FIRST = FORMULA_TRIGGERS | {"'"}  # first characters `neutralise_cell` looks further at
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def encoding(excel_bom: bool) -> str:
    """The text encoding of a CSV file: UTF-8, with a byte-order mark when `excel_bom`."""
    return "utf-8-sig" if excel_bom else "utf-8"


# ------------------------------------------------------------------------ formula injection

def _formula_like(text: str) -> bool:
    """True when `neutralise_cell` prefixes `text` (see the module docstring)."""
    while text:
        first = text[0]
        if first in FORMULA_TRIGGERS:
            return _PLAIN_NUMBER.match(text) is None
        if first != "'":
            return False
        text = text[1:]
    return False


def neutralise_cell(text: str) -> str:
    """`text` made safe for a spreadsheet (OWASP rule, module docstring); reversible."""
    if text and (text[0] in FORMULA_TRIGGERS or text[0] == "'") and _formula_like(text):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """Undo `neutralise_cell`: ``restore_cell(neutralise_cell(t)) == t`` for every text."""
    if text[:1] == "'" and _formula_like(text[1:]):
        return text[1:]
    return text


def format_number(value: float | int | None, decimals: int = 2) -> str:
    """A number rounded to `decimals`, without trailing zeros (``87.5``, ``100``); '' for None."""
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------------------------- writing

def write_rows(out_path: str | Path, header: Sequence[str], records: Iterable[Sequence], *,
               excel_bom: bool = False, inputs: Iterable[str | Path] = ()) -> int:
    """Write `header` and `records` (cells already made safe) as CSV to `out_path`, atomically;
    the number of records. `inputs` are files being read, which the file may not replace."""
    count = 0

    def counted() -> Iterator[Sequence]:
        nonlocal count
        for record in records:
            count += 1
            yield record

    with atomic_file(out_path, "w", encoding=encoding(excel_bom), newline="", inputs=inputs) as handle:
        writer = csv.writer(handle, lineterminator=LINE_END)
        writer.writerow(header)
        writer.writerows(counted())
    return count


def table_records(frame: "pd.DataFrame") -> tuple[list[str], Iterator[list]]:
    """A table's header and rows as CSV cells: text neutralised, dates and times as
    `EXCEL_TIME` (dates without a time as ``YYYY-MM-DD``), missing values blank, numbers as
    they are (floats at full precision)."""
    import pandas as pd

    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            has_time = bool(((series.dt.hour != 0) | (series.dt.minute != 0) | (series.dt.second != 0)).any())
            text = series.dt.strftime(EXCEL_TIME if has_time else "%Y-%m-%d")
            columns.append(text.where(series.notna(), "").tolist())
        elif isinstance(series.dtype, pd.PeriodDtype):
            columns.append([str(v) if v is not pd.NaT else "" for v in series])
        else:
            columns.append([_cell(v) for v in series.tolist()])
    header = [neutralise_cell(str(name)) for name in frame.columns]
    return header, (list(row) for row in zip(*columns))


def _cell(value: object) -> object:
    import pandas as pd

    if isinstance(value, str):
        return neutralise_cell(value)
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime):
        return value.strftime(EXCEL_TIME)
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_table(out_path: str | Path, frame: "pd.DataFrame", *, excel_bom: bool = False) -> int:
    """Write a table (a pandas DataFrame, without its index) as CSV by these conventions; the
    number of rows."""
    header, records = table_records(frame)
    return write_rows(out_path, header, records, excel_bom=excel_bom)


def table_text(frame: "pd.DataFrame", *, delimiter: str = "\t") -> str:
    """A table as text by these conventions (tab-separated by default: what a spreadsheet
    pastes into cells), for the clipboard."""
    header, records = table_records(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=LINE_END)
    writer.writerow(header)
    writer.writerows(records)
    return buffer.getvalue()
