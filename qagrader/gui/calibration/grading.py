"""Grading one's own calibration items, blind: the transcript and the scorecard as on the Grade
screen, but never the CSAT and never another grader's answers. Every answer is saved at once
(comments after a short pause) as the grader's calibration grade of the item; Submit (Ctrl+Enter)
submits it and opens the next item.

Saves go through `operations` (off the GUI thread, in order, retried while another program holds
the workspace): the answers in memory are the truth until their write has committed, and the
item says "not saved yet" until then."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from qagrader.core.calibration.grading import CalibrationTask, open_tasks, own_grade, save_calibration_grade
from qagrader.core.scorecards.scoring import Answer, score
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading.form import ScorecardForm, ScorePanel
from qagrader.gui.grading.panels import InteractionHeader
from qagrader.gui.grading.style import STYLE
from qagrader.gui.grading.transcript import TranscriptView
from qagrader.gui.messages import show_error
from qagrader.gui.operations import Write, operations
from qagrader.gui.read_only import writing

ROLE = Qt.ItemDataRole.UserRole
COMMENT_DELAY_MS = 400


class CalibrationGrading(QWidget):
    """The grader's open calibration items (a list) and the one being graded."""

    back = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.ws: Workspace | None = None
        self.grader = ""
        self.task: CalibrationTask | None = None
        self.answers: dict[str, Answer] = {}
        self.overall = ""
        self.heading = QLabel("")
        self.heading.setObjectName("title")
        self.back_button = QPushButton("Back to sessions")
        self.back_button.clicked.connect(self._leave)
        self.items = QListWidget()
        self.items.setMinimumWidth(180)
        self.items.setMaximumWidth(240)
        self.items.currentItemChanged.connect(self._item_chosen)
        self.header = InteractionHeader()
        self.transcript = TranscriptView()
        self.form = ScorecardForm()
        self.form.answered.connect(self._answered)
        self.form.comment_edited.connect(self._comment_edited)
        self.form.comment_done.connect(self._save_now)
        self.form.overall_edited.connect(self._overall_edited)
        self.form.overall_done.connect(self._save_now)
        self.score_panel = ScorePanel()
        self.submit_button = QPushButton("Submit and next")
        self.submit_button.setToolTip("Ctrl+Enter")
        self.submit_button.clicked.connect(self.submit)
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COMMENT_DELAY_MS)
        self._timer.timeout.connect(self._save_now)
        self._dirty = False
        # Answers handed to a write and not committed yet, per (session, interaction), with the
        # writes carrying them: shown instead of the stored grade until they are saved.
        self._unsaved: dict[tuple[int, int], tuple[dict[str, Answer], str]] = {}
        self._writes: dict[tuple[int, int], list[Write]] = {}
        self._submitted: set[tuple[int, int]] = set()  # submits on their way: off the list already
        self._stored = False  # the current item has a stored grade
        operations().state_changed.connect(self._show_state)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.form, 1)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.score_panel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        right_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(self.transcript)
        splitter.addWidget(right)
        splitter.setSizes([440, 660])
        work = QWidget()
        work_layout = QVBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.addWidget(self.header)
        work_layout.addWidget(splitter, 1)
        body = QSplitter()
        body.addWidget(self.items)
        body.addWidget(work)
        body.setStretchFactor(1, 1)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.back_button)
        note = QLabel("Blind: you see neither the customer's rating nor the other graders' answers until the "
                      "lead closes the session.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(body, 1)
        self.submit_action = QAction("Submit and next", self)
        self.submit_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.submit_action.triggered.connect(self.submit)
        self.addAction(self.submit_action)
        writing(self.submit_button, self.submit_action)

    def start(self, ws: Workspace, grader: str, session_id: int | None = None) -> None:
        """Show `grader`'s open calibration items (those of `session_id` first)."""
        self.ws, self.grader = ws, grader
        self.heading.setText(f"Calibration grading — {grader}")
        self.reload(session_id)

    def reload(self, prefer_session: int | None = None) -> None:
        tasks = [t for t in (open_tasks(self.ws, self.grader) if self.ws else [])
                 if (t.session_id, t.interaction_id) not in self._submitted]
        current = (self.task.session_id, self.task.interaction_id) if self.task else None
        self.items.blockSignals(True)
        self.items.clear()
        chosen = None
        for task in tasks:
            state = "started" if task.drafted or (task.session_id, task.interaction_id) in self._unsaved else "to grade"
            item = QListWidgetItem(f"{task.external_id}  ·  {state}\n{task.session}")
            item.setData(ROLE, task)
            self.items.addItem(item)
            if chosen is None and ((task.session_id, task.interaction_id) == current or
                                   (prefer_session is not None and task.session_id == prefer_session)):
                chosen = item
        self.items.blockSignals(False)
        if not tasks:
            self.task = None
            self._show_done()
            return
        self.items.setCurrentItem(chosen or self.items.item(0))

    def _show_done(self) -> None:
        self.header.title.setText("Nothing left to grade")
        self.header.meta.setText("Every calibration item of your open sessions is submitted. The results appear "
                                 "on the Calibration screen once the lead closes the session.")
        self.header.csat.setText("")
        self.header.show_state("Done", "submitted")
        self.transcript.set_transcript("")
        self.form.set_readonly(True)
        self.submit_button.setEnabled(False)

    def _item_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        self._save_now()
        if item is None or self.ws is None:
            return
        self.task = item.data(ROLE)
        interaction = self.ws.interactions.get(self.task.interaction_id)
        card = self.ws.scorecards.get_by_id(self.task.scorecard_id).card
        key = (self.task.session_id, self.task.interaction_id)
        mine = own_grade(self.ws, self.task.session_id, self.task.interaction_id, self.grader)
        if key in self._unsaved:  # what was entered, not what is stored yet
            answers, self.overall = self._unsaved[key]
            self.answers = dict(answers)
        else:
            self.answers = dict(mine.answers) if mine else {}
            self.overall = mine.overall_comment if mine else ""
        self.header.show_interaction(interaction, blind=True)
        self.header.csat.setText("CSAT hidden (calibration)")
        self.header.csat.setToolTip("Calibration grading is always blind to the customer's rating.")
        self._show_state(mine is not None)
        self.transcript.set_transcript(interaction.transcript)
        self.form.load(card)
        self.form.show_answers(self.answers, self.overall)
        self.form.set_readonly(False)
        self.submit_button.setEnabled(True)
        self.message.setText("")
        self._show_score()
        self.form.verticalScrollBar().setValue(0)
        self.form.focus_first_unanswered()

    def _show_score(self) -> None:
        if self.task is not None and self.ws is not None:
            card = self.ws.scorecards.get_by_id(self.task.scorecard_id).card
            self.score_panel.show_result(card, score(card, self.answers))

    def _answered(self, key: str, answer: Answer) -> None:
        comment = self.answers.get(key, Answer()).comment
        self.answers[key] = Answer(answer.value, answer.na, comment)
        self._dirty = True
        self._show_score()
        self._save_now()

    def _comment_edited(self, key: str, text: str) -> None:
        old = self.answers.get(key, Answer())
        self.answers[key] = Answer(old.value, old.na, text)
        self._dirty = True
        self._timer.start()

    def _overall_edited(self, text: str) -> None:
        self.overall = text
        self._dirty = True
        self._timer.start()

    def _show_state(self, stored: bool | None = None) -> None:
        """Say where the current item stands: not saved yet (its write is on its way), draft
        saved (committed) or not started."""
        if stored is not None:
            self._stored = stored
        if self.task is None:
            return
        key = (self.task.session_id, self.task.interaction_id)
        if self._writes.get(key) or key in self._unsaved:
            blocked = self.ws is not None and operations().blocked(self.ws)
            self.header.show_state(f"{self.task.session} · NOT SAVED YET — waiting for the workspace" if blocked
                                   else f"{self.task.session} · saving…", "draft")
        elif key in self._unsaved:
            self.header.show_state(f"{self.task.session} · NOT SAVED — see the message below", "draft")
        elif self._stored:
            self.header.show_state(f"{self.task.session} · draft saved", "draft")
        else:
            self.header.show_state(f"{self.task.session} · not started", "new")

    def _save_now(self, *, submit: bool = False) -> Write | None:
        """Hand what was entered to the writer (with `submit`, to be submitted too); None when
        there was nothing to save."""
        self._timer.stop()
        if self.task is None or self.ws is None or not (self._dirty or submit):
            return None
        task, answers, overall = self.task, dict(self.answers), self.overall
        key = (task.session_id, task.interaction_id)
        self._dirty = False
        self._unsaved[key] = (answers, overall)

        def saved(_evaluation) -> None:
            self._writes[key].remove(write)
            if not self._writes[key]:
                del self._writes[key]
                if self._unsaved.get(key) == (answers, overall):  # nothing newer entered since
                    del self._unsaved[key]
            if submit:
                self._submitted.discard(key)
            if self.task is not None and (self.task.session_id, self.task.interaction_id) == key:
                self._show_state(stored=True)

        def refused(error: BaseException) -> None:
            self._writes[key].remove(write)
            if not self._writes[key]:
                del self._writes[key]
            self.message.setText(str(error))
            if submit:  # back on the list, with what was entered
                self._submitted.discard(key)
                self.reload(task.session_id)
            elif self.task is not None and (self.task.session_id, self.task.interaction_id) == key:
                self._dirty = True  # the next change or flush tries again
                self._show_state()
            show_error(self, error)

        write = operations().run(self.ws, partial(save_calibration_grade, submit=submit), task.session_id,
                                 task.interaction_id, self.grader, answers, overall, owner=self,
                                 until_saved=True, done=saved, failed=refused)
        self._writes.setdefault(key, []).append(write)
        self._show_state()
        return write

    @property
    def unsaved(self) -> bool:
        """True while answers entered here are not committed yet."""
        return self._dirty or bool(self._writes)

    def flush(self) -> None:
        """Save what is typed now (before leaving the screen or closing the window)."""
        self._save_now()

    def submit(self) -> None:
        """Submit the current item and open the next at once (the write goes on in order; a
        refusal brings the item back with what was entered)."""
        if self.task is None or self.ws is None:
            return
        card = self.ws.scorecards.get_by_id(self.task.scorecard_id).card
        unanswered = score(card, self.answers).unanswered
        if unanswered:
            count = len(unanswered)
            self.message.setText(f"{count} question{'s' if count > 1 else ''} still unanswered (first: "
                                 f"'{unanswered[0]}'); answer or mark N/A before submitting.")
            return
        key = (self.task.session_id, self.task.interaction_id)
        self._submitted.add(key)
        self._save_now(submit=True)
        self.task = None
        self.reload()

    def _leave(self) -> None:
        self._save_now()
        self.back.emit()
