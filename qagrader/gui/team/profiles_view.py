"""Agents & teams: the lead's screen. Tabs: Profiles (an agent's or a team's QA score with CI and
n, its trend, pass rates per skill against the team's, coaching priorities, recent evaluations),
Team overview (agents and teams by QA score, the month's top agent and team), Graders
(evaluations per week, average score given compared with the other graders; rename and merge
spellings) and Manage (rename, move, merge agents). Filters: dates, channel, scorecard.

Numbers come from `qagrader.analysis.profiles`, computed off the GUI thread.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

import pandas as pd
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QFrame, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
    QPushButton, QScrollArea, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QTreeWidget,
    QTreeWidgetItem, QVBoxLayout, QWidget,
)

from qagrader.analysis.dataset import AnalysisFilters
from qagrader.core.interactions.channels import channel_label
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.actions.profile_notes import CoachingNotesBox
from qagrader.gui.agents_view import AgentsView
from qagrader.core.storage.changes import AGENTS, EVALUATIONS, GRADERS, INTERACTIONS, SCORECARDS, TEAMS, Changes
from qagrader.gui.messages import show_error
from qagrader.gui.operations import Write, operations
from qagrader.gui.read_only import writing
from qagrader.gui.when_shown import ReloadWhenShown
from qagrader.gui.workers import Task, Tasks

ROLE = Qt.ItemDataRole.UserRole
ALL = "All"
PERIODS = ("All time", "Last 30 days", "Last 90 days", "This month", "Last month", "Custom range")


def _pct(value: float, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}%"


def _interval(low: float, high: float, scale: float = 1.0, digits: int = 1) -> str:
    if pd.isna(low) or pd.isna(high):
        return "n too small"
    return f"{max(low * scale, 0):.{digits}f}–{min(high * scale, 100.0 if scale == 100 else 100.0):.{digits}f}"


def _points(value: float) -> str:
    rounded = round(value)
    return f"{rounded} point{'' if abs(rounded) == 1 else 's'}"


def _item(text: str, value=None, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if value is not None:
        item.setData(ROLE, value)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str], stretch: int = 0) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _fit_height(table: QTableWidget, most: int) -> None:
    """As tall as its rows (at most `most` pixels), so that a page scrolls instead of the table."""
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + table.verticalHeader().length() + 2 * table.frameWidth() + 2
    table.setFixedHeight(min(height, most))


def _fill(table: QTableWidget, rows: list[list[QTableWidgetItem]]) -> None:
    table.setRowCount(0)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, item in enumerate(row):
            table.setItem(r, c, item)


class FilterRow(QWidget):
    """Dates (a preset or a custom range), channel and scorecard."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.period = QComboBox()
        self.period.addItems(PERIODS)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-90))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.changed)
        self.channel = QComboBox()
        self.scorecard = QComboBox()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Dates:", self.period), ("from", self.date_from), ("to", self.date_to),
                              ("Channel:", self.channel), ("Scorecard:", self.scorecard)):
            layout.addWidget(QLabel(label))
            layout.addWidget(widget)
        layout.addStretch(1)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.channel.currentIndexChanged.connect(self.changed)
        self.scorecard.currentIndexChanged.connect(self.changed)
        self._period_changed()

    def set_choices(self, channels: list[str], scorecards: list[str]) -> None:
        for combo, values, label in ((self.channel, channels, channel_label), (self.scorecard, scorecards, str)):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ALL, None)
            for value in values:
                combo.addItem(label(value), value)  # channels named as on every screen, stored names as data
            combo.setCurrentIndex(max(combo.findData(current), 0) if current in values else 0)
            combo.blockSignals(False)

    def _period_changed(self) -> None:
        custom = self.period.currentText() == "Custom range"
        self.date_from.setEnabled(custom)
        self.date_to.setEnabled(custom)
        self.changed.emit()

    def filters(self) -> AnalysisFilters:
        start, end = self._dates()
        channel, card = self.channel.currentData(), self.scorecard.currentData()
        return AnalysisFilters(date_from=start, date_to=end,
                               channels=None if channel is None else (channel,),
                               scorecards=None if card is None else (card,))

    def _dates(self) -> tuple[date | None, date | None]:
        today = date.today()
        choice = self.period.currentText()
        if choice == "Last 30 days":
            return today - timedelta(days=30), today
        if choice == "Last 90 days":
            return today - timedelta(days=90), today
        if choice == "This month":
            return today.replace(day=1), today
        if choice == "Last month":
            end = today.replace(day=1) - timedelta(days=1)
            return end.replace(day=1), end
        if choice == "Custom range":
            return self.date_from.date().toPython(), self.date_to.date().toPython()
        return None, None


class ProfilePanel(QWidget):
    """One agent's or team's profile."""

    open_interaction = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Choose an agent or a team")
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.score = QLabel("")
        self.score.setStyleSheet("font-size: 12pt;")
        self.score.setWordWrap(True)
        self.team_line = QLabel("")
        self.team_line.setWordWrap(True)
        self.chart_host = QVBoxLayout()
        self.canvas = None
        self.skills = _table(["Skill", "n", "Rate / mean", "95% CI", "Team", "Team 95% CI", "Compared with team"])
        self.priorities = QLabel("")
        self.priorities.setWordWrap(True)
        self.priorities.setTextFormat(Qt.TextFormat.RichText)
        self.recent = _table(["Graded", "Interaction", "Scorecard", "Grader", "QA score"], stretch=3)
        self.recent.itemDoubleClicked.connect(self._open)
        self.recent.setToolTip("Double-click to open the evaluation in the grading screen")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.title)
        layout.addWidget(self.score)
        layout.addWidget(self.team_line)
        layout.addLayout(self.chart_host)
        layout.addWidget(self._heading("Skills against the team (pass rate for yes/no skills, mean score "
                                       "otherwise; behaviours to avoid show how often they happened)"))
        layout.addWidget(self.skills)
        layout.addWidget(self._heading("Coaching priorities (from the analysis)"))
        layout.addWidget(self.priorities)
        self.notes_heading = self._heading("Coaching notes")
        layout.addWidget(self.notes_heading)
        self.notes = CoachingNotesBox()
        layout.addWidget(self.notes)
        layout.addWidget(self._heading("Recent evaluations"))
        layout.addWidget(self.recent)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet("font-weight: 600; margin-top: 8px;")
        return label

    def show_profile(self, profile) -> None:
        who = profile.agent or profile.team
        self.title.setText(who if profile.agent is None else f"{profile.agent}  ·  {profile.team}")
        if profile.score.n == 0:
            self.score.setText("No submitted evaluations in this selection.")
        else:
            self.score.setText(f"Average QA score <b>{_pct(profile.score.mean)}</b> (95% CI "
                               f"{_interval(profile.score.ci_low, profile.score.ci_high)}), "
                               f"n = {profile.score.n:,} evaluations")
        self.score.setTextFormat(Qt.TextFormat.RichText)
        team = profile.team_score
        self.team_line.setText(f"Team {profile.team}: {_pct(team.mean)} (95% CI {_interval(team.ci_low, team.ci_high)}),"
                               f" n = {team.n:,} evaluations of {team.agents} agents"
                               if profile.agent is not None else
                               f"{team.agents} agents; the team's interval allows for scores clustering by agent.")
        self._chart(profile)
        self._skills(profile.skills, agent=profile.agent is not None)
        self._priorities(profile.priorities, profile.agent is not None)
        rows = []
        for r in profile.recent.itertuples():
            when = "" if pd.isna(r.graded_at) else r.graded_at.strftime("%Y-%m-%d %H:%M")
            rows.append([_item(when, int(r.interaction_id)), _item(r.external_id), _item(r.scorecard),
                         _item(r.grader), _item(_pct(r.score), align_right=True)])
        _fill(self.recent, rows)
        _fit_height(self.recent, 440)

    def _chart(self, profile) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        from qagrader.analysis.profile_plots import score_trend_figure

        palette = self.palette()
        figure = score_trend_figure(
            profile.trend, profile.team_trend if profile.agent is not None else None,
            label=profile.agent or profile.team, reference_label=f"Team {profile.team}",
            foreground=palette.color(QPalette.ColorRole.WindowText).name(),
            background=palette.color(QPalette.ColorRole.Base).name(),
            accent=palette.color(QPalette.ColorRole.Highlight).name())
        canvas = FigureCanvasQTAgg(figure)
        canvas.setFixedHeight(230)
        if self.canvas is not None:
            self.chart_host.removeWidget(self.canvas)
            self.canvas.deleteLater()
        self.canvas = canvas
        self.chart_host.addWidget(canvas)
        canvas.show()

    def _skills(self, skills: pd.DataFrame, agent: bool) -> None:
        rows = []
        for r in skills.itertuples():
            scale = 100.0
            own = f"{r.performance * scale:.0f}%"
            team = f"{r.team_performance * scale:.0f}%" if not pd.isna(r.team_performance) else "–"
            if not agent:
                team, team_ci = f"{r.all_performance * scale:.0f}% (everyone)", _interval(r.all_ci_low, r.all_ci_high,
                                                                                          scale, 0)
                reference = r.all_performance
            else:
                team_ci = _interval(r.team_ci_low, r.team_ci_high, scale, 0)
                reference = r.team_performance
            if pd.isna(r.ci_low):
                compared = "n too small"
            elif r.ci_high < reference:
                compared = "below"
            elif r.ci_low > reference:
                compared = "above"
            else:
                compared = "in line"
            rows.append([_item(r.skill), _item(f"{r.n:,}", align_right=True), _item(own, align_right=True),
                         _item(_interval(r.ci_low, r.ci_high, scale, 0)), _item(team, align_right=True),
                         _item(team_ci), _item(compared)])
        _fill(self.skills, rows)
        self.skills.setHorizontalHeaderItem(4, QTableWidgetItem("Team" if agent else "Everyone"))
        _fit_height(self.skills, 640)

    def _priorities(self, priorities: pd.DataFrame, agent: bool) -> None:
        if not agent:
            self.priorities.setText("Choose an agent to see their coaching priorities.")
            return
        useful = priorities.head(5)
        if useful.empty:
            self.priorities.setText("No skill where this agent is clearly below the rest of the team and "
                                    "that clearly goes with CSAT.")
            return
        from qagrader.analysis.summary import skill_label

        few = bool(priorities["few_evaluations"].iloc[0])
        items = "".join(
            f"<li><b>{escape(skill_label(r.skill, r.polarity))}</b>: {r.shrunk_rate:.0%} against "
            f"{r.team_rate:.0%} in the rest of the team (agent n = {r.n}, team n = {r.team_n}); "
            f"expected CSAT gain at the team's level {_gain(r.priority_points, r.priority)}</li>"
            for r in useful.itertuples())
        warning = "<p><i>Fewer than 10 evaluations: too few to act on yet.</i></p>" if few else ""
        self.priorities.setText(f"<ol>{items}</ol>{warning}")

    def _open(self, item: QTableWidgetItem) -> None:
        first = self.recent.item(item.row(), 0)
        if first is not None and first.data(ROLE) is not None:
            self.open_interaction.emit(int(first.data(ROLE)))


class TeamOverview(QWidget):
    month_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.month = QComboBox()
        self.month.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.month.currentIndexChanged.connect(lambda _: self.month_changed.emit())
        self.top = QLabel("")
        self.top.setWordWrap(True)
        self.top.setStyleSheet("font-size: 11pt;")
        self.teams = _table(["Team", "Agents", "n", "QA score", "95% CI"])
        self.agents = _table(["Agent", "Team", "n", "QA score", "95% CI"])
        row = QHBoxLayout()
        row.addWidget(QLabel("Month for the newsletter:"))
        row.addWidget(self.month)
        row.addStretch(1)
        tables = QSplitter()
        for title, table in (("Teams by QA score", self.teams), ("Agents by QA score", self.agents)):
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.addWidget(QLabel(f"<b>{title}</b> (all dates selected above)"))
            inner.addWidget(table)
            tables.addWidget(box)
        tables.setSizes([400, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.top)
        layout.addWidget(tables, 1)

    def selected_month(self) -> pd.Timestamp | None:
        value = self.month.currentData()
        return None if value is None else pd.Timestamp(value)

    def show_overview(self, overview) -> None:
        current = self.month.currentData()
        self.month.blockSignals(True)
        self.month.clear()
        for month in overview.months:
            self.month.addItem(month.strftime("%B %Y"), month.isoformat())
        index = self.month.findData(current)
        self.month.setCurrentIndex(index if index >= 0 else 0)
        self.month.blockSignals(False)
        self.top.setText("<br>".join(overview.top.sentences()))
        _fill(self.teams, [[_item(r.team), _item(str(r.agents), align_right=True), _item(f"{r.n:,}", align_right=True),
                            _item(_pct(r.mean), align_right=True), _item(_interval(r.ci_low, r.ci_high))]
                           for r in overview.teams.itertuples()])
        _fill(self.agents, [[_item(r.agent), _item(r.team), _item(f"{r.n:,}", align_right=True),
                             _item(_pct(r.mean), align_right=True), _item(_interval(r.ci_low, r.ci_high))]
                            for r in overview.agents.itertuples()])


class GradersPanel(QWidget):
    rename_requested = Signal()
    merge_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.comparison = _table(["Grader", "Evaluations", "Average score given", "Other graders",
                                  "Difference", "95% CI"])
        self.weeks = QTableWidget()
        self.weeks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.weeks.setAlternatingRowColors(True)
        note = QLabel("A difference compares whoever each grader happened to grade; a grader who grades "
                      "stronger agents gives higher scores without being lenient. Use calibration sessions "
                      "to compare graders on the same interactions.")
        note.setWordWrap(True)
        note.setEnabled(False)
        rename = QPushButton("Rename grader…")
        rename.clicked.connect(self.rename_requested)
        merge = QPushButton("Merge two spellings…")
        writing(rename, merge)
        merge.clicked.connect(self.merge_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(rename)
        buttons.addWidget(merge)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>Average QA score given, compared with the other graders</b>"))
        layout.addWidget(self.comparison)
        layout.addWidget(note)
        layout.addWidget(QLabel("<b>Evaluations per grader per week</b> (by grading date; the last 12 weeks)"))
        layout.addWidget(self.weeks, 1)

    def show_graders(self, view) -> None:
        _fill(self.comparison, [
            [_item(r.grader), _item(f"{r.n:,}", align_right=True), _item(_pct(r.mean), align_right=True),
             _item(_pct(r.others_mean), align_right=True),
             _item("–" if pd.isna(r.difference) else f"{r.difference:+.1f} points", align_right=True),
             _item("n too small" if pd.isna(r.ci_low) else f"{r.ci_low:+.1f} to {r.ci_high:+.1f}")]
            for r in view.comparison.itertuples()])
        _fit_height(self.comparison, 320)
        weeks = view.weeks.iloc[:, -12:] if not view.weeks.empty else view.weeks
        self.weeks.clear()
        self.weeks.setRowCount(len(weeks.index))
        self.weeks.setColumnCount(len(weeks.columns))
        self.weeks.setHorizontalHeaderLabels([f"{c:%d %b}" for c in weeks.columns])
        self.weeks.setVerticalHeaderLabels([str(g) for g in weeks.index])
        for r, (_, row) in enumerate(weeks.iterrows()):
            for c, value in enumerate(row):
                self.weeks.setItem(r, c, _item(str(int(value)) if value else "", align_right=True))
        self.weeks.resizeColumnsToContents()


class PeopleView(QWidget):
    """The Agents & teams screen: profiles, team overview, graders, and managing agents.

    A tab loads when it is shown with numbers older than the workspace's (a write changed
    graded data, or the filters changed); the writes it makes go through `operations`."""

    open_interaction = Signal(int)
    loaded = Signal()  # a tab finished showing new numbers
    changed = Signal()  # a grader rename or merge asked for here was written

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._tasks = Tasks(self)
        self._stale: set[int] = set()  # tabs whose numbers are older than the workspace's
        self.pending_selection: tuple[str, str | None] | None = None  # chosen once the tree is loaded
        self.filters = FilterRow()
        self.filters.changed.connect(self._filters_changed)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Team / agent", "n"])
        self.tree.setToolTip("n: submitted evaluations in the selection")
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_: self._load_profile())
        self.profile = ProfilePanel()
        self.profile.open_interaction.connect(self.open_interaction)
        profiles = QSplitter()
        profiles.addWidget(self.tree)
        profiles.addWidget(self.profile)
        profiles.setSizes([250, 1000])
        profiles.setStretchFactor(1, 1)
        self.overview = TeamOverview()
        self.overview.month_changed.connect(self._load_overview)
        self.graders = GradersPanel()
        self.graders.rename_requested.connect(self._ask_rename)
        self.graders.merge_requested.connect(self._ask_merge)
        self.manage = AgentsView()
        self.tabs = QTabWidget()
        self.tabs.addTab(profiles, "Profiles")
        self.tabs.addTab(self.overview, "Team overview")
        self.tabs.addTab(self.graders, "Graders")
        self.tabs.addTab(self.manage, "Manage agents")
        self.tabs.currentChanged.connect(self._tab_shown)
        self.status = QLabel("")
        self.status.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        self._reload = ReloadWhenShown(self, lambda: self._load(self.tabs.currentIndex()))
        operations().changed.connect(self.apply_changes)

    def set_workspace(self, ws: Workspace | None) -> None:
        """Show `ws` from the `Changes.everything()` that follows."""
        self._tasks.cancel()
        self.ws = ws
        self.manage.set_workspace(ws)
        self.profile.notes.show_agent(None, None, None)
        self._stale = set(range(self.tabs.count() - 1))  # the last tab (Manage agents) hears for itself

    def apply_changes(self, changes: Changes) -> None:
        """Graded data, agents, teams or graders changed: every tab's numbers are old; the one
        on screen loads again now, the others when shown."""
        if self.ws is None or not changes.touches(EVALUATIONS, INTERACTIONS, AGENTS, TEAMS, GRADERS, SCORECARDS):
            return
        self._stale = set(range(self.tabs.count() - 1))
        self._reload.request()

    def _tab_shown(self, tab: int) -> None:
        if tab in self._stale:
            self._load(tab)

    def _filters_changed(self) -> None:
        self._stale = set(range(self.tabs.count() - 1))
        self._load(self.tabs.currentIndex())

    def _load(self, tab: int) -> Task | None:
        if self.ws is None or tab not in self._stale:
            return None
        self._stale.discard(tab)
        return (self._load_tree, self._load_overview, self._load_graders)[tab]()

    def _run(self, work, done) -> Task:
        self.status.setText("Computing…")
        return self._tasks.read(self.ws, lambda ws, progress, cancelled: work(ws), done=done,
                                failed=lambda error: self.status.setText(str(error)))

    # ----------------------------------------------------------------------- profiles

    def _load_tree(self) -> Task:
        filters = self.filters.filters()

        def work(ws):
            from qagrader.analysis.dataset import load_score_frame

            scores = load_score_frame(ws, filters)
            counts = scores.groupby(["team", "agent"]).size()
            cards = sorted({c.name for c in ws.scorecards.list(include_archived=True)}, key=str.casefold)
            return counts, ws.interactions.channels(), cards
        return self._run(work, self._tree_loaded)

    def _tree_loaded(self, result) -> None:
        counts, channels, cards = result
        self.filters.blockSignals(True)
        self.filters.set_choices(channels, cards)
        self.filters.blockSignals(False)
        current, self.pending_selection = self.pending_selection or self.selection(), None
        self.tree.blockSignals(True)
        self.tree.clear()
        select = None
        for team in sorted({t for t, _ in counts.index}, key=str.casefold):
            agents = counts[team]
            team_item = QTreeWidgetItem([team, f"{int(agents.sum()):,}"])
            team_item.setData(0, ROLE, (team, None))
            team_item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.tree.addTopLevelItem(team_item)
            if current == (team, None):
                select = team_item
            for agent, n in sorted(agents.items(), key=lambda kv: kv[0].casefold()):
                item = QTreeWidgetItem([agent, f"{int(n):,}"])
                item.setData(0, ROLE, (team, agent))
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                team_item.addChild(item)
                if current == (team, agent):
                    select = item
            team_item.setExpanded(True)
        if select is None and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            select = first.child(0) if first.childCount() else first
        self.tree.blockSignals(False)
        self.status.setText("" if counts.size else "No submitted evaluations in this selection.")
        if select is not None:
            self.tree.setCurrentItem(select)  # loads its profile
        else:
            self.loaded.emit()

    def selection(self) -> tuple[str, str | None] | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, ROLE)

    def show_agent(self, team: str, agent: str | None) -> None:
        """Show the profile of `agent` (of `team`): now if the tree holds it, else once it loads."""
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(0)
        self.tabs.blockSignals(False)
        self.select(team, agent)
        if self.selection() != (team, agent):
            self.pending_selection = (team, agent)

    def select(self, team: str, agent: str | None = None) -> None:
        for i in range(self.tree.topLevelItemCount()):
            team_item = self.tree.topLevelItem(i)
            if team_item.data(0, ROLE) == (team, None):
                if agent is None:
                    self.tree.setCurrentItem(team_item)
                    return
                for k in range(team_item.childCount()):
                    if team_item.child(k).data(0, ROLE) == (team, agent):
                        self.tree.setCurrentItem(team_item.child(k))
                        return

    def _load_profile(self) -> Task | None:
        chosen = self.selection()
        if chosen is None or self.ws is None:
            return None
        filters = self.filters.filters()
        team, agent = chosen

        def work(ws):
            from qagrader.analysis.profiles import load_profile

            return load_profile(ws, filters, team, agent)
        return self._run(work, self._profile_loaded)

    def _profile_loaded(self, profile) -> None:
        self.profile.show_profile(profile)
        self.profile.notes.show_agent(self.ws, profile.team, profile.agent, profile.priorities)
        self.profile.notes_heading.setVisible(profile.agent is not None)
        self.status.setText("")
        self.loaded.emit()

    # ------------------------------------------------------------------ overview, graders

    def _load_overview(self) -> Task:
        filters, month = self.filters.filters(), self.overview.selected_month()

        def work(ws):
            from qagrader.analysis.profiles import load_overview

            return load_overview(ws, filters, month)
        return self._run(work, self._overview_loaded)

    def _overview_loaded(self, overview) -> None:
        self.overview.show_overview(overview)
        self.status.setText("")
        self.loaded.emit()

    def _load_graders(self) -> Task:
        filters = self.filters.filters()

        def work(ws):
            from qagrader.analysis.profiles import load_graders

            return load_graders(ws, filters)
        return self._run(work, self._graders_loaded)

    def _graders_loaded(self, view) -> None:
        self.graders.show_graders(view)
        self.status.setText("")
        self.loaded.emit()

    def rename_grader(self, old: str, new: str) -> Write:
        """Rename a grader everywhere."""
        return self._write(_rename_grader, old, new, message=f"Renamed grader '{old}' to '{new}' everywhere.")

    def merge_graders(self, keep: str, duplicate: str) -> Write:
        """Merge two spellings of one grader."""
        return self._write(_merge_graders, keep, duplicate, message=f"Merged '{duplicate}' into '{keep}'.")

    def _write(self, operation, *args, message: str) -> Write:
        return operations().run(self.ws, operation, *args, owner=self,
                                done=lambda _: (self.status.setText(message), self.changed.emit()),
                                failed=lambda error: show_error(self, error))

    def _grader_names(self) -> list[str]:
        return self.ws.graders.names() if self.ws is not None else []

    def _ask_rename(self) -> None:
        names = self._grader_names()
        if not names:
            return
        old, ok = QInputDialog.getItem(self, "Rename grader", "Grader:", names, 0, False)
        if not ok:
            return
        new, ok = QInputDialog.getText(self, "Rename grader", f"New name for {old} (renames everywhere):", text=old)
        if ok and new.strip() and new.strip() != old:
            self.rename_grader(old, new.strip())

    def _ask_merge(self) -> None:
        names = self._grader_names()
        if len(names) < 2:
            return
        duplicate, ok = QInputDialog.getItem(self, "Merge two spellings", "The spelling to remove:", names, 0, False)
        if not ok:
            return
        keep, ok = QInputDialog.getItem(self, "Merge two spellings", f"Move {duplicate}'s evaluations to:",
                                        [n for n in names if n != duplicate], 0, False)
        if ok:
            self.merge_graders(keep, duplicate)


def _rename_grader(ws: Workspace, old: str, new: str) -> None:
    ws.graders.rename(_grader_id(ws, old), new)


def _merge_graders(ws: Workspace, keep: str, duplicate: str) -> None:
    ws.graders.merge(_grader_id(ws, keep), _grader_id(ws, duplicate))


def _grader_id(ws: Workspace, name: str) -> int:
    from qagrader.core.errors import NotFound

    grader_id = ws.graders.find(name)
    if grader_id is None:
        raise NotFound(f"No grader named '{name}'.")
    return grader_id


def _gain(points: float, fraction: float) -> str:
    """An expected CSAT gain in survey points (or on the 0..1 scale when scales are mixed)."""
    return f"{points:+.2f} points" if pd.notna(points) else f"{fraction:+.3f} (CSAT 0..1)"
