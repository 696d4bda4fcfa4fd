"""The Calibration screen: the sessions on the left; on the right the chosen session (its
interactions, who has graded what, close/reopen) and its results, the results of all closed
sessions pooled, or the grader's own items to grade blind. Without a session, it explains what
calibration is and how to start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton, QSplitter,
    QStackedWidget, QTableWidget, QTableWidgetItem, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from qagrader.analysis.calibration import ALL
from qagrader.core.calibration.grading import open_tasks
from qagrader.core.calibration.sampling import add_sample, create_sampled_session
from qagrader.core.calibration.sessions import CalibrationSession
from qagrader.core.interactions.channels import channel_label
from qagrader.core.storage.changes import CALIBRATION_SESSIONS, EVALUATIONS, GRADERS, SCORECARDS, Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import settings
from qagrader.gui.grading.style import STYLE
from qagrader.gui.messages import show_error
from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing
from qagrader.gui.when_shown import ReloadWhenShown
from qagrader.gui.workers import Tasks

from .dialogs import EditSessionDialog, GradersDialog, NewSessionDialog, SampleDialog
from .grading import CalibrationGrading
from .results import ResultFigures, ResultsPanel, build_figures, chart_width, theme_of

ROLE = Qt.ItemDataRole.UserRole
POOLED = "pooled"
INTRO = (
    "<p><b>Calibration</b> checks that your graders read the scorecard alike. A lead picks a few "
    "interactions; every grader grades them <b>blind</b> (no CSAT, no one else's answers); when the "
    "lead closes the session, QA Grader shows where graders agree and where they split, question by "
    "question, with the guideline beside the answers so that it can be rewritten.</p>"
    "<p>Agreement is shown as percent agreement and as <b>Krippendorff's alpha</b>, which corrects it for "
    "chance: 0.800 or more is reliable, 0.667 to 0.800 tentative, less means graders read the question "
    "differently. It matters for the Analysis: a skill graded unreliably cannot show its real "
    "association with CSAT.</p>"
    "<p>Each grader's <b>alignment</b> (answers equal to the benchmark's: the lead's, or the consensus) and "
    "<b>leniency</b> (score points above the benchmark) show who needs a word, and whether it helped.</p>"
    "<p><b>To start:</b> select a few interactions in the Interactions screen (or let QA Grader draw a random "
    "sample), then <b>New session…</b>. Calibration grades never count in agent scores, the CSAT "
    "analysis or ordinary exports.</p>")


def _cell(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class SessionPage(QWidget):
    """One session: details, its interactions with who has graded each, and what the lead can do."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("")
        self.title.setObjectName("title")
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setObjectName("muted")
        self.progress = QLabel("")
        self.progress.setWordWrap(True)
        self.grade_button = QPushButton("Grade my items")
        self.close_button = QPushButton("Close session")
        self.close_button.setToolTip("Stop grading and show everyone's answers and the results")
        self.graders_button = QPushButton("Graders…")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Name, date and notes")
        self.add_selected_button = QPushButton("Add selected interactions")
        self.add_selected_button.setToolTip("Add the interactions selected in the Interactions screen")
        self.add_sample_button = QPushButton("Add a random sample…")
        self.remove_button = QPushButton("Remove from session")
        self.delete_button = QPushButton("Delete session")
        writing(self.grade_button, self.close_button, self.graders_button, self.edit_button, self.add_selected_button,
                self.add_sample_button, self.remove_button, self.delete_button)
        self.items = QTableWidget(0, 1)
        self.items.verticalHeader().hide()
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.setAlternatingRowColors(True)
        self.items.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.items.horizontalHeader().setStretchLastSection(True)
        actions = QHBoxLayout()
        for button in (self.grade_button, self.close_button, self.graders_button, self.edit_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)
        item_actions = QHBoxLayout()
        for button in (self.add_selected_button, self.add_sample_button, self.remove_button):
            item_actions.addWidget(button)
        item_actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addLayout(actions)
        layout.addWidget(self.items, 1)
        layout.addLayout(item_actions)
        self.session: CalibrationSession | None = None

    def show_session(self, ws: Workspace, session: CalibrationSession, grader: str) -> None:
        self.session = session
        self.title.setText(session.label)
        benchmark = session.benchmark or "the consensus of the graders"
        notes = f"<br>{session.notes}" if session.notes else ""
        status = "Open: graders are grading blind" if not session.closed else \
            f"Closed {session.closed_at[:10] if session.closed_at else ''}: results below"
        self.details.setText(f"{session.held_on} · {session.scorecard} · benchmark: {benchmark} · {status}{notes}")
        progress = ws.calibration.progress(session.id)
        done = ", ".join(f"{p.grader} {p.submitted}/{session.items}" for p in progress)
        self.progress.setText(f"<b>{session.submitted} of {session.expected}</b> grades submitted"
                              f"{': ' + done if done else ''}"
                              + ("" if len(session.graders) >= 2 else
                                 " — <b>add a second grader</b>: agreement needs two."))
        items = ws.calibration.items(session.id)
        members = list(session.graders)
        headers = ["Interaction", "Channel", "Agent", "Date", "Subject", *members]
        self.items.clear()
        self.items.setColumnCount(len(headers))
        self.items.setHorizontalHeaderLabels(headers)
        self.items.setRowCount(len(items))
        for r, item in enumerate(items):
            cells = [_cell(item.external_id), _cell(channel_label(item.channel)), _cell(item.agent or ""),
                     _cell((item.occurred_at or "")[:10]), _cell(item.subject or "")]
            cells += [_cell("✓" if name in item.graded_by else "–") for name in members]
            cells[0].setData(ROLE, item.interaction_id)
            for c, cell in enumerate(cells):
                self.items.setItem(r, c, cell)
        mine = [t for t in open_tasks(ws, grader) if t.session_id == session.id] if grader else []
        taking_part = grader in session.graders
        self.grade_button.setVisible(not session.closed)
        self.grade_button.setEnabled(bool(mine))
        self.grade_button.setText(f"Grade my items ({len(mine)})" if taking_part else "Grade my items")
        self.grade_button.setToolTip("" if taking_part else
                                     f"{grader or 'You'} are not among this session's graders (Graders…)")
        self.close_button.setText("Reopen session" if session.closed else "Close session")
        for button in (self.graders_button, self.add_selected_button, self.add_sample_button, self.remove_button):
            button.setEnabled(not session.closed)

    def selected_items(self) -> list[int]:
        rows = {index.row() for index in self.items.selectionModel().selectedRows()}
        return [self.items.item(r, 0).data(ROLE) for r in sorted(rows)]


class CalibrationView(QWidget):
    """The Calibration screen (`set_workspace`, and `apply_changes` on `operations().changed`).

    Its writes are core operations run by `operations()`; the sessions list reloads when a write
    (its own or another screen's, e.g. a merge) changed sessions, evaluations or graders."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.ws: Workspace | None = None
        self.selection_source = lambda: ()  # the Interactions screen's selected ids (set by the window)
        self._results_task = Tasks(self)
        self._reload = ReloadWhenShown(self, self.reload)
        self._sessions: list[CalibrationSession] = []
        self.new_button = QPushButton("New session…")
        self.new_button.clicked.connect(self.new_session)
        self.my_items_button = QPushButton("Grade my items")
        self.my_items_button.clicked.connect(lambda: self.grade_my_items())
        writing(self.new_button, self.my_items_button)
        self.sessions = QTreeWidget()
        self.sessions.setHeaderLabels(["Session", "Date", "Progress"])
        self.sessions.setRootIsDecorated(False)
        self.sessions.setMinimumWidth(230)
        self.sessions.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.sessions.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.sessions.header().setStretchLastSection(False)
        self.sessions.currentItemChanged.connect(self._session_chosen)
        self.left = left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 12, 0, 12)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.my_items_button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.sessions, 1)
        # right side pages
        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.intro.setMaximumWidth(760)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        intro_start = QPushButton("New session…")
        intro_start.clicked.connect(self.new_session)
        writing(intro_start)
        intro_page = QWidget()
        intro_layout = QVBoxLayout(intro_page)
        intro_layout.setContentsMargins(24, 24, 24, 24)
        heading = QLabel("Do your graders agree?")
        heading.setObjectName("title")
        intro_layout.addWidget(heading)
        intro_layout.addWidget(self.intro)
        intro_layout.addWidget(intro_start, 0, Qt.AlignmentFlag.AlignLeft)
        intro_layout.addStretch(1)
        self.session_page = SessionPage()
        self.session_page.grade_button.clicked.connect(
            lambda: self.grade_my_items(self.session_page.session.id if self.session_page.session else None))
        self.session_page.close_button.clicked.connect(self._close_or_reopen)
        self.session_page.graders_button.clicked.connect(self._edit_graders)
        self.session_page.edit_button.clicked.connect(self._edit_session)
        self.session_page.add_selected_button.clicked.connect(self._add_selected)
        self.session_page.add_sample_button.clicked.connect(self._add_sample)
        self.session_page.remove_button.clicked.connect(self._remove_items)
        self.session_page.delete_button.clicked.connect(self._delete)
        self.results = ResultsPanel()
        self.results.scorecard.currentIndexChanged.connect(lambda _i: self._load_results())
        self.results_state = QLabel("")
        self.results_state.setWordWrap(True)
        self.results_state.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.results_stack = QStackedWidget()
        self.results_stack.addWidget(self.results_state)
        self.results_stack.addWidget(self.results)
        results_page = QWidget()
        QVBoxLayout(results_page).addWidget(self.results_stack)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.session_page, "Session")
        self.tabs.addTab(results_page, "Results")
        self.grading = CalibrationGrading()
        self.grading.back.connect(self._back_from_grading)
        self.pages = QStackedWidget()
        for page in (intro_page, self.tabs, self.grading):
            self.pages.addWidget(page)
        body = QSplitter()
        body.addWidget(left)
        body.addWidget(self.pages)
        body.setStretchFactor(1, 1)
        body.setStretchFactor(0, 0)
        body.setSizes([340, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body)
        operations().changed.connect(self.apply_changes)

    # --------------------------------------------------------------------------- loading

    def set_workspace(self, ws: Workspace | None) -> None:
        """Show `ws` from the `Changes.everything()` that follows."""
        self.ws = ws
        self._results_task.cancel()
        self._reload.forget()
        if ws is None:
            self.sessions.clear()
            self._sessions = []
            self.pages.setCurrentIndex(0)

    def apply_changes(self, changes: Changes) -> None:
        """Sessions, their grades, graders or scorecards changed: reload the list (now if on
        screen, else when next shown). While the grader grades, only the count of their items
        is updated: the grading keeps what was entered."""
        if self.ws is None or not changes.touches(CALIBRATION_SESSIONS, EVALUATIONS, GRADERS, SCORECARDS):
            return
        if self.pages.currentWidget() is self.grading:
            self._update_my_items()
            return
        self._reload.request()

    def reload(self) -> None:
        """Reload the sessions list (keeping the chosen one) and what is shown for it."""
        if self.ws is None:
            return
        current = self._current_key()
        self._sessions = self.ws.calibration.list()
        closed = [s for s in self._sessions if s.closed]
        self.sessions.blockSignals(True)
        self.sessions.clear()
        if len(closed) > 1:
            pooled = QTreeWidgetItem([f"All closed sessions ({len(closed)})", "", "results"])
            pooled.setData(0, ROLE, POOLED)
            font = pooled.font(0)
            font.setBold(True)
            pooled.setFont(0, font)
            self.sessions.addTopLevelItem(pooled)
        chosen = None
        for session in self._sessions:
            state = "closed" if session.closed else f"{session.submitted}/{session.expected} graded"
            item = QTreeWidgetItem([session.label, session.held_on, state])
            item.setData(0, ROLE, session.id)
            item.setToolTip(0, f"{session.label}\n{session.scorecard} · {len(session.graders)} graders · "
                               f"{session.items} interactions")
            self.sessions.addTopLevelItem(item)
            if session.id == current:
                chosen = item
        if current == POOLED and len(closed) > 1:
            chosen = self.sessions.topLevelItem(0)
        self.sessions.blockSignals(False)
        self._update_my_items()
        if not self._sessions:
            self.pages.setCurrentIndex(0)
            return
        if self.pages.currentWidget() is self.grading:
            return
        self.sessions.setCurrentItem(chosen or self._first_session_item())

    def _first_session_item(self) -> QTreeWidgetItem:
        for index in range(self.sessions.topLevelItemCount()):
            item = self.sessions.topLevelItem(index)
            if item.data(0, ROLE) != POOLED:
                return item
        return self.sessions.topLevelItem(0)

    def _current_key(self):
        item = self.sessions.currentItem()
        return item.data(0, ROLE) if item is not None else None

    def _update_my_items(self) -> None:
        grader = settings.grader_name()
        count = len(open_tasks(self.ws, grader)) if self.ws and grader else 0
        self.my_items_button.setText(f"Grade my items ({count})")
        self.my_items_button.setEnabled(count > 0)
        self.my_items_button.setToolTip(f"The calibration items {grader or 'you'} still have to grade")

    def _session_chosen(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None or self.ws is None:
            return
        key = item.data(0, ROLE)
        self.pages.setCurrentWidget(self.tabs)
        if key == POOLED:
            self.tabs.setTabVisible(0, False)
            self.tabs.setCurrentIndex(1)
            self._set_scorecards([s for s in self._sessions if s.closed])
            self._load_results()
            return
        self.tabs.setTabVisible(0, True)
        session = next(s for s in self._sessions if s.id == key)
        self.session_page.show_session(self.ws, session, settings.grader_name())
        self._set_scorecards([session])
        if session.closed:
            self._load_results()
        else:
            self._results_task.cancel()
            self.results_stack.setCurrentWidget(self.results_state)
            self.results_state.setText(
                f"<h3>Results are hidden while the session is open</h3><p>Graders grade blind: nobody sees "
                f"another grader's answers until the lead closes the session. {session.submitted} of "
                f"{session.expected} grades are submitted so far.</p><p>Close the session on the Session tab "
                "to see agreement per question, the disagreements and each grader's alignment.</p>")
            self.tabs.setCurrentIndex(0)

    def _set_scorecards(self, sessions: list[CalibrationSession]) -> None:
        combo = self.results.scorecard
        names = sorted({s.scorecard_name for s in sessions}, key=str.casefold)
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        if len(names) > 1:
            combo.addItem("All scorecards", None)
        for name in names:
            combo.addItem(name, name)
        index = combo.findData(current)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.setEnabled(len(names) > 1)
        combo.blockSignals(False)

    def _load_results(self) -> None:
        """Compute the results of the chosen session (or all closed ones) off the GUI thread."""
        key = self._current_key()
        if self.ws is None or key is None:
            return
        ws = self.ws
        scope_session = None if key == POOLED else key
        scorecard = self.results.scorecard.currentData()
        theme = theme_of(self)
        width = chart_width(self.pages.width() - 48)  # the charts' area: the page less its frames and margins
        self.results_stack.setCurrentWidget(self.results_state)
        self.results_state.setText("Computing the results…")

        def run(worker, progress, cancelled) -> ResultFigures:
            from qagrader.analysis.calibration import calibration_results

            results = calibration_results(worker, session=scope_session)
            scope = ALL if scope_session is None else results.sessions[0].label
            return build_figures(results, scope, scorecard, theme, width)

        self._results_task.read(ws, run, done=self._results_ready, failed=self._results_failed)

    def _results_ready(self, figures: ResultFigures) -> None:
        self.results.show_results(figures)
        self.results_stack.setCurrentWidget(self.results)

    def _results_failed(self, error: BaseException) -> None:
        self.results_state.setText(str(error))
        show_error(self, error)

    # --------------------------------------------------------------------------- writing

    def _write(self, operation, *args, done=None) -> None:
        """Run one of the screen's write operations (see the end of this module)."""
        operations().run(self.ws, operation, *args, owner=self, done=done)

    def new_session(self) -> None:
        if self.ws is None:
            return
        if not self.ws.scorecards.list():
            show_error(self, "Import or create a scorecard first: a session grades interactions on one scorecard.")
            return
        dialog = NewSessionDialog(self.ws, tuple(self.selection_source() or ()), self)
        if dialog.exec() != NewSessionDialog.DialogCode.Accepted:
            return
        spec = dialog.spec()

        def created(session_id: int) -> None:
            self.reload()
            self._select_session(session_id)

        self._write(_create_sampled if spec.sample is not None else _create_from_selection, spec, done=created)

    def _select_session(self, session_id: int) -> None:
        for index in range(self.sessions.topLevelItemCount()):
            item = self.sessions.topLevelItem(index)
            if item.data(0, ROLE) == session_id:
                self.sessions.setCurrentItem(item)
                return

    def _chosen_session(self) -> CalibrationSession | None:
        return self.session_page.session

    def _close_or_reopen(self) -> None:
        session = self._chosen_session()
        if session is None or self.ws is None:
            return
        if session.closed:
            self._write(_reopen, session.id)
            return
        missing = session.expected - session.submitted
        if missing > 0:
            answer = QMessageBox.question(
                self, "Close the session?",
                f"{missing} of {session.expected} grades are not submitted yet. Close '{session.label}' anyway? "
                "Graders cannot grade it while it is closed (you can reopen it).")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._write(_close, session.id, done=lambda _v: self.tabs.setCurrentIndex(1))

    def _edit_graders(self) -> None:
        session = self._chosen_session()
        if session is None or self.ws is None:
            return
        dialog = GradersDialog(self.ws, session.graders, session.benchmark, self)
        if dialog.exec() == GradersDialog.DialogCode.Accepted:
            self._write(_set_graders, session.id, dialog.people.chosen(), dialog.people.chosen_benchmark())

    def _edit_session(self) -> None:
        session = self._chosen_session()
        if session is None or self.ws is None:
            return
        dialog = EditSessionDialog(session.name, session.held_on, session.notes, self)
        if dialog.exec() == EditSessionDialog.DialogCode.Accepted:
            self._write(_edit, session.id, *dialog.values())

    def _add_selected(self) -> None:
        session = self._chosen_session()
        ids = tuple(self.selection_source() or ())
        if session is None or self.ws is None:
            return
        if not ids:
            show_error(self, "Select interactions in the Interactions screen first, then add them here.")
            return
        self._write(_add_items, session.id, ids)

    def _add_sample(self) -> None:
        session = self._chosen_session()
        if session is None or self.ws is None:
            return
        dialog = SampleDialog(self.ws, self)
        if dialog.exec() == SampleDialog.DialogCode.Accepted:
            spec = dialog.filters.spec()
            self._write(_add_sample_items, session.id, spec.filters, spec.count)

    def _remove_items(self) -> None:
        session = self._chosen_session()
        ids = self.session_page.selected_items()
        if session is None or self.ws is None or not ids:
            return
        self._write(_remove, session.id, tuple(ids))

    def _delete(self) -> None:
        session = self._chosen_session()
        if session is None or self.ws is None:
            return
        answer = QMessageBox.question(
            self, "Delete the session?",
            f"Delete '{session.label}'? Its calibration grades stay out of every analysis; its results are gone.")
        if answer == QMessageBox.StandardButton.Yes:
            self._write(_delete, session.id)

    # --------------------------------------------------------------------------- grading

    def grade_my_items(self, session_id: int | None = None) -> None:
        grader = settings.grader_name()
        if self.ws is None:
            return
        if not grader:
            show_error(self, "Enter your name as grader in Preferences (Ctrl+,) first.")
            return
        self.pages.setCurrentWidget(self.grading)
        self.left.hide()  # the whole width for the transcript and the scorecard
        self.grading.start(self.ws, grader, session_id)

    def _back_from_grading(self) -> None:
        self.left.show()
        self.pages.setCurrentWidget(self.tabs)
        self.reload()

    def flush(self) -> None:
        if self.pages.currentWidget() is self.grading:
            self.grading.flush()


# The screen's write operations: functions of the workspace, each one transaction.

def _create_from_selection(ws: Workspace, spec) -> int:
    return ws.calibration.create(spec.name, spec.scorecard_id, interaction_ids=spec.interaction_ids,
                                 graders=spec.graders, benchmark=spec.benchmark, held_on=spec.held_on,
                                 notes=spec.notes)


def _create_sampled(ws: Workspace, spec) -> int:
    return create_sampled_session(ws, spec.name, spec.scorecard_id, spec.sample.filters, spec.sample.count,
                                  graders=spec.graders, benchmark=spec.benchmark, held_on=spec.held_on,
                                  notes=spec.notes)


def _close(ws: Workspace, session_id: int) -> None:
    ws.calibration.close(session_id)


def _reopen(ws: Workspace, session_id: int) -> None:
    ws.calibration.reopen(session_id)


def _set_graders(ws: Workspace, session_id: int, graders, benchmark) -> None:
    ws.calibration.set_graders(session_id, graders, benchmark)


def _edit(ws: Workspace, session_id: int, name: str, held_on: str, notes: str) -> None:
    ws.calibration.edit(session_id, name=name, held_on=held_on, notes=notes)


def _add_items(ws: Workspace, session_id: int, ids) -> int:
    return ws.calibration.add_items(session_id, ids)


def _add_sample_items(ws: Workspace, session_id: int, filters, count: int) -> int:
    return add_sample(ws, session_id, filters, count)


def _remove(ws: Workspace, session_id: int, ids) -> int:
    return ws.calibration.remove_items(session_id, ids)


def _delete(ws: Workspace, session_id: int) -> None:
    ws.calibration.delete(session_id)
