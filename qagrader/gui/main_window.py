"""The main window: a sidebar of screens, the File menu, preferences and the status bar.

Every screen is a QWidget with `set_workspace(ws)` (forget the old workspace, show nothing yet)
and `apply_changes(changes)`, which each screen connects to `operations().changed`: it re-reads
only what `changes` says changed (`Changes.everything()` when a workspace is opened; the window
announces it). No screen re-reads because it is shown. Grade is built at start;
the others are built the first time they are shown (or, for Interactions, first asked for),
which keeps start-up fast (the Analysis screen pulls in matplotlib; the browser would start
its queries). Until the browser exists, the grading queue follows its defaults: no filters,
newest first.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
    QHBoxLayout,
    QPushButton,
)

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.changes import Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import GradingView, settings
from qagrader.gui.grading.queue import QueueSpec
from qagrader.gui.messages import log_path, show_error
from qagrader.gui.operations import operations
from qagrader.gui import read_only
from qagrader.gui.workers import Task, Tasks

if TYPE_CHECKING:
    from qagrader.gui.interactions_view import InteractionsView

log = logging.getLogger(__name__)
WORKSPACE_FILTER = "QA Grader workspaces (*.qagrader *.db *.sqlite);;All files (*)"
RECENT_KEY, LAST_KEY, MAX_RECENT = "workspace/recent", "workspace/last", 8
SLOW_S = 1.0  # a write not saved after this long is shown in the status bar
SCREEN_TIPS = {"actions": "Follow-up: disputes of grades and coaching notes with their follow-ups"}


class Placeholder(QWidget):
    """A screen that could not be built (its error is logged): says so, and the window goes on."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        heading = QLabel(title)
        heading.setStyleSheet("font-size: 14pt; font-weight: 600;")
        body = QLabel(text)
        body.setWordWrap(True)
        body.setMaximumWidth(640)
        body.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.addWidget(heading)
        layout.addSpacing(8)
        layout.addWidget(body)
        layout.addStretch(1)

    def set_workspace(self, ws: Workspace | None) -> None:
        pass

    def apply_changes(self, changes: Changes) -> None:
        pass


@dataclass
class Screen:
    key: str
    title: str
    icon: QStyle.StandardPixmap
    theme_icon: str
    factory: Callable[[], QWidget]
    widget: QWidget | None = None


def _scorecards() -> QWidget:
    from qagrader.gui.scorecards import ScorecardsView

    return ScorecardsView()


class MainWindow(QMainWindow):
    """The QA Grader window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._copy_task = Tasks(self)
        self._publish_task = Tasks(self)
        self._team_task = Tasks(self)
        self._integrity_task = Tasks(self)  # SQLite's quick check of a workspace just opened
        from qagrader.gui.analysis_warm_up import AnalysisWarmUp

        self.analysis_warm_up = AnalysisWarmUp(self)  # the Analysis tab's grades, read once a workspace opens
        self.setWindowTitle("QA Grader")
        self.setMinimumSize(1024, 640)
        self.grading = GradingView()
        self.grading.set_queue_source(self._queue_spec)
        self._status_timer = QTimer(self)  # counts after a burst of autosaves, not after each
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(300)
        self._status_timer.timeout.connect(self.update_status)
        operations().changed.connect(self._changed)
        sp = QStyle.StandardPixmap
        self.screens = [
            Screen("grade", "Grade", sp.SP_DialogApplyButton, "document-edit", lambda: self.grading),
            Screen("interactions", "Interactions", sp.SP_FileDialogListView, "view-list-details",
                   self._build_interactions),
            Screen("scorecards", "Scorecards", sp.SP_FileDialogDetailedView, "document-properties", _scorecards),
            Screen("agents", "Agents & teams", sp.SP_DirHomeIcon, "system-users", self._build_people),
            Screen("analysis", "Analysis", sp.SP_FileDialogInfoView, "office-chart-line", self._build_analysis),
            Screen("calibration", "Calibration", sp.SP_BrowserReload, "view-refresh", self._build_calibration),
            Screen("actions", "Follow-up", sp.SP_FileDialogContentsView, "mail-mark-important",
                   self._build_actions),
        ]
        self._build()
        self._build_menus()
        self._restore_window()

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(176)
        self.sidebar.setSpacing(1)
        self.stack = QStackedWidget()
        for number, screen in enumerate(self.screens, start=1):
            icon = QIcon.fromTheme(screen.theme_icon, self.style().standardIcon(screen.icon))
            item = QListWidgetItem(icon, screen.title)
            item.setToolTip(f"{SCREEN_TIPS.get(screen.key, screen.title)} (Ctrl+{number})")
            item.setSizeHint(QSize(160, 36))
            self.sidebar.addItem(item)
            host = QWidget()
            QVBoxLayout(host).setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(host)
            if screen.key == "grade":  # built now: the window opens on it
                screen.widget = screen.factory()
                host.layout().addWidget(screen.widget)
        self.sidebar.currentRowChanged.connect(self._screen_changed)
        self.workspace_banner = QLabel("")
        self.workspace_banner.setObjectName("workspaceBanner")
        self.workspace_banner.setWordWrap(True)
        self.workspace_banner.hide()
        main = QWidget()
        column = QVBoxLayout(main)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.workspace_banner)
        column.addWidget(self.stack, 1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(main, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(
            "QListWidget#sidebar { border: none; border-right: 1px solid palette(mid);"
            " background: palette(window); padding-top: 8px; font-size: 10.5pt; }"
            "QListWidget#sidebar::item { padding-left: 10px; border-radius: 4px; margin: 0 6px; }"
            "QListWidget#sidebar::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
            "QLabel#workspaceBanner { background: #fff4ce; color: #3d3000; border-bottom: 1px solid #d9c36a;"
            " padding: 8px 14px; }")
        self.path_label = QLabel("")
        self.counts_label = QLabel("")
        self.grader_label = QLabel("")
        self.grader_label.setToolTip("Who is grading: change it in Preferences (Ctrl+,)")
        self.saving_label = QLabel("")  # writes waiting for the workspace, said plainly
        self.saving_label.setStyleSheet("color: #c62828; font-weight: 600;")
        self.saving_label.hide()
        self.statusBar().addWidget(self.path_label, 1)
        self.team_button = QPushButton("")
        self.team_button.setFlat(True)
        self.team_button.setToolTip("New work from the team folder: open File > Team folder…")
        self.team_button.clicked.connect(self.open_team_folder)
        self.team_button.hide()
        read_only.writing(self.team_button)  # it merges the team's work in
        self.statusBar().addPermanentWidget(self.saving_label)
        self.statusBar().addPermanentWidget(self.team_button)
        self.statusBar().addPermanentWidget(self.counts_label)
        self.statusBar().addPermanentWidget(self.grader_label)
        self._saving_timer = QTimer(self)  # how long the oldest write has waited changes by itself
        self._saving_timer.setInterval(250)
        self._saving_timer.timeout.connect(self._update_saving)
        operations().state_changed.connect(self._update_saving)

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&New workspace…", self.new_workspace, QKeySequence.StandardKey.New)
        self._action(file, "&Open workspace…", self.choose_workspace, QKeySequence.StandardKey.Open)
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(file, "Save a &copy…", self.save_copy, QKeySequence.StandardKey.SaveAs)
        file.addSeparator()
        self.imports_menu = imports = file.addMenu("&Import")
        self._action(imports, "&Interactions CSV…", self.import_interactions)
        self._action(imports, "&Scorecard JSON…", self.import_scorecard)
        self._action(imports, "&Evaluations CSV…", self.import_evaluations)
        self._action(file, "&Export…", self.export, "Ctrl+Shift+E")
        file.addSeparator()
        # what writes to the workspace: off while it is read-only
        self.writing_actions = [
            imports.menuAction(),
            self._action(file, "&Merge workspace…", self.merge_workspace),
            self._action(file, "&Team folder…", self.open_team_folder),
        ]
        read_only.writing(*self.writing_actions)
        self._action(file, "&Publish to team folder", self.publish_to_team_folder)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = self.menuBar().addMenu("&Edit")
        preferences = QKeySequence(QKeySequence.StandardKey.Preferences)
        self._action(edit, "&Preferences…", self.edit_preferences,
                     preferences if not preferences.isEmpty() else "Ctrl+,")
        go = self.menuBar().addMenu("&Go")
        for number, screen in enumerate(self.screens, start=1):
            self._action(go, screen.title.replace("&", "&&"), lambda _=False, key=screen.key: self.show_screen(key),
                         f"Ctrl+{number}")
        reports = self.menuBar().addMenu("&Reports")
        self._action(reports, "&Monthly quality report…", self.monthly_report)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "Show the &log file location", self.show_log)
        self._action(help_menu, "&About QA Grader", self.about)

    def _action(self, menu, text: str, slot: Callable, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # ------------------------------------------------------------ screens

    @property
    def interactions(self) -> "InteractionsView":
        """The Interactions browser (built on first use)."""
        return self.screen("interactions")  # type: ignore[return-value]

    def _build_interactions(self) -> QWidget:
        from qagrader.gui.interactions_view import InteractionsView

        view = InteractionsView()
        view.open_interaction.connect(self.grade_interaction)
        view.calibrate.connect(self.calibrate_interactions)
        return view

    def _build_calibration(self) -> QWidget:
        from qagrader.gui.calibration import CalibrationView

        view = CalibrationView()
        view.selection_source = self._selected_interactions
        return view

    def _selected_interactions(self) -> tuple[int, ...]:
        """The rows selected in the Interactions screen (none while it has not been opened)."""
        view = next(s.widget for s in self.screens if s.key == "interactions")
        selected = getattr(view, "selected_interaction_ids", None)
        return selected() if callable(selected) else ()

    def calibrate_interactions(self, interaction_ids: tuple[int, ...]) -> None:
        """A new calibration session with these interactions (from the browser's selection)."""
        self.show_screen("calibration")
        view = self.screen("calibration")
        new_session = getattr(view, "new_session", None)
        if callable(new_session):
            view.selection_source = lambda: interaction_ids
            try:
                new_session()
            finally:
                view.selection_source = self._selected_interactions

    def _build_actions(self) -> QWidget:
        from qagrader.gui.actions.view import ActionsView

        view = ActionsView()
        view.open_interaction.connect(self.grade_interaction)
        view.open_agent.connect(self.show_agent)
        return view

    def show_agent(self, team: str, agent: str) -> None:
        """The agent's profile (Agents & teams)."""
        self.show_screen("agents")
        self.screen("agents").show_agent(team, agent)

    def monthly_report(self) -> None:
        if self.ws is None:
            return
        from qagrader.gui.actions.report_dialog import MonthlyReportDialog

        self.grading.flush()
        dialog = MonthlyReportDialog(self.ws, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.report_dialog = dialog

    def _build_analysis(self) -> QWidget:
        from qagrader.gui.analysis import AnalysisTab

        return AnalysisTab(warm_up=self.analysis_warm_up)

    def _build_people(self) -> QWidget:
        from qagrader.gui.team.profiles_view import PeopleView

        view = PeopleView()
        view.open_interaction.connect(self.grade_interaction)
        return view

    def _queue_spec(self) -> QueueSpec:
        """The browser's filters and order for the grading queue; its defaults (everything,
        newest first) while it has not been opened."""
        view = next(s.widget for s in self.screens if s.key == "interactions")
        spec = getattr(view, "queue_spec", None)
        return spec() if callable(spec) else QueueSpec()

    def screen(self, key: str) -> QWidget:
        """The widget of screen `key`, built on first use."""
        index = next(i for i, s in enumerate(self.screens) if s.key == key)
        return self._ensure(index)

    def _ensure(self, index: int) -> QWidget:
        screen = self.screens[index]
        if screen.widget is None:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                screen.widget = screen.factory()
            except Exception as error:  # a broken screen must not take the window down
                log.exception("Cannot build screen %s", screen.key)
                screen.widget = Placeholder(screen.title, f"This screen could not be opened: {error}")
            finally:
                QApplication.restoreOverrideCursor()
            self.stack.widget(index).layout().addWidget(screen.widget)
            if self.ws is not None:
                screen.widget.set_workspace(self.ws)
                screen.widget.apply_changes(Changes.everything())
        return screen.widget

    def show_screen(self, key: str) -> None:
        index = next(i for i, s in enumerate(self.screens) if s.key == key)
        if self.sidebar.currentRow() == index:
            self._screen_changed(index)
        else:
            self.sidebar.setCurrentRow(index)

    def current_screen(self) -> str:
        row = self.sidebar.currentRow()
        return self.screens[row].key if row >= 0 else ""

    def _screen_changed(self, index: int) -> None:
        if index < 0:
            return
        if self.screens[index].key != "grade":
            self.grading.flush()
        self._flush_calibration()
        widget = self._ensure(index)
        self.stack.setCurrentIndex(index)
        QSettings().setValue("window/screen", self.screens[index].key)
        focus = getattr(widget, "focus_default", None)
        if callable(focus):
            focus()

    def grade_interaction(self, interaction_id: int) -> None:
        self.show_screen("grade")
        self.grading.open_interaction(interaction_id)

    def _flush_calibration(self) -> None:
        """Save what is typed in calibration grading (before leaving the screen or the workspace)."""
        view = next(s.widget for s in self.screens if s.key == "calibration")
        flush = getattr(view, "flush", None)
        if callable(flush):
            flush()

    # ------------------------------------------------------------ workspace

    def confirm_close(self, doing: str = "closing") -> bool:
        """Ask screens with unsaved edits (e.g. the scorecard editor) what to do with them, then
        let every write finish (saying so, with Retry and Discard, while the workspace is busy);
        False when the user chose Cancel."""
        self.grading.flush()
        self._flush_calibration()
        for screen in self.screens:
            confirm = getattr(screen.widget, "confirm_close", None)
            if callable(confirm) and not confirm():
                self.show_screen(screen.key)
                return False
        from qagrader.gui.unsaved import settle_writes

        if self.ws is not None and not settle_writes(self, self.ws, doing):
            self.show_screen("grade")
            return False
        return True

    def open_workspace(self, path: str | Path, *, create: bool = True) -> bool:
        """Open (or create) the workspace at `path`; errors are shown, the old one stays open."""
        if self.ws is not None and not self.confirm_close("opening another workspace"):
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            ws = Workspace.open(path, create=create, read_only=None)  # one we cannot write: read-only
        except QAGraderError as error:
            QApplication.restoreOverrideCursor()
            show_error(self, error)
            return False
        QApplication.restoreOverrideCursor()
        old, self.ws = self.ws, ws
        read_only.set_read_only(ws.read_only)  # before the screens see it: their writing controls stay off
        self.analysis_warm_up.set_workspace(ws)
        for screen in self.screens:
            if screen.widget is not None:
                screen.widget.set_workspace(ws)
        if old is not None:
            operations().close(old)
            old.close()
        self._remember(ws.path)
        self._show_read_only(ws)
        self.setWindowTitle(f"{ws.path.name}{' (read-only)' if ws.read_only else ''} — QA Grader")
        self.update_status()
        operations().announce(Changes.everything())
        self.count_team_work()
        self.check_pages()
        return True

    def check_pages(self) -> Task | None:
        """Check every page of the open workspace in the background (`integrity.quick_check`:
        0.35 s at 265,000 evaluations, so not on the open path); a damaged one gets a banner
        that names the problem and the latest backup (`qagrader check` lists all of it)."""
        if self.ws is None:
            return None
        from qagrader.core.storage.integrity import quick_check

        path = self.ws.path
        return self._integrity_task.read(self.ws, lambda ws, progress, cancelled: quick_check(ws.conn),
                                         done=lambda problem: self._pages_checked(path, problem),
                                         failed=lambda error: self._pages_checked(path, str(error)))

    def _pages_checked(self, path: Path, problem: str | None) -> None:
        if problem is None or self.ws is None or self.ws.path != path:
            return
        from qagrader.core.storage.names import backups_of

        backups = backups_of(path)
        where = f"its latest backup, {backups[0]}," if backups else "a copy you saved"
        self.workspace_banner.setText(
            f"<b>Damaged.</b> {path} is damaged ({problem}); what is written to it may be lost. Open "
            f"{where} or ask for help; <tt>qagrader check</tt> lists every problem.")
        self.workspace_banner.setStyleSheet(
            "background: #fde2e1; color: #5c0b07; border-bottom: 1px solid #e3a19c; padding: 8px 14px;")
        self.workspace_banner.show()

    def _show_read_only(self, ws: Workspace) -> None:
        """A workspace this user cannot write: say so plainly at the top, and turn off what
        writes (grading follows the workspace; a write tried anyway is refused in one line)."""
        self.workspace_banner.setText(
            f"<b>Read-only.</b> {ws.path} cannot be written (the file or its folder is read-only). You "
            f"can browse, analyse, export and publish; grading, imports, merges and edits are off. "
            f"Ask for write access, or use File ▸ Save a copy… and open the copy.")
        self.workspace_banner.setToolTip(str(ws.path))
        self.workspace_banner.setStyleSheet("")  # the window's: the read-only colours
        self.workspace_banner.setVisible(ws.read_only)


    def start(self) -> None:
        """After the first workspace is open: resume a draft, else the last screen."""
        if self.ws is not None and self.grading.restore_last_draft():
            self.show_screen("grade")
            return
        key = str(QSettings().value("window/screen", "grade"))
        self.show_screen(key if any(s.key == key for s in self.screens) else "grade")

    def new_workspace(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New workspace", str(Path.home() / "workspace.qagrader"),
                                              WORKSPACE_FILTER)
        if path:
            if not Path(path).suffix:
                path += ".qagrader"
            if self.open_workspace(path):
                self.ask_who_is_grading()

    # ------------------------------------------------------------ the team

    def ask_who_is_grading(self):
        """Ask who is grading (the login suggested); the answer becomes a grader of the workspace."""
        from qagrader.gui.team.grader_prompt import GraderPrompt

        prompt = GraderPrompt(self)
        prompt.chosen.connect(self._grader_chosen)
        prompt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt.open()
        return prompt

    def _grader_chosen(self, name: str, email: str) -> None:
        self.update_status()
        if self.ws is None or self.ws.read_only:  # registered when it is next opened writable
            return
        operations().run(self.ws, _register_grader, name, email, owner=self)

    def merge_workspace(self, path: str | Path | None = None):
        """File > Merge workspace…: choose a file, preview what comes in, then merge."""
        if self.ws is None:
            return None
        from qagrader.gui.team.merge_dialog import MergeWorkspaceDialog

        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Merge workspace", str(self.ws.path.parent), WORKSPACE_FILTER)
            if not path:
                return None
        self.grading.flush()
        dialog = MergeWorkspaceDialog(self.ws, Path(path), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.preview()
        return dialog

    def open_team_folder(self):
        """File > Team folder…: choose the folder, see what is new, bring it in, publish."""
        if self.ws is None:
            return None
        from qagrader.gui.team.merge_dialog import TeamFolderDialog, team_folder

        self.grading.flush()
        dialog = TeamFolderDialog(self.ws, self)
        dialog.merged.connect(lambda _report: self.team_button.hide())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if team_folder() is not None and team_folder().is_dir():
            dialog.preview()
        return dialog

    def count_team_work(self) -> Task | None:
        """Count, in the background, what the remembered team folder holds that this workspace
        lacks, and offer "Bring in the team's work (N new)" in the status bar when it is not 0."""
        from qagrader.gui.team.merge_dialog import team_folder

        folder = team_folder()
        self.team_button.hide()
        if self.ws is None or folder is None or not folder.is_dir():
            return None
        from qagrader.core.merging.merge import merge_folder

        path = self.ws.path

        def count(ws, progress, cancelled):
            return merge_folder(ws, folder, dry_run=True, cancelled=cancelled)

        def counted(report) -> None:
            if self.ws is not None and self.ws.path == path and report.new_count:
                self.team_button.setText(f"Bring in the team's work ({report.new_count:,} new)")
                self.team_button.show()

        return self._team_task.read(self.ws, count, done=counted, priority=-1,
                                    failed=lambda error: log.info("Team folder not counted: %s", error))

    def publish_to_team_folder(self):
        """File > Publish to team folder: a copy of this workspace, written atomically."""
        if self.ws is None:
            return None
        from qagrader.gui.team.merge_dialog import publishing, team_folder

        folder = team_folder()
        if folder is None:
            return self.open_team_folder()
        self.grading.flush()
        self.statusBar().showMessage("Publishing to the team folder…")
        return self._publish_task.read(self.ws, publishing(folder, settings.grader_name()),
                                      done=lambda target: self.statusBar().showMessage(
                                          f"Published to {target}", 8000))

    def choose_workspace(self) -> None:
        start = str(self.ws.path.parent) if self.ws else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open workspace", start, WORKSPACE_FILTER)
        if path:
            self.open_workspace(path, create=False)

    def save_copy(self) -> None:
        if self.ws is None:
            return
        suggestion = self.ws.path.with_name(f"{self.ws.path.stem} copy{self.ws.path.suffix}")
        target, _ = QFileDialog.getSaveFileName(self, "Save a copy of the workspace", str(suggestion),
                                                WORKSPACE_FILTER)
        if not target:
            return
        self.statusBar().showMessage("Saving a copy…")
        self._copy_task.read(self.ws, lambda ws, progress, cancelled: ws.backup_to(target),
                             done=lambda path: self.statusBar().showMessage(f"Saved a copy to {path}", 8000))

    def _remember(self, path: Path) -> None:
        settings_ = QSettings()
        text = str(Path(path).resolve())
        recent = [p for p in _as_list(settings_.value(RECENT_KEY)) if p != text]
        settings_.setValue(RECENT_KEY, [text, *recent][:MAX_RECENT])
        settings_.setValue(LAST_KEY, text)
        settings_.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = _as_list(QSettings().value(RECENT_KEY))
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_workspace(p, create=False))
        if not recent:
            self.recent_menu.addAction("No recent workspaces").setEnabled(False)

    def _changed(self, _changes: Changes) -> None:
        self._status_timer.start()

    def _update_saving(self) -> None:
        """"N changes not saved yet" while writes wait for the workspace (after a moment)."""
        ops = operations()
        pending = ops.pending(self.ws) if self.ws is not None else []
        since = ops.waiting_since(self.ws) if pending else None
        if not pending:
            self._saving_timer.stop()
            self.saving_label.hide()
            return
        if not self._saving_timer.isActive():
            self._saving_timer.start()
        if ops.blocked(self.ws) or time.monotonic() - since > SLOW_S:
            n = len(pending)
            self.saving_label.setText(f"{n} change{'s' if n != 1 else ''} not saved yet: the workspace is busy")
            self.saving_label.setToolTip("Another QA Grader or program is writing to the workspace. Your "
                                         "changes are kept and saved in order as soon as it is free.")
            self.saving_label.show()

    def update_status(self) -> None:
        if self.ws is None:
            self.path_label.setText("No workspace open")
            self.counts_label.setText("")
            return
        self.path_label.setText(str(self.ws.path))
        self.grader_label.setText(f" ·  Grading as {settings.grader_name() or '–'}")
        c = self.ws.counts()
        self.counts_label.setText(
            f"{_count(c['interactions'], 'interaction')}  ·  {_count(c['submitted'], 'grade')} submitted  ·  "
            f"{_count(c['drafts'], 'draft')}  ·  {_count(c['agents'], 'agent')}  ·  {_count(c['scorecards'], 'scorecard')}")
        self.counts_label.setToolTip(
            "Grades are evaluations: an interaction graded twice counts twice (the Analysis counts "
            f"interactions). Calibration grades are not counted here ({c['calibration']:,} in calibration "
            "sessions). A scorecard with several versions counts once; archived ones are not counted.")

    # ------------------------------------------------------------ import / export

    def import_interactions(self) -> None:
        if self.ws is None:
            return
        from qagrader.gui.importing import InteractionImportWizard

        wizard = InteractionImportWizard(self.ws, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()

    def import_scorecard(self) -> None:
        if self.ws is not None:
            from qagrader.gui.importing import import_scorecard_file

            import_scorecard_file(self, self.ws)

    def import_evaluations(self) -> None:
        if self.ws is not None:
            from qagrader.gui.importing import import_evaluations_file

            import_evaluations_file(self, self.ws)

    def export(self) -> None:
        if self.ws is None:
            return
        from qagrader.gui.export_dialog import ExportDialog

        self.grading.flush()
        dialog = ExportDialog(self.ws, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # ------------------------------------------------------------ preferences and help

    def edit_preferences(self) -> None:
        from qagrader.gui.grading.settings import PreferencesDialog

        dialog = PreferencesDialog(self)
        dialog.accepted.connect(self._preferences_changed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _preferences_changed(self) -> None:
        from qagrader.gui.team.grader_prompt import grader_email

        self._grader_chosen(settings.grader_name(), grader_email())
        for screen in self.screens:
            if screen.key in ("grade", "interactions") and screen.widget is not None:
                screen.widget.apply_preferences()

    def show_shortcuts(self) -> QDialog:
        """Every shortcut: the grading keys, each screen's own, and every menu command's (read
        from the menus, so none is missing)."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        text = QLabel(shortcuts_html(self.menu_shortcuts()))
        text.setObjectName("shortcuts")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()  # fits a small screen: the list scrolls
        scroll.setWidget(text)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        dialog.resize(max(text.sizeHint().width() + 40, 520), min(text.sizeHint().height() + 70, self.height() - 60))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def menu_shortcuts(self) -> list[tuple[str, str]]:
        """(keys, "Menu ▸ Command") of every menu command that has a shortcut, in menu order."""
        out: list[tuple[str, str]] = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            if menu is None:
                continue
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys:
                    out.append((keys, f"{menu.title().replace('&', '')} ▸ {action.text().replace('&&', chr(0)).replace('&', '').replace(chr(0), '&')}"))
        return out

    def show_log(self) -> None:
        show_error(self, f"Problems are logged to {log_path()}")

    def about(self) -> None:
        from qagrader import __version__ as version

        QMessageBox.about(self, "About QA Grader",
                          f"<b>QA Grader</b> {version}<br>Offline quality grading of customer-service "
                          f"interactions, with CSAT analysis.<br>Grader: {settings.grader_name() or '–'}")

    # ------------------------------------------------------------ window state

    def _restore_window(self) -> None:
        saved = QSettings()
        geometry = saved.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = saved.value("window/state")
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_close():
            event.ignore()
            return
        saved = QSettings()
        saved.setValue("window/geometry", self.saveGeometry())
        saved.setValue("window/state", self.saveState())
        saved.sync()
        self._team_task.cancel()
        self._detach_screens()
        if self.ws is not None:
            operations().close(self.ws)
            self.ws.close()
            self.ws = None
        super().closeEvent(event)

    def _detach_screens(self) -> None:
        """Let every screen drop the workspace (which cancels its background work) before the
        connection closes, so that no late result, and no change announced later, reaches a
        closed window."""
        self.analysis_warm_up.set_workspace(None)
        for screen in self.screens:
            if screen.widget is None:
                continue
            try:
                screen.widget.set_workspace(None)
            except Exception:  # a screen that cannot be emptied must not block closing
                log.exception("Screen %s could not let go of the workspace", screen.key)


SHORTCUTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Grade", (
        ("1–9, Y, N", "answer the focused question and move to the next"),
        ("A", "N/A (where the question allows it)"),
        ("← →", "step through the answers"),
        ("↑ ↓  Enter", "previous / next question"),
        ("C", "comment on the question (Esc or Enter goes back)"),
        ("G or ?", "show the guideline"),
        ("Backspace", "clear the answer"),
        ("Ctrl+S", "save now (drafts are also saved on every change)"),
        ("Ctrl+Enter", "submit and open the next interaction of the queue"),
        ("Ctrl+E", "edit a submitted evaluation"),
        ("Alt+Right / Alt+Left", "skip to the next / back to the previous interaction"),
    )),
    ("Interactions", (
        ("Enter or double-click", "grade the selected interaction"),
    )),
    ("Scorecards", (
        ("Ctrl+S", "save the scorecard being edited"),
    )),
    ("Calibration", (
        ("Ctrl+Enter", "submit your grade of the session's interaction"),
    )),
)
"""The keys of the screens; the menu commands' shortcuts are read from the menus."""


def shortcuts_html(menus: Sequence[tuple[str, str]] = ()) -> str:
    """The shortcuts dialog's table: `SHORTCUTS`, then the menu commands' (`menus`)."""
    rows = []
    sections = [*SHORTCUTS, ("Menu commands", tuple(menus))] if menus else list(SHORTCUTS)
    for title, keys in sections:
        rows.append(f"<tr><td colspan='2' style='padding-top:8px'><b>{html.escape(title)}</b></td></tr>")
        rows.extend(f"<tr><td style='padding-right:18px'><code>{html.escape(k)}</code></td>"
                    f"<td>{html.escape(what)}</td></tr>" for k, what in keys)
    return "<table cellspacing='2'>" + "".join(rows) + "</table>"


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'s' if n != 1 else ''}"


def _register_grader(ws: Workspace, name: str, email: str) -> None:
    """Who is grading becomes a grader of the workspace (with an email when given)."""
    ws.graders.register(name, email)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[union-attr]
