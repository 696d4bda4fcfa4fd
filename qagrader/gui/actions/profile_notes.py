"""Coaching notes on an agent's profile: the agent's notes with their follow-ups, a new note,
and the agent's top coaching priorities turned into a note in one click (`priority_to_note`,
also used by the Analysis tab)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from html import escape

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from qagrader.analysis.coaching_follow_up import priority_note
from qagrader.core.coaching.notes import CoachingNote
from qagrader.core.storage.changes import AGENTS, COACHING_NOTES, Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import settings

from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing

from .dialogs import CoachingNoteDialog
from .view import fill, table

PRIORITY_BUTTONS = 3


def priority_to_note(owner: QWidget, ws: Workspace, row: Mapping[str, object], coach: str,
                     done: Callable[[CoachingNote], None] | None = None) -> None:
    """A coaching note about `row`'s agent and skill (one row of the coaching priorities),
    today, follow-up in four weeks, saying what the analysis found."""
    agent_id = ws.interactions.agent_id(str(row["agent"]))
    skill = str(row["skill"]).removesuffix(" (skill)")
    operations().run(ws, lambda w: w.coaching.add(agent_id, coach=coach, skills=[skill], agreed=priority_note(row)),
                     owner=owner, done=done)


class CoachingNotesBox(QWidget):
    """One agent's coaching notes, a new note, and notes from their coaching priorities."""

    written = Signal(str)  # what was saved, in words

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.agent: str | None = None
        self.team: str | None = None
        self.priorities = pd.DataFrame()
        self.user: Callable[[], str] = settings.grader_name
        self.notes = table(["Coached on", "Coach", "Skills", "Follow-up", "Agreed"], stretch=4)
        self.notes.setMinimumHeight(90)
        self.add_button = QPushButton("Add coaching note…")
        writing(self.add_button)
        self.add_button.clicked.connect(self.add_note)
        self.quick = QHBoxLayout()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addLayout(self.quick)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notes)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        self.quick_buttons: list[QPushButton] = []
        operations().changed.connect(self.apply_changes)

    def show_agent(self, ws: Workspace | None, team: str | None, agent: str | None,
                   priorities: pd.DataFrame | None = None) -> None:
        """The notes of `agent` (None: a team is shown, so no notes)."""
        self.ws, self.team, self.agent = ws, team, agent
        self.priorities = priorities if priorities is not None else pd.DataFrame()
        self.setVisible(agent is not None)
        self.message.setText("")
        self._reload()

    def _reload(self) -> None:
        if self.ws is None or self.agent is None:
            return
        notes = self.ws.coaching.for_agent(self.ws.interactions.agent_id(self.agent))
        today = date.today()
        fill(self.notes, [(n.coached_on, n.coach, ", ".join(n.skills), _follow_up(n, today),
                           n.agreed.replace("\n", " ")) for n in notes], [n.id for n in notes])
        self.notes.setFixedHeight(min(60 + 26 * max(len(notes), 1), 240))
        self._quick_buttons()

    def _quick_buttons(self) -> None:
        for button in self.quick_buttons:
            self.quick.removeWidget(button)
            button.deleteLater()
        self.quick_buttons = []
        ranked = (self.priorities[self.priorities["rank"].notna()].sort_values("rank")
                  if len(self.priorities) and "rank" in self.priorities else pd.DataFrame())
        for row in ranked.head(PRIORITY_BUTTONS).to_dict("records"):
            button = QPushButton(f"Coaching note: {row['skill']}")
            button.setToolTip("Turn this coaching priority into a note now (follow-up in 4 weeks):\n"
                              + priority_note(row))
            button.clicked.connect(lambda _=False, r=row: self.note_from_priority(r))
            writing(button)
            self.quick.addWidget(button)
            self.quick_buttons.append(button)

    def note_from_priority(self, row: Mapping[str, object]) -> None:
        if self.ws is not None:
            priority_to_note(self, self.ws, row, self.user(), done=self._saved)

    def add_note(self) -> None:
        ws, agent = self.ws, self.agent
        if ws is None or agent is None:
            return
        ranked = self.priorities
        first = ([str(ranked.sort_values("rank").iloc[0]["skill"])]
                 if len(ranked) and "rank" in ranked and ranked["rank"].notna().any() else [])
        dialog = CoachingNoteDialog(agent, ws.scorecards.all_skills(), self.user(), self, chosen=first)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        agent_id = ws.interactions.agent_id(agent)
        dialog.accepted.connect(lambda: operations().run(
            ws, lambda w, values=dialog.values(): w.coaching.add(agent_id, **values), owner=self, done=self._saved))
        dialog.open()
        self.dialog = dialog

    def _saved(self, note: CoachingNote) -> None:
        follow = f"; follow-up on {note.follow_up_on}" if note.follow_up_on else ""
        text = f"Coaching note saved for {note.agent} on {', '.join(note.skills)}{follow}."
        self.message.setText(escape(text))
        self.written.emit(text)

    def apply_changes(self, changes: Changes) -> None:
        if changes.touches(COACHING_NOTES, AGENTS) and self.isVisible():
            self._reload()


def _follow_up(note: CoachingNote, today: date) -> str:
    if note.follow_up_done:
        return f"done {note.followed_up_on}"
    if note.follow_up_on is None:
        return "none"
    return f"{note.follow_up_on} (overdue)" if note.overdue(today) else note.follow_up_on
