"""Grading one's own calibration items, blind: the transcript and the scorecard as on the Grade
screen, but never the CSAT and never another grader's answers. Every answer is saved at once
(comments after a short pause) as the grader's calibration grade of the item; Submit (Ctrl+Enter)
submits it and opens the next item."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
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

from .writes import Writer

ROLE = Qt.ItemDataRole.UserRole
COMMENT_DELAY_MS = 400


class CalibrationGrading(QWidget):
    """The grader's open calibration items (a list) and the one being graded."""

    back = Signal()

    def __init__(self, writer: Writer, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.writer = writer
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
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.submit)

    def start(self, ws: Workspace, grader: str, session_id: int | None = None) -> None:
        """Show `grader`'s open calibration items (those of `session_id` first)."""
        self.ws, self.grader = ws, grader
        self.heading.setText(f"Calibration grading — {grader}")
        self.reload(session_id)

    def reload(self, prefer_session: int | None = None) -> None:
        tasks = open_tasks(self.ws, self.grader) if self.ws else []
        current = (self.task.session_id, self.task.interaction_id) if self.task else None
        self.items.blockSignals(True)
        self.items.clear()
        chosen = None
        for task in tasks:
            state = "started" if task.drafted else "to grade"
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
        mine = own_grade(self.ws, self.task.session_id, self.task.interaction_id, self.grader)
        self.answers = dict(mine.answers) if mine else {}
        self.overall = mine.overall_comment if mine else ""
        self.header.show_interaction(interaction, blind=True)
        self.header.csat.setText("CSAT hidden (calibration)")
        self.header.csat.setToolTip("Calibration grading is always blind to the customer's rating.")
        self.header.show_state(f"{self.task.session} · {'draft saved' if mine else 'not started'}",
                               "draft" if mine else "new")
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

    def _save_now(self, *, submit: bool = False) -> bool:
        self._timer.stop()
        if self.task is None or self.ws is None or not (self._dirty or submit):
            return True
        task, answers, overall = self.task, dict(self.answers), self.overall

        def failed(error: BaseException) -> None:
            self.message.setText(str(error))
            if not submit:
                show_error(self, error)

        saved = self.writer.run(self.ws, partial(save_calibration_grade, submit=submit), task.session_id,
                                task.interaction_id, self.grader, answers, overall, failed=failed)
        if saved:
            self._dirty = False
            if not submit:
                self.header.show_state(f"{task.session} · draft saved", "draft")
        return saved

    def flush(self) -> None:
        """Save what is typed now (before leaving the screen or closing the window)."""
        self._save_now()

    def submit(self) -> None:
        if self.task is None:
            return
        if self._save_now(submit=True):
            self.task = None
            self.reload()

    def _leave(self) -> None:
        self._save_now()
        self.back.emit()
