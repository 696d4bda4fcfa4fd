"""One question of the scorecard form, answered with the keyboard or the mouse.

Keys while a question has focus: digits pick an answer (a scale's own numbers; otherwise the
1-based position shown on the button), Y / N answer Yes / No, A marks N/A, Left / Right step
through the answers, Backspace clears, C jumps to the comment, G (or ?) shows the guideline,
Up / Down / Enter move between questions. Answering with a key moves to the next question.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.scorecards.model import NO, YES, Question
from qagrader.core.scorecards.scoring import Answer

NA_ID = -1


def answer_keys(question: Question) -> list[tuple[str, str]]:
    """(key shown on the button, answer label) for each possible answer."""
    labels = question.labels
    if question.type == "scale":
        return [(label if len(label) == 1 else "", label) for label in labels]
    return [(str(i + 1) if i < 9 else "", label) for i, label in enumerate(labels)]


def _fails(question: Question, label: str) -> bool:
    """Is `label` a failing answer worth tinting red (auto-fail, or a yes/no "No")?"""
    if question.type == "yes_no":
        return label == NO
    if question.type == "options":
        option = next(o for o in question.options if o.label == label)
        return bool(option.auto_fail) or option.points == 0
    return False


class QuestionWidget(QFrame):
    """A focusable card: number, text, guideline, answer buttons, N/A, comment."""

    answered = Signal(str, object)  # question key, Answer (value/na changed)
    comment_edited = Signal(str, str)  # question key, text (each keystroke)
    comment_done = Signal(str)  # focus left the comment field or Enter pressed
    navigate = Signal(object, int)  # self, +1 / -1

    def __init__(self, number: int, question: Question, parent: QWidget | None = None):
        super().__init__(parent)
        self.question = question
        self.setObjectName("question")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("current", False)
        self.setProperty("answered", False)
        self._labels = list(question.labels)
        self._answer = Answer()
        self._readonly = False

        title = QLabel(f"<b>{number}.</b>&nbsp; {_esc(question.text)}")
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setToolTip(question.guideline or "")
        title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.help = QToolButton()
        self.help.setText("?")
        self.help.setCheckable(True)
        self.help.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.help.setToolTip("Show the guideline (G)")
        if not question.guideline:
            self.help.hide()  # (showing it before it has a parent would open it as a window)
        self.help.toggled.connect(self._show_guideline)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(title, 1)
        if question.skill:
            skill = QLabel(question.skill)
            skill.setObjectName("skill")
            header.addWidget(skill, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.help, 0, Qt.AlignmentFlag.AlignTop)

        self.guideline = QLabel(question.guideline)
        self.guideline.setObjectName("guideline")
        self.guideline.setWordWrap(True)
        self.guideline.setVisible(False)

        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # exclusivity handled here so an answer can be cleared
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.buttons: dict[int, QPushButton] = {}
        for index, (key, label) in enumerate(answer_keys(question)):
            text = label if question.type == "scale" or not key else f"{key}  {label}"
            self._add_button(buttons, index, text, _fails(question, label))
        if question.allow_na:
            self._add_button(buttons, NA_ID, "A  N/A", False)
        buttons.addSpacing(12)
        self.group.idClicked.connect(self._clicked)

        self.comment = QLineEdit()
        self.comment.setMinimumWidth(160)
        self.comment.setPlaceholderText("Comment (C)")
        self.comment.setClearButtonEnabled(True)
        self.comment.textEdited.connect(lambda text: self.comment_edited.emit(question.key, text))
        self.comment.editingFinished.connect(lambda: self.comment_done.emit(question.key))
        self.comment.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.guideline)
        buttons.addWidget(self.comment, 1)
        layout.addLayout(buttons)

    def _add_button(self, layout: QHBoxLayout, index: int, text: str, fails: bool) -> None:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setProperty("answer", True)
        button.setProperty("fail", fails)
        if self.question.type == "scale":
            button.setMinimumWidth(34)
        self.group.addButton(button, index)
        self.buttons[index] = button
        layout.addWidget(button)

    # ------------------------------------------------------------ state

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def answer(self) -> Answer:
        return self._answer

    def set_answer(self, answer: Answer) -> None:
        """Show `answer` without emitting anything."""
        self._answer = answer
        checked = NA_ID if answer.na else (self._index_of(answer.value) if answer.value is not None else None)
        for index, button in self.buttons.items():
            button.setChecked(index == checked)
        if self.comment.text() != answer.comment:
            self.comment.setText(answer.comment)
        self._set_property("answered", answer.answered)

    def set_readonly(self, readonly: bool) -> None:
        self._readonly = readonly
        for button in self.buttons.values():
            button.setEnabled(not readonly or button.isChecked())
        self.comment.setReadOnly(readonly)

    def set_current(self, current: bool) -> None:
        self._set_property("current", current)

    def _set_property(self, name: str, value: bool) -> None:
        if self.property(name) != value:
            self.setProperty(name, value)
            self.style().unpolish(self)
            self.style().polish(self)

    def _index_of(self, value: object) -> int | None:
        text = str(value)
        return self._labels.index(text) if text in self._labels else None

    # ------------------------------------------------------------ answering

    def choose(self, index: int, advance: bool) -> None:
        """Answer with button `index` (NA_ID for N/A) and tell the form."""
        if self._readonly or index not in self.buttons:
            return
        if index == NA_ID:
            answer = Answer(None, True, self._answer.comment)
        else:
            label = self._labels[index]
            value: str | int = int(label) if self.question.type == "scale" else label
            answer = Answer(value, False, self._answer.comment)
        self.set_answer(answer)
        self.answered.emit(self.key, answer)
        if advance:
            self.navigate.emit(self, +1)

    def clear(self) -> None:
        if self._readonly or not self._answer.answered:
            return
        answer = Answer(None, False, self._answer.comment)
        self.set_answer(answer)
        self.answered.emit(self.key, answer)

    def _clicked(self, index: int) -> None:
        if self._readonly:
            self.set_answer(self._answer)
            return
        current = NA_ID if self._answer.na else self._index_of(self._answer.value)
        if index == current:  # clicking the chosen answer keeps it
            self.set_answer(self._answer)
            return
        self.choose(index, advance=False)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def set_comment_text(self, text: str) -> None:
        self._answer = Answer(self._answer.value, self._answer.na, text)

    def index_for_key(self, event: QKeyEvent) -> int | None:
        """The answer a key press picks, or None."""
        text = event.text().lower()
        if not text:
            return None
        if text == "a" and self.question.allow_na:
            return NA_ID
        if text in ("y", "n"):
            wanted = YES if text == "y" else NO
            return self._labels.index(wanted) if wanted in self._labels else None
        if text.isdigit():
            for index, (key, _label) in enumerate(answer_keys(self.question)):
                if key == text:
                    return index
        return None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            super().keyPressEvent(event)
            return
        index = self.index_for_key(event)
        if index is not None:
            self.choose(index, advance=True)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.navigate.emit(self, +1)
        elif key == Qt.Key.Key_Up:
            self.navigate.emit(self, -1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._step(-1 if key == Qt.Key.Key_Left else +1)
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.clear()
        elif event.text().lower() == "c":
            self.comment.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif event.text().lower() == "g" or event.text() == "?":
            self.help.toggle()
        else:
            super().keyPressEvent(event)

    def _step(self, delta: int) -> None:
        order = [i for i in self.buttons if i != NA_ID] + ([NA_ID] if NA_ID in self.buttons else [])
        current = NA_ID if self._answer.na else self._index_of(self._answer.value)
        position = order.index(current) + delta if current in order else (0 if delta > 0 else len(order) - 1)
        self.choose(order[max(0, min(len(order) - 1, position))], advance=False)

    def _show_guideline(self, shown: bool) -> None:
        self.guideline.setVisible(shown)

    # ------------------------------------------------------------ focus

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.set_current(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if not self.comment.hasFocus():
            self.set_current(False)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.comment:
            if event.type() == QEvent.Type.FocusIn:
                self.set_current(True)
            elif event.type() == QEvent.Type.FocusOut:
                self.set_current(self.hasFocus())
            elif event.type() == QEvent.Type.KeyPress:
                key = event.key()
                if key in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                        event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                    self.setFocus(Qt.FocusReason.ShortcutFocusReason)
                    return True
                if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                    self.navigate.emit(self, -1 if key == Qt.Key.Key_Up else +1)
                    return True
        return super().eventFilter(watched, event)


def _esc(text: str) -> str:
    import html

    return html.escape(text)
