"""One chart of the Analysis tab: its choosers, the matplotlib canvas in the app's colours, a
plain-language caption, the table behind it (shown on demand), and the buttons a QA lead needs:
Save image…, Copy (the chart, or the table when shown), Show table, Export CSV…"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QFrame,
    QToolButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.errors import QAGraderError
from qagrader.core.exporting.csv_files import write_table
from qagrader.core.storage.files import atomic_file
from qagrader.gui.grading.settings import excel_bom
from qagrader.gui.messages import show_error

from .table_model import DataFrameModel, Formatter, sortable

if TYPE_CHECKING:  # matplotlib is imported when the first chart is shown (see `import_matplotlib`)
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

FigureBuilder = Callable[[], "Figure"]
IMAGE_FILTERS = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"
SAVE_SIZE = (10.0, 6.0)  # inches at 100 dpi: the CLI's size
CAPTION_SHARE = 0.3  # of the page's height, at most, for the caption (it scrolls beyond)


def import_matplotlib() -> None:
    """Import what the charts need. The tab calls it once its first analysis is running, so
    that the GUI thread imports matplotlib while the worker imports scipy."""
    import matplotlib.backends.backend_qtagg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def hide_figure_caption(figure: "Figure") -> None:
    """Hide the caption the plot functions put under the chart (the tab shows it as a Qt label,
    which wraps and scales better); saved files are rebuilt with it."""
    caption = getattr(figure, "_supxlabel", None)
    if caption is not None:
        caption.set_visible(False)
        caption.set_in_layout(False)


def _button(text: str) -> QToolButton:
    """A compact text button (a tool button: less padding than a push button, so the header's
    buttons and choosers fit side by side at the app's smallest size)."""
    button = QToolButton()
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


def themed_for(widget: QWidget, figure: "Figure") -> "Figure":
    """`figure` in `widget`'s colours (its text on its base colour: white, or dark in a dark theme)."""
    from qagrader.analysis.chart_theme import themed

    palette = widget.palette()
    return themed(figure, palette.color(QPalette.ColorRole.WindowText).name(),
                  palette.color(QPalette.ColorRole.Base).name())


def copy_figure(figure: "Figure") -> None:
    """Put `figure` on the clipboard as an image (paper colours, for pasting into documents)."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=100, format="png")
    image = QImage.fromData(buffer.getvalue(), "PNG")
    QGuiApplication.clipboard().setImage(image)


class ChartPage(QWidget):
    """Add choosers to `controls`; call `show_chart(builder)`, `set_table(...)`, `set_caption`.
    "Show table" swaps the chart for the table behind it (and back)."""

    chart_shown = Signal()

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.canvas: FigureCanvasQTAgg | None = None
        self._builder: FigureBuilder | None = None
        self._recolour = False
        self.export_frame = pd.DataFrame()
        self.last_dir = Path.home()

        self.controls = QHBoxLayout()
        self.controls.setSpacing(6)
        self.save_button = _button("Save image…")
        self.save_button.setToolTip("Save the chart, with its caption, as PNG, SVG or PDF")
        self.save_button.clicked.connect(lambda: self.save_chart())
        self.copy_button = _button("Copy")
        self.copy_button.setToolTip("Copy the chart as an image (or the table, when shown) to paste elsewhere")
        self.copy_button.clicked.connect(self.copy)
        self.table_button = _button("Show table")
        self.table_button.setCheckable(True)
        self.table_button.setToolTip("Show the numbers behind this chart (click again for the chart)")
        self.table_button.toggled.connect(self._toggle_table)
        self.export_button = _button("Export CSV…")
        self.export_button.setToolTip("Save the table behind this chart as a CSV file")
        self.export_button.clicked.connect(lambda: self.export_csv())
        header = QHBoxLayout()
        header.addLayout(self.controls)
        header.addStretch(1)
        for button in (self.save_button, self.copy_button, self.table_button, self.export_button):
            header.addWidget(button)

        self.chart_host = QWidget()
        self.chart_layout = QVBoxLayout(self.chart_host)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_layout.setSpacing(0)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.caption.setStyleSheet("color: palette(window-text); padding: 2px 4px;")
        # In a small window the caption scrolls rather than squeezing the chart (at most
        # `CAPTION_SHARE` of the page's height).
        self.caption_box = QScrollArea()
        self.caption_box.setWidget(self.caption)
        self.caption_box.setWidgetResizable(True)
        self.caption_box.setFrameShape(QFrame.Shape.NoFrame)
        self.caption_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.caption_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.model = DataFrameModel()
        self.table = QTableView()
        self.table.setModel(sortable(self.model, self.table))
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # A chart taller than the room (the heatmap of many agents in a small window) scrolls
        # rather than squeezing its labels together: see `min_chart_height`.
        self.chart_scroll = QScrollArea()
        self.chart_scroll.setWidget(self.chart_host)
        self.chart_scroll.setWidgetResizable(True)
        self.chart_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.min_chart_height = 240
        self.views = QStackedWidget()  # the chart, or the table behind it: each gets the room
        self.views.addWidget(self.chart_scroll)
        self.views.addWidget(self.table)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.views, 1)
        layout.addWidget(self.caption_box)

    # ------------------------------------------------------------------ chart

    def show_chart(self, builder: FigureBuilder) -> "Figure":
        """Build the figure (quick: from an already computed result) and show it in a new
        canvas in the app's colours, drawn once when Qt next paints."""
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        self._builder = builder
        figure = builder()
        hide_figure_caption(figure)
        themed_for(self, figure)
        canvas = FigureCanvasQTAgg(figure)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.setMinimumSize(320, self.min_chart_height)
        if self.canvas is not None:
            self.chart_layout.removeWidget(self.canvas)
            self.canvas.hide()
            self.canvas.deleteLater()
        self.chart_layout.addWidget(canvas, 1)
        self.canvas = canvas  # drawn once, when Qt lays it out and shows it
        self.chart_shown.emit()
        return figure

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """A new theme: the chart is drawn again in its colours (a hidden one when next shown)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._builder is not None and self.canvas is not None:
            self._recolour = True
            if self.isVisible():
                self._recolour_now()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._recolour:
            self._recolour_now()

    def _recolour_now(self) -> None:
        self._recolour = False
        if self._builder is not None:
            self.show_chart(self._builder)

    def copy(self) -> None:
        """The chart as an image, or the table as tab-separated text when the table is shown."""
        if self.views.currentWidget() is self.table:
            from qagrader.core.exporting.csv_files import table_text

            QGuiApplication.clipboard().setText(table_text(self.export_frame))
        elif self._builder is not None:
            figure = self._builder()
            if self.canvas is not None:  # at the size shown, caption included
                figure.set_size_inches(self.canvas.width() / 100, max(self.canvas.height() / 100, 3.0))
            copy_figure(figure)

    def shown_size(self) -> tuple[float, float] | None:
        """The size (inches at 100 dpi) a chart will be shown at, or None before the page has
        a size: plot functions choose labels that fit it."""
        self.layout().activate()  # after a new caption or notice: the room left now
        room = self.chart_scroll.viewport()
        if room.width() < 200 or room.height() < 150:
            return None
        return room.width() / 100, max(room.height(), self.min_chart_height, 120) / 100

    @property
    def figure(self) -> "Figure | None":
        return self.canvas.figure if self.canvas is not None else None

    def save_chart(self, path: str | Path | None = None) -> Path | None:
        """Save the chart (with its caption, at the CLI's size) as PNG, SVG or PDF."""
        if self._builder is None:
            return None
        if path is None:
            chosen, selected = QFileDialog.getSaveFileName(
                self, "Save chart", str(self.last_dir / f"{self.name}.png"), IMAGE_FILTERS)
            if not chosen:
                return None
            path = _with_suffix(chosen, selected, {"PNG": ".png", "SVG": ".svg", "PDF": ".pdf"})
        path = Path(path)
        try:
            figure = self._builder()
            figure.set_size_inches(*SAVE_SIZE)
            with atomic_file(path, "wb") as handle:
                figure.savefig(handle, dpi=100, format=path.suffix.lstrip(".").lower() or "png")
        except QAGraderError as error:
            show_error(self, error)
            return None
        except ValueError as error:  # a format matplotlib does not write
            show_error(self, f"Cannot save the chart to {path}: {error}")
            return None
        self.last_dir = path.parent
        return path

    # ------------------------------------------------------------------ caption and table

    def set_caption(self, html: str) -> None:
        self.caption.setText(html)
        self._fit_caption()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_caption()

    def _fit_caption(self) -> None:
        """The caption's box: as tall as its text, at most `CAPTION_SHARE` of the page."""
        width = max(self.caption_box.viewport().width(), 200)
        needed = self.caption.heightForWidth(width) if self.caption.text() else 0
        self.caption_box.setFixedHeight(max(0, min(needed + 2, int(self.height() * CAPTION_SHARE))))

    def set_table(self, frame: pd.DataFrame, *, export: pd.DataFrame | None = None,
                  formatters: dict[str, Formatter] | None = None,
                  muted_rows: Iterable[int] = ()) -> None:
        """Show `frame` in the table; "Export CSV…" writes `export` (default: `frame`)."""
        self.export_frame = frame if export is None else export
        self.model.set_frame(frame, formatters, muted_rows)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.model().sort(-1)
        if self.views.currentWidget() is self.table:
            self.table.resizeColumnsToContents()
        self.export_button.setEnabled(not frame.empty)
        self.copy_button.setEnabled(True)

    def _toggle_table(self, on: bool) -> None:
        self.views.setCurrentWidget(self.table if on else self.chart_scroll)
        self.table_button.setText("Show chart" if on else "Show table")
        if on:
            self.table.resizeColumnsToContents()

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the table behind the chart as CSV (`core.exporting.csv_files` conventions)."""
        written = save_csv(self, self.export_frame, self.last_dir / f"{self.name}.csv", path)
        if written is not None:
            self.last_dir = written.parent
        return written


def save_csv(parent: QWidget, frame: pd.DataFrame, suggested: Path,
             path: str | Path | None = None) -> Path | None:
    """Write `frame` as CSV to `path`, or to a file the user chooses; errors are shown. CRLF,
    dates Excel reads, the byte-order mark as Preferences say (`excel_bom`)."""
    if path is None:
        chosen, _ = QFileDialog.getSaveFileName(parent, "Export table as CSV", str(suggested),
                                                "CSV files (*.csv);;All files (*)")
        if not chosen:
            return None
        path = chosen if Path(chosen).suffix else chosen + ".csv"
    path = Path(path)
    try:
        write_table(path, frame, excel_bom=excel_bom())
    except QAGraderError as error:
        show_error(parent, error)
        return None
    return path


def _with_suffix(path: str, selected_filter: str, suffixes: dict[str, str]) -> str:
    if Path(path).suffix.lower() in suffixes.values():
        return path
    for key, suffix in suffixes.items():
        if selected_filter.startswith(key):
            return path + suffix
    return path + ".png"
