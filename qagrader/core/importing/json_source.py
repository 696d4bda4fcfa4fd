"""Reading JSON that comes from outside (scorecard files, pasted definitions) defensively.

Rules (docs/INPUT_RULES.md has the reasons):
- A file is at most `MAX_JSON_BYTES`; its encoding is UTF-8 (a leading byte-order mark is
  allowed) or UTF-16 with a byte-order mark; anything else is refused naming the byte.
- Nesting deeper than `MAX_DEPTH` arrays/objects is refused before parsing (no RecursionError).
- A key that appears twice in one object is refused, naming the key (no silent "last wins").
- ``NaN``, ``Infinity`` and ``-Infinity`` are refused; so are numbers too large for a float.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from ..errors import QAGraderError

MAX_JSON_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32


class JsonInputError(QAGraderError):
    """The JSON text cannot be used; `where` is the field path if known."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class DuplicateKeys(dict):
    """A decoded JSON object that had repeated keys; `duplicates` lists them (validation names
    the object's path when it reaches it)."""

    duplicates: tuple[str, ...] = ()


def load_json(text: str) -> Any:
    """Decode `text` under the rules above. Objects with a repeated key come back as
    `DuplicateKeys` (call `check_no_duplicates` where the path is known) — every other
    violation raises `JsonInputError`."""
    depth_error = _too_deep(text)
    if depth_error:
        raise JsonInputError("", depth_error)
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_refuse_constant,
                          parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise JsonInputError("", f"not valid JSON (line {error.lineno}, column {error.colno}: "
                                 f"{error.msg})") from error
    except RecursionError as error:  # a safety net: _too_deep should have caught it
        raise JsonInputError("", f"nested more than {MAX_DEPTH} levels deep") from error


def check_no_duplicates(data: Any, where: str) -> None:
    """Refuse an object whose JSON text repeated a key."""
    duplicates = getattr(data, "duplicates", ())
    if duplicates:
        path = f"{where}.{duplicates[0]}" if where else duplicates[0]
        raise JsonInputError(path, "appears twice in the same object; keep one")


def read_json_text(path: str | os.PathLike, what: str = "file") -> str:
    """The text of a JSON file, checked for size and encoding (see the module docstring)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise JsonInputError("", f"{path} is {size / 1e6:.1f} MB; a {what} is at most "
                                     f"{MAX_JSON_BYTES // (1024 * 1024)} MB. Is it the right file?")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_JSON_BYTES + 1)
    except OSError as error:
        from ..faults import describe_os_error

        raise QAGraderError(describe_os_error(error, path, action="read")) from error
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif len(raw) >= 2 and (raw[0] == 0) != (raw[1] == 0):
        raise JsonInputError("", f"{path} looks like UTF-16 text without a byte-order mark; "
                                 f"save it as UTF-8")
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise JsonInputError("", f"{path} is not valid {encoding.upper().replace('-SIG', '')} text "
                                 f"(byte {error.start}); save it as UTF-8") from error


def _object(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
        data = DuplicateKeys(pairs)
        data.duplicates = tuple(dict.fromkeys(repeated))
    return data


def _refuse_constant(name: str) -> Any:
    raise JsonInputError("", f"{name} is not a number JSON allows; use a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError("", f"the number {text[:40]} is too large")
    return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> str | None:
    """A message when arrays/objects nest deeper than `MAX_DEPTH` (brackets in strings skipped)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep; a scorecard needs 6"
        else:
            depth -= 1
    return None
