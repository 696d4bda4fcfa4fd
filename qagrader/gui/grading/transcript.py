"""The read-only transcript: one tinted block per turn, customer and agent told apart."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QTextBrowser, QWidget

_SPEAKER = re.compile(r"^\s*([A-Za-z][\w .'\-]{0,30}?)\s*:\s+(.*)$")
CUSTOMER_WORDS = ("customer", "client", "caller", "user", "visitor", "guest", "buyer", "shopper")


@dataclass(frozen=True)
class Turn:
    speaker: str | None  # None: text without a speaker label (an email body)
    customer: bool
    text: str


def parse_transcript(text: str | None) -> list[Turn]:
    """Split "Speaker: text" lines into turns; unlabelled lines continue the previous turn."""
    turns: list[Turn] = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        match = _SPEAKER.match(line)
        if match:
            speaker = match.group(1).strip()
            customer = speaker.lower().split()[0] in CUSTOMER_WORDS
            turns.append(Turn(speaker, customer, match.group(2).strip()))
        elif not line.strip():
            if turns and turns[-1].text and not turns[-1].text.endswith("\n\n"):
                turns[-1] = Turn(turns[-1].speaker, turns[-1].customer, turns[-1].text + "\n\n")
        elif turns:
            last = turns[-1]
            joiner = "" if last.text.endswith("\n") or not last.text else "\n"
            turns[-1] = Turn(last.speaker, last.customer, last.text + joiner + line.strip())
        else:
            turns.append(Turn(None, False, line.strip()))
    return [Turn(t.speaker, t.customer, t.text.strip()) for t in turns if t.text.strip()]


def _mix(a: QColor, b: QColor, amount: float) -> str:
    r = a.redF() * (1 - amount) + b.redF() * amount
    g = a.greenF() * (1 - amount) + b.greenF() * amount
    bl = a.blueF() * (1 - amount) + b.blueF() * amount
    return QColor.fromRgbF(r, g, bl).name()


def transcript_html(turns: list[Turn], palette: QPalette) -> str:
    """HTML for a QTextBrowser, tinted from `palette` so it reads in light and dark themes."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    customer_bg = _mix(base, QColor("#2f80ed"), 0.14)
    agent_bg = _mix(base, QColor("#27ae60"), 0.12)
    muted = _mix(text, base, 0.45)
    if not turns:
        return f"<p style='color:{muted}'><i>No transcript for this interaction.</i></p>"
    parts = []
    for turn in turns:
        body = html.escape(turn.text).replace("\n", "<br>")
        if turn.speaker is None:
            parts.append(f"<p style='margin:6px 4px'>{body}</p>")
            continue
        bg = customer_bg if turn.customer else agent_bg
        left, right = (0, 48) if turn.customer else (48, 0)
        who = html.escape(turn.speaker)
        parts.append(
            f"<table width='100%' cellspacing='0' cellpadding='8' "
            f"style='margin-left:{left}px; margin-right:{right}px; margin-bottom:6px'>"
            f"<tr><td bgcolor='{bg}'><span style='color:{muted}; font-weight:600'>{who}</span>"
            f"<br>{body}</td></tr></table>"
        )
    return "".join(parts)


class TranscriptView(QTextBrowser):
    """Read-only transcript; keyboard focus stays on the scorecard form."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setReadOnly(True)
        self.setMinimumWidth(280)
        self._text: str | None = None
        self.document().setDocumentMargin(12)

    def set_transcript(self, text: str | None) -> None:
        self._text = text
        self.setHtml(transcript_html(parse_transcript(text), self.palette()))
        self.verticalScrollBar().setValue(0)

    def changeEvent(self, event) -> None:  # re-tint when the theme changes
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange and self._text is not None:
            self.setHtml(transcript_html(parse_transcript(self._text), self.palette()))
