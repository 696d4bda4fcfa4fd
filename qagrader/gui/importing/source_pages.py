"""Import wizard pages that read the file: choose it, preview it, match its columns.

Everything that reads the file or writes the workspace runs in a `Task` (worker thread with its
own connection), so the window keeps painting and Cancel works.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWizardPage,
)

from qagrader.gui.workers import Tasks

if TYPE_CHECKING:
    from .wizard import InteractionImportWizard

FIELD_LABELS: dict[str, str] = {
    "external_id": "Interaction id",
    "channel": "Channel",
    "agent": "Agent",
    "team": "Team",
    "brand": "Brand",
    "occurred_at": "Date (and time)",
    "occurred_time": "Time of day",
    "csat": "CSAT",
    "subject": "Subject / topic",
    "transcript": "Transcript",
}
FIELD_HINTS: dict[str, str] = {
    "external_id": "required: the ticket or call id, unique per row",
    "occurred_time": "only when the time is in a separate column",
    "channel": "phone, email, chat… (or choose a default channel later)",
}
CSAT_LABELS = {"1-5": "1 to 5", "1-10": "1 to 10", "0-10": "0 to 10", "0-100": "0 to 100 (percent)",
               "binary": "Yes / No (thumbs up/down)"}
DATE_ORDER_LABELS = {"auto": "Detect from the data", "dayfirst": "Day first (31/08/2023)",
                     "monthfirst": "Month first (08/31/2023)"}
NOT_MAPPED = "(not in this file)"
PREVIEW_ROWS = 20


def red() -> str:
    """An error red that reads on light and dark palettes."""
    return "#ef6b6b" if QApplication.palette().window().color().lightness() < 128 else "#c62828"


def error_html(error: BaseException) -> str:
    """The error as HTML-safe text for a rich-text label."""
    from qagrader.gui.messages import user_message

    text = user_message(error)
    text = text[:1].upper() + text[1:]
    return html.escape(text if text.endswith(".") else text + ".")


class FilePage(QWizardPage):
    """Choose the CSV file; its first rows are read in the background."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Choose a CSV file")
        self.setSubTitle("An export of calls, emails or chats from your helpdesk or phone system. "
                         "Nothing is written until the last step.")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Path of a .csv file")
        self.path_edit.editingFinished.connect(lambda: self.set_path(self.path_edit.text()))
        row.addWidget(self.path_edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        row.addWidget(browse)
        layout.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.tasks = Tasks(self)
        self._loaded_path: Path | None = None

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a CSV file", self.path_edit.text() or str(Path.home()),
                                              "CSV files (*.csv *.txt *.tsv);;All files (*)")
        if path:
            self.set_path(path)

    def set_path(self, text: str) -> None:
        """Read the first rows of `text` in a worker; the page completes when that works."""
        text = text.strip()
        self.path_edit.setText(text)
        path = Path(text).expanduser() if text else None
        if path is not None and path == self._loaded_path and self.wiz.preview is not None:
            return
        self.wiz.preview = None
        self._loaded_path = None
        self.completeChanged.emit()
        if path is None:
            self.status.clear()
            return
        self.status.setText("Reading the first rows…")

        def read(progress, cancelled):
            from qagrader.core.importing.interactions import preview

            return preview(path, PREVIEW_ROWS)

        self.tasks.start(read, done=lambda result: self._loaded(path, result), failed=self._failed)

    def _loaded(self, path: Path, result) -> None:
        self.wiz.preview = result
        self.wiz.mapping = dict(result.mapping)
        self._loaded_path = path
        self.status.setText(f"{len(result.headers)} columns found ({result.format.describe()}).")
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"<span style='color:{red()}'>{error_html(error)}</span>")

    def isComplete(self) -> bool:
        return self.wiz.preview is not None


class PreviewPage(QWizardPage):
    """The first rows as read, with the detected encoding and delimiter."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Preview")
        layout = QVBoxLayout(self)
        self.format_label = QLabel()
        self.format_label.setWordWrap(True)
        layout.addWidget(self.format_label)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        layout.addWidget(self.table, 1)

    def initializePage(self) -> None:
        preview = self.wiz.preview
        self.setSubTitle(f"The first {len(preview.rows)} rows of {preview.path.name}, as QA Grader reads them. "
                         "If the columns look wrong, the file may use another delimiter or encoding.")
        self.format_label.setText(f"<b>Encoding:</b> {_encoding_name(preview.format.encoding)} &nbsp;&nbsp; "
                                  f"<b>Delimiter:</b> {_delimiter_name(preview.format.delimiter)} &nbsp;&nbsp; "
                                  f"<b>Columns:</b> {len(preview.headers)}")
        self.table.clear()
        self.table.setColumnCount(len(preview.headers))
        self.table.setRowCount(len(preview.rows))
        self.table.setHorizontalHeaderLabels(list(preview.headers))
        self.table.setVerticalHeaderLabels([str(i + 2) for i in range(len(preview.rows))])
        for r, row in enumerate(preview.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                item.setToolTip(value if len(value) > 40 else "")
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), 260))


class MappingPage(QWizardPage):
    """A combo per field of ours, pre-filled by header guessing."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Match the columns")
        self.setSubTitle("Which column of the file holds each of our fields? The guesses come from the "
                         "column names; fields without a column stay empty.")
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.combos: dict[str, QComboBox] = {}
        self.samples: dict[str, QLabel] = {}
        for field, label in FIELD_LABELS.items():
            combo = QComboBox()
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(lambda _i, f=field: self._changed(f))
            sample = QLabel()
            sample.setEnabled(False)
            sample.setMinimumWidth(200)
            row = QHBoxLayout()
            row.addWidget(combo, 2)
            row.addWidget(sample, 3)
            self.combos[field], self.samples[field] = combo, sample
            text = f"<b>{label} *</b>:" if field == "external_id" else f"{label}:"
            name = QLabel(text)
            if field in FIELD_HINTS:
                name.setToolTip(FIELD_HINTS[field])
                combo.setToolTip(FIELD_HINTS[field])
            self.form.addRow(name, row)
        layout.addLayout(self.form)
        note = QLabel("* required. Hover a field name for help; the grey text shows the value in the first row.")
        note.setEnabled(False)
        note.setWordWrap(True)
        layout.addWidget(note)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {red()};")
        layout.addWidget(self.warning)
        self.others_label = QLabel()
        self.others_label.setWordWrap(True)
        layout.addWidget(self.others_label)
        self.others = QListWidget()  # the columns no field reads: tick one to keep it
        self.others.setFlow(QListWidget.Flow.LeftToRight)
        self.others.setWrapping(True)
        self.others.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.others.setSpacing(2)
        self.others.setMaximumHeight(86)
        self.others.setToolTip("Ticked columns are kept as custom fields of the interactions: shown as "
                               "columns in Interactions and written by the wide export")
        self.others.itemChanged.connect(self._kept_changed)
        layout.addWidget(self.others)
        layout.addStretch(1)
        self._loading = False

    def initializePage(self) -> None:
        preview = self.wiz.preview
        self._loading = True
        for field, combo in self.combos.items():
            combo.clear()
            combo.addItem(NOT_MAPPED, None)
            for header in preview.headers:
                combo.addItem(header, header)
            combo.setCurrentIndex(max(0, combo.findData(self.wiz.mapping.get(field))))
        self._loading = False
        for field in self.combos:
            self._show_sample(field)
        self._check()
        self._list_others()

    def keep(self, column: str, on: bool = True) -> None:
        """Keep (or stop keeping) an unread column as a custom field, as ticking it would."""
        for i in range(self.others.count()):
            item = self.others.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == column:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise ValueError(f"'{column}' is not a column left unread.")

    def _list_others(self) -> None:
        """List the columns the import will not read, each with a box to keep it."""
        from qagrader.core.importing.interactions import ignored_columns

        preview = self.wiz.preview
        unread = ignored_columns(preview.headers, self.wiz.mapping)
        self.wiz.keep = [c for c in self.wiz.keep if c in unread]
        self._loading = True
        self.others.clear()
        for column in unread:
            item = QListWidgetItem(column)
            item.setData(Qt.ItemDataRole.UserRole, column)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if column in self.wiz.keep else Qt.CheckState.Unchecked)
            self.others.addItem(item)
        self._loading = False
        self.others.setVisible(bool(unread))
        self._describe_others(unread)

    def _kept_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        column = item.data(Qt.ItemDataRole.UserRole)
        kept = item.checkState() == Qt.CheckState.Checked
        self.wiz.keep = [c for c in self.wiz.keep if c != column] + ([column] if kept else [])
        from qagrader.core.importing.interactions import ignored_columns

        self._describe_others(ignored_columns(self.wiz.preview.headers, self.wiz.mapping))

    def _describe_others(self, unread: list[str]) -> None:
        if not unread:
            self.others_label.setText("Every column of the file is read.")
            return
        ignored = len(unread) - len(self.wiz.keep)
        self.others_label.setText(
            f"<b>Not read by any field ({len(unread)}):</b> {ignored} will be ignored. Tick a column to keep it "
            "as a custom field of the interactions (e.g. handle time, resolved): shown in Interactions and "
            "written by the wide export.")

    def set_column(self, field: str, column: str | None) -> None:
        combo = self.combos[field]
        combo.setCurrentIndex(max(0, combo.findData(column)))

    def _changed(self, field: str) -> None:
        if self._loading:
            return
        column = self.combos[field].currentData()
        if column is None:
            self.wiz.mapping.pop(field, None)
        else:
            self.wiz.mapping[field] = column
        self._show_sample(field)
        self._check()
        self._list_others()

    def _show_sample(self, field: str) -> None:
        preview, column = self.wiz.preview, self.combos[field].currentData()
        if column is None or not preview.rows:
            self.samples[field].setText("")
            return
        value = preview.rows[0][preview.headers.index(column)]
        value = value.replace("\n", " ")
        self.samples[field].setText(f"e.g. {value[:40] + '…' if len(value) > 40 else value}" if value else "(blank)")

    def _check(self) -> None:
        used: dict[str, list[str]] = {}
        for field in FIELD_LABELS:
            if field in self.wiz.mapping:
                used.setdefault(self.wiz.mapping[field], []).append(FIELD_LABELS[field])
        twice = [f"'{c}' is used for {' and '.join(f)}" for c, f in used.items() if len(f) > 1]
        problems = []
        if "external_id" not in self.wiz.mapping:
            problems.append("Choose the column that holds the interaction id.")
        if twice:
            problems.append("A column can feed only one field: " + "; ".join(twice) + ".")
        self.warning.setText(" ".join(problems))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.warning.text()


def _encoding_name(encoding: str) -> str:
    from qagrader.core.importing.csv_source import ENCODING_NAMES

    return ENCODING_NAMES.get(encoding, encoding)


def _delimiter_name(delimiter: str) -> str:
    from qagrader.core.importing.csv_source import DELIMITER_NAMES

    return DELIMITER_NAMES.get(delimiter, repr(delimiter)).capitalize()
