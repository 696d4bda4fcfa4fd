"""The chart pages of the Analysis tab. Each builds its figure from the already computed
result, only when it is visible and something changed (one draw per update)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from . import captions
from .chart_page import ChartPage
from .compute import Computed

ALL = "all"
SEP = "\x1f"  # joins (level, team, agent) into one combo data string


def entity_key(level: str, team: str = "", agent: str = "") -> str:
    """Combo data for an importance-performance entity (Qt compares strings reliably)."""
    return SEP.join((level, team, agent))


def add_chooser(page: ChartPage, label: str, tooltip: str) -> QComboBox:
    """A combo in the page's header, after a label."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setToolTip(tooltip)
    page.controls.addWidget(QLabel(label))
    page.controls.addWidget(combo)
    return combo


def refill(combo: QComboBox, items: list[tuple[str, Any]]) -> None:
    """Replace the items, keeping the current choice when it is still offered (no signal)."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for label, data in items:
        combo.addItem(label, data)
    index = combo.findData(current) if current is not None else -1
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def shown_channel(computed: Computed, table: pd.DataFrame) -> str:
    """The channel the pages show: the filter bar's Channel (the one channel control), else all
    channels pooled. Titles and captions name it, so they always match the data shown."""
    chosen = (computed.filters or {}).get("channels")
    channel = chosen[0] if chosen else ALL
    if channel != ALL and "channel" in table and not (table["channel"] == channel).any():
        return ALL  # nothing on that channel's own rows: the pooled rows are the same interactions
    return channel


class Page(QWidget):
    """A tab of charts. Subclasses fill `update_choosers` and `draw`."""

    title = ""
    name = ""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = ChartPage(self.name)
        self.computed: Computed | None = None
        self._dirty = False
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chart)

    def set_computed(self, computed: Computed) -> None:
        """A new result: refill the choosers; draw now if visible, else when shown."""
        self.computed = computed
        if computed.result is not None:
            self.update_choosers(computed)
        self.redraw()

    def redraw(self) -> None:
        self._dirty = True
        if self.isVisible():
            self.render()

    def render(self) -> None:
        if not self._dirty or self.computed is None or self.computed.result is None:
            return
        self._dirty = False
        self.draw(self.computed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.render()

    def update_choosers(self, computed: Computed) -> None:
        pass

    def draw(self, computed: Computed) -> None:
        raise NotImplementedError


class CorrelationPage(Page):
    """1. Each skill's correlation with CSAT, pooled or on the filter's channel."""

    title, name = "Skills vs CSAT", "correlations"

    def set_computed(self, computed: Computed) -> None:
        """As `Page.set_computed`, but keeps the chart when the correlations did not change
        (the tab's first opening shows them before the rest of the analysis is done)."""
        shown = self.computed
        if (shown is not None and not self._dirty
                and shown.filters == computed.filters
                and shown.n_evaluations == computed.n_evaluations
                and shown.n_with_csat == computed.n_with_csat
                and shown.result.correlations.equals(computed.result.correlations)):
            self.computed = computed
            return
        super().set_computed(computed)

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        table = computed.result.correlations
        channel = shown_channel(computed, table)
        self.chart.set_caption(captions.correlations(computed, channel))  # first: it takes room
        notes, size = computed.notes, self.chart.shown_size()
        reliability = computed.reliability
        self.chart.show_chart(lambda: plots.plot_correlations(table, channel, notes=notes, figsize=size,
                                                              reliability=reliability))
        self.chart.set_table(table, muted_rows=np.flatnonzero(table["too_few"].to_numpy()))


class ChannelPage(Page):
    """2. The same correlations, grouped by channel, with the differences that hold marked."""

    title, name = "By channel", "correlations_by_channel"

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        table = computed.result.correlations
        differences = computed.result.channel_differences
        self.chart.set_caption(captions.channels(computed))  # first: it takes room
        size = self.chart.shown_size()
        self.chart.show_chart(lambda: plots.plot_channel_correlations(table, differences, figsize=size))
        self.chart.set_table(differences, muted_rows=np.flatnonzero(~differences["holds"].to_numpy(bool)))


class EffectsPage(Page):
    """3. What missing a skill goes with per interaction, and CSAT at each score level."""

    title, name = "Met vs not met", "effects"
    KINDS = (("CSAT when met vs not met", "effects"), ("CSAT at each score level", "dose"))

    def _build(self) -> None:
        super()._build()
        self.kind = add_chooser(self.chart, "Show:", "The CSAT difference of every skill, or mean "
                                "CSAT at each score level of the skills scored on a scale")
        refill(self.kind, list(self.KINDS))
        self.kind.currentIndexChanged.connect(self.redraw)

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        channel = shown_channel(computed, computed.result.effects)
        kind = self.kind.currentData() or "effects"
        self.chart.name = "effects" if kind == "effects" else "dose_response"
        self.chart.set_caption(captions.effects(computed, kind))  # first: it takes room
        if kind == "dose":
            table = computed.result.dose_response
            self.chart.show_chart(lambda: plots.plot_dose_response(table, channel))
        else:
            table, size = computed.result.effects, self.chart.shown_size()
            self.chart.show_chart(lambda: plots.plot_effects(table, channel, figsize=size))
        rows = table[table["channel"] == channel].reset_index(drop=True) if len(table) else table
        self.chart.set_table(rows, export=table)


class DriversPage(Page):
    """4. Key drivers: each skill's share of R^2."""

    title, name = "Key drivers", "drivers"

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        table = computed.result.drivers
        channel = shown_channel(computed, table)
        self.chart.show_chart(lambda: plots.plot_drivers(table, channel))
        self.chart.set_table(table)
        self.chart.set_caption(captions.drivers(computed, table, channel))


class ImportancePage(Page):
    """5. Importance-performance quadrant of everyone, a team or an agent."""

    title, name = "Importance–performance", "importance_performance"

    def _build(self) -> None:
        super()._build()
        self.entity = add_chooser(self.chart, "For:", "Everyone in the filter, one team or one agent")
        self.entity.setMaxVisibleItems(24)
        self.entity.currentIndexChanged.connect(self.redraw)

    def update_choosers(self, computed: Computed) -> None:
        ipa = computed.result.ipa
        items = [("Everyone in the filter", entity_key(ALL))]
        for team in dict.fromkeys(ipa.loc[ipa["level"] == "team", "team"]):
            items.append((f"Team: {team}", entity_key("team", team)))
        agents = ipa.loc[ipa["level"] == "agent", ["team", "agent"]].drop_duplicates()
        for team, agent in sorted(agents.itertuples(index=False), key=lambda p: p[1].casefold()):
            items.append((f"{agent} ({team})", entity_key("agent", team, agent)))
        refill(self.entity, items)

    def select(self, level: str, team: str = "", agent: str = "") -> None:
        index = self.entity.findData(entity_key(level, team, agent))
        if index >= 0:
            self.entity.setCurrentIndex(index)

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots

        ipa = computed.result.ipa
        level, team, agent = (self.entity.currentData() or entity_key(ALL)).split(SEP)
        rows = ipa[(ipa["level"] == level) & (ipa["team"] == team) & (ipa["agent"] == agent)]
        who = {"all": "everyone in the filter", "team": team, "agent": f"{agent} ({team})"}[level]
        self.chart.show_chart(lambda: plots.plot_importance_performance(ipa, level, team, agent))
        self.chart.set_table(rows.reset_index(drop=True))
        self.chart.set_caption(captions.ipa(computed, who, level))


def period_name(trends: pd.DataFrame) -> str:
    """"week" or "month", from the spacing of the trend periods."""
    periods = pd.Series(sorted(set(trends["period"].dropna())))
    if len(periods) < 2:
        return "period"
    return "week" if periods.diff().dropna().min() <= pd.Timedelta(days=7) else "month"


class TrendsPage(Page):
    """7. Trend lines of everyone over time."""

    title, name = "Trends", "trends"
    TOP = "top"

    def _build(self) -> None:
        super()._build()
        self.metrics = add_chooser(self.chart, "Skills:", "Which skills to draw (CSAT is always drawn)")
        self.metrics.setMaxVisibleItems(20)
        self.metrics.currentIndexChanged.connect(self.redraw)

    def update_choosers(self, computed: Computed) -> None:
        from qagrader.analysis.summary import skill_label

        items: list[tuple[str, Any]] = [("5 most associated with CSAT", self.TOP), ("All skills", "*")]
        items += [(skill_label(s, computed.result.polarity.get(s)), s) for s in computed.result.skills]
        refill(self.metrics, items)

    def draw(self, computed: Computed) -> None:
        from qagrader.analysis import plots
        from qagrader.analysis.chart_files import top_skills

        result = computed.result
        choice = self.metrics.currentData() or self.TOP
        skills = (top_skills(result) if choice == self.TOP
                  else list(result.skills) if choice == "*" else [choice])
        rows = result.trends[result.trends["level"] == ALL].reset_index(drop=True)
        polarity = result.polarity
        self.chart.show_chart(lambda: plots.plot_trends(result.trends, metrics=[*skills, "CSAT"],
                                                        polarity=polarity))
        self.chart.set_table(rows)
        self.chart.set_caption(captions.trends(computed, period_name(rows)))
