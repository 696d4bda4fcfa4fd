"""What text and numbers QA Grader accepts from files and editors (the rules of
docs/INPUT_RULES.md), shared by every importer and by the scorecard model's validation.

- Control characters (Unicode category Cc: NUL, bell, escape, DEL, C1 codes) are refused in
  every cell and field, except tab, line feed and carriage return in free text (transcripts,
  comments, question text, guidelines). Names (ids, agents, teams, channels, scorecard, section,
  question keys, option labels, skills) take no control character at all.
- Unpaired surrogates (text that is not valid Unicode) are refused everywhere.
- The byte-order mark U+FEFF is invisible and only marks an encoding: it is removed wherever it
  appears (a file pasted after another one carries one in its middle).
- A cell or field holds at most `MAX_TEXT_CHARS` characters; a name at most `MAX_NAME_CHARS`.
- Weights and points are finite numbers from 0 to `MAX_WEIGHT`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 1_000_000
MAX_NAME_CHARS = 200
MAX_WEIGHT = 1000.0
MAX_SCALE_BOUND = 1000
BOM = "\ufeff"

# free text: Cc except \t \n \r, plus lone surrogates
FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# names: every Cc, plus lone surrogates
FORBIDDEN_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def describe_char(char: str) -> str:
    """``U+0000 (NUL)``-style name of a refused character."""
    code = ord(char)
    names = {0: "NUL", 7: "bell", 8: "backspace", 9: "tab", 10: "line break", 13: "carriage return",
             27: "escape", 127: "delete"}
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} (half of a character; the text is not valid Unicode)"
    name = names.get(code) or unicodedata.name(char, "control character")
    return f"U+{code:04X} ({name})"


def text_problem(text: str, *, name: bool = False) -> str | None:
    """Why `text` is refused as a name (`name=True`) or free text, or None when it is fine.
    Call `clean` first: byte-order marks are removed, not refused."""
    pattern = FORBIDDEN_IN_NAME if name else FORBIDDEN_IN_TEXT
    found = pattern.search(text)
    if found:
        what = "a name" if name else "text"
        return (f"contains the control character {describe_char(found.group())} at position "
                f"{found.start() + 1}, which {what} may not hold; remove it")
    limit = MAX_NAME_CHARS if name else MAX_TEXT_CHARS
    if len(text) > limit:
        return f"is {len(text):,} characters long; at most {limit:,} are allowed"
    return None


def clean(text: str) -> str:
    """`text` without byte-order marks (see the module docstring)."""
    return text.replace(BOM, "") if BOM in text else text
