"""Import wizard pages that check and import: dry run, import."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWizardPage,
)

from qagrader.gui.operations import Write, operations
from qagrader.gui.workers import Tasks

from .problems import ProblemsView
from .source_pages import error_html, red

if TYPE_CHECKING:
    from .wizard import InteractionImportWizard


class DryRunPage(QWizardPage):
    """Checks every row without writing and lists every problem."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Check the file")
        self.setSubTitle("Every row is checked; nothing is written yet.")
        self.setCommitPage(True)
        self.setButtonText(wizard.WizardButton.CommitButton, "Import")
        layout = QVBoxLayout(self)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        layout.addWidget(self.progress)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.problems = ProblemsView()
        layout.addWidget(self.problems, 1)
        self.problems.hide()
        self.skip = QCheckBox()
        self.skip.toggled.connect(lambda: (self._update_rejects(), self.completeChanged.emit()))
        layout.addWidget(self.skip)
        rejects_row = QHBoxLayout()
        self.rejects_label = QLabel()
        self.rejects_label.setWordWrap(True)
        self.rejects_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rejects_row.addWidget(self.rejects_label, 1)
        self.rejects_button = QPushButton("Change…")
        self.rejects_button.clicked.connect(self._choose_rejects)
        rejects_row.addWidget(self.rejects_button)
        layout.addLayout(rejects_row)
        self._filler = layout.count()
        layout.addStretch(1)  # keeps the text at the top while the table is hidden
        self.tasks = Tasks(self)
        self.report = None

    def _show_table(self, shown: bool) -> None:
        self.problems.setVisible(shown)
        self.layout().setStretch(self._filler, 0 if shown else 1)

    def initializePage(self) -> None:
        self.report = None
        self.problems.set_problems([])
        self._show_table(False)
        self.skip.hide()
        self.skip.setChecked(False)
        self.rejects_label.hide()
        self.rejects_button.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.summary.setText("Checking every row…")
        check = partial(_import, path=self.wiz.preview.path, options=self.wiz.import_options(dry_run=True))
        self.tasks.read(self.wiz.ws, check, done=self._done, failed=self._failed,
                        progress=lambda f: self.progress.setValue(int(f * 1000)))
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        self.tasks.cancel()

    def _done(self, report) -> None:
        self.report = report
        self.progress.hide()
        problems = report.problems
        counts = (f"{report.rows_read:,} rows checked: {report.inserted:,} new interaction"
                  f"{'s' if report.inserted != 1 else ''}, {report.updated:,} to update (already in the "
                  f"workspace).")
        if not problems:
            self.summary.setText(f"<b>No problems found.</b> {counts} Click Import to write them.")
            self.completeChanged.emit()
            return
        rows = len({p.row for p in problems if p.row is not None})
        fatal = any(p.row is None for p in problems)
        self.summary.setText(
            f"<span style='color:{red()}'><b>{len(problems):,} problem{'s' if len(problems) != 1 else ''}"
            f"</b></span> in {rows:,} row{'s' if rows != 1 else ''}. "
            + ("Some concern the whole file: go Back and change the options, or fix the file."
               if fatal else "Fix the file and check again, or skip the rows with problems."))
        self.problems.set_problems(problems)
        self._show_table(True)
        if not fatal:
            good = report.rows_read - report.skipped
            self.skip.setText(f"Skip the {report.skipped:,} rows with problems and import the other {good:,}")
            self.skip.show()
        self._update_rejects()
        self.completeChanged.emit()

    def _update_rejects(self) -> None:
        shown = not self.skip.isHidden() and self.skip.isChecked()
        self.rejects_label.setVisible(shown)
        self.rejects_button.setVisible(shown)
        if shown:
            self.rejects_label.setText(f"Skipped rows will be saved, with their problems, to "
                                       f"<b>{self.wiz.rejects_path()}</b>")

    def _choose_rejects(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save skipped rows as", str(self.wiz.rejects_path()),
                                              "CSV files (*.csv)")
        if path:
            self.wiz.rejects_override = Path(path)
            self._update_rejects()

    def _failed(self, error: BaseException) -> None:
        self.progress.hide()
        self.summary.setText(f"<span style='color:{red()}'>{error_html(error)}</span> Go Back to change the "
                             "columns or options.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.report is None:
            return False
        return self.report.ok or (not self.skip.isHidden() and self.skip.isChecked())


class ImportPage(QWizardPage):
    """Writes the interactions through `operations` (off the GUI thread), with progress and
    Cancel."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Import")
        self.setSubTitle("The interactions are written in one step: if anything goes wrong or you "
                         "cancel, the workspace stays as it was.")
        layout = QVBoxLayout(self)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        layout.addWidget(self.progress)
        row = QHBoxLayout()
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.result, 1)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self.initializePage)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addStretch(1)
        self.write: Write | None = None
        self.report = None
        self.finished = False

    def initializePage(self) -> None:
        self.report, self.finished = None, False
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.retry_button.hide()
        self.result.setText("Importing…")
        self.write = operations().run(
            self.wiz.ws, _import, self.wiz.preview.path, self.wiz.import_options(dry_run=False), owner=self,
            done=self._done, failed=self._failed, cancelled=self._cancelled,
            progress=lambda f: self.progress.setValue(int(f * 1000)))
        self.completeChanged.emit()

    @property
    def running(self) -> bool:
        return self.write is not None and not self.write.finished

    def cancel(self) -> None:
        if self.running:
            self.write.cancel()
            self.cancel_button.setEnabled(False)
            self.result.setText("Cancelling…")

    def _end(self) -> None:
        self.finished = True
        self.cancel_button.hide()
        self.completeChanged.emit()

    def _done(self, report) -> None:
        self.report = report
        self.progress.setValue(1000)
        total = report.inserted + report.updated
        text = (f"<b>Imported {total:,} interaction{'s' if total != 1 else ''}</b>: {report.inserted:,} new, "
                f"{report.updated:,} updated.")
        if report.skipped:
            text += (f"<br>{report.skipped:,} rows with problems were skipped; they are in "
                     f"<b>{report.rejects_path}</b> with a 'problem' column, ready to fix and import again.")
        self.result.setText(text)
        self._end()
        self.wiz.imported.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.progress.hide()
        self.result.setText(f"<span style='color:{red()}'>{error_html(error)}</span>")
        self.retry_button.show()
        self._end()

    def _cancelled(self) -> None:
        self.progress.hide()
        self.result.setText("Import cancelled; nothing was written.")
        self.retry_button.show()
        self._end()

    def isComplete(self) -> bool:
        return self.finished


def _import(ws, path, options, *, progress, cancelled):
    """The import of `path`: a dry run, or every row in one transaction (or nothing)."""
    from qagrader.core.importing.interactions import import_interactions

    return import_interactions(ws, path, options, progress, cancelled)
