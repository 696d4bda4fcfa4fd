"""A terminal progress bar for long commands (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call with a fraction 0..1; redraws at most 10 times a second; `close()` ends the line."""

    def __init__(self, label: str, stream: TextIO = sys.stderr, width: int = 30):
        self.label = label
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, fraction: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1:
            return
        self._last = now
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
