"""Export dialog: evaluations (wide or long CSV, filtered) or one scorecard (JSON or CSV).

The file name follows the choices until the user names the file; an existing file is replaced
only after asking; the dialog keeps its width whatever is chosen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
    QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
    QRadioButton, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget,
)

from qagrader.core.errors import QAGraderError
from qagrader.gui.messages import show_error
from qagrader.gui.workers import Task, Tasks

ALL = "(all scorecards)"
STATUSES = {"submitted": "Submitted only", None: "Submitted and drafts", "draft": "Drafts only"}
WIDTH = 680
_SETTINGS_DIR = "export/last_folder"


class ExportDialog(QDialog):
    """Choose what to export and where; the file is written in a worker with progress."""

    def __init__(self, ws, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle("Export")
        self._tasks = Tasks(self)
        self.last_path: Path | None = None
        self._suggested = ""  # the file name last proposed; the path follows the choices while it is shown
        self._confirmed: Path | None = None  # a file the save dialog already asked to replace
        self._build()
        self._load_choices()
        self.setFixedWidth(WIDTH)  # the same width whatever is chosen (only the height follows)
        self._choice_changed()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        kind_row = QHBoxLayout()
        self.kind_group = QButtonGroup(self)
        self.evaluations_radio = QRadioButton("Evaluations")
        self.scorecard_radio = QRadioButton("A scorecard")
        self.evaluations_radio.setChecked(True)
        for button in (self.evaluations_radio, self.scorecard_radio):
            self.kind_group.addButton(button)
            kind_row.addWidget(button)
        kind_row.addStretch(1)
        layout.addWidget(QLabel("<b>What to export</b>"))
        layout.addLayout(kind_row)

        self.pages = QStackedWidget()
        evaluations = QGroupBox("Evaluations")
        form = QFormLayout(evaluations)
        shape_row = QVBoxLayout()
        self.wide_radio = QRadioButton("Wide: one row per evaluation, one column per question")
        self.long_radio = QRadioButton("Long: one row per answer (for pivot tables and BI tools)")
        self.wide_radio.setChecked(True)
        shape_row.addWidget(self.wide_radio)
        shape_row.addWidget(self.long_radio)
        form.addRow("Layout:", shape_row)
        self.scorecard_filter = QComboBox()
        form.addRow("Scorecard:", self.scorecard_filter)
        self.status_filter = QComboBox()
        for value, label in STATUSES.items():
            self.status_filter.addItem(label, value)
        form.addRow("Status:", self.status_filter)
        self.include_calibration = QCheckBox("Include calibration grades (of closed sessions)")
        self.include_calibration.setToolTip("Calibration grades are left out by default: they are not grades of the "
                                            "team's work. An open session's grades stay hidden.")
        form.addRow("", self.include_calibration)
        self.headers = QComboBox()
        self.headers.addItem("Question keys (e.g. empathy)", "key")
        self.headers.addItem("Question text (e.g. Acknowledged how the customer felt)", "text")
        self.headers.setToolTip("How the wide layout names its question columns. With several scorecards, "
                                "each scorecard gets its own columns (Phone QA: empathy).")
        form.addRow("Question columns:", self.headers)
        self.time_zone = QComboBox()
        from qagrader.gui.grading.settings import local_time_zone

        local = local_time_zone()
        if local != "UTC":
            self.time_zone.addItem(f"My time zone ({local})", local)
        self.time_zone.addItem("UTC", "UTC")
        self.time_zone.setToolTip("Dates and times are written as 2026-11-03 14:05:00, which Excel reads as "
                                  "dates; the column header names the zone.")
        form.addRow("Times in:", self.time_zone)
        self.columns_note = QLabel("")
        self.columns_note.setWordWrap(True)
        self.columns_note.setEnabled(False)  # a hint, in the palette's disabled text colour
        form.addRow(self.columns_note)  # across both columns: its height follows its full width
        self.pages.addWidget(evaluations)

        scorecard = QGroupBox("Scorecard")
        card_form = QFormLayout(scorecard)
        self.scorecard_choice = QComboBox()
        card_form.addRow("Scorecard:", self.scorecard_choice)
        format_row = QHBoxLayout()
        self.json_radio = QRadioButton("JSON (to import elsewhere)")
        self.csv_radio = QRadioButton("CSV (to read in a spreadsheet)")
        self.json_radio.setChecked(True)
        format_row.addWidget(self.json_radio)
        format_row.addWidget(self.csv_radio)
        format_row.addStretch(1)
        card_form.addRow("Format:", format_row)
        self.pages.addWidget(scorecard)
        layout.addWidget(self.pages)
        from qagrader.gui.grading.settings import excel_bom

        self.excel_bom = QCheckBox("Excel-friendly CSV: UTF-8 with a byte-order mark, so accents show correctly")
        self.excel_bom.setChecked(excel_bom())
        layout.addWidget(self.excel_bom)

        target = QFormLayout()
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        path_row.addWidget(self.path_edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        path_row.addWidget(browse)
        target.addRow("<b>Save as:</b>", path_row)
        layout.addLayout(target)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        layout.addWidget(self.progress)
        result_row = QHBoxLayout()
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result_row.addWidget(self.result, 1)
        self.open_folder = QPushButton("Show in folder")
        self.open_folder.hide()
        self.open_folder.clicked.connect(self._show_folder)
        result_row.addWidget(self.open_folder, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(result_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.cancel_button = self.buttons.addButton("Cancel export", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        for signal in (self.evaluations_radio.toggled, self.wide_radio.toggled, self.json_radio.toggled,
                       self.scorecard_filter.currentIndexChanged, self.scorecard_choice.currentIndexChanged,
                       self.status_filter.currentIndexChanged):
            signal.connect(self._choice_changed)

    def _load_choices(self) -> None:
        cards = self.ws.scorecards.list(include_archived=True)
        self.scorecard_filter.addItem(ALL, None)
        for stored in cards:
            suffix = " (archived)" if stored.archived else ""
            self.scorecard_filter.addItem(stored.name + suffix, stored.name)
            self.scorecard_choice.addItem(f"{stored.name} v{stored.version}{suffix}", stored.name)
        self.scorecard_radio.setEnabled(bool(cards))

    # ------------------------------------------------------------------ choices

    def _choice_changed(self) -> None:
        index = 0 if self.evaluations_radio.isChecked() else 1
        self.pages.setCurrentIndex(index)
        for i in range(self.pages.count()):  # the stack takes the height of the shown page only
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(policy, policy)
        self.pages.adjustSize()
        wide = self.evaluations_radio.isChecked() and self.wide_radio.isChecked()
        self.headers.setEnabled(wide)
        several = self.scorecard_filter.currentData() is None and self.scorecard_filter.count() > 2
        self.columns_note.setText("Several scorecards: each gets its own question columns (e.g. “Phone QA: "
                                  "empathy”), so answers of different types never share a column. Choose one "
                                  "scorecard for plain question columns." if wide and several else "")
        self.columns_note.setVisible(bool(self.columns_note.text()))
        self.excel_bom.setEnabled(self._suffix() == ".csv")
        self.layout().activate()
        self.resize(WIDTH, self.sizeHint().height())  # the height follows; the width stays
        if not self._tasks.running:
            self.progress.hide()
            self.result.clear()
            self.open_folder.hide()
        self._suggest_path()

    def _folder(self) -> Path:
        text = self.path_edit.text().strip()
        if text:
            return Path(text).expanduser().parent
        saved = QSettings().value(_SETTINGS_DIR, "")
        return Path(saved) if saved and Path(saved).is_dir() else Path.home()

    def _suggest_path(self) -> None:
        """Name the file after what is exported (scope, layout, status, date), in the current
        folder, unless the user gave the file a name of their own (then only its suffix follows)."""
        text = self.path_edit.text().strip()
        if text and Path(text).name != self._suggested:
            self._fix_suffix()
            return
        if self.evaluations_radio.isChecked():
            scope = self.scorecard_filter.currentData() or "evaluations"
            status = {"submitted": "", None: "-with-drafts", "draft": "-drafts"}[self.status_filter.currentData()]
            name = (f"{_slug(scope)}-{'wide' if self.wide_radio.isChecked() else 'long'}{status}-"
                    f"{date.today():%Y-%m-%d}.csv")
        else:
            name = f"{_slug(self.scorecard_choice.currentData() or 'scorecard')}{self._suffix()}"
        self._suggested = name
        self.path_edit.setText(str(self._folder() / name))

    def _suffix(self) -> str:
        return ".json" if self.scorecard_radio.isChecked() and self.json_radio.isChecked() else ".csv"

    def _fix_suffix(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix(self._suffix())))

    def browse(self) -> None:
        kind = "JSON files (*.json)" if self._suffix() == ".json" else "CSV files (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), kind)
        if path:
            self.set_path(path, confirmed=True)

    def set_path(self, path: str | Path, *, confirmed: bool = False) -> None:
        """Export to `path` (a name of the user's own: it no longer follows the choices).
        `confirmed`: the user already agreed to replace it (the save dialog asks)."""
        self.path_edit.setText(str(path))
        self._confirmed = Path(path) if confirmed else None

    # ------------------------------------------------------------------ export

    def export(self) -> Task | None:
        """Write the file in a worker; the result line says where it went."""
        text = self.path_edit.text().strip()
        if not text:
            show_error(self, QAGraderError("Choose a file to export to."))
            return None
        out = Path(text).expanduser()
        if not out.parent.is_dir():
            show_error(self, QAGraderError(f"The folder {out.parent} does not exist."))
            return None
        if out.exists() and out != self._confirmed and not self._replace_ok(out):
            return None
        if self.evaluations_radio.isChecked():
            shape = "wide" if self.wide_radio.isChecked() else "long"
            scorecard, status = self.scorecard_filter.currentData(), self.status_filter.currentData()
            bom = self.excel_bom.isChecked()
            calibration = self.include_calibration.isChecked()
            headers, zone = self.headers.currentData(), self.time_zone.currentData()

            def run(ws, progress, cancelled):
                from qagrader.core.exporting.csv_export import export_evaluations

                return export_evaluations(ws, out, shape=shape, scorecard=scorecard, status=status,
                                          include_calibration=calibration, excel_bom=bom, headers=headers,
                                          time_zone=zone, progress=progress, cancelled=cancelled)
        else:
            name = self.scorecard_choice.currentData()
            bom = self.excel_bom.isChecked()

            def run(ws, progress, cancelled):
                from qagrader.core.exporting.csv_export import export_scorecard

                export_scorecard(ws, name, out, excel_bom=bom)
                return None

        self.progress.setValue(0)
        self.progress.show()
        self.result.setText("Exporting…")
        self.open_folder.hide()
        self._running(True)
        return self._tasks.read(self.ws, run, done=lambda count: self._done(out, count), failed=self._failed,
                                cancelled=self._cancelled,
                                progress=lambda f: self.progress.setValue(int(f * 1000)))

    def _replace_ok(self, out: Path) -> bool:
        """Ask before replacing an existing file."""
        answer = QMessageBox.question(
            self, "Replace the file?", f"{out.name} already exists in {out.parent}. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def cancel(self) -> None:
        self._tasks.cancel()
        self._cancelled()

    def _running(self, running: bool) -> None:
        self.export_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.pages.setEnabled(not running)

    def _done(self, out: Path, count: int | None) -> None:
        self._running(False)
        self.progress.setValue(1000)
        self.last_path = out
        what = (f"{count:,} evaluation{'s' if count != 1 else ''}" if count is not None
                else f"scorecard '{self.scorecard_choice.currentData()}'")
        if count is not None and not self.wide_radio.isChecked():
            what = f"{count:,} answer{'s' if count != 1 else ''}"
        self.result.setText(f"Exported {what} to <b>{out}</b>")
        self.open_folder.show()
        QSettings().setValue(_SETTINGS_DIR, str(out.parent))

    def _failed(self, error: BaseException) -> None:
        self._running(False)
        self.progress.hide()
        self.result.setText("")
        show_error(self, error)

    def _cancelled(self) -> None:
        self._running(False)
        self.progress.hide()
        self.result.setText("Export cancelled; no file was written.")

    def _show_folder(self) -> None:
        if self.last_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_path.parent)))

    def reject(self) -> None:
        if self._tasks.running and self.cancel_button.isVisible():
            answer = QMessageBox.question(self, "Export", "Stop the export? No file will be written.")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self._tasks.cancel()
        super().reject()


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "export"
