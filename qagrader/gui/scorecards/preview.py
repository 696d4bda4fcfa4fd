"""Live preview: the scorecard as a grader will see it, scored as you click."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea,
    QSizePolicy, QToolButton, QVBoxLayout, QWidget,
)

from qagrader.core.scorecards.model import NA, Question, Scorecard
from qagrader.core.scorecards.scoring import Answer, ScoreResult, readable_reason, score

from .style import error_color

_MAX_BUTTONS = 11  # longer scales use a drop-down
_ANSWER_STYLE = """
QToolButton {
    padding: 3px 10px; border: 1px solid palette(mid); border-radius: 4px; background: palette(button);
}
QToolButton:hover { border-color: palette(highlight); }
QToolButton:checked {
    background: palette(highlight); color: palette(highlighted-text); border-color: palette(highlight);
}
"""


class ScorecardPreview(QWidget):
    """Renders a `Scorecard` with answer buttons; the total, section scores and auto-fail
    banner update on every click through `qagrader.core.scorecards.scoring.score`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.card: Scorecard | None = None
        self.answers: dict[str, Answer] = {}
        self._section_boxes: list[QGroupBox] = []
        self._buttons: dict[str, dict[str, QToolButton]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        title = QLabel("<b>Live preview</b>")
        header.addWidget(title)
        header.addStretch(1)
        self.reset_button = QPushButton("Clear answers")
        self.reset_button.clicked.connect(self.clear_answers)
        header.addWidget(self.reset_button)
        layout.addLayout(header)
        self.total_label = QLabel()
        self.total_label.setObjectName("previewTotal")
        font = self.total_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.total_label.setFont(font)
        layout.addWidget(self.total_label)
        self.progress_label = QLabel()
        layout.addWidget(self.progress_label)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"background: {error_color()}; color: white; padding: 6px; border-radius: 4px; font-weight: bold;")
        self.banner.hide()
        layout.addWidget(self.banner)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {error_color()};")
        self.note.hide()
        layout.addWidget(self.note)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # answers wrap to the width; a very narrow pane scrolls sideways rather than cutting buttons
        layout.addWidget(self.scroll, 1)
        self.result: ScoreResult | None = None

    def set_note(self, text: str) -> None:
        """A line above the questions, e.g. why the preview shows an older state."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_card(self, card: Scorecard | None) -> None:
        """Render `card`, keeping the answers to questions that still exist and still fit."""
        self.card = card
        body = QWidget()
        body.setStyleSheet(_ANSWER_STYLE)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        self._section_boxes = []
        self._buttons = {}
        if card is not None:
            kept = {}
            for q in card.questions:
                answer = self.answers.get(q.key)
                if answer and (answer.na and q.allow_na or str(answer.value) in q.labels):
                    kept[q.key] = answer
            self.answers = kept
            for section in card.sections:
                box = QGroupBox(section.name.replace("&", "&&"))
                rows = QVBoxLayout(box)
                for question in section.questions:
                    rows.addWidget(self._question_row(question))
                column.addWidget(box)
                self._section_boxes.append(box)
        column.addStretch(1)
        self.scroll.setWidget(body)
        self._rescore()

    def forget_answers(self) -> None:
        """Drop the answers without drawing (the next `set_card` shows another scorecard)."""
        self.answers = {}

    def clear_answers(self) -> None:
        self.answers = {}
        self.set_card(self.card)

    def answer(self, key: str, label: str) -> None:
        """Answer question `key` with a label ("Yes", "3", "Partly" or "N/A"), as a click would."""
        if self.card is None:
            return
        question = self.card.question(key)
        if label == NA:
            self.answers[key] = Answer(None, True)
        elif question.type == "scale":
            self.answers[key] = Answer(int(label))
        else:
            self.answers[key] = Answer(label)
        button = self._buttons.get(key, {}).get(label)
        if button is not None and not button.isChecked():
            button.setChecked(True)
        self._rescore()

    def _question_row(self, question: Question) -> QWidget:
        row = QWidget()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 2, 0, 6)
        layout.setSpacing(3)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()  # the theme's, light or dark
        text = QLabel(question.text + (f"  <span style='color:{muted}'>[{question.skill}]</span>"
                                       if question.skill else ""))
        text.setWordWrap(True)
        if question.guideline:
            text.setToolTip(question.guideline)
        layout.addWidget(text)
        labels = list(question.labels) + ([NA] if question.allow_na else [])
        current = self.answers.get(question.key)
        chosen = NA if current and current.na else (str(current.value) if current else None)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        if len(labels) > _MAX_BUTTONS:
            combo = QComboBox()
            combo.addItem("—", None)
            for label in labels:
                combo.addItem(label, label)
            if chosen is not None:
                combo.setCurrentIndex(combo.findData(chosen))
            combo.setObjectName(f"answer_{question.key}")
            combo.currentIndexChanged.connect(
                lambda _i, c=combo, k=question.key: c.currentData() and self.answer(k, c.currentData()))
            buttons.addWidget(combo)
        else:
            group = QButtonGroup(row)
            for label in labels:
                button = QToolButton()
                button.setText(label)
                button.setCheckable(True)
                button.setChecked(label == chosen)
                button.setObjectName(f"answer_{question.key}_{label}")
                button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
                button.setMinimumWidth(36)
                button.clicked.connect(lambda _c=False, k=question.key, v=label: self.answer(k, v))
                group.addButton(button)
                buttons.addWidget(button)
                self._buttons.setdefault(question.key, {})[label] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return row

    def _rescore(self) -> None:
        if self.card is None:
            self.result = None
            self.total_label.setText("Score: —")
            self.progress_label.setText("")
            self.banner.hide()
            return
        result = score(self.card, self.answers)
        self.result = result
        total = "—" if result.total is None else f"{result.total:.1f}%"
        self.total_label.setText(f"Score: {total}")
        answered = len(self.card.questions) - len(result.unanswered)
        self.progress_label.setText(f"{answered} of {len(self.card.questions)} questions answered")
        if result.auto_failed:
            self.banner.setText("Auto-fail: " + "; ".join(readable_reason(self.card, r) for r in result.auto_fail_reasons))
            self.banner.show()
        else:
            self.banner.hide()
        for box, section, section_score in zip(self._section_boxes, self.card.sections, result.sections):
            percent = "not scored yet" if section_score.percent is None else f"{section_score.percent:.0f}%"
            name = f"{section.name} (bonus)" if section.bonus else section.name
            failed = " · auto-failed" if section_score.auto_failed else ""
            box.setTitle(f"{name} — {percent}{failed}".replace("&", "&&"))

    def section_titles(self) -> list[str]:
        return [box.title() for box in self._section_boxes]
