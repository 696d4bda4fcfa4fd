"""Our interaction fields, the mapping from export columns, and the column value parsers.

Every parser works on a whole column (a pandas Series of strings) at once and returns the
parsed values plus ``{row_position: message}`` for the cells it rejects; the importer turns
those into row/column problems. Low-cardinality columns (channel, CSAT, dates without time)
are parsed once per distinct value.

CSAT rule (``csat_norm`` and ``satisfied``):

- blank = no survey: ``csat_raw``, ``csat_scale``, ``csat_norm`` and ``satisfied`` are NULL,
  never 0.
- ``1-5``, ``1-10``, ``0-10``: whole numbers in range; ``csat_norm = (v - min) / (max - min)``;
  satisfied = top two boxes (``v >= max - 1``: 4-5 on 1-5, 9-10 on 1-10 and 0-10).
- ``0-100``: any number in range (a trailing ``%`` is allowed); ``csat_norm = v / 100``;
  satisfied = ``v >= 80``.
- ``binary``: yes/no, y/n, thumbs up/down, 👍/👎, positive/negative, good/bad,
  satisfied/unsatisfied (dissatisfied), 1/0, true/false; ``csat_norm`` 1 or 0; satisfied =
  positive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from qagrader.core.interactions.channels import CHANNEL_SYNONYMS, CHANNELS
from qagrader.core.errors import QAGraderError

FIELDS: tuple[str, ...] = (
    "external_id", "channel", "agent", "team", "brand", "occurred_at", "csat", "subject",
    "transcript",
)
#: Not a stored field: a separate time-of-day column combined with the ``occurred_at`` date.
TIME_FIELD = "occurred_time"
MAPPABLE: tuple[str, ...] = FIELDS + (TIME_FIELD,)

#: Normalised header names (lower case, letters and digits only), most specific first.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("externalid", "ticketid", "callid", "conversationid", "interactionid",
                    "chatid", "caseid", "ticketnumber", "ticketno", "ticket", "id"),
    "channel": ("channel", "source", "medium", "channeltype", "via"),
    "agent": ("agent", "assignee", "agentname", "assigneename", "assignedto", "agentemail"),
    "team": ("team", "group", "teamname", "groupname", "assigneegroup"),
    "brand": ("brand", "brandname"),
    "occurred_at": ("createdat", "date", "timestamp", "opened", "openedat", "created",
                    "createddate", "datetime", "dateopened", "startedat"),
    "csat": ("satisfactionrating", "csat", "rating", "score", "csatscore", "satisfaction",
             "satisfactionscore", "customersatisfaction"),
    "subject": ("subject", "topic", "title", "summary"),
    "transcript": ("transcript", "body", "description", "conversation", "messages", "message",
                   "text", "content"),
    TIME_FIELD: ("time", "timeofday", "calltime", "starttime"),
}

CSAT_SCALES: dict[str, tuple[float, float] | None] = {
    "1-5": (1, 5), "1-10": (1, 10), "0-10": (0, 10), "0-100": (0, 100), "binary": None,
}
_POSITIVE = ("yes", "y", "thumbsup", "up", "👍", "positive", "good", "satisfied", "1",
             "true", "t")
_NEGATIVE = ("no", "n", "thumbsdown", "down", "👎", "negative", "bad", "unsatisfied",
             "dissatisfied", "notsatisfied", "0", "false", "f")
BINARY_TOKENS: dict[str, float] = {**{k: 1.0 for k in _POSITIVE}, **{k: 0.0 for k in _NEGATIVE}}

DATE_ORDERS: tuple[str, ...] = ("auto", "dayfirst", "monthfirst")

_NON_ALNUM = re.compile(r"[\W_]+")
_EMOJI_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")


class MappingError(QAGraderError):
    """The column mapping or an import option cannot work with this file."""


def normalise_name(text: str) -> str:
    """Lower case, letters and digits only: ``'Ticket ID'`` -> ``'ticketid'``."""
    return _NON_ALNUM.sub("", text.lower())


def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Guess ``{field: column}`` from common header names; each column is used at most once.

    A separate time column (``occurred_time``) is only guessed when a date column is.
    """
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise_name(header), header)
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for field in MAPPABLE:
        if field == TIME_FIELD and "occurred_at" not in mapping:
            continue
        for synonym in HEADER_SYNONYMS[field]:
            column = by_norm.get(synonym)
            if column is not None and column not in used:
                mapping[field] = column
                used.add(column)
                break
    return mapping


def resolve_mapping(headers: Sequence[str], overrides: Mapping[str, str | None]) -> dict[str, str]:
    """The guessed mapping with ``overrides`` applied (``FIELD -> COLUMN``; a blank or None
    column unmaps the field). Columns match exactly, else ignoring case/spaces/punctuation.
    Raises :class:`MappingError` naming every unknown field or missing column."""
    mapping = guess_mapping(headers)
    by_norm: dict[str, list[str]] = {}
    for header in headers:
        by_norm.setdefault(normalise_name(header), []).append(header)
    errors: list[str] = []
    for field, column in overrides.items():
        key = field.strip().lower()
        if key not in MAPPABLE:
            errors.append(f"unknown field '{field}' in the mapping (fields: {', '.join(MAPPABLE)})")
            continue
        if column is None or not str(column).strip():
            mapping.pop(key, None)
            continue
        column = str(column).strip()
        if column in headers:
            mapping[key] = column
        elif len(by_norm.get(normalise_name(column), [])) == 1:
            mapping[key] = by_norm[normalise_name(column)][0]
        else:
            errors.append(
                f"column '{column}' (mapped to {key}) is not in the file "
                f"(columns: {', '.join(headers)})"
            )
    if errors:
        raise MappingError("; ".join(errors))
    if TIME_FIELD in mapping and "occurred_at" not in mapping:
        del mapping[TIME_FIELD]
    return {f: mapping[f] for f in MAPPABLE if f in mapping}


def parse_assignments(items: Iterable[str], shape: str = "KEY=VALUE") -> dict[str, str]:
    """Parse ``["KEY=VALUE", ...]`` (command-line style) into a dict; the first ``=`` splits.
    ``shape`` names the expected form in the error, e.g. ``FIELD=COLUMN`` or ``RAW=CHANNEL``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MappingError(f"'{item}' is not {shape}")
        out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------------------------- channels

def channel_lookup(channel_map: Mapping[str, str]) -> dict[str, str]:
    """Normalised raw value -> channel: the built-in synonyms overridden by ``channel_map``.
    Raises :class:`MappingError` when a target is not a channel."""
    lookup = dict(CHANNEL_SYNONYMS)
    for raw, target in channel_map.items():
        channel = CHANNEL_SYNONYMS.get(normalise_name(target))
        if channel is None:
            raise MappingError(f"channel mapping '{raw}={target}': '{target}' is not a channel "
                               f"(channels: {', '.join(CHANNELS)})")
        lookup[normalise_name(raw)] = channel
    return lookup


def normalise_channel(value: str) -> str:
    """``'Live chat'`` -> ``'chat'``; raises :class:`MappingError` for anything unknown."""
    channel = CHANNEL_SYNONYMS.get(normalise_name(value))
    if channel is None:
        raise MappingError(f"default channel '{value}' is not a channel "
                           f"(channels: {', '.join(CHANNELS)})")
    return channel


def parse_channels(
    raw: pd.Series, lookup: Mapping[str, str], default: str | None
) -> tuple[np.ndarray, dict[int, str]]:
    """Channel per row, normalised; blank cells take ``default`` (a problem without one)."""
    codes, uniques = pd.factorize(raw.str.strip())
    resolved: list[str | None] = []
    messages: list[str | None] = []
    for value in uniques:
        if not value:
            resolved.append(default)
            messages.append(None if default else "the channel is blank (set a default channel)")
            continue
        channel = lookup.get(normalise_name(value))
        resolved.append(channel)
        messages.append(None if channel else (
            f"'{value}' is not a known channel: add a channel mapping {value}=CHANNEL "
            f"(channels: {', '.join(CHANNELS)})"))
    return _take(resolved, codes), _problems(messages, codes)


# -------------------------------------------------------------------------------------- CSAT

def parse_csat(raw: pd.Series, scale: str) -> tuple[dict[str, np.ndarray], dict[int, str]]:
    """``csat_raw``, ``csat_scale``, ``csat_norm``, ``satisfied`` per row (module docstring)."""
    codes, uniques = pd.factorize(raw)
    rows: list[tuple[str | None, str | None, float | None, int | None]] = []
    messages: list[str | None] = []
    for value in uniques:
        text = value.strip()
        if not text:
            rows.append((None, None, None, None))
            messages.append(None)
            continue
        parsed = _csat_value(text, scale)
        if isinstance(parsed, str):
            rows.append((None, None, None, None))
            messages.append(parsed)
        else:
            rows.append((value, scale, parsed[0], parsed[1]))
            messages.append(None)
    columns = list(zip(*rows)) if rows else [(), (), (), ()]
    names = ("csat_raw", "csat_scale", "csat_norm", "satisfied")
    return ({n: _take(list(c), codes) for n, c in zip(names, columns)},
            _problems(messages, codes))


def _csat_value(text: str, scale: str) -> tuple[float, int] | str:
    bounds = CSAT_SCALES[scale]
    if bounds is None:
        plain = _EMOJI_MODIFIERS.sub("", text).strip()
        key = normalise_name(plain) or plain  # 'Thumbs-up' -> 'thumbsup'; '👍🏽' -> '👍'
        if key in BINARY_TOKENS:
            v = BINARY_TOKENS[key]
            return v, int(v)
        return (f"'{text}' is not a yes/no rating (e.g. yes/no, y/n, thumbs up/down, 👍/👎, "
                f"positive/negative, good/bad, 1/0, true/false)")
    low, high = bounds
    whole = scale != "0-100"
    number_text = text[:-1].strip() if not whole and text.endswith("%") else text
    try:
        v = float(number_text)
    except ValueError:
        v = float("nan")
    if not (low <= v <= high):
        return f"'{text}' is not a number from {low:g} to {high:g}"
    if whole and v != int(v):
        return f"'{text}' is not a whole number from {low:g} to {high:g}"
    satisfied = v >= 80 if scale == "0-100" else v >= high - 1
    return (v - low) / (high - low), int(satisfied)


# ------------------------------------------------------------------------------------- dates

_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", "T%H:%M", "T%H:%M:%S")
_UNAMBIGUOUS = tuple(
    d + t
    for d in ("%Y/%m/%d", "%Y.%m.%d", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y",
              "%d/%b/%Y", "%d/%b/%y", "%b %d %Y", "%B %d %Y", "%d %b %y")
    for t in _TIMES
)
_DAYFIRST = tuple(f"%d{s}%m{s}{y}{t}" for s in "-/." for y in ("%Y", "%y") for t in _TIMES)
_MONTHFIRST = tuple(f"%m{s}%d{s}{y}{t}" for s in "-/." for y in ("%Y", "%y") for t in _TIMES)
_SAMPLE = 2000
_EXAMPLES = {
    "auto": "2023-08-31, 2023-08-31 14:05, 31-08-2023, 31/08/2023 14:05 or 31-Aug-23",
    "dayfirst": "2023-08-31, 31-08-2023, 31/08/2023 14:05 or 31-Aug-23",
    "monthfirst": "2023-08-31, 08/31/2023, 08/31/2023 2:05 PM or 31-Aug-23",
}


def parse_dates(
    raw: pd.Series, order: str, decided: DateEvidence | None = None
) -> tuple[np.ndarray, dict[int, str], str | None]:
    """ISO ``YYYY-MM-DDTHH:MM:SS`` text (or None for blank) per row, problems per row, and a
    file-level problem (ambiguous or mixed day/month order) or None.

    ISO dates (with ``T`` or a space, optional seconds, offsets converted to UTC) and month
    names are unambiguous. Numeric day/month dates follow ``order``; with ``auto`` the data
    decide when some day is above 12, else the file is ambiguous. A file read in chunks
    passes the `DateEvidence` of the whole file as `decided`: its chunks then follow the
    file's order and the file-level problem is the evidence's, not repeated here.
    """
    codes, values, parsed, todo = _unambiguous_dates(raw)
    file_problem: str | None = None
    if todo.any():
        if order == "dayfirst":
            todo = _apply_formats(values, parsed, todo, _DAYFIRST)
        elif order == "monthfirst":
            todo = _apply_formats(values, parsed, todo, _MONTHFIRST)
        else:
            day = parsed.copy()
            month = parsed.copy()
            _apply_formats(values, day, todo, _DAYFIRST)
            _apply_formats(values, month, todo, _MONTHFIRST)
            day_only = todo & day.notna() & month.isna()
            month_only = todo & month.notna() & day.isna()
            differ = todo & day.notna() & month.notna() & (day != month)
            whole = decided is None
            has_day = day_only.any() if whole else decided.day_only is not None
            has_month = month_only.any() if whole else decided.month_only is not None
            has_differ = differ.any() if whole else decided.differ is not None
            if has_day and has_month:
                file_problem = _mixed(values, codes, day_only, month_only) if whole else None
                chosen = day.fillna(month)  # only the file-level problem is reported
            elif has_month:
                chosen = month
            elif has_day or not has_differ:
                chosen = day
            else:
                if whole:
                    first = _first_row(codes, differ)
                    file_problem = _ambiguous(values[first[1]], first[0])
                chosen = day
            parsed[todo] = chosen[todo]
            todo &= parsed.isna()
    out = np.full(len(values), None, dtype=object)
    ok = parsed.notna().to_numpy()
    out[ok] = np.datetime_as_string(parsed[ok].to_numpy(dtype="datetime64[s]"), unit="s")
    messages = [f"'{v}' is not a date (e.g. {_EXAMPLES[order]})" if bad else None
                for v, bad in zip(values, todo)]
    return out[codes], _problems(messages, codes), file_problem


def _unambiguous_dates(raw: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series, pd.Series]:
    """The distinct date texts of `raw` (codes per row, values), those read without knowing
    the day/month order (parsed), and those still to read (todo)."""
    text = raw.str.strip().str.replace(r"\s+", " ", regex=True)
    codes, uniques = pd.factorize(text)
    values = pd.Series(uniques, dtype=object)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    todo = values != ""
    iso = pd.to_datetime(values.where(todo), format="ISO8601", errors="coerce", utc=True)
    parsed[iso.notna()] = iso[iso.notna()].dt.tz_localize(None).astype("datetime64[s]")
    todo &= parsed.isna()
    todo = _apply_formats(values, parsed, todo, _UNAMBIGUOUS)
    return codes, values, parsed, todo


def _ambiguous(value: str, row: int) -> str:
    return (f"dates such as '{value}' (row {row}) could be day-first "
            f"or month-first: choose the date order (day-first or month-first)")


@dataclass
class DateEvidence:
    """What the numeric dates of a whole file say about its day/month order (``auto``), read
    chunk by chunk: the first (row, value) that only day-first reads, only month-first reads,
    and that both read differently."""

    day_only: tuple[int, str] | None = None
    month_only: tuple[int, str] | None = None
    differ: tuple[int, str] | None = None

    def add(self, raw: pd.Series, first_row: int) -> None:
        """Take in the dates of one chunk whose first record is spreadsheet row `first_row`."""
        if self.day_only and self.month_only and self.differ:
            return
        codes, values, parsed, todo = _unambiguous_dates(raw)
        if not todo.any():
            return
        day, month = parsed.copy(), parsed.copy()
        _apply_formats(values, day, todo, _DAYFIRST)
        _apply_formats(values, month, todo, _MONTHFIRST)
        for name, mask in (("day_only", todo & day.notna() & month.isna()),
                           ("month_only", todo & month.notna() & day.isna()),
                           ("differ", todo & day.notna() & month.notna() & (day != month))):
            if getattr(self, name) is None and mask.any():
                row, index = _first_row(codes, mask)
                setattr(self, name, (row - 2 + first_row, values[index]))

    def problem(self) -> str | None:
        """The file-level problem: mixed orders, or only dates either order reads."""
        if self.day_only and self.month_only:
            return (f"the dates mix day-first ('{self.day_only[1]}', row {self.day_only[0]}) and "
                    f"month-first ('{self.month_only[1]}', row {self.month_only[0]}) orders: fix "
                    f"the file or choose the date order")
        if self.differ and not self.day_only and not self.month_only:
            return _ambiguous(self.differ[1], self.differ[0])
        return None


def _apply_formats(
    values: pd.Series, parsed: pd.Series, todo: pd.Series, formats: Sequence[str]
) -> pd.Series:
    """Fill ``parsed`` where ``todo`` with the first format that fits; returns the new todo.

    Formats are first tried on a sample of the values, then only the ones that fit anything
    run over the whole column; the rest run over whatever is left."""
    todo = todo.copy()
    sample = values[todo].iloc[:_SAMPLE]
    fitting = [f for f in formats
               if pd.to_datetime(sample, format=f, errors="coerce").notna().any()]
    others = [f for f in formats if f not in fitting]
    for fmt in fitting + others:
        if not todo.any():
            break
        got = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        got = got[got.notna()]
        if len(got):
            parsed[got.index] = got.astype("datetime64[s]")
            todo[got.index] = False
    return todo


def _first_row(codes: np.ndarray, mask: pd.Series) -> tuple[int, int]:
    """(spreadsheet row, unique index) of the first row whose value is flagged in ``mask``."""
    flags = mask.to_numpy()
    positions = np.flatnonzero((codes >= 0) & flags[np.maximum(codes, 0)])
    pos = int(positions[0])
    return pos + 2, int(codes[pos])


def _mixed(values: pd.Series, codes: np.ndarray, day_only: pd.Series,
           month_only: pd.Series) -> str:
    d_row, d_idx = _first_row(codes, day_only)
    m_row, m_idx = _first_row(codes, month_only)
    return (f"the dates mix day-first ('{values[d_idx]}', row {d_row}) and month-first "
            f"('{values[m_idx]}', row {m_row}) orders: fix the file or choose the date order")


# ----------------------------------------------------------------------------------- helpers

def _take(per_unique: list, codes: np.ndarray) -> np.ndarray:
    table = np.empty(len(per_unique) + 1, dtype=object)
    table[:-1] = per_unique
    table[-1] = None
    return table[codes]  # code -1 (missing) picks the trailing None


def _problems(messages: list[str | None], codes: np.ndarray) -> dict[int, str]:
    bad = [i for i, m in enumerate(messages) if m is not None]
    if not bad:
        return {}
    positions = np.flatnonzero(np.isin(codes, bad))
    return {int(p): messages[codes[p]] for p in positions}
