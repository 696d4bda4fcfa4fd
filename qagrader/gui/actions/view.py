"""The Disputes & coaching screen.

Disputes: the list (filter by status, agent, grader, scorecard), the chosen dispute in full,
accept (a re-grade kept in the evaluation's history) or reject it with a reason, open it on the
grading screen, and how often each grader's grades and each question were disputed (95% Wilson
intervals, n). Coaching: the follow-ups due this week (or every note), record a follow-up, and
for the chosen note "did it work?": its skills in the four weeks before and after, a before/after
comparison with intervals and n, not proof. Both export to CSV. Lists are read on the GUI thread
(they are small); rates and before/after are computed off it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from qagrader.core.coaching.notes import CoachingNote, end_of_week
from qagrader.core.disputes.store import ACCEPTED, OPEN, REJECTED, Dispute, DisputeFilters
from qagrader.core.storage.changes import AGENTS, COACHING_NOTES, DISPUTES, EVALUATIONS, GRADERS, SCORECARDS, Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import settings
from qagrader.gui.messages import show_error
from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing
from qagrader.gui.workers import Task, Tasks

from .dialogs import FollowUpDialog, ResolveDisputeDialog
from .dispute_bar import write_resolution

ROLE = Qt.ItemDataRole.UserRole
ANY = "All"
STATUSES = (("Open", (OPEN,)), ("Accepted", (ACCEPTED,)), ("Rejected", (REJECTED,)), ("All", None))
DUE_THIS_WEEK, DUE_ALL, ALL_NOTES = "Due this week (and overdue)", "Every follow-up not done", "Every note"


def table(headers: list[str], stretch: int | None = None) -> QTableWidget:
    widget = QTableWidget(0, len(headers))
    widget.setHorizontalHeaderLabels(headers)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.verticalHeader().hide()
    widget.setWordWrap(False)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return widget


def fill(widget: QTableWidget, rows: list[tuple], data: list | None = None) -> None:
    widget.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(str(text))
            item.setToolTip(str(text))
            if isinstance(text, (int, float)) or str(text).rstrip("%").replace(".", "", 1).isdigit():
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if c == 0 and data is not None:
                item.setData(ROLE, data[r])
            widget.setItem(r, c, item)


def _rate(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return "–"
    interval = f" ({low * 100:.1f}–{high * 100:.1f})" if np.isfinite(low) and np.isfinite(high) else ""
    return f"{value:.1%}{interval}"


def clamp(widget: QTableWidget, column: int, most: int) -> None:
    """Column `column` as wide as its contents, at most `most` pixels (then elided)."""
    header = widget.horizontalHeader()
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    widget.resizeColumnToContents(column)
    widget.setColumnWidth(column, min(widget.columnWidth(column), most))


def _combo(tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tip)
    combo.setMinimumContentsLength(12)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return combo


def _choices(combo: QComboBox, values: list[str]) -> None:
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(ANY)
    combo.addItems(values)
    combo.setCurrentIndex(max(combo.findText(current), 0))
    combo.blockSignals(False)


def export_csv(owner: QWidget, ws: Workspace | None, title: str, name: str, write, path: str | None = None) -> None:
    """`write(ws, path)` to a CSV file the user chooses; a refusal is shown in one line."""
    from qagrader.core.errors import QAGraderError

    if ws is None:
        return
    if path is None:
        path, _ = QFileDialog.getSaveFileName(owner, title, name, "CSV files (*.csv)")
    if path:
        try:
            write(ws, path)
        except QAGraderError as error:
            show_error(owner, error)


class Background:
    """Read-only work of a panel (`work(worker_ws)`) on a connection of its own, the newest
    request winning; a failure is said in `status`."""

    def __init__(self, owner: QWidget, status: QLabel):
        self.tasks, self.status = Tasks(owner), status

    def run(self, ws: Workspace, work, done) -> Task:
        return self.tasks.read(ws, lambda own, progress, cancelled: work(own), done=done,
                               failed=lambda error: self.status.setText(str(error)))


class DisputesPanel(QWidget):
    """The disputes list with its filters, the chosen dispute, and dispute rates."""

    open_interaction = Signal(int)
    rates_shown = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.status = _combo("Which disputes to list")
        for label, _ in STATUSES:
            self.status.addItem(label)
        self.agent, self.grader, self.scorecard = (_combo(t) for t in (
            "The agent whose grade is disputed", "Who made the disputed grade", "The scorecard graded"))
        bar = QHBoxLayout()
        for label, combo in (("Status:", self.status), ("Agent:", self.agent), ("Grader:", self.grader),
                             ("Scorecard:", self.scorecard)):
            bar.addWidget(QLabel(label))
            bar.addWidget(combo)
            combo.currentIndexChanged.connect(lambda _=0: self.refresh())
        bar.addStretch(1)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Every dispute of this list, one row each, for a spreadsheet")
        self.export_button.clicked.connect(self.export)
        bar.addWidget(self.export_button)
        self.list = table(["Raised", "Interaction", "Agent", "Team", "Grader", "Scorecard", "Disputed", "Status",
                           "Reason"], stretch=8)
        self.list.itemSelectionChanged.connect(self._show_chosen)
        self.list.itemDoubleClicked.connect(lambda _: self.open_chosen())
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accept_button = QPushButton("Accept and re-grade…")
        self.accept_button.clicked.connect(lambda: self.resolve(accept=True))
        self.reject_button = QPushButton("Reject…")
        self.reject_button.clicked.connect(lambda: self.resolve(accept=False))
        self.open_button = QPushButton("Open in grading")
        self.open_button.clicked.connect(self.open_chosen)
        writing(self.accept_button, self.reject_button)
        actions = QHBoxLayout()
        for button in (self.accept_button, self.reject_button, self.open_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.graders_rates = table(["Grader", "Graded", "Disputed", "Rate (95% CI)", "Overturned", "Note"], stretch=5)
        self.question_rates = table(["Question", "Scorecard", "Graded", "Disputed", "Rate (95% CI)", "Overturned"],
                                    stretch=0)
        self.rates_status = QLabel("")
        self.rates_status.setObjectName("muted")
        self._background = Background(self, self.rates_status)
        rates = QWidget()
        rates_layout = QVBoxLayout(rates)
        rates_layout.setContentsMargins(0, 0, 0, 0)
        rates_layout.addWidget(_heading("How often grades were disputed, per grader"))
        rates_layout.addWidget(self.graders_rates)
        rates_layout.addWidget(_heading("…and per question (a question disputed often may need a clearer guideline)"))
        rates_layout.addWidget(self.question_rates)
        rates_layout.addWidget(self.rates_status)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.list, 1)
        top_layout.addWidget(self.detail)
        top_layout.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(rates)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self._disputes: list[Dispute] = []
        self._show_chosen()

    def set_workspace(self, ws: Workspace | None) -> None:
        """Show `ws` from the `Changes.everything()` that follows."""
        self.ws = ws
        self._background.tasks.cancel()

    def fill_choices(self) -> None:
        """The agents, graders and scorecards to filter by."""
        ws = self.ws
        if ws is None:
            return
        _choices(self.agent, sorted((a.name for a in ws.interactions.agents()), key=str.casefold))
        _choices(self.grader, ws.graders.names())
        _choices(self.scorecard, sorted({s.name for s in ws.scorecards.list(include_archived=True)}, key=str.casefold))

    def filters(self) -> DisputeFilters:
        def chosen(combo: QComboBox) -> tuple[str, ...] | None:
            return None if combo.currentText() in ("", ANY) else (combo.currentText(),)
        return DisputeFilters(statuses=STATUSES[self.status.currentIndex()][1], agents=chosen(self.agent),
                              graders=chosen(self.grader), scorecards=chosen(self.scorecard))

    def refresh(self) -> None:
        if self.ws is None:
            return
        chosen = self.chosen()
        self._disputes = sorted(self.ws.disputes.list(self.filters()), key=lambda d: d.raised_at, reverse=True)
        fill(self.list, [(d.raised_at[:10], d.external_id, d.agent or "–", d.team or "–", d.grader,
                          f"{d.scorecard} v{d.scorecard_version}", _about(d), d.status, d.reason.replace("\n", " "))
                         for d in self._disputes], [d.id for d in self._disputes])
        clamp(self.list, 6, 300)
        rows = [r for r, d in enumerate(self._disputes) if chosen is not None and d.id == chosen.id]
        if rows or self._disputes:
            self.list.selectRow(rows[0] if rows else 0)
        self._show_chosen()

    def refresh_rates(self) -> Task | None:
        if self.ws is None:
            return None
        self.rates_status.setText("Counting…")

        def work(ws):
            from qagrader.analysis.dispute_rates import grader_dispute_rates, question_dispute_rates

            return grader_dispute_rates(ws), question_dispute_rates(ws)
        return self._background.run(self.ws, work, self._rates_loaded)

    def _rates_loaded(self, tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
        graders, questions = tables
        fill(self.graders_rates, [
            (r.grader, r.evaluations, r.disputed, _rate(r.rate, r.rate_ci_low, r.rate_ci_high),
             f"{r.accepted} of {r.accepted + r.rejected}" if r.accepted + r.rejected else "–",
             "disputed more than the others (beyond noise)" if r.above_usual else "")
            for r in graders.itertuples()])
        disputed = questions[questions["disputed"] > 0]
        fill(self.question_rates, [
            (r.question_text or r.question_key, r.scorecard, r.evaluations, r.disputed,
             _rate(r.rate, r.rate_ci_low, r.rate_ci_high),
             f"{r.accepted} of {r.accepted + r.rejected}" if r.accepted + r.rejected else "–")
            for r in disputed.itertuples()])
        self.rates_status.setText("Rates over every submitted grade; 95% Wilson intervals. "
                                  "A pointer to look closer, not a verdict."
                                  if len(graders) else "No submitted grades yet.")
        self.rates_shown.emit()

    def chosen(self) -> Dispute | None:
        rows = self.list.selectionModel().selectedRows() if self.list.selectionModel() else []
        if not rows or rows[0].row() >= len(self._disputes):
            return None
        return self._disputes[rows[0].row()]

    def _show_chosen(self) -> None:
        d = self.chosen()
        for button in (self.accept_button, self.reject_button):
            button.setEnabled(d is not None and d.is_open)
        self.open_button.setEnabled(d is not None)
        if d is None:
            self.detail.setText("Choose a dispute to see it in full." if self._disputes else
                                "No dispute matches these filters. Disputes are raised on a submitted grade "
                                "from the grading screen (Dispute…).")
            return
        self.detail.setText(describe(d, self.ws))

    def resolve(self, accept: bool) -> None:
        d, ws = self.chosen(), self.ws
        if d is None or ws is None:
            return
        evaluation = ws.evaluations.get(d.evaluation_id)
        card = ws.scorecards.get_by_id(d.scorecard_id).card
        dialog = ResolveDisputeDialog(d, card, evaluation.answers, settings.grader_name(), self, accept=accept)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: write_resolution(self, ws, d, dialog))
        dialog.open()
        self.dialog = dialog

    def open_chosen(self) -> None:
        d = self.chosen()
        if d is not None:
            self.open_interaction.emit(d.interaction_id)

    def export(self, path: str | None = None) -> None:
        """The listed disputes as CSV (asks where when `path` is not given)."""
        from qagrader.core.exporting.records_export import export_disputes
        from qagrader.gui.grading.settings import excel_bom, local_time_zone

        export_csv(self, self.ws, "Export disputes", "disputes.csv",
                   lambda ws, target: export_disputes(ws, target, self.filters(), excel_bom=excel_bom(),
                                                      time_zone=local_time_zone()), path)


def _about(d: Dispute) -> str:
    return "whole evaluation" if d.question_key is None else (d.question_text or d.question_key)


def describe(d: Dispute, ws: Workspace | None) -> str:
    """A dispute in full, as rich text."""
    from html import escape

    lines = [f"<b>{escape(d.agent or 'The agent')}</b> disputes {escape(d.about)} of {escape(d.external_id)} "
             f"({escape(d.scorecard)} v{d.scorecard_version}, graded by {escape(d.grader)}; QA score now "
             f"{'–' if d.score is None else f'{d.score:.1f}%'}).",
             f"Reason: <i>{escape(d.reason)}</i> (raised {d.raised_at[:10]} by {escape(d.raised_by)})."]
    if d.status == ACCEPTED:
        before = ws.disputes.answer_before(d) if ws is not None else None
        change = "" if before is None else f" The answer before was <b>{escape(_shown(before))}</b>."
        lines.append(f"<b>Accepted</b> {d.resolved_at[:10]} by {escape(d.resolved_by or '')}: the grade was "
                     f"re-graded{': ' + escape(d.resolution) if d.resolution else ''}.{change}")
    elif d.status == REJECTED:
        lines.append(f"<b>Rejected</b> {d.resolved_at[:10]} by {escape(d.resolved_by or '')}: "
                     f"{escape(d.resolution)}")
    else:
        lines.append("<b>Open</b>: accept it (and re-grade) or reject it with a reason.")
    return "<br>".join(lines)


def _shown(answer) -> str:
    from .dialogs import shown_answer

    return shown_answer(answer)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("font-weight: 600; margin-top: 6px;")
    return label


class CoachingPanel(QWidget):
    """Follow-ups due (or every note), record a follow-up, and did it work."""

    open_agent = Signal(str, str)  # team, agent
    results_shown = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.today = date.today
        self.which = _combo("Which notes to list")
        self.which.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.which.addItems([DUE_THIS_WEEK, DUE_ALL, ALL_NOTES])
        self.which.currentIndexChanged.connect(lambda _=0: self.refresh())
        self.done_button = QPushButton("Follow-up done…")
        self.done_button.clicked.connect(self.follow_up_done)
        writing(self.done_button)
        self.profile_button = QPushButton("Open agent profile")
        self.profile_button.clicked.connect(self._open_agent)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.which)
        bar.addStretch(1)
        for button in (self.done_button, self.profile_button, self.export_button):
            bar.addWidget(button)
        self.notes = table(["Agent", "Team", "Coached on", "Coach", "Skills", "Follow up on", "Status", "Agreed"],
                           stretch=7)
        self.notes.itemSelectionChanged.connect(self._chosen_changed)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.results = table(["Skill", "Measure", "4 weeks before (n)", "4 weeks after (n)", "After − before (95% CI)",
                              "Reading"], stretch=5)
        self.caveat = QLabel("")
        self.caveat.setWordWrap(True)
        self.caveat.setObjectName("muted")
        self._background = Background(self, self.caveat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.notes, 3)
        layout.addWidget(self.summary)
        layout.addWidget(_heading("Did it work? The coached skills before and after the coaching"))
        layout.addWidget(self.results, 2)
        layout.addWidget(self.caveat)
        self._notes: list[CoachingNote] = []
        self._chosen_changed()

    def set_workspace(self, ws: Workspace | None) -> None:
        """Show `ws` from the `Changes.everything()` that follows."""
        self.ws = ws
        self._background.tasks.cancel()

    def refresh(self) -> None:
        if self.ws is None:
            return
        today = self.today()
        chosen = self.chosen()
        which = self.which.currentText()
        if which == DUE_THIS_WEEK:
            notes = self.ws.coaching.due(end_of_week(today))
        elif which == DUE_ALL:
            notes = self.ws.coaching.due(date.max)
        else:
            notes = sorted(self.ws.coaching.list(), key=lambda n: n.coached_on, reverse=True)
        self._notes = notes
        fill(self.notes, [(n.agent, n.team or "–", n.coached_on, n.coach, ", ".join(n.skills), n.follow_up_on or "–",
                           _note_status(n, today), n.agreed.replace("\n", " ")) for n in notes],
             [n.id for n in notes])
        rows = [r for r, n in enumerate(notes) if chosen is not None and n.id == chosen.id]
        if rows or notes:
            self.notes.selectRow(rows[0] if rows else 0)
        due = self.ws.coaching.due(end_of_week(today))
        overdue = sum(n.overdue(today) for n in due)
        self.summary.setText(f"{len(due)} follow-up{'s' if len(due) != 1 else ''} due this week"
                             + (f", {overdue} of them overdue" if overdue else "") + ".")
        self._chosen_changed()

    def chosen(self) -> CoachingNote | None:
        rows = self.notes.selectionModel().selectedRows() if self.notes.selectionModel() else []
        if not rows or rows[0].row() >= len(self._notes):
            return None
        return self._notes[rows[0].row()]

    def _chosen_changed(self) -> None:
        note = self.chosen()
        self.done_button.setEnabled(note is not None and not note.follow_up_done)
        self.profile_button.setEnabled(note is not None)
        if note is None or self.ws is None:
            self.results.setRowCount(0)
            self.caveat.setText("Choose a note to compare the agent's grades before and after it."
                                if self._notes else "No coaching notes here. Write one from an agent's profile "
                                "(Agents & teams), or turn a coaching priority into a note.")
            return
        self.caveat.setText("Comparing…")
        today = self.today()

        def work(ws):
            from qagrader.analysis.coaching_follow_up import note_follow_up

            return note_follow_up(ws, note, today=today)
        self._background.run(self.ws, work, self._results_loaded)

    def _results_loaded(self, frame: pd.DataFrame) -> None:
        from qagrader.analysis.coaching_follow_up import CAVEAT, COMPARED

        rows = []
        for r in frame.itertuples():
            rate = r.measure == "pass rate"

            def amount(value: float, n: int) -> str:
                if not n:
                    return "none"
                return f"{value:.0%} ({n})" if rate else f"{value:.2f} ({n})"
            if r.status == COMPARED:
                scale, unit = (100, " pp") if rate else (1, "")
                digits = 0 if rate else 2
                interval = (f" ({r.ci_low * scale:+.{digits}f} to {r.ci_high * scale:+.{digits}f})"
                            if np.isfinite(r.ci_low) else "")
                change = f"{r.difference * scale:+.{digits}f}{unit}{interval}"
            else:
                change = "–"
            skill = f"{r.skill} (how often it happened)" if r.polarity == "negative" else r.skill
            rows.append((skill, r.measure, amount(r.before, r.before_n), amount(r.after, r.after_n), change,
                         r.direction or r.status))
        fill(self.results, rows)
        self.caveat.setText(CAVEAT + " Fewer than 5 graded interactions on a side: no comparison.")
        self.results_shown.emit()

    def follow_up_done(self) -> None:
        note = self.chosen()
        if note is None or self.ws is None:
            return
        dialog = FollowUpDialog(note.agent, note.skills, self, today=self.today())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: operations().run(
            self.ws, lambda ws, values=dialog.values(): ws.coaching.complete_follow_up(note.id, **values), owner=self))
        dialog.open()
        self.dialog = dialog

    def _open_agent(self) -> None:
        note = self.chosen()
        if note is not None:
            self.open_agent.emit(note.team or "", note.agent)

    def export(self, path: str | None = None) -> None:
        """Every coaching note as CSV (asks where when `path` is not given)."""
        from qagrader.core.exporting.records_export import export_coaching_notes
        from qagrader.gui.grading.settings import excel_bom

        export_csv(self, self.ws, "Export coaching notes", "coaching_notes.csv",
                   lambda ws, target: export_coaching_notes(ws, target, excel_bom=excel_bom()), path)


def _note_status(note: CoachingNote, today: date) -> str:
    if note.follow_up_done:
        return f"followed up {note.followed_up_on}"
    if note.follow_up_on is None:
        return "no follow-up"
    return "overdue" if note.overdue(today) else "due"


class ActionsView(QWidget):
    """The Disputes & coaching screen."""

    open_interaction = Signal(int)
    open_agent = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._stale: set[QWidget] = set()  # panels to refresh once shown
        self.disputes = DisputesPanel()
        self.disputes.open_interaction.connect(self.open_interaction)
        self.coaching = CoachingPanel()
        self.coaching.open_agent.connect(self.open_agent)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.disputes, "Disputes")
        self.tabs.addTab(self.coaching, "Coaching follow-ups")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        operations().changed.connect(self.apply_changes)

    def set_workspace(self, ws: Workspace | None) -> None:
        """Show `ws` from the `Changes.everything()` that follows."""
        self.ws = ws
        self._stale.clear()
        self.disputes.set_workspace(ws)
        self.coaching.set_workspace(ws)

    def apply_changes(self, changes: Changes) -> None:
        """Refresh what a write (here or elsewhere) changed; while hidden, once shown again."""
        if self.ws is None:
            return
        if changes.touches(AGENTS, GRADERS, SCORECARDS):
            self.disputes.fill_choices()
        self._stale |= {part for part, kinds in ((self.disputes, (DISPUTES, EVALUATIONS, GRADERS)),
                                                 (self.coaching, (COACHING_NOTES, EVALUATIONS, GRADERS)))
                        if changes.touches(*kinds)}
        if self.isVisible():
            self._refresh_stale()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh_stale()

    def _refresh_stale(self) -> None:
        if self.ws is None or not self._stale:
            return
        stale, self._stale = self._stale, set()
        if self.disputes in stale:
            self.disputes.refresh()
            self.disputes.refresh_rates()
        if self.coaching in stale:
            self.coaching.refresh()
        self._update_titles()

    def _update_titles(self) -> None:
        if self.ws is None:
            return
        open_count = self.ws.disputes.open_count()
        due = len(self.ws.coaching.due(end_of_week(self.coaching.today())))
        self.tabs.setTabText(0, f"Disputes ({open_count} open)" if open_count else "Disputes")
        self.tabs.setTabText(1, f"Coaching follow-ups ({due} due)" if due else "Coaching follow-ups")
