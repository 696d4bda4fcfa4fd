"""The Analysis tab: filters on top, warnings, then one sub-tab per chart.

The workspace's analysed grades are loaded once (from the analysis-ready store) and kept until
a write touches what they hold (`apply_changes`); every filter change (debounced) then starts
`compute` on them in a worker through the tab's `Tasks` (filters applied in memory, filter
choices taken from them), which cancels the older run; the charts on screen stay until the
newer result arrives, with a thin
progress bar when the work takes over half a second. A result from a superseded run is
dropped even if it finished before it could be cancelled.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.storage.changes import Changes
from qagrader.gui.analysis_warm_up import ANALYSED_KINDS
from qagrader.gui.messages import show_error
from qagrader.gui.operations import operations
from qagrader.gui.when_shown import ReloadWhenShown
from qagrader.gui.workers import Task, Tasks

from . import captions
from .agents_page import AgentsPage
from .chart_page import import_matplotlib
from .compute import Computed, compute
from .filter_bar import FilterBar
from .pages import ChannelPage, CorrelationPage, DriversPage, EffectsPage, ImportancePage, Page, TrendsPage

if TYPE_CHECKING:
    import pandas as pd

    from qagrader.analysis.frames import Grades
    from qagrader.core.storage.changes import Changes
    from qagrader.core.storage.workspace import Workspace
    from qagrader.gui.analysis_warm_up import AnalysisWarmUp

DEBOUNCE_MS = 250
FIRST_DRAW_WAIT = 0.5
BUSY_AFTER_MS = 500
BANNER = ("QLabel {{ background: {bg}; color: #1A1A1A; border: 1px solid {border}; "
          "border-radius: 4px; padding: 6px 10px; }}")


def _banner() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet(BANNER.format(bg="#FFF4CE", border="#E0B400"))
    label.hide()
    return label


def notices_html(notices: list) -> str:
    """The data warnings (`summary.Notice`), one paragraph each, the first word in bold."""
    from html import escape

    parts = []
    for notice in notices:
        head, _, rest = notice.text.partition(":")
        parts.append(f"<b>{escape(head)}</b>:{escape(rest)}" if rest else escape(notice.text))
    return "<br>".join(parts)


class _Relay(QObject):
    """Carries a worker's first look to the GUI thread (queued, like `TaskSignals`); the worker
    then waits (at most `FIRST_DRAW_WAIT` s) until the opening chart is drawn, so that the draw
    does not compete with the rest of the analysis for the interpreter."""

    ready = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.drawn = threading.Event()

    def hand_over(self, computed: Computed) -> None:
        """In the worker: show `computed` and wait for its chart."""
        self.ready.emit(computed)
        self.drawn.wait(FIRST_DRAW_WAIT)


class AnalysisTab(QWidget):
    """Which skills go with CSAT, by channel, and where each agent's gaps are."""

    result_shown = Signal(object)  # the `Computed` now on screen (also for empty states)

    def __init__(self, parent: QWidget | None = None, warm_up: "AnalysisWarmUp | None" = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._warm_up = warm_up  # the grades loaded in the background since the workspace opened
        self._waiting_for_warm_up = False
        self.computed: Computed | None = None
        self.grades: Grades | None = None  # the loaded grades, while current
        self.reliability: "pd.DataFrame | None" = None  # the skills' calibration alphas, with them
        self._data_version = 0  # counts writes seen: a run that began before one keeps no grades
        self._tasks = Tasks(self)
        self._relay: _Relay | None = None  # the current run's first look, while it waits
        self._running_filters: dict | None = None
        self._reload = ReloadWhenShown(self, lambda: self.recompute(with_options=True))
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.recompute)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(lambda: self.busy.show())

        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self._debounce.start)  # dates: wait for the typing to settle
        self.filter_bar.chosen.connect(self.recompute)  # a list's entry: at once (stops the wait)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self.notices = _banner()  # what the data say before the numbers: no CSAT, CSAT seen, ...
        self.notice_keys: list[str] = []

        self.pages: list[Page] = [CorrelationPage(), ChannelPage(), EffectsPage(), DriversPage(),
                                  ImportancePage(), AgentsPage(), TrendsPage()]
        (self.correlations, self.channels, self.effects, self.drivers, self.importance, self.agents,
         self.trends) = self.pages
        self.agents.note_requested.connect(self._make_note)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page in self.pages:
            self.tabs.addTab(page, page.title)
        self.busy = self._busy_widget()
        self.tabs.setCornerWidget(self.busy, Qt.Corner.TopRightCorner)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setMaximumWidth(720)
        self.message_reset = QPushButton("Reset filters")
        self.message_reset.clicked.connect(self.filter_bar.reset)
        empty = QWidget()
        box = QVBoxLayout(empty)
        box.setContentsMargins(32, 28, 32, 32)
        box.addWidget(self.message)
        box.addWidget(self.message_reset, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter_bar)
        layout.addWidget(line)
        wrap = QHBoxLayout()
        wrap.setContentsMargins(8, 0, 8, 0)
        wrap.addWidget(self.notices)
        layout.addLayout(wrap)
        layout.addWidget(self.stack, 1)
        self._show_message(captions.NO_WORKSPACE, reset=False)
        operations().changed.connect(self.apply_changes)
        if warm_up is not None:
            warm_up.settled.connect(self._warm_up_settled)

    def _busy_widget(self) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 8, 0)
        label = QLabel("Updating…")
        label.setEnabled(False)  # the theme's dimmed text: readable light and dark
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(120, 6)
        row.addWidget(label)
        row.addWidget(self.progress)
        widget.hide()
        return widget

    def _make_note(self, row: dict) -> None:
        """A coaching priority becomes a coaching note, in one click."""
        from qagrader.gui.actions.profile_notes import priority_to_note
        from qagrader.gui.grading import settings

        if self.ws is not None:
            priority_to_note(self, self.ws, row, settings.grader_name(), done=lambda note: self.agents.agent.note_saved(
                f"Coaching note saved: {note.agent} on {', '.join(note.skills)}"
                + (f", follow-up {note.follow_up_on}." if note.follow_up_on else ".")))

    # ------------------------------------------------------------------ screen protocol

    def set_workspace(self, ws: "Workspace | None") -> None:
        """Analyse `ws` (None: nothing open) from the `Changes.everything()` that follows."""
        self._release_first_look()
        self._tasks.cancel()
        self._running_filters = None
        self._reload.forget()
        self._waiting_for_warm_up = False
        self.ws = ws
        self.computed = None
        self.grades = None
        self._show_message(captions.NO_WORKSPACE if ws is None else captions.LOADING, reset=False)

    def apply_changes(self, changes: Changes) -> None:
        """Graded data changed: analyse again (with fresh filter choices) now if the tab is on
        screen or has shown nothing yet, else when it is next shown."""
        if self.ws is None or not changes.touches(*ANALYSED_KINDS):
            return
        first = self.computed is None and not self.is_busy()
        self.grades = None  # reloaded by the next run
        self._data_version += 1
        self._reload.request(now=first)
        if first:
            QTimer.singleShot(0, import_matplotlib)  # while the worker imports scipy

    # ------------------------------------------------------------------ running

    def recompute(self, *, with_options: bool = False) -> Task | None:
        """Start the analysis of the current filters now (cancelling any older run)."""
        self._debounce.stop()
        self._reload.forget()
        self._waiting_for_warm_up = False
        if self.ws is None:
            return None
        if self.grades is None and self._warm_up is not None:
            if self._warm_up.loading(self.ws):  # loading in the background already: wait for it
                self._waiting_for_warm_up = True
                return None
            loaded = self._warm_up.take(self.ws)
            if loaded is not None:
                self.grades, self.reliability = loaded
                with_options = True
        filters = self.filter_bar.values()
        # the correlations first: on first opening, and whenever they are the chart in view
        relay = _Relay() if self.computed is None or self._correlations_in_view() else None
        grades, reliability = self.grades, self.reliability
        with_options = with_options or grades is None

        def run(ws, progress, cancelled) -> Computed:
            return compute(ws, filters, with_options=with_options, progress=progress,
                           cancelled=cancelled, first_look=relay.hand_over if relay else None)

        def run_loaded(progress, cancelled) -> Computed:  # a filter change: no need to read the workspace
            return compute(None, filters, with_options=with_options, progress=progress, cancelled=cancelled,
                           first_look=relay.hand_over if relay else None, grades=grades,
                           reliability=reliability)

        self._release_first_look()  # the older run is being cancelled: stop its wait
        self._relay = relay
        if relay is not None:
            relay.ready.connect(self._first_look)
        self._running_filters = filters
        self.progress.setValue(0)
        self._busy_timer.start()
        version = self._data_version
        callbacks = dict(done=lambda computed: self._finished(computed, version), failed=self._failed,
                         progress=self._progress)
        if grades is not None:
            return self._tasks.start(run_loaded, **callbacks)
        return self._tasks.read(self.ws, run, **callbacks)

    def _warm_up_settled(self) -> None:
        """The background load ended (loaded, failed or dropped): the run waiting for it starts."""
        if self._waiting_for_warm_up:
            self.recompute(with_options=True)

    def _release_first_look(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.drawn.set()

    def is_busy(self) -> bool:
        return self._running_filters is not None or self._waiting_for_warm_up

    def _progress(self, fraction: float) -> None:
        self.progress.setValue(int(max(0.0, min(fraction, 1.0)) * 1000))

    def _done(self) -> None:
        self._running_filters = None
        self._busy_timer.stop()
        self.busy.hide()

    def _failed(self, error: BaseException) -> None:
        self._release_first_look()
        self._done()
        show_error(self, error)

    def _first_look(self, computed: Computed) -> None:
        """The opening chart, before the rest of the analysis is done."""
        relay = self.sender()
        if relay is not self._relay or (self.computed is not None and not self._correlations_in_view()):
            if isinstance(relay, _Relay):
                relay.drawn.set()
            return
        if computed.options is not None:
            self.filter_bar.set_options(computed.options)
        self._show_notices(computed)
        self.stack.setCurrentIndex(0)
        self.correlations.set_computed(computed)
        canvas = self.correlations.chart.canvas
        if canvas is not None and self.correlations.isVisible():
            canvas.mpl_connect("draw_event", lambda _event: relay.drawn.set())
        else:
            relay.drawn.set()

    def _correlations_in_view(self) -> bool:
        """The charts are on screen with the correlations' page in front."""
        return self.stack.currentIndex() == 0 and self.tabs.currentWidget() is self.correlations

    def _finished(self, computed: Computed, version: int | None = None) -> None:
        self._release_first_look()
        self._done()
        if version == self._data_version:  # else a write came after these grades were read
            self.grades, self.reliability = computed.grades, computed.reliability
        if computed.options is not None:
            self.filter_bar.set_options(computed.options)
            if self.filter_bar.values() != dict(computed.filters):  # a choice vanished
                self.recompute()
                return
        self.show_computed(computed)

    # ------------------------------------------------------------------ showing

    def show_computed(self, computed: Computed) -> None:
        """Put `computed` on screen: the charts, or the right empty state."""
        self.computed = computed
        if computed.submitted_total == 0:
            self._show_message(captions.NO_EVALUATIONS, reset=False)
        elif computed.problem:
            self._show_message(captions.BAD_FILTER.format(problem=computed.problem), reset=True)
        elif computed.result is None:
            self._show_message(captions.NO_MATCH.format(total=computed.submitted_total), reset=True)
        else:
            self._show_notices(computed)
            self.stack.setCurrentIndex(0)
            for page in self.pages:
                page.set_computed(computed)
        self.result_shown.emit(computed)

    def _show_notices(self, computed: Computed) -> None:
        """The data warnings above the charts, most important first (no CSAT, CSAT seen by the
        graders, blind grading unknown, too few agents, confounding)."""
        from qagrader.analysis.summary import warnings

        found = warnings(computed.notes, computed.result.correlations) if computed.notes else []
        self.notice_keys = [n.key for n in found]
        self.notices.setText(notices_html(found))
        self.notices.setVisible(bool(found))
        self.layout().activate()  # the charts drawn next are sized to the room the notices leave

    def _show_message(self, html: str, *, reset: bool) -> None:
        self.message.setText(html)
        self.message_reset.setVisible(reset)
        self.notices.hide()
        self.notice_keys = []
        self.stack.setCurrentIndex(1)
