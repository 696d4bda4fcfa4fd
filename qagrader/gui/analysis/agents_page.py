"""5. Agent x skill heatmap relative to the team mean, and the chosen agent's coaching
priorities and trend (click a row of the heatmap, or choose the agent beside it)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qagrader.gui.read_only import writing

from . import captions
from .chart_page import ChartPage, save_csv
from .compute import Computed
from .pages import SEP, Page, add_chooser, refill
from .table_model import DataFrameModel, sortable

if TYPE_CHECKING:
    from matplotlib.backend_bases import MouseEvent
    from matplotlib.patches import Rectangle

MAX_AGENTS = 30  # rows of the heatmap (plots.plot_agent_heatmap's default)
TREND_SKILLS = 4  # the agent's top coaching priorities drawn in their trend


def _rate_n(rate: float, n: int, few: bool = False) -> str:
    text = f"– ({int(n):,}" if pd.isna(rate) else f"{rate:.0%} ({int(n):,}"
    return text + (", few)" if few else ")")


def _gap(row: pd.Series) -> str:
    if pd.isna(row["gap"]):
        return "–"
    half = (row["gap_ci_high"] - row["gap_ci_low"]) / 2 * 100
    return f"{row['gap'] * 100:+.0f} ±{half:.0f}"


def _gain(value: float) -> str:
    if pd.isna(value):
        return "–"
    return "0.00" if round(value, 2) == 0 else f"{value:+.2f}"


def priorities_view(rows: pd.DataFrame, min_evaluations: int) -> pd.DataFrame:
    """The coaching table as shown: ranked skills first (rank 1 = coach first), then the gaps
    that do not hold; rates with the n behind them, the gap (agent - rest of team, percentage
    points) with the half-width of its 95% interval, and the expected CSAT gain in survey
    points."""
    from qagrader.analysis.summary import skill_label

    few = rows["few_evaluations"].to_numpy(bool) | (rows["n"].to_numpy() < min_evaluations)
    order = rows.assign(_few=few).sort_values(["rank"], kind="stable", na_position="last")
    gain = order["priority_points"].where(order["priority_points"].notna(), order["priority"])
    return pd.DataFrame({
        "#": [str(int(r)) if pd.notna(r) else "–" for r in order["rank"]],
        "skill": [skill_label(s, p) for s, p in zip(order["skill"], order["polarity"])],
        "agent (n)": [_rate_n(r, n, f) for r, n, f in zip(order["shrunk_rate"], order["n"], order["_few"])],
        "team (n)": [_rate_n(r, n) for r, n in zip(order["team_rate"], order["team_n"])],
        "gap": [_gap(row) for _, row in order.iterrows()],
        "CSAT gain": [_gain(v) for v in gain],
        "too_few": order["_few"].to_numpy() | order["rank"].isna().to_numpy(),
    })


def heatmap_rows(matrix: pd.DataFrame, sort_by: str | None) -> list[tuple[str, str]]:
    """(team, agent) of each heatmap row, top to bottom, as `plot_agent_heatmap` draws them."""
    data = matrix.sort_values(sort_by, kind="stable") if sort_by else matrix
    return [tuple(map(str, key)) for key in data.index[:MAX_AGENTS]]


class AgentsPage(Page):
    """The heatmap on the left; the agent panel (priorities, trend) on the right."""

    title, name = "Agents", "agent_heatmap"
    agent_selected = Signal(str, str)  # team, agent
    note_requested = Signal(object)  # a coaching priority row (dict) to turn into a coaching note

    def _build(self) -> None:
        self.sort = add_chooser(self.chart, "Sort by:", "Order the agents by their gap on a skill "
                                "(lowest first), or keep them grouped by team")
        self.sort.setMaxVisibleItems(20)
        self.sort.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sort.setMinimumContentsLength(14)
        self.sort.currentIndexChanged.connect(self.redraw)
        self.rows: list[tuple[str, str]] = []
        self._marker: "Rectangle | None" = None

        self.agent = _AgentPanel()
        self.agent.chosen.connect(self._agent_chosen)
        self.agent.note_requested.connect(self.note_requested)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.chart)
        splitter.addWidget(self.agent)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.splitter = splitter
        self._sized = False

    def showEvent(self, event) -> None:
        if not self._sized and self.width() > 0:  # the heatmap gets the larger share
            self._sized = True
            share = 0.6 if self.width() < 1100 else 0.56
            self.splitter.setSizes([int(self.width() * share), int(self.width() * (1 - share))])
        super().showEvent(event)

    def update_choosers(self, computed: Computed) -> None:
        result = computed.result
        from qagrader.analysis.summary import skill_label

        refill(self.sort, [("Team, then name", "")]
               + [(skill_label(s, result.polarity.get(s)), s) for s in result.skills])
        self.agent.set_agents([tuple(map(str, key)) for key in result.agent_matrix.index])
        self.agent.set_computed(computed)

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        result = computed.result
        matrix, counts, polarity = result.agent_matrix, result.agent_counts, result.polarity
        sort_by = self.sort.currentData() or None
        self.rows = heatmap_rows(matrix, sort_by)
        # every agent's name readable (about 15 px a row): the chart scrolls in a small window
        self.chart.min_chart_height = 15 * len(self.rows) + 230
        self.chart.set_caption(captions.heatmap(computed, len(self.rows), len(matrix)))  # first: it takes room
        size = self.chart.shown_size() or plots.FIGSIZE
        self.chart.show_chart(lambda: plots.plot_agent_heatmap(matrix, counts, polarity, sort_by=sort_by,
                                                               max_agents=MAX_AGENTS, figsize=size))
        self.chart.canvas.mpl_connect("button_press_event", self._clicked)
        self._marker = None
        self._mark(self.agent.current())
        from qagrader.analysis.report import agent_matrix_table

        self.chart.set_table(agent_matrix_table(result))

    # ------------------------------------------------------------------ choosing an agent

    def select_agent(self, team: str, agent: str) -> None:
        """Show `agent`'s coaching priorities and trend (as a click on their row does)."""
        self.agent.choose(team, agent)

    def row_at(self, x: float, y: float) -> tuple[str, str] | None:
        """The (team, agent) of the heatmap row at canvas pixel (x, y), labels included."""
        figure = self.chart.figure
        if figure is None or not figure.axes or not self.rows:
            return None
        axes = figure.axes[0]
        box = axes.get_window_extent()
        if not (box.y0 <= y <= box.y1 and x <= box.x1):
            return None
        _, row = axes.transData.inverted().transform((x, y))
        index = int(round(row))
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _clicked(self, event: "MouseEvent") -> None:
        if event.button != 1:
            return
        hit = self.row_at(event.x, event.y)
        if hit is not None:
            self.select_agent(*hit)

    def _agent_chosen(self, team: str, agent: str) -> None:
        self._mark((team, agent))
        self.agent_selected.emit(team, agent)

    def _mark(self, key: tuple[str, str] | None) -> None:
        """Outline the chosen agent's row on the heatmap (no rebuild, one idle redraw)."""
        figure = self.chart.figure
        if figure is None or not figure.axes:
            return
        if self._marker is not None:
            self._marker.remove()
            self._marker = None
        if key in self.rows:
            from matplotlib.patches import Rectangle

            axes = figure.axes[0]
            columns = len(axes.get_xticks())
            self._marker = axes.add_patch(Rectangle(
                (-0.5, self.rows.index(key) - 0.5), columns, 1, fill=False, edgecolor="#111111",
                linewidth=2.2, clip_on=False, zorder=5))
        if self.chart.canvas.isVisible():  # else drawn when first shown
            self.chart.canvas.draw_idle()


class _AgentPanel(QWidget):
    """Agent chooser, summary, coaching priorities table and trend chart of one agent."""

    chosen = Signal(str, str)
    note_requested = Signal(object)  # the chosen priority's row (dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.computed: Computed | None = None
        self._trend_dirty = False
        header = QHBoxLayout()
        header.addWidget(QLabel("Agent:"))
        self.combo = QComboBox()
        self.combo.setMaxVisibleItems(24)
        self.combo.setToolTip("The agent whose coaching priorities and trend are shown")
        self.combo.currentIndexChanged.connect(self._combo_changed)
        header.addWidget(self.combo, 1)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.priorities = DataFrameModel()
        self.table = QTableView()
        self.table.setModel(sortable(self.priorities, self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().hide()
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save this agent's coaching priorities as a CSV file")
        self.export_button.clicked.connect(lambda: self.export_priorities())
        self.note_button = QPushButton("Make a coaching note")
        self.note_button.setToolTip("Turn the chosen priority (or the first one) into a coaching note about this "
                                    "agent, follow-up in 4 weeks (Disputes & coaching lists it)")
        self.note_button.clicked.connect(self._note_requested)
        writing(self.note_button)
        note = QLabel("# 1 = coach first; only gaps that hold (95% interval excluding 0) on skills "
                      "whose effect on CSAT holds, and whose closing goes with higher CSAT, are "
                      "ranked (the rest are grey). Agent, team: share of interactions meeting the "
                      "skill (for a behaviour to avoid: where it happened) with n; the agent's is "
                      "pulled towards the team when they have few. Gap: agent − rest of team, "
                      "percentage points ± the 95% interval. CSAT gain: expected CSAT points if "
                      "the agent reached the team's level (an association).")
        note.setWordWrap(True)
        note.setStyleSheet("font-size: 11px;")  # the theme's text colour: readable light and dark
        priorities_page = QWidget()
        box = QVBoxLayout(priorities_page)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.addWidget(note, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.note_button)
        buttons.addWidget(self.export_button)
        self.note_status = QLabel("")
        self.note_status.setWordWrap(True)
        self.note_status.setMaximumWidth(220)
        buttons.addWidget(self.note_status)
        buttons.addStretch(1)
        footer.addLayout(buttons)
        box.addLayout(footer)
        self.trend = ChartPage("agent_trend")
        self.tabs = QTabWidget()
        self.tabs.addTab(priorities_page, "Coaching priorities")
        self.tabs.addTab(self.trend, "Trend")
        self.tabs.currentChanged.connect(lambda _i: self._render_trend())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.setMinimumWidth(340)

    def set_agents(self, agents: list[tuple[str, str]]) -> None:
        refill(self.combo, [(f"{a} ({t})", f"{t}{SEP}{a}") for t, a in agents])

    def set_computed(self, computed: Computed) -> None:
        self.computed = computed
        self._show()

    def current(self) -> tuple[str, str] | None:
        data = self.combo.currentData()
        return tuple(data.split(SEP, 1)) if data else None

    def choose(self, team: str, agent: str) -> None:
        index = self.combo.findData(f"{team}{SEP}{agent}")
        if index < 0:
            raise ValueError(f"No agent '{agent}' of team '{team}' in the analysis.")
        if index == self.combo.currentIndex():
            self._combo_changed()
        else:
            self.combo.setCurrentIndex(index)

    def rows(self) -> pd.DataFrame:
        """The chosen agent's rows of `result.priorities`."""
        key = self.current()
        if self.computed is None or self.computed.result is None or key is None:
            return pd.DataFrame()
        table = self.computed.result.priorities
        return table[(table["team"] == key[0]) & (table["agent"] == key[1])].reset_index(drop=True)

    def chosen_priority(self) -> dict | None:
        """The priority row selected in the table (the table's order), else the first ranked."""
        rows = self.rows()
        if rows.empty:
            return None
        order = rows.sort_values(["rank"], kind="stable", na_position="last").reset_index(drop=True)
        selected = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if selected:
            return order.iloc[self.table.model().mapToSource(selected[0]).row()].to_dict()
        ranked = order[order["rank"].notna()]
        return ranked.iloc[0].to_dict() if len(ranked) else None

    def note_saved(self, text: str) -> None:
        self.note_status.setText(text)

    def _note_requested(self) -> None:
        row = self.chosen_priority()
        if row is not None:
            self.note_requested.emit(row)

    def export_priorities(self, path: str | Path | None = None) -> Path | None:
        """Write the chosen agent's coaching priorities (every column) as CSV."""
        key = self.current() or ("", "agent")
        name = f"coaching_{key[1]}".replace(" ", "_")
        return save_csv(self, self.rows(), self.trend.last_dir / f"{name}.csv", path)

    def _combo_changed(self) -> None:
        self._show()
        key = self.current()
        if key is not None:
            self.chosen.emit(*key)

    def _show(self) -> None:
        from qagrader.analysis.coaching import MIN_EVALUATIONS

        rows = self.rows()
        key = self.current() or ("", "")
        self.summary.setText(captions.agent_summary(rows, key[1], key[0]) if key[1] else "")
        view = priorities_view(rows, MIN_EVALUATIONS) if not rows.empty else pd.DataFrame()
        muted = np.flatnonzero(view.pop("too_few").to_numpy()) if not view.empty else []
        self.priorities.set_frame(view, muted_rows=muted)
        header = self.table.horizontalHeader()
        for column in range(view.shape[1]):  # every column as wide as its contents (it scrolls
            # sideways in a narrow window rather than cutting numbers); the last takes what is left
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.export_button.setEnabled(not rows.empty)
        self.note_button.setEnabled(not rows.empty)
        self.note_status.setText("")
        self._trend_dirty = True
        self._render_trend()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._render_trend()

    def _render_trend(self) -> None:
        """Build the agent's trend chart, only when it is on screen."""
        if not self._trend_dirty or not self.trend.isVisible():
            return
        if self.computed is None or self.computed.result is None or self.current() is None:
            return
        from qagrader.analysis import plots

        self._trend_dirty = False
        team, agent = self.current()
        result = self.computed.result
        rows = self.rows()
        ranked = rows[rows["rank"].notna()].sort_values("rank")
        skills = ranked["skill"].head(TREND_SKILLS).tolist() or list(rows["skill"].head(TREND_SKILLS))
        trends = result.trends
        mine = trends[(trends["level"] == "agent") & (trends["team"] == team)
                      & (trends["agent"] == agent)].reset_index(drop=True)
        polarity = result.polarity
        self.trend.show_chart(lambda: plots.plot_trends(trends, agent=agent, team=team,
                                                        metrics=[*skills, "CSAT"], polarity=polarity))
        self.trend.set_table(mine)
        evaluations = int(rows["evaluations"].iloc[0]) if not rows.empty else 0
        self.trend.set_caption(
            f"{escape(agent)}'s top coaching priorities and CSAT per period, from their {evaluations:,} "
            "interactions in the filter (every skill is in the table). Shaded: 95% intervals; "
            "hollow points rest on fewer than 30 interactions, which for one agent is most "
            "periods: read the direction, not the wiggles.")
