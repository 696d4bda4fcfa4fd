"""The Grade screen: transcript on one side, the scorecard form on the other.

Answers are written through `operations` (never on the GUI thread). The screen says what is
saved and what is not: "Not saved yet" until the writes carrying the answers have committed,
and a banner when that takes long because the workspace is busy. A session whose writes are
still on their way when the grader moves on is kept until they land (and reopened as it is if
the grader comes back to that interaction).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import time

from PySide6.QtCore import QSettings, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.errors import NotFound, QAGraderError
from qagrader.core.grading.evaluations import Evaluation
from qagrader.core.interactions.store import Interaction
from qagrader.core.interactions.channels import channel_label
from qagrader.core.scorecards.store import StoredScorecard, scorecard_for_channel
from qagrader.core.storage.changes import EVALUATIONS, INTERACTIONS, SCORECARDS, Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.actions.dispute_bar import DisputeBar
from qagrader.gui.messages import show_error, user_message
from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing
from qagrader.gui.workers import Tasks

from . import settings
from .form import ScorecardForm, ScorePanel
from .panels import START_TEXT, ChangedElsewhereNotice, EmptyPage, HistoryBox, InteractionHeader, UnsavedBanner, local_time
from .queue import FILTERS, SAMPLE, GradingQueue, QueueSpec, build_sample
from .session import GradingSession
from .style import STYLE
from .transcript import TranscriptView

log = logging.getLogger(__name__)
SPLITTER_KEY = "grading/splitter"
SLOW_S = 1.0  # a write not committed after this long is shown as waiting for the workspace
STATUS_REFRESH_MS = 250  # how often the status line re-checks how long the pending writes have waited


class GradingView(QWidget):
    """Grade one interaction after another, keyboard first. Every change is saved as a draft."""

    interaction_opened = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.ws: Workspace | None = None
        self.session: GradingSession | None = None
        self.interaction: Interaction | None = None
        self.queue = GradingQueue()
        self._back: list[int] = []
        self._sample_task = Tasks(self)
        self._cards: list[StoredScorecard] = []
        self._choosing = False
        self._retiring: dict[int, GradingSession] = {}  # left with writes on their way, by interaction
        self._submitting: set[int] = set()  # interactions whose submit is on its way
        self._saved_text = ""  # what the status line says once nothing is pending
        self._status_timer = QTimer(self)  # re-checks how long the pending writes have waited
        self._status_timer.setInterval(STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self._update_save_status)
        operations().changed.connect(self.apply_changes)
        operations().state_changed.connect(self._update_save_status)

        self.empty = EmptyPage()
        self.empty.start.connect(self.open_next)
        self.header = InteractionHeader()
        self.scorecard = QComboBox()
        self.scorecard.setMinimumContentsLength(18)
        self.scorecard.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.scorecard.activated.connect(self._scorecard_chosen)
        self.queue_mode = QComboBox()
        self.queue_mode.addItem("Next: ungraded in Interactions filters", FILTERS)
        self.queue_mode.addItem("Next: random sample per agent per week", SAMPLE)
        self.queue_mode.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.queue_mode.activated.connect(self._queue_mode_chosen)
        self.back_button = self._button("Previous", QStyle.StandardPixmap.SP_ArrowBack, self.open_previous,
                                        "Open the interaction you graded before (Alt+Left)")
        self.skip_button = self._button("Skip", QStyle.StandardPixmap.SP_ArrowForward, self.skip,
                                        "Leave this one as it is and open the next in the queue (Alt+Right)")
        self.edit_button = self._button("Edit", QStyle.StandardPixmap.SP_FileDialogDetailedView,
                                        self.start_editing, "Change this submitted evaluation (Ctrl+E); "
                                        "the previous version is kept in the history")
        self.save_button = self._button("Save", QStyle.StandardPixmap.SP_DialogSaveButton, self.save,
                                        "Save now (Ctrl+S). Drafts are also saved on every change.")
        self.submit_button = self._button("Submit && next", QStyle.StandardPixmap.SP_DialogApplyButton,
                                          self.submit_and_next, "Submit and open the next interaction "
                                          "of the queue (Ctrl+Enter)")
        self.submit_button.setDefault(True)

        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.saved_label = QLabel("")
        self.saved_label.setObjectName("muted")
        self.unsaved_banner = UnsavedBanner()
        self.unsaved_banner.retry.connect(lambda: self.ws is not None and operations().retry_now(self.ws))
        self.changed_notice = ChangedElsewhereNotice()
        self.changed_notice.reload.connect(self.reload_changed)
        self.changed_notice.keep.connect(self.changed_notice.hide)
        self.transcript = TranscriptView()
        self.score_panel = ScorePanel()
        self.form = ScorecardForm()
        self.form.answered.connect(self._answered)
        self.form.comment_edited.connect(self._comment_edited)
        self.form.comment_done.connect(self._flush)
        self.form.overall_edited.connect(self._overall_edited)
        self.form.overall_done.connect(self._flush)
        self.history = HistoryBox()
        self.dispute_bar = DisputeBar()
        self.dispute_bar.user = settings.grader_name

        self._build_layout()
        self._shortcuts()
        self.stack.setCurrentWidget(self.empty)

    def _button(self, text: str, icon: QStyle.StandardPixmap, slot: Callable, tip: str) -> QPushButton:
        button = QPushButton(self.style().standardIcon(icon), text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Scorecard:"))
        bar.addWidget(self.scorecard)
        bar.addSpacing(12)
        bar.addWidget(self.queue_mode)
        bar.addStretch(1)
        for button in (self.back_button, self.skip_button, self.edit_button, self.save_button, self.submit_button):
            bar.addWidget(button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(6)
        right_layout.addWidget(self.dispute_bar)
        right_layout.addWidget(self.score_panel)
        right_layout.addWidget(self.form, 1)
        right_layout.addWidget(self.history)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.transcript)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 5)
        saved = QSettings().value(SPLITTER_KEY)
        if saved is None or not self.splitter.restoreState(saved):
            self.splitter.setSizes([560, 760])  # the form is where the work is
        self.splitter.splitterMoved.connect(
            lambda *_: QSettings().setValue(SPLITTER_KEY, self.splitter.saveState()))
        status = QHBoxLayout()
        status.addWidget(self.message, 1)
        status.addWidget(self.saved_label)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addWidget(self.header)
        layout.addWidget(self.unsaved_banner)
        layout.addWidget(self.changed_notice)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(status)
        self.page = page
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def _shortcuts(self) -> None:
        """The screen's keys, as actions of the screen (those that write are marked `writing`)."""
        def bind(text: str, keys: tuple, slot: Callable) -> QAction:
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(key) for key in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda: slot())
            self.addAction(action)
            return action

        self.submit_action = bind("Submit and next", ("Ctrl+Return", "Ctrl+Enter"), self.submit_and_next)
        self.save_action = bind("Save now", (QKeySequence.StandardKey.Save,), self.save)
        self.edit_action = bind("Edit the submitted evaluation", ("Ctrl+E",), self.start_editing)
        bind("Skip", ("Alt+Right",), self.skip)
        bind("Previous", ("Alt+Left",), self.open_previous)
        writing(self.submit_action, self.save_action, self.edit_action, self.edit_button, self.save_button,
                self.submit_button)

    # ------------------------------------------------------------ workspace

    def set_workspace(self, ws: Workspace | None) -> None:
        """Grade in `ws` from now on; it is shown by the `Changes.everything()` that follows
        (`apply_changes`). Answers not written yet go to the old workspace first."""
        self.flush()
        self._sample_task.cancel()
        self._retire(self.session)
        self.ws = ws
        self.session = None
        self.interaction = None
        self.dispute_bar.show_evaluation(None, None)
        self._back.clear()
        self._saved_text = ""
        self.queue.sample = []
        self.queue.use_filters()
        self.queue_mode.setCurrentIndex(0)
        self._cards = []
        self.changed_notice.hide()
        self._show_empty()
        self._update_save_status()

    def set_queue_source(self, spec: Callable[[], QueueSpec]) -> None:
        """Where "next ungraded" takes its filters and order from (the Interactions browser)."""
        self.queue.spec = spec

    def apply_changes(self, changes: Changes) -> None:
        """A write (or opening a workspace) changed `changes`: re-read the scorecards when
        they changed, the sample when interactions came in, its progress when evaluations
        changed, and the grade shown when another write (an import, a merge, a dispute's
        re-grade) changed it: reloaded in place, or a notice when answers entered here are not
        saved yet (they are never overwritten)."""
        if self.ws is None:
            return
        source = operations().announcing
        own = source is not None and isinstance(source.owner, GradingSession)
        if not own and self._touches_open(changes):
            self._open_changed_elsewhere()
        if changes.touches(SCORECARDS):
            self._cards = self.ws.scorecards.list()
            if self.interaction is None:
                self._show_empty()
            else:
                self._fill_scorecards()
        if self.queue.mode == SAMPLE and not own and self._adds_to_sample(changes):
            self._redraw_sample()
        elif changes.touches(EVALUATIONS) and self.queue.mode == SAMPLE:
            self._update_sample_label()
        if self.interaction is None and not own and changes.touches(INTERACTIONS, EVALUATIONS):
            self._say("")  # "nothing left to grade" may no longer be true

    def _touches_open(self, changes: Changes) -> bool:
        """Could `changes` have changed the open interaction or its grade?"""
        session, interaction = self.session, self.interaction
        if session is None or interaction is None:
            return False
        evaluations = changes.ids_of(EVALUATIONS)
        if changes.touches(EVALUATIONS) and (
                evaluations is None or (session.evaluation is not None and session.evaluation.id in evaluations)):
            return True
        interactions = changes.ids_of(INTERACTIONS)
        return changes.touches(INTERACTIONS) and (interactions is None or interaction.id in interactions)

    def _open_changed_elsewhere(self) -> None:
        """Another write touched the open interaction: when what is stored differs from what is
        shown, reload it in place, or say so when answers entered here are not saved yet."""
        session, interaction = self.session, self.interaction
        try:
            stored = self.ws.interactions.get(interaction.id)
        except NotFound:
            return
        existing = self._existing(interaction.id, session.grader)
        if stored == interaction and _version(existing) == _version(session.evaluation):
            return  # e.g. a bulk import that did not touch this one
        if session.unsaved:
            self.changed_notice.show_changed(can_reload=not session.writing)
            return
        self.reload_open()
        self._say("This grade was changed elsewhere (an import, a merge or a dispute): showing it as now stored.")

    def reload_changed(self) -> None:
        """The notice's Reload: drop the changes typed here and not handed to a write yet, and
        show the grade as stored (only offered when no write of them is on its way)."""
        session = self.session
        if session is None or session.writing:
            return
        session.drop_unwritten()
        self.reload_open()
        self._say("Reloaded: showing the grade as now stored.")

    def reload_open(self) -> bool:
        """Show the open interaction again as stored, keeping the place in the form (the
        scroll position, the question in focus, editing a submitted grade)."""
        if self.interaction is None or self.session is None:
            return False
        position = self.form.verticalScrollBar().value()
        focus = self.window().focusWidget()  # the window's, even while a dialog is the active one
        question = next((i for i, widget in enumerate(self.form.questions)
                         if focus is not None and (focus is widget or widget.isAncestorOf(focus))), None)
        editing = self.session.editing
        if not self.open_interaction(self.interaction.id, remember=False):
            return False
        if editing and self.session.submitted:
            self.session.start_editing()
            self.form.set_readonly(False)
            self._show_state()
        if question is not None and question < len(self.form.questions):
            self.form.questions[question].setFocus(Qt.FocusReason.OtherFocusReason)
        self.form.verticalScrollBar().setValue(position)
        return True

    def _adds_to_sample(self, changes: Changes) -> bool:
        """Could `changes` have brought interactions the sample would draw (an import, a merge)?"""
        interactions = changes.ids_of(INTERACTIONS)
        return changes.touches(INTERACTIONS) and (interactions is None or not set(interactions) <= set(self.queue.sample))

    def apply_preferences(self) -> None:
        """The grader's preferences changed (blind grading): show the interaction again."""
        if self.interaction is not None:
            self.header.show_interaction(self.interaction, settings.blind_grading())

    def _show_empty(self) -> None:
        if self.interaction is not None:
            return
        if self.ws is None:
            self.empty.set_message("No workspace open", "Open or create a workspace from the File menu.", False)
        elif not self._cards:
            self.empty.set_message("No scorecard yet", "Create one in Scorecards, or import a scorecard "
                                   "JSON file (File ▸ Import), then come back here to grade.", False)
        else:
            self.empty.set_message("Nothing open for grading", START_TEXT)
        self.stack.setCurrentWidget(self.empty)

    def focus_default(self) -> None:
        """Put the keyboard where it is needed: the current question, or Start grading."""
        if self.stack.currentWidget() is self.page:
            index = self.form.current_index()
            if index is None:
                self.form.focus_first_unanswered()
        else:
            self.empty.button.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------ opening

    def open_interaction(self, interaction_id: int, *, remember: bool = True) -> bool:
        """Open `interaction_id` for grading: the grader's draft is resumed, a submitted
        evaluation is shown read-only (Edit to change it)."""
        if self.ws is None:
            return False
        self.flush()
        try:
            interaction = self.ws.interactions.get(interaction_id)
        except NotFound as error:
            self._say(str(error))
            return False
        grader = settings.grader_name()
        if not grader:
            self._say("Enter your name in Edit ▸ Preferences before grading.")
            return False
        kept = self._retiring.get(interaction_id)
        if kept is not None and kept.grader == grader:  # its answers are newer than the database's
            self._remember(interaction_id, remember)
            self.interaction = interaction
            self._show_session(self._retiring.pop(interaction_id))
            self.interaction_opened.emit(interaction_id)
            return True
        evaluation = self._existing(interaction_id, grader)
        try:
            stored = (self.ws.scorecards.get_by_id(evaluation.scorecard_id) if evaluation
                      else self._default_card(interaction))
        except QAGraderError as error:
            self._say(str(error))
            return False
        if stored is None:
            self._show_empty()
            return False
        self._remember(interaction_id, remember)
        self.interaction = interaction
        self._start(stored, evaluation, grader)
        self.interaction_opened.emit(interaction_id)
        return True

    def _remember(self, interaction_id: int, remember: bool) -> None:
        if remember and self.interaction is not None and self.interaction.id != interaction_id:
            self._back.append(self.interaction.id)

    def _existing(self, interaction_id: int, grader: str) -> Evaluation | None:
        """The grader's latest draft, else the latest submitted evaluation, else None."""
        evaluations = [e for e in self.ws.evaluations.for_interaction(interaction_id) if not e.calibration]
        drafts = [e for e in evaluations if not e.submitted and e.grader == grader]
        if drafts:
            return max(drafts, key=lambda e: e.updated_at)
        submitted = [e for e in evaluations if e.submitted]
        return max(submitted, key=lambda e: e.submitted_at or "") if submitted else None

    def _default_card(self, interaction: Interaction) -> StoredScorecard | None:
        """The scorecard chosen as the default for the interaction's channel, else the first
        active one meant for it, else a general one."""
        cards = self._cards or self.ws.scorecards.list()
        return scorecard_for_channel(cards, interaction.channel, settings.default_scorecard(interaction.channel))

    def _start(self, stored: StoredScorecard, evaluation: Evaluation | None, grader: str) -> None:
        session = GradingSession(self.ws, self.interaction.id, stored, grader, evaluation, self,
                                 name=self.interaction.external_id)
        session.saved.connect(self._saved)
        session.submitted_now.connect(self._submitted)
        session.failed.connect(self._failed)
        session.changed.connect(self._update_score)
        self._show_session(session)

    def _show_session(self, session: GradingSession) -> None:
        if session is not self.session:
            self._retire(self.session)
        self.session = session
        self.header.show_interaction(self.interaction, settings.blind_grading())
        self.transcript.set_transcript(self.interaction.transcript)
        self.form.load(session.card)
        self.form.show_answers(session.answers, session.overall)
        self.form.set_readonly(session.readonly)
        self._fill_scorecards()
        self._update_score()
        self._show_state()
        self._say("")
        self._saved_text = ""
        self._update_save_status()
        self.changed_notice.hide()
        self.stack.setCurrentWidget(self.page)
        self.form.verticalScrollBar().setValue(0)
        self.form.focus_first_unanswered()

    def _retire(self, session: GradingSession | None) -> None:
        """`session` is no longer on screen: kept while its writes are on their way."""
        if session is None:
            return
        if session.unsaved:
            self._retiring[session.interaction_id] = session
        else:
            session.deleteLater()

    def _fill_scorecards(self) -> None:
        """Active scorecards, plus the one the open evaluation uses if it is older/archived."""
        current = self.session.stored if self.session else None
        cards = list(self._cards)
        if current is not None and all(c.id != current.id for c in cards):
            cards.append(current)
        self._choosing = True
        self.scorecard.clear()
        for card in cards:
            label = card.label if current is None or card.id != current.id or card in self._cards \
                else f"{card.label} (used by this evaluation)"
            self.scorecard.addItem(label, card.id)
        if current is not None:
            self.scorecard.setCurrentIndex(self.scorecard.findData(current.id))
        session = self.session
        choosable = session is not None and not session.submitted and not session.answers and not session.overall
        self.scorecard.setEnabled(choosable)
        self.scorecard.setToolTip("The scorecard to grade on (the one for this channel by default)" if choosable
                                  else "A started or submitted evaluation keeps its scorecard")
        self._choosing = False

    def _scorecard_chosen(self, index: int) -> None:
        if self._choosing or self.session is None:
            return
        card_id = self.scorecard.itemData(index)
        if card_id == self.session.stored.id:
            return
        self.session.discard_empty_draft()
        stored = self.ws.scorecards.get_by_id(card_id)
        self._start(stored, None, self.session.grader)
        channel = self.interaction.channel if self.interaction is not None else None
        meant = [c for c in self._cards if channel in c.card.channels]
        if channel and len(meant) > 1 and stored.family_uuid in {c.family_uuid for c in meant}:
            settings.set_default_scorecard(channel, stored.family_uuid)  # two for one channel: remember
            self._say(f"{stored.name} is now the default scorecard for {channel_label(channel)} "
                      "interactions (choose another here at any time).")

    # ------------------------------------------------------------ queue

    def open_next(self) -> bool:
        """Open the next interaction of the queue after the current one."""
        if self.ws is None:
            return False
        self.flush()
        current = self.interaction.id if self.interaction else None
        try:
            next_id = self.queue.next_after(self.ws, current, settings.grader_name(), exclude=self._submitting)
        except QAGraderError as error:
            self._say(str(error))
            return False
        if next_id is None:
            where = ("in the sample" if self.queue.mode == SAMPLE
                     else "with the filters set in Interactions")
            self._say(f"Nothing left to grade {where}.")
            return False
        return self.open_interaction(next_id)

    def skip(self) -> None:
        self.open_next()

    def open_previous(self) -> None:
        if self._back:
            self.open_interaction(self._back.pop(), remember=False)

    def _queue_mode_chosen(self, index: int) -> None:
        if self.queue_mode.itemData(index) == FILTERS:
            self._sample_task.cancel()
            self.queue.use_filters()
            self._say("")
            return
        self._redraw_sample(announce=True)

    def _redraw_sample(self, *, announce: bool = False) -> None:
        """Draw the sample (again: interactions came in) off the GUI thread."""
        if self.ws is None:
            return
        per_week, seed = settings.sample_size(), settings.sample_seed()
        spec = self.queue.spec()
        path = str(self.ws.path)
        if announce:
            self.saved_label.setText("Drawing the sample…")
        self._sample_task.start(lambda progress, cancelled: build_sample(path, per_week, seed, spec.filters,
                                                                         progress, cancelled),
                                done=lambda ids: self._sample_ready(ids, per_week, announce),
                                failed=lambda error: self._say(user_message(error)))

    def _sample_ready(self, ids: list[int], per_week: int, announce: bool = True) -> None:
        self.queue.set_sample(ids, f"{per_week} per agent per week")
        self._update_sample_label()
        if announce:
            self.saved_label.setText(f"Sample ready: {len(ids):,} interactions.")

    def _update_sample_label(self) -> None:
        if self.ws is None or not self.queue.sample:
            return
        done, total = self.queue.sample_progress(self.ws)
        self.queue_mode.setItemText(1, f"Next: sample of {self.queue.sample_label} "
                                       f"({done:,} of {total:,} graded)")

    # ------------------------------------------------------------ changes

    def _answered(self, key: str, answer) -> None:
        if self.session is not None:
            self.session.set_answer(key, answer)
            self._say("")
            self._edited()

    def _comment_edited(self, key: str, text: str) -> None:
        if self.session is not None:
            self.session.set_comment(key, text)
            self._edited()

    def _overall_edited(self, text: str) -> None:
        if self.session is not None:
            self.session.set_overall(text)
            self._edited()

    def _edited(self) -> None:
        """An edit of a submitted grade is kept here until saved: the status line says so."""
        if self.session.editing:
            self._update_save_status()

    def _flush(self, *_args) -> None:
        self.flush()

    def flush(self) -> None:
        """Hand changes not written yet (comment typing, an edit) to the writer, before leaving,
        closing or switching. It does not wait: `unsaved` work is shown until it commits."""
        if self.session is None:
            return
        edit = self.session.submitted and self.session.dirty
        self.session.flush()
        if edit:  # an edit of a submitted evaluation: one save, with history
            self.session.editing = False
            self._after_save()

    def unsaved(self) -> bool:
        """True while answers entered here are not committed yet (this session or earlier ones)."""
        return (self.session is not None and self.session.unsaved) or any(
            s.unsaved for s in self._retiring.values())

    def save(self) -> None:
        if self.session is None:
            return
        self.flush()
        self._update_save_status()

    def start_editing(self) -> None:
        if self.session is None or not self.session.submitted or self.session.editing or self.ws.read_only:
            return
        self.session.start_editing()
        self.form.set_readonly(False)
        self._show_state()
        self.form.focus_question(0)

    def submit_and_next(self) -> None:
        """Submit (or save the edit of) this evaluation and open the next one of the queue."""
        if self.session is None:
            self.open_next()
            return
        result = self.session.result()
        if result.unanswered:
            count = len(result.unanswered)
            self._say(f"{count} question{'s' if count > 1 else ''} still unanswered — answer "
                      f"{'them' if count > 1 else 'it'} or mark N/A before submitting.")
            self.form.focus_first_unanswered()
            return
        session = self.session
        if session.readonly and not session.dirty:  # submitted already, nothing edited
            self.open_next()
            return
        session.submit()
        self._submitting.add(session.interaction_id)
        session.editing = False
        self._after_save()
        self.open_next()
        self._update_save_status()

    def _after_save(self) -> None:
        self._show_state()
        self.form.set_readonly(self.session.readonly)

    # ------------------------------------------------------------ display

    def _update_score(self) -> None:
        if self.session is not None:
            self.score_panel.show_result(self.session.card, self.session.result())

    def _saved(self) -> None:
        session = self.sender()
        if session is self.session:
            stamp = QTime.currentTime().toString("HH:mm:ss")
            self._saved_text = f"Draft saved {stamp}" if not session.submitted else f"Saved {stamp}"
            self._show_state()
        else:
            self._let_go(session)
        self._update_save_status()

    def _submitted(self, evaluation: Evaluation, edit: bool) -> None:
        session = self.sender()
        self._submitting.discard(evaluation.interaction_id)
        what = "Saved the edit of" if edit else "Submitted"
        self._saved_text = f"{what} {self._name_of(evaluation.interaction_id)}: " + (
            "no score (every question N/A)." if evaluation.score is None else f"{evaluation.score:.1f}%.")
        if session is self.session:
            self._show_state()
        else:
            self._let_go(session)
        if self.queue.mode == SAMPLE:
            self._update_sample_label()
        self._update_save_status()

    def _name_of(self, interaction_id: int) -> str:
        """The interaction as the user knows it: its id in the helpdesk (e.g. CALL-153942)."""
        if self.interaction is not None and self.interaction.id == interaction_id:
            return self.interaction.external_id
        try:
            return self.ws.interactions.get(interaction_id).external_id if self.ws is not None else "the interaction"
        except QAGraderError:
            return "the interaction"

    def _let_go(self, session) -> None:
        """A session left earlier has nothing on its way any more: forget it."""
        if isinstance(session, GradingSession) and not session.unsaved \
                and self._retiring.get(session.interaction_id) is session:
            del self._retiring[session.interaction_id]
            session.deleteLater()

    def _failed(self, error: Exception) -> None:
        session = self.sender()
        if isinstance(session, GradingSession):
            self._submitting.discard(session.interaction_id)
        if session is self.session:
            if isinstance(error, QAGraderError):
                self._say(str(error))
            else:
                show_error(self, error)
            self._show_state()
            self.form.set_readonly(self.session.readonly)
        else:  # the grade of an interaction the grader has left: say which
            name = session.name if isinstance(session, GradingSession) else "an interaction"
            show_error(self, QAGraderError(f"The answers for {name} were not saved: {user_message(error)} "
                                           f"Open it again to retry."))
        self._update_save_status()

    def _update_save_status(self) -> None:
        """The status line and the banner: "Not saved yet" while writes are on their way."""
        ops = operations()
        pending = ops.pending(self.ws) if self.ws is not None else []
        if self.changed_notice.isVisible():
            self.changed_notice.set_can_reload(self.session is not None and not self.session.writing)
        if not pending and not self.unsaved():
            self._status_timer.stop()
            self.unsaved_banner.hide()
            self.saved_label.setObjectName("muted")
            self.saved_label.setText(self._saved_text)
            self._restyle(self.saved_label)
            self._show_badge()
            return
        session = self.session
        if not pending and session is not None and session.editing and session.dirty:
            self._status_timer.stop()  # an edit of a submitted grade waits for Ctrl+S: nothing is being saved
            self.unsaved_banner.hide()
            self.saved_label.setObjectName("muted")
            self.saved_label.setText("Edit not saved yet (Ctrl+S saves it)")
            self._restyle(self.saved_label)
            self._show_badge()
            return
        if not self._status_timer.isActive():
            self._status_timer.start()
        since = ops.waiting_since(self.ws)
        blocked = ops.blocked(self.ws)
        slow = blocked or (since is not None and time.monotonic() - since > SLOW_S)
        if slow:
            self.unsaved_banner.show_waiting(len(pending), blocked)
        else:
            self.unsaved_banner.hide()
        self.saved_label.setObjectName("unsavedLabel" if slow else "muted")
        self.saved_label.setText("NOT SAVED YET — waiting for the workspace" if slow else "Saving…")
        self._restyle(self.saved_label)
        self._show_badge()

    @staticmethod
    def _restyle(label: QLabel) -> None:
        label.style().unpolish(label)
        label.style().polish(label)

    def _say(self, text: str) -> None:
        """A short message under the form (or on the start page when nothing is open)."""
        self.message.setText(text)
        self.empty.note.setText(text)

    def _show_badge(self) -> None:
        """The header's state of the open evaluation, saying whether it is saved."""
        session = self.session
        if session is None:
            return
        evaluation = session.evaluation
        if session.editing:
            self.header.show_state("Editing a submitted evaluation — Ctrl+S or Ctrl+Enter saves", "editing")
        elif session.submitting:
            self.header.show_state("Submitted here · not saved yet", "draft")
        elif evaluation is not None and evaluation.submitted:
            self.header.show_state(f"Submitted by {evaluation.grader} · {local_time(evaluation.submitted_at)}"
                                   + (" · edit not saved yet" if session.unsaved else ""), "submitted")
        elif session.unsaved:
            self.header.show_state(f"Draft by {session.grader} · not saved yet", "draft")
        elif evaluation is None:
            self.header.show_state("Not graded yet", "new")
        else:
            self.header.show_state(f"Draft by {evaluation.grader} · saved automatically", "draft")

    def _show_state(self) -> None:
        session = self.session
        if session is None:
            return
        evaluation = session.evaluation
        self._show_badge()
        self.edit_button.setVisible(session.submitted and not session.editing and not self.ws.read_only)
        self.save_button.setEnabled(not session.readonly)
        self.submit_button.setText("Save && next" if session.submitted else "Submit && next")
        self.submit_button.setEnabled(not session.readonly)
        self.back_button.setEnabled(bool(self._back))
        self.history.show_history(evaluation, session.history() if session.submitted else [])
        self.dispute_bar.show_evaluation(self.ws, None if session.editing else evaluation)
        self._fill_scorecards()

    # ------------------------------------------------------------ start-up

    def restore_last_draft(self) -> bool:
        """Reopen the grader's most recent unsubmitted draft (after a crash or a restart)."""
        if self.ws is None:
            return False
        draft = self.ws.evaluations.latest_draft(settings.grader_name())
        if draft is None or not self.open_interaction(draft.interaction_id):
            return False
        self._saved_text = f"Restored your draft from {local_time(draft.updated_at)}."
        self._update_save_status()
        return True


def _version(evaluation: Evaluation | None) -> tuple | None:
    """What tells two reads of an evaluation apart: its id and when it was last written."""
    return None if evaluation is None else (evaluation.id, evaluation.updated_at)
