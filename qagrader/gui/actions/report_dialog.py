"""Reports > Monthly quality report…: the month, filters and format, then the report is built
and written off the GUI thread (a file of its own, atomically, checked by the output guard)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QVBoxLayout, QWidget,
)

from qagrader.analysis.dataset import AnalysisFilters
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.workers import Task, Tasks

FORMATS = (("PDF (A4 pages, for print)", "pdf"), ("PNG images (one per page)", "png"), ("CSV table", "csv"))
ALL = "All"
LAST_DIR = "reports/last_dir"


def recent_months(today: date, count: int = 13) -> list[str]:
    """`count` months back from the month before `today`'s (the usual report), as YYYY-MM."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return [f"{today:%Y-%m}", *months]


class MonthlyReportDialog(QDialog):
    """Choose and write the monthly quality report."""

    written = Signal(list)  # the files written

    def __init__(self, ws: Workspace, parent: QWidget | None = None, today: date | None = None):
        super().__init__(parent)
        self.setWindowTitle("Monthly quality report")
        self.setMinimumWidth(560)
        self.ws = ws
        self._tasks = Tasks(self)
        self.month = QComboBox()
        self.month.setEditable(True)
        self.month.addItems(recent_months(today or date.today()))
        self.month.setCurrentIndex(1)  # last month
        self.month.setToolTip("The month to report, as YYYY-MM (last month by default)")
        self.team, self.channel, self.scorecard = QComboBox(), QComboBox(), QComboBox()
        for combo, values in ((self.team, ws.interactions.teams()), (self.channel, ws.interactions.channels()),
                              (self.scorecard, sorted({s.name for s in ws.scorecards.list(include_archived=True)},
                                                      key=str.casefold))):
            combo.addItem(ALL)
            combo.addItems(values)
        self.format = QComboBox()
        for label, fmt in FORMATS:
            self.format.addItem(label, fmt)
        self.format.currentIndexChanged.connect(self._format_changed)
        folder = Path(str(QSettings().value(LAST_DIR, "") or Path.home()))
        self.path = QLineEdit(str(folder / f"quality-report-{self.month.currentText()}.pdf"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.month.currentTextChanged.connect(self._month_changed)
        form = QFormLayout()
        form.addRow("Month:", self.month)
        form.addRow("Team:", self.team)
        form.addRow("Channel:", self.channel)
        form.addRow("Scorecard:", self.scorecard)
        form.addRow("Format:", self.format)
        form.addRow("Save as:", where)
        about = QLabel("A few A4 pages for the team: QA scores against last month with n and intervals, the top "
                       "agent and team, the skills most associated with CSAT, each team's gaps, coaching follow-ups, "
                       "disputes, calibration and the tip of the month. Associations, not causes.")
        about.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.build)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _fmt(self) -> str:
        return self.format.currentData()

    def _retarget(self) -> None:
        path = Path(self.path.text())
        name = f"quality-report-{self.month.currentText().strip()}.{self._fmt()}"
        if path.name.startswith("quality-report-"):
            self.path.setText(str(path.with_name(name)))
        else:
            self.path.setText(str(path.with_suffix(f".{self._fmt()}")))

    def _format_changed(self, _index: int) -> None:
        self._retarget()

    def _month_changed(self, _text: str) -> None:
        self._retarget()

    def _browse(self) -> None:
        fmt = self._fmt()
        path, _ = QFileDialog.getSaveFileName(self, "Save the monthly report", self.path.text(),
                                              f"{fmt.upper()} files (*.{fmt})")
        if path:
            self.path.setText(path)

    def filters(self) -> AnalysisFilters:
        def chosen(combo: QComboBox) -> tuple[str, ...] | None:
            return None if combo.currentText() == ALL else (combo.currentText(),)
        return AnalysisFilters(teams=chosen(self.team), channels=chosen(self.channel),
                               scorecards=chosen(self.scorecard))

    def build(self) -> Task:
        """Build and write the report off the GUI thread."""
        from qagrader.analysis.monthly.content import build_monthly_report, parse_month
        from qagrader.analysis.monthly.output import write_report

        month, fmt, target, filters = self.month.currentText().strip(), self._fmt(), self.path.text().strip(), \
            self.filters()
        from qagrader.gui.grading.settings import excel_bom

        bom = excel_bom()

        def run(ws, progress, cancelled):
            report = build_monthly_report(ws, parse_month(month), filters)
            return write_report(report, target, fmt, excel_bom=bom)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.status.setText(f"Building the {month} report…")
        return self._tasks.read(self.ws, run, done=self._written, failed=self._failed)

    def _written(self, paths: list[Path]) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        QSettings().setValue(LAST_DIR, str(Path(paths[0]).parent))
        shown = str(paths[0]) if len(paths) == 1 else f"{len(paths)} pages: {paths[0]} …"
        self.status.setText(f"Saved {shown}")
        self.written.emit(paths)

    def _failed(self, error: BaseException) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        self.status.setText(str(error))
