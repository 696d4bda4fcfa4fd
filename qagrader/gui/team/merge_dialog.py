"""File > Merge workspace… and File > Team folder…: a dry run first (what would come in, every
conflict, read in the background), then the merge, a write run by `operations`, with its
report. Publishing to the team folder runs in the background too."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar,
    QPushButton, QVBoxLayout, QWidget,
)

from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import settings
from qagrader.gui.messages import show_error
from qagrader.gui.operations import Write, operations
from qagrader.gui.workers import Task, Tasks

TEAM_FOLDER = "team/folder"


def team_folder() -> Path | None:
    """The team folder this app remembers, if any."""
    value = str(QSettings().value(TEAM_FOLDER, "") or "").strip()
    return Path(value) if value else None


def set_team_folder(folder: Path | None) -> None:
    QSettings().setValue(TEAM_FOLDER, str(folder) if folder else "")


class _ReportDialog(QDialog):
    """A dialog that runs a dry run, shows its report, and runs the real thing on request."""

    merged = Signal(object)  # the report of the merge that was written

    def __init__(self, ws: Workspace, title: str, action: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self._tasks = Tasks(self)
        self.result = None
        self.setWindowTitle(title)
        self.resize(720, 460)
        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-size: 11pt; font-weight: 600;")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFont("monospace", 9))
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.run_button.clicked.connect(self.run)
        self.close_button.clicked.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.headline)
        self.body.addWidget(self.progress)
        self.body.addWidget(self.report, 1)
        self.body.addWidget(self.buttons)

    def work(self, dry_run: bool):  # -> callable(ws, *, progress, cancelled) returning a report
        raise NotImplementedError

    def preview(self) -> Task:
        """Start the dry run (a read, in the background)."""
        self.headline.setText("Reading what the other workspace holds…")
        self.run_button.setEnabled(False)
        self._show_progress()
        return self._tasks.read(self.ws, self.work(True), done=lambda report: self._done(report, True),
                                failed=self._failed, progress=self._progressed,
                                cancelled=lambda: self._failed("Cancelled; nothing was changed."))

    def run(self) -> Write:
        """Start the merge itself (a write, through `operations`)."""
        self.headline.setText("Merging… (a backup of this workspace is taken first)")
        self.run_button.setEnabled(False)
        self._show_progress()
        return operations().run(self.ws, self.work(False), owner=self,
                                done=lambda report: self._done(report, False), failed=self._failed,
                                cancelled=lambda: self._failed("Cancelled; nothing was changed."),
                                progress=self._progressed)

    def _show_progress(self) -> None:
        self.progress.setValue(0)
        self.progress.show()

    def _progressed(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))

    def _done(self, report, dry_run: bool) -> None:
        self.progress.hide()
        self.result = report
        self.report.setPlainText("\n".join(report.lines()))
        if dry_run:
            changed = report.new_count > 0 or bool(report.conflicts)
            self.headline.setText(("Would bring in: " if changed else "") + report.summary())
            self.run_button.setEnabled(changed)
        else:
            self.headline.setText("Done. " + report.summary())
            self.run_button.setEnabled(False)
            self.merged.emit(report)

    def _failed(self, error) -> None:
        self.progress.hide()
        self.headline.setText(str(error))
        self.report.setPlainText(f"{error}\n\nNothing was changed.")

    def reject(self) -> None:
        self._tasks.cancel()
        super().reject()


class MergeWorkspaceDialog(_ReportDialog):
    """Merge one other workspace file into the open one."""

    def __init__(self, ws: Workspace, other: Path, parent: QWidget | None = None):
        super().__init__(ws, f"Merge {other.name}", "Merge", parent)
        self.other = other

    def work(self, dry_run: bool):
        from qagrader.core.merging.merge import merge_workspace

        other, grader = self.other, settings.grader_name()

        def merge(ws, progress, cancelled):
            return merge_workspace(ws, other, dry_run=dry_run, merged_by=grader, progress=progress,
                                   cancelled=cancelled)
        return merge


class TeamFolderDialog(_ReportDialog):
    """Choose (and remember) the team folder, see how much is new there, bring it in, and
    publish this workspace's copy."""

    published = Signal(object)  # the path written

    def __init__(self, ws: Workspace, parent: QWidget | None = None):
        super().__init__(ws, "Team folder", "Bring in the team's work", parent)
        self._publish_task = Tasks(self)
        self.folder = QLineEdit(str(team_folder() or ""))
        self.folder.setPlaceholderText("A shared folder: network drive or synced folder")
        self.folder.setReadOnly(True)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose)
        self.publish_button = QPushButton("Publish my copy")
        self.publish_button.setToolTip("Write a copy of this workspace into the team folder, so that the "
                                       "others can bring in your work")
        self.publish_button.clicked.connect(self.publish)
        row = QHBoxLayout()
        row.addWidget(QLabel("Folder:"))
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        row.addWidget(self.publish_button)
        history = QPushButton("Merge history")
        history.setToolTip("The merges kept in this workspace's merge log, newest first")
        history.clicked.connect(self.show_history)
        row.addWidget(history)
        self.body.insertLayout(0, row)
        self.note = QLabel("Every workspace file in the folder (except this one) is merged, one at a time. "
                           "Scorecards and interactions travel from the lead to the graders this way, and "
                           "grades travel back.")
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.body.insertWidget(1, self.note)
        self.publish_button.setEnabled(team_folder() is not None)
        if team_folder() is None:
            self.headline.setText("Choose the team's shared folder.")

    def set_folder(self, folder: Path) -> Task:
        set_team_folder(folder)
        self.folder.setText(str(folder))
        self.publish_button.setEnabled(True)
        return self.preview()

    def choose(self) -> None:
        start = str(team_folder() or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Team folder", start)
        if folder:
            self.set_folder(Path(folder))

    def work(self, dry_run: bool):
        from qagrader.core.merging.merge import merge_folder

        folder, grader = Path(self.folder.text()), settings.grader_name()

        def merge(ws, progress, cancelled):
            return merge_folder(ws, folder, dry_run=dry_run, merged_by=grader, progress=progress,
                                cancelled=cancelled)
        return merge

    def show_history(self) -> None:
        """The workspace's merge log, newest first."""
        from qagrader.core.merging.merge import merge_log

        entries = merge_log(self.ws)
        lines = []
        for merged_at, source, by, report in entries:
            lines.append(f"{merged_at[:16].replace('T', ' ')} UTC, by {by or 'unknown'}: {source}")
            lines.extend("    " + line for line in report.lines()[1:])
        self.headline.setText(f"Merge history: {len(entries)} merge{'s' if len(entries) != 1 else ''}")
        self.report.setPlainText("\n".join(lines) or "No merges yet.")

    def publish(self) -> Task:
        return self._publish_task.read(
            self.ws, publishing(Path(self.folder.text()), settings.grader_name()),
            done=lambda target: (self.headline.setText(f"Published a copy to {target}"), self.published.emit(target)),
            failed=lambda error: show_error(self, error))


def publishing(folder: Path, grader: str):
    """A task body (for `Tasks.read`) that publishes a copy of the workspace into `folder`."""
    from qagrader.core.merging.team_folder import publish

    def run(ws, progress, cancelled):
        return publish(ws, folder, grader)
    return run

