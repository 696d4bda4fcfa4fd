"""A4 pages of text, tables and charts with matplotlib: the layout the monthly report is set in.

`Sheet` keeps a cursor from the top of the current page and starts a new page when the next
block does not fit. Pages are plain `Figure`s (no pyplot state), readable in print: black and
greys only, text in DejaVu Sans embedded as TrueType (so that PDF readers can search and copy
it), a footer with the page number on each page.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

A4 = (8.27, 11.69)  # inches, portrait
MARGIN = 0.6
FOOTER = 0.55  # room kept at the bottom for the footer
INK, DARK, MID, LIGHT, PALE = "#000000", "#444444", "#888888", "#c8c8c8", "#eeeeee"
BODY = 9.0
CHAR_WIDTH = 0.53  # average width of a DejaVu Sans character, in ems
LINE = 1.35  # line height, in font sizes
PDF_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": "DejaVu Sans", "svg.fonttype": "none",
          "axes.unicode_minus": False}
"""matplotlib settings the report is drawn and saved with (use in `matplotlib.rc_context`)."""
_PLAIN = str.maketrans({"–": "-", "—": "-", "−": "-", "…": "...", "•": "·", "‘": "'", "’": "'", "“": '"',
                        "”": '"'})
"""Typography outside Latin-1 would embed a second subset of each font (~0.1 s and 20 KB more
per font); the report's own punctuation stays within it, names keep their letters."""


FEATURES = {"fontfeatures": ("-liga",)} if hasattr(Text, "set_fontfeatures") else {}
"""No ligatures ("fi" as one glyph): a glyph without a character of its own embeds a second
subset of the font (matplotlib 3.11 lays text out with HarfBuzz)."""


def plain(text: str) -> str:
    """`text` with typographic dashes, quotes and ellipses as their plain forms."""
    return text.translate(_PLAIN)


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # share of the text width
    align: str = "left"  # "left", "right", "center"


def wrap(text: str, size: float, width_in: float) -> list[str]:
    """`text` broken into lines that fit `width_in` inches at `size` points."""
    chars = max(10, int(width_in * 72 / (size * CHAR_WIDTH)))
    lines: list[str] = []
    for paragraph in plain(text).split("\n"):
        lines.extend(textwrap.wrap(paragraph, chars, break_on_hyphens=False) or [""])
    return lines


def fit(text: str, size: float, width_in: float, *, bold: bool = False) -> str:
    """`text` shortened with an ellipsis to fit on one line of `width_in` inches."""
    chars = max(4, int(width_in * 72 / (size * CHAR_WIDTH * (1.15 if bold else 1.0))))
    text = plain(text)
    return text if len(text) <= chars else text[:chars - 3].rstrip() + "..."


class Sheet:
    """Pages being laid out; `pages` once `finish`ed."""

    def __init__(self, footer: str, title: str):
        self.footer = footer
        self.title = title
        self.pages: list[Figure] = []
        self.y = 0.0  # inches from the top of the current page
        self.width = A4[0] - 2 * MARGIN
        self.new_page()

    # ------------------------------------------------------------------ pages

    def new_page(self) -> None:
        figure = Figure(figsize=A4, facecolor="white")
        self.pages.append(figure)
        self.y = MARGIN
        if len(self.pages) > 1:
            self.text(self.title, size=8, color=MID)
            self.y += 0.12

    @property
    def figure(self) -> Figure:
        return self.pages[-1]

    def room(self) -> float:
        return A4[1] - FOOTER - self.y

    def need(self, height: float) -> None:
        """Start a new page unless `height` inches fit on this one."""
        if height > self.room() and self.y > MARGIN + 0.4:
            self.new_page()

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x / A4[0], 1 - y / A4[1]

    # ------------------------------------------------------------------ blocks

    def space(self, inches: float) -> None:
        self.y += inches

    def text(self, text: str, *, size: float = BODY, weight: str = "normal", color: str = INK,
             indent: float = 0.0, keep: float = 0.0) -> None:
        """Wrapped text; `keep`: inches that must fit after it on the same page (a heading
        stays with what follows)."""
        lines = wrap(text, size, self.width - indent)
        height = len(lines) * size * LINE / 72
        self.need(height + keep)
        for line in lines:
            self.figure.text(*self._xy(MARGIN + indent, self.y + size / 72), line, fontsize=size,
                             fontweight=weight, color=color, va="baseline", **FEATURES)
            self.y += size * LINE / 72

    def heading(self, text: str, *, size: float = 13.0) -> None:
        self.space(0.12)
        self.text(text, size=size, weight="bold", keep=0.8)
        self.rule(color=INK, width=0.8)
        self.space(0.06)

    def rule(self, *, color: str = LIGHT, width: float = 0.5) -> None:
        self._line_at(self.y + 0.03, color, width)
        self.y += 0.06

    def _line_at(self, y: float, color: str, width: float) -> None:
        level = 1 - y / A4[1]
        self.figure.add_artist(Line2D([MARGIN / A4[0], 1 - MARGIN / A4[0]], [level, level], color=color,
                                      linewidth=width))

    def box(self, draw: Callable[[], None], *, shade: str = PALE) -> None:
        """Content drawn by `draw` on a shaded box (one page: what `draw` writes must fit)."""
        top = self.y
        self.y += 0.1
        draw()
        self.y += 0.06
        x0, y0 = self._xy(MARGIN - 0.1, self.y)
        rect = Rectangle((x0, y0), (self.width + 0.2) / A4[0], (self.y - top) / A4[1],
                         transform=self.figure.transFigure, facecolor=shade, edgecolor=DARK, linewidth=0.8,
                         zorder=-1)
        self.figure.add_artist(rect)
        self.y += 0.08

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, size: float = 8.0,
              empty: str = "") -> None:
        """A table with a bold header and light rules; it continues on the next page (with its
        header again) when it does not fit."""
        step = size * LINE / 72 + 0.04
        if not rows:
            if empty:
                self.text(empty, size=size, color=DARK)
            return
        self.need(3 * step)
        self.y += 0.04
        self._header(columns, size, step)
        for row in rows:
            if step > self.room():
                self.new_page()
                self._header(columns, size, step)
            x = MARGIN
            for column, cell in zip(columns, row):
                width = column.width * self.width
                anchor = {"left": x, "right": x + width - 0.05, "center": x + width / 2}[column.align]
                self.figure.text(*self._xy(anchor, self.y + size / 72), fit(str(cell), size, width - 0.08),
                                 fontsize=size, ha=column.align, va="baseline", color=INK, **FEATURES)
                x += width
            self._line_at(self.y + size / 72 + 0.06, LIGHT, 0.3)
            self.y += step

    def _header(self, columns: Sequence[Column], size: float, step: float) -> None:
        x = MARGIN
        for column in columns:
            width = column.width * self.width
            anchor = {"left": x, "right": x + width - 0.05, "center": x + width / 2}[column.align]
            self.figure.text(*self._xy(anchor, self.y + size / 72), fit(column.title, size, width - 0.1, bold=True),
                             fontsize=size, fontweight="bold", ha=column.align, va="baseline", color=INK,
                             **FEATURES)
            x += width
        self._line_at(self.y + size / 72 + 0.06, DARK, 0.6)
        self.y += step

    def axes(self, height: float, *, left: float = 0.0, right: float = 0.0, below: float = 0.5):
        """Axes `height` inches tall across the text width (less `left`/`right` inches for
        labels), with `below` inches under them for ticks and the axis label; on this page if
        they fit."""
        self.need(height + below)
        x0, y0 = self._xy(MARGIN + left, self.y + height)
        ax = self.figure.add_axes([x0, y0, (self.width - left - right) / A4[0], height / A4[1]])
        self.y += height + below
        return ax

    # ------------------------------------------------------------------ the end

    def finish(self) -> list[Figure]:
        """Put the footer (and page k of n) on every page; the pages."""
        total = len(self.pages)
        for number, figure in enumerate(self.pages, start=1):
            y = 1 - (A4[1] - FOOTER + 0.22) / A4[1]
            figure.add_artist(Line2D([MARGIN / A4[0], 1 - MARGIN / A4[0]], [y + 0.02, y + 0.02], color=MID,
                                     linewidth=0.5))
            figure.text(MARGIN / A4[0], y, fit(self.footer, 7, self.width - 0.9), fontsize=7, color=DARK,
                        va="top", **FEATURES)
            figure.text(1 - MARGIN / A4[0], y, f"page {number} of {total}", fontsize=7, color=DARK, va="top",
                        ha="right", **FEATURES)
        return self.pages
