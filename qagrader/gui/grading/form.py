"""The scorecard form (sections of questions, overall comment) and the live score panel."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.scorecards.model import Scorecard
from qagrader.core.scorecards.scoring import Answer, ScoreResult, readable_reason

from .question import QuestionWidget


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


class OverallComment(QPlainTextEdit):
    """Overall comment; Up at the top returns to the last question, focus-out flushes."""

    focus_left = Signal()
    back = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText("Overall comment for the agent (saved as you type)")
        self.setTabChangesFocus(True)
        self.setFixedHeight(84)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.focus_left.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Up and self.textCursor().blockNumber() == 0:
            self.back.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.back.emit()
            return
        super().keyPressEvent(event)


class ScorecardForm(QScrollArea):
    """All questions of a scorecard, grouped by section, plus the overall comment."""

    answered = Signal(str, object)
    comment_edited = Signal(str, str)
    comment_done = Signal(str)
    overall_edited = Signal(str)
    overall_done = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.card: Scorecard | None = None
        self.questions: list[QuestionWidget] = []
        self.section_labels: list[QLabel] = []
        self.overall = OverallComment()
        self.overall.textChanged.connect(self._overall_changed)
        self.overall.focus_left.connect(self.overall_done)
        self.overall.back.connect(lambda: self.focus_question(len(self.questions) - 1))
        self._loading = False

    def load(self, card: Scorecard) -> None:
        """Build the widgets for `card` (kept when the same card is loaded again)."""
        if card == self.card and self.questions:
            return
        self.card = card
        self.questions = []
        self.section_labels = []
        body = QWidget()
        body.setObjectName("formBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 12, 12)
        layout.setSpacing(8)
        number = 0
        for section in card.sections:
            title = QLabel(section.name + ("  (bonus)" if section.bonus else ""))
            title.setObjectName("sectionTitle")
            layout.addWidget(title)
            self.section_labels.append(title)
            for question in section.questions:
                number += 1
                widget = QuestionWidget(number, question)
                widget.answered.connect(self.answered)
                widget.comment_edited.connect(self._comment_edited)
                widget.comment_done.connect(self.comment_done)
                widget.navigate.connect(self._navigate)
                layout.addWidget(widget)
                self.questions.append(widget)
        label = QLabel("Overall comment")
        label.setObjectName("sectionTitle")
        layout.addWidget(label)
        self.overall.setParent(None)
        layout.addWidget(self.overall)
        layout.addStretch(1)
        self.setWidget(body)

    def show_answers(self, answers: Mapping[str, Answer], overall: str) -> None:
        """Fill the form without emitting change signals."""
        self._loading = True
        try:
            for widget in self.questions:
                widget.set_answer(answers.get(widget.key, Answer()))
            if self.overall.toPlainText() != overall:
                self.overall.setPlainText(overall)
        finally:
            self._loading = False

    def set_readonly(self, readonly: bool) -> None:
        for widget in self.questions:
            widget.set_readonly(readonly)
        self.overall.setReadOnly(readonly)

    def question(self, key: str) -> QuestionWidget:
        return next(w for w in self.questions if w.key == key)

    def focus_question(self, index: int) -> None:
        if not self.questions:
            return
        index = max(0, min(len(self.questions) - 1, index))
        widget = self.questions[index]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self.reveal(widget)

    def reveal(self, widget: QWidget) -> None:
        """Scroll so that `widget` is in view with room for what follows: when it is not
        already comfortably visible, its top goes to a quarter of the way down."""
        bar = self.verticalScrollBar()
        top = widget.mapTo(self.widget(), widget.rect().topLeft()).y()
        height, view = widget.height(), self.viewport().height()
        margin = view // 5
        if top - bar.value() < margin // 2 or top + height - bar.value() > view - margin:
            bar.setValue(max(0, top - view // 4))

    def focus_first_unanswered(self) -> None:
        for index, widget in enumerate(self.questions):
            if not widget.answer.answered:
                self.focus_question(index)
                return
        self.focus_question(0)

    def current_index(self) -> int | None:
        for index, widget in enumerate(self.questions):
            if widget.hasFocus() or widget.comment.hasFocus():
                return index
        return None

    def _navigate(self, widget: QuestionWidget, delta: int) -> None:
        index = self.questions.index(widget) + delta
        if index >= len(self.questions):
            self.overall.setFocus(Qt.FocusReason.OtherFocusReason)
            self.reveal(self.overall)
        elif index >= 0:
            self.focus_question(index)

    def _comment_edited(self, key: str, text: str) -> None:
        self.question(key).set_comment_text(text)
        self.comment_edited.emit(key, text)

    def _overall_changed(self) -> None:
        if not self._loading:
            self.overall_edited.emit(self.overall.toPlainText())


class ScorePanel(QFrame):
    """Live total, section scores, answered count and the auto-fail banner."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scorePanel")
        self.total = QLabel("–")
        self.total.setObjectName("total")
        self.progress = QLabel("")
        self.progress.setObjectName("muted")
        self.sections = QLabel("")
        self.sections.setWordWrap(True)
        self.sections.setTextFormat(Qt.TextFormat.RichText)
        self.sections.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.banner = QLabel("")
        self.banner.setObjectName("autoFail")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        top = QHBoxLayout()
        total_box = QVBoxLayout()
        total_box.setSpacing(0)
        caption = QLabel("Score")
        caption.setObjectName("muted")
        total_box.addWidget(caption)
        total_box.addWidget(self.total)
        total_box.addWidget(self.progress)
        top.addLayout(total_box)
        top.addSpacing(16)
        top.addWidget(self.sections, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.banner)

    def show_result(self, card: Scorecard, result: ScoreResult) -> None:
        self.total.setText(percent(result.total))
        if self.total.property("failed") != result.auto_failed:
            self.total.setProperty("failed", result.auto_failed)
            self.total.style().unpolish(self.total)
            self.total.style().polish(self.total)
        answered = len(card.questions) - len(result.unanswered)
        self.progress.setText(f"{answered} of {len(card.questions)} answered")
        cells = []
        for section in result.sections:
            style = "color:#c62828; font-weight:600" if section.auto_failed else ""
            value = "0% (auto-fail)" if section.auto_failed else percent(section.percent)
            name = _html(section.name).replace(" ", "&nbsp;")
            cells.append(f"<span style='{style}'>{name}:&nbsp;<b>{value}</b></span>")
        self.sections.setText(" &nbsp;·&nbsp; ".join(cells))
        if result.auto_failed:
            reasons = "; ".join(readable_reason(card, r) for r in result.auto_fail_reasons)
            self.banner.setText(f"AUTO-FAIL  —  {reasons}")
        self.banner.setVisible(result.auto_failed)


def _html(text: str) -> str:
    import html

    return html.escape(text)
