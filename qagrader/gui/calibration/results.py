"""The results of closed calibration sessions (one, or all of them pooled): agreement and alpha
per question as a chart with Krippendorff's thresholds, the disagreements with the answers side
by side and the guideline, each grader's alignment and leniency with n, and their trends."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QScrollArea, QSplitter, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from qagrader.analysis.calibration import ALL, CalibrationResults, trend
from qagrader.analysis.calibration_plots import READING_GUIDE, Theme, plot_agreement, plot_graders, plot_trends


@dataclass(frozen=True)
class ResultFigures:
    """What the results page shows, computed off the GUI thread."""

    results: CalibrationResults
    scope: str  # a session's label, or `ALL`
    scorecard: str | None
    agreement: Figure
    graders: Figure
    trends: Figure


CHART_DPI = 100  # the figures' own (calibration_plots)
MIN_WIDTH_IN = 5.2  # narrower than this, a chart scrolls sideways instead of squeezing its labels
MAX_WIDTH_IN = 11.0


def chart_width(pixels: int) -> float:
    """The figure width (inches) that fills a chart area `pixels` wide, within readable bounds."""
    return max(MIN_WIDTH_IN, min(MAX_WIDTH_IN, pixels / CHART_DPI))


def build_figures(results: CalibrationResults, scope: str, scorecard: str | None, theme: Theme,
                  width: float = 9.2) -> ResultFigures:
    """The charts of `results` for one session's label or `ALL`, `width` inches wide (the chart
    area's width, so that labels, titles and captions are laid out for it; pure matplotlib: any
    thread)."""
    return ResultFigures(results, scope, scorecard,
                         plot_agreement(results.agreement, scope, scorecard=scorecard, theme=theme, size=(width, 5.2)),
                         plot_graders(results.graders, scope, theme=theme, size=(width, 4.2)),
                         plot_trends(trend(results.graders), theme=theme, size=(width, 4.0)))


def theme_of(widget: QWidget) -> Theme:
    palette = widget.palette()
    return Theme(foreground=palette.color(QPalette.ColorRole.WindowText).name(),
                 background=palette.color(QPalette.ColorRole.Base).name())


def _item(text: str, align_right: bool = False, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if tip:
        item.setToolTip(tip)
    return item


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _number(value: float, digits: int = 1, suffix: str = "") -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}{suffix}"


class ChartHolder(QScrollArea):
    """A matplotlib figure in a scroll area: it fills the width (the figure is laid out again
    for it) down to the width it was made for minus a little, then scrolls sideways; tall
    charts scroll down instead of squashing."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.canvas = None

    def show_figure(self, figure: Figure) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        canvas = FigureCanvasQTAgg(figure)
        width, height = figure.get_size_inches() * figure.dpi
        canvas.setMinimumSize(int(min(width, MIN_WIDTH_IN * figure.dpi) * 0.95), int(height))
        self.setWidget(canvas)
        self.canvas = canvas


class ResultsPanel(QWidget):
    """Tabs: Agreement, Disagreements, Graders, Trends."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel("")
        self.heading.setObjectName("title")
        self.heading.setWordWrap(True)
        self.scorecard = QComboBox()
        self.scorecard.setToolTip("Questions of one scorecard, or of every scorecard calibrated")
        self.tabs = QTabWidget()
        self.agreement_chart = ChartHolder()
        self.questions = _table(["Question", "Skill", "Items", "Graders", "% agree", "Alpha", "Reading", "Note"])
        self.questions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.questions.setColumnWidth(0, 300)
        agreement = QSplitter(Qt.Orientation.Vertical)
        agreement.addWidget(self.agreement_chart)
        agreement.addWidget(self.questions)
        agreement.setSizes([520, 180])
        self.tabs.addTab(agreement, "Agreement")
        self.split = _table(["Interaction", "Question", "Agreement"])
        self.split.itemSelectionChanged.connect(self._show_disagreement)
        self.detail = QLabel("")
        self.detail.setObjectName("guideline")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail_scroll = QScrollArea()
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setWidget(self.detail)
        disagreements = QSplitter(Qt.Orientation.Vertical)
        disagreements.addWidget(self.split)
        disagreements.addWidget(detail_scroll)
        disagreements.setSizes([420, 200])
        self.tabs.addTab(disagreements, "Disagreements")
        self.graders_chart = ChartHolder()
        self.graders = _table(["Grader", "Items", "Alignment", "95% interval", "Answers compared", "Leniency",
                               "95% interval", "Items compared"])
        graders = QSplitter(Qt.Orientation.Vertical)
        graders.addWidget(self.graders_chart)
        graders.addWidget(self.graders)
        graders.setSizes([440, 160])
        self.tabs.addTab(graders, "Graders")
        self.trends_chart = ChartHolder()
        self.tabs.addTab(self.trends_chart, "Trends")
        guide = QLabel(READING_GUIDE + " Percent agreement is shown beside alpha: alpha corrects it for chance.")
        guide.setObjectName("muted")
        guide.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(QLabel("Scorecard:"))
        top.addWidget(self.scorecard)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(guide)
        layout.addWidget(self.tabs, 1)
        self._rows: pd.DataFrame = pd.DataFrame()

    def show_results(self, figures: ResultFigures) -> None:
        results, scope = figures.results, figures.scope
        sessions = results.sessions
        if scope == ALL:
            items = sum(s.items for s in sessions)
            self.heading.setText(f"All closed sessions: {len(sessions)} session{'s' if len(sessions) != 1 else ''}, "
                                 f"{items} interactions")
        else:
            session = next((s for s in sessions if s.label == scope), None)
            against = session.benchmark if session and session.benchmark else "the consensus of the graders"
            self.heading.setText(f"{scope}: {session.items if session else 0} interactions, "
                                 f"{len(session.graders) if session else 0} graders, benchmark: {against}")
        self.agreement_chart.show_figure(figures.agreement)
        self.graders_chart.show_figure(figures.graders)
        self.trends_chart.show_figure(figures.trends)
        rows = results.agreement[results.agreement["session"] == scope]
        if figures.scorecard:
            rows = rows[rows["scorecard"] == figures.scorecard]
        self._fill_questions(rows.sort_values("alpha", na_position="last", kind="stable"))
        split = results.disagreements
        if scope != ALL:
            split = split[split["session"] == scope]
        if figures.scorecard:
            split = split[split["scorecard"] == figures.scorecard]
        self._fill_disagreements(split)
        self._fill_graders(results.graders[results.graders["session"] == scope])

    def _fill_questions(self, rows: pd.DataFrame) -> None:
        table = self.questions
        table.setRowCount(len(rows))
        for r, row in enumerate(rows.itertuples()):
            cells = [_item(row.question_text, tip=f"{row.scorecard}: {row.question}"), _item(row.skill),
                     _item(str(row.items), True), _item(str(row.graders), True),
                     _item(_number(row.percent_agreement, 0, "%"), True), _item(_number(row.alpha, 2), True),
                     _item(row.reading), _item(row.reason)]
            for c, cell in enumerate(cells):
                table.setItem(r, c, cell)

    def _fill_disagreements(self, rows: pd.DataFrame) -> None:
        self._rows = rows.reset_index(drop=True)
        self.split.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        graders = sorted({name for given in rows["by_grader"] for name in given}, key=str.casefold)
        table = self.split
        headers = ["Interaction", "Question", "Agreement", "Benchmark", *graders]
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(rows))
        for r, row in enumerate(self._rows.itertuples()):
            given = row.by_grader
            cells = [_item(row.interaction, tip=f"{row.session} ({row.held_on})"),
                     _item(row.question_text, tip=f"{row.scorecard}: {row.question} ({row.skill})"),
                     _item(_number(row.agreement, 0, "%"), True), _item(row.benchmark_answer or "no consensus")]
            cells += [_item(given.get(g, "")) for g in graders]
            for c, cell in enumerate(cells):
                if c >= 4 and cell.text() and cell.text() != row.benchmark_answer:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                table.setItem(r, c, cell)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(1, 280)
        if len(rows):
            table.selectRow(0)
        else:
            self.detail.setText("The graders gave the same answers everywhere: nothing to discuss.")

    def _show_disagreement(self) -> None:
        rows = self.split.selectionModel().selectedRows() if self.split.selectionModel() else []
        if not rows or self._rows.empty:
            return
        row = self._rows.iloc[rows[0].row()]
        answers = "".join(f"<li><b>{escape(name)}</b>: {escape(value)}</li>" for name, value in
                          sorted(row["by_grader"].items(), key=lambda kv: kv[0].casefold()))
        guideline = escape(row["guideline"]) or "<i>No guideline yet: write one in Scorecards.</i>"
        self.detail.setText(
            f"<b>{escape(row['question_text'])}</b> ({escape(row['skill'] or 'no skill')}) on interaction "
            f"{escape(row['interaction'])}, {escape(row['session'])}<br>"
            f"Benchmark: <b>{escape(row['benchmark_answer'] or 'no consensus')}</b>"
            f"<ul style='margin-top:2px'>{answers}</ul><b>Guideline:</b> {guideline}")

    def _fill_graders(self, rows: pd.DataFrame) -> None:
        table = self.graders
        table.setRowCount(len(rows))
        for r, row in enumerate(rows.itertuples()):
            benchmark = row.role == "benchmark"
            cells = [_item(row.grader + (" (benchmark)" if benchmark else "")), _item(str(row.items), True),
                     _item(_number(row.alignment, 1, "%"), True),
                     _item("" if benchmark else f"{_number(row.alignment_low, 0)}–{_number(row.alignment_high, 0)}%"),
                     _item(str(row.alignment_n), True),
                     _item("" if benchmark else f"{_number(row.leniency, 1)} pts", True),
                     _item("" if benchmark or pd.isna(row.leniency_low) else
                           f"{_number(row.leniency_low, 1)} to {_number(row.leniency_high, 1)}"),
                     _item(str(row.leniency_n), True)]
            for c, cell in enumerate(cells):
                table.setItem(r, c, cell)
