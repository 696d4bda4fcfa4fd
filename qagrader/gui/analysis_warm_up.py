"""The Analysis tab's grades (`gui/analysis/tab.py`), loaded in the background as soon as a workspace is open.

The tab is built, and loads what it shows, the first time it is shown; most of that first look
is importing the analysis (pandas' groupby, the statistics, matplotlib's figures) and reading the
analysis-ready store. `AnalysisWarmUp` (owned by the main window) does both in a worker
(`Tasks.read`) right after a workspace opens, never on the GUI thread, and keeps the loaded
grades and the skills' calibration alphas for the tab to `take` once. A change that touches what
they hold (`ANALYSED_KINDS`) cancels the load or drops what it loaded: the tab then reads
for itself when shown. Nothing is reloaded after that (a write does not start a read here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from qagrader.core.storage.changes import (
    AGENTS, CALIBRATION_SESSIONS, EVALUATIONS, GRADERS, INTERACTIONS, SCORECARDS, TEAMS,
)
from qagrader.gui.operations import operations
from qagrader.gui.workers import Tasks

if TYPE_CHECKING:
    import pandas as pd

    from qagrader.analysis.frames import Grades
    from qagrader.core.storage.changes import Changes
    from qagrader.core.storage.workspace import Workspace

Loaded = tuple["Grades", "pd.DataFrame"]
ANALYSED_KINDS = (EVALUATIONS, INTERACTIONS, AGENTS, TEAMS, GRADERS, SCORECARDS, CALIBRATION_SESSIONS)
"""Kinds of record (`core/storage/changes.py`) the loaded grades hold or name, and the calibration
sessions behind the skills' alphas."""


WARM_UP_FROM = 20_000
"""Submitted grades from which a workspace is read ahead: below, the tab's own first read takes
a blink, and nothing runs in the background (the worker only counts)."""


def load_for_analysis(ws: "Workspace", progress, cancelled) -> Loaded | None:
    """What the tab's first run needs from `ws`, with the modules it uses imported (in the
    worker's thread: off the GUI thread); None for a small workspace (`WARM_UP_FROM`)."""
    from qagrader.core.errors import CancelledError

    if ws.counts()["submitted"] < WARM_UP_FROM:
        return None
    from qagrader.analysis import report  # noqa: F401  (the statistics)
    from qagrader.analysis.calibration import skill_alphas
    from qagrader.analysis.frames import load_grades

    grades = load_grades(ws)
    if cancelled():
        raise CancelledError("The analysis warm-up was cancelled.")
    from qagrader.analysis import plots  # noqa: F401  (matplotlib's figures and the chart code)

    return grades, skill_alphas(ws)


class AnalysisWarmUp(QObject):
    """Loads the analysed grades of the open workspace once, in the background."""

    settled = Signal()  # the load ended: its grades can be taken, or it failed or was dropped

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._tasks = Tasks(self)
        self._loaded: Loaded | None = None
        self._generation = 0  # a workspace opened or a change seen: older loads are void
        operations().changed.connect(self.apply_changes)

    def set_workspace(self, ws: "Workspace | None") -> None:
        """Forget the old workspace; load `ws` once the window has finished opening it."""
        self._drop()
        self.ws = ws
        if ws is not None:
            generation = self._generation
            self._waiting_to_start = True
            QTimer.singleShot(0, lambda: self._start(generation))

    def apply_changes(self, changes: "Changes") -> None:
        if (self._tasks.running or self._loaded is not None) and changes.touches(*ANALYSED_KINDS):
            self._drop()
            self.settled.emit()

    def loading(self, ws: "Workspace | None") -> bool:
        """A load of `ws` is under way (or about to start)."""
        return ws is not None and ws is self.ws and self._loaded is None and self._pending

    def take(self, ws: "Workspace | None") -> Loaded | None:
        """The grades and alphas loaded for `ws`, handed over once (None: not loaded)."""
        if ws is None or ws is not self.ws or self._loaded is None:
            return None
        loaded, self._loaded = self._loaded, None
        return loaded

    # ------------------------------------------------------------------ running

    @property
    def _pending(self) -> bool:
        return self._tasks.running or self._waiting_to_start

    def _start(self, generation: int) -> None:
        if generation != self._generation or self.ws is None:
            return
        self._waiting_to_start = False
        self._tasks.read(self.ws, load_for_analysis, done=lambda loaded: self._done(loaded, generation),
                         failed=lambda _error: self._failed(generation),
                         cancelled=lambda: self._failed(generation))

    def _done(self, loaded: Loaded | None, generation: int) -> None:
        if generation == self._generation:
            self._loaded = loaded
            self.settled.emit()

    def _failed(self, generation: int) -> None:  # the tab reads for itself, and says what is wrong
        if generation == self._generation:
            self.settled.emit()

    def _drop(self) -> None:
        self._generation += 1
        self._tasks.cancel()
        self._loaded = None
        self._waiting_to_start = False

    _waiting_to_start = False
