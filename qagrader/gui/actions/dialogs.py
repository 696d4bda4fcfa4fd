"""Dialogs of disputes and coaching: raise a dispute, resolve one (accept with a re-grade, or
reject with a reason), write a coaching note, record a follow-up. Each collects values only;
the caller writes them (through `operations`). Shown with `open()`; `accepted` carries on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QRadioButton, QScrollArea, QVBoxLayout,
    QWidget,
)

from qagrader.core.coaching.notes import FOLLOW_UP_WEEKS
from qagrader.core.disputes.store import Dispute
from qagrader.core.scorecards.model import Question, Scorecard
from qagrader.core.scorecards.scoring import Answer

NA = "N/A"


def shown_answer(answer: Answer | None) -> str:
    """An answer as the grading screen shows it."""
    if answer is None or not answer.answered:
        return "unanswered"
    return NA if answer.na else str(answer.value)


def _text_box(placeholder: str, text: str = "") -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(70)
    return box


def _day(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")


def _date_edit(day: date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class _Dialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.intro = QLabel("")
        self.intro.setWordWrap(True)
        self.intro.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def say(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.setVisible(bool(text))


class RaiseDisputeDialog(_Dialog):
    """A dispute of a submitted grade, entered on the agent's behalf."""

    def __init__(self, card: Scorecard, answers: Mapping[str, Answer], raised_by: str,
                 parent: QWidget | None = None, question_key: str | None = None):
        super().__init__("Dispute this grade", parent)
        self.say("The agent thinks this grade is wrong. Say what they dispute and why, in their words; "
                 "a lead then accepts it (and re-grades) or rejects it with a reason.")
        self.question = QComboBox()
        self.question.addItem("The whole evaluation", None)
        for q in card.questions:
            self.question.addItem(f"{q.text} (graded: {shown_answer(answers.get(q.key))})", q.key)
        if question_key is not None:
            self.question.setCurrentIndex(max(self.question.findData(question_key), 0))
        self.reason = _text_box("The agent's reason, e.g. 'I did verify: the postcode at 00:42'")
        self.raised_by = QLineEdit(raised_by)
        self.form.addRow("Disputed:", self.question)
        self.form.addRow("Agent's reason:", self.reason)
        self.form.addRow("Entered by:", self.raised_by)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Raise dispute")

    def values(self) -> tuple[str | None, str, str]:
        """(question key or None, reason, entered by)."""
        return self.question.currentData(), self.reason.toPlainText(), self.raised_by.text()


class ResolveDisputeDialog(_Dialog):
    """Accept a dispute with a re-grade of the disputed answers, or reject it with a reason."""

    def __init__(self, dispute: Dispute, card: Scorecard, answers: Mapping[str, Answer], by: str,
                 parent: QWidget | None = None, accept: bool = True):
        super().__init__("Resolve dispute", parent)
        self.card, self.answers = card, dict(answers)
        self.say(f"<b>{dispute.agent or 'The agent'}</b> disputes {dispute.about} of {dispute.external_id}, "
                 f"graded by {dispute.grader}:<br><i>{_escaped(dispute.reason)}</i><br>"
                 f"Raised {dispute.raised_at[:10]} by {dispute.raised_by}.")
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.accept_choice = QRadioButton("Accept: the grade was wrong, re-grade it")
        self.reject_choice = QRadioButton("Reject: the grade stands")
        group = QButtonGroup(self)
        group.addButton(self.accept_choice)
        group.addButton(self.reject_choice)
        (self.accept_choice if accept else self.reject_choice).setChecked(True)
        self.form.addRow(self.accept_choice)
        self.form.addRow(self.reject_choice)
        self.regrade = QWidget()
        regrade = QFormLayout(self.regrade)
        regrade.setContentsMargins(0, 0, 0, 0)
        self.pickers: dict[str, QComboBox] = {}
        questions = sorted(card.questions, key=lambda q: q.key != dispute.question_key)
        for q in questions if dispute.question_key is None else questions[:1]:
            picker = _answer_picker(q, answers.get(q.key))
            self.pickers[q.key] = picker
            regrade.addRow(_wrapped(q.text), picker)
        if dispute.question_key is not None:
            more = QCheckBox("Change other answers too")
            more.toggled.connect(lambda on: self._more(on, questions[1:], regrade))
            regrade.addRow(more)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.regrade)
        scroll.setMaximumHeight(320)
        self.form.addRow(scroll)
        self.reason = _text_box("Why (shown to the agent and kept in the evaluation's history)")
        self.form.addRow("Reason:", self.reason)
        self.by = QLineEdit(by)
        self.form.addRow("Resolved by:", self.by)
        self.accept_choice.toggled.connect(self.regrade.setEnabled)
        self.accept_choice.toggled.connect(self._name_ok_button)
        self.regrade.setEnabled(self.accept_choice.isChecked())
        self._name_ok_button(self.accept_choice.isChecked())

    def _name_ok_button(self, accepting: bool) -> None:
        """The button says what it does: accept and re-grade, or reject."""
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Accept and re-grade" if accepting else "Reject dispute")

    def _more(self, on: bool, questions: Sequence[Question], layout: QFormLayout) -> None:
        if on and len(self.pickers) == 1:
            for q in questions:
                picker = _answer_picker(q, self.answers.get(q.key))
                self.pickers[q.key] = picker
                layout.addRow(_wrapped(q.text), picker)

    @property
    def accepting(self) -> bool:
        return self.accept_choice.isChecked()

    def new_answers(self) -> dict[str, Answer]:
        """The answers the re-grade changes (each keeps its comment)."""
        changed = {}
        for key, picker in self.pickers.items():
            old = self.answers.get(key) or Answer()
            chosen = picker.currentData()
            answer = (Answer(None, True, old.comment) if chosen == NA else
                      Answer(chosen, False, old.comment) if chosen is not None else old)
            if answer != old:
                changed[key] = answer
        return changed


def _escaped(text: str) -> str:
    from html import escape

    return escape(text).replace("\n", "<br>")


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _answer_picker(question: Question, current: Answer | None) -> QComboBox:
    picker = QComboBox()
    if current is None or not current.answered:
        picker.addItem("unanswered", None)
    for label in question.labels:
        value: str | int = int(label) if question.type == "scale" else label
        picker.addItem(label, value)
    if question.allow_na:
        picker.addItem(NA, NA)
    if current is not None and current.answered:
        picker.setCurrentIndex(max(picker.findData(NA if current.na else current.value), 0))
    return picker


class CoachingNoteDialog(_Dialog):
    """A coaching note about one agent (new, or edited)."""

    def __init__(self, agent: str, skills: Iterable[str], coach: str, parent: QWidget | None = None, *,
                 chosen: Iterable[str] = (), agreed: str = "", coached_on: date | None = None,
                 follow_up_on: date | None = None, today: date | None = None):
        super().__init__(f"Coaching note: {agent}", parent)
        today = today or date.today()
        self.coached_on = _date_edit(coached_on or today)
        self.follow = QCheckBox("Follow up on")
        self.follow.setChecked(True)
        self.follow_up_on = _date_edit(follow_up_on or (coached_on or today) + timedelta(weeks=FOLLOW_UP_WEEKS))
        self.follow.toggled.connect(self.follow_up_on.setEnabled)
        self.skills = QListWidget()
        self.skills.setMaximumHeight(150)
        picked = {s.casefold() for s in chosen}
        for skill in skills:
            item = QListWidgetItem(skill)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if skill.casefold() in picked else Qt.CheckState.Unchecked)
            self.skills.addItem(item)
        self.agreed = _text_box("What was agreed, e.g. 'verify before sharing any order detail'", agreed)
        self.coach = QLineEdit(coach)
        self.form.addRow("Coached on:", self.coached_on)
        self.form.addRow("Skills:", self.skills)
        self.form.addRow("Agreed:", self.agreed)
        self.form.addRow(self.follow, self.follow_up_on)
        self.form.addRow("Coach:", self.coach)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save note")

    def chosen_skills(self) -> list[str]:
        return [self.skills.item(i).text() for i in range(self.skills.count())
                if self.skills.item(i).checkState() == Qt.CheckState.Checked]

    def values(self) -> dict:
        """Keyword arguments of `ws.coaching.add` (without the agent)."""
        return {"coach": self.coach.text(), "skills": self.chosen_skills(), "agreed": self.agreed.toPlainText(),
                "coached_on": _day(self.coached_on),
                "follow_up_on": _day(self.follow_up_on) if self.follow.isChecked() else None}


class FollowUpDialog(_Dialog):
    """Record that a coaching note's follow-up was done."""

    def __init__(self, agent: str, skills: Sequence[str], parent: QWidget | None = None,
                 today: date | None = None):
        super().__init__("Follow-up done", parent)
        self.say(f"Follow-up with {agent} on {', '.join(skills)}.")
        self.on = _date_edit(today or date.today())
        self.note = _text_box("How it went (optional)")
        self.form.addRow("Done on:", self.on)
        self.form.addRow("Note:", self.note)

    def values(self) -> dict:
        return {"on": _day(self.on), "note": self.note.toPlainText()}
