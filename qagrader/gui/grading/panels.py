"""Small parts of the grading screen: the interaction header, the history list, the empty page."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.grading.evaluations import Evaluation
from qagrader.core.interactions.channels import channel_label
from qagrader.core.interactions.store import Interaction

from .form import percent


def local_time(stamp: str | None) -> str:
    """'2026-10-12T14:03:00.123Z' -> '2026-10-12 16:03' in the computer's time zone."""
    if not stamp:
        return "–"
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def when(occurred_at: str | None) -> str:
    if not occurred_at:
        return "no date"
    return occurred_at.replace("T", " ")[:16]


class InteractionHeader(QFrame):
    """Which interaction this is: id, channel, agent, team, brand, date, CSAT unless blind."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("interactionHeader")
        self.title = QLabel("")
        self.title.setObjectName("title")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel("")
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)
        self.csat = QLabel("")
        self.csat.setObjectName("csat")
        self.state = QLabel("")
        self.state.setObjectName("badge")
        self.state.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(self.title)
        left.addWidget(self.meta)
        right = QVBoxLayout()
        right.setSpacing(4)
        right.addWidget(self.state, 0, Qt.AlignmentFlag.AlignRight)
        right.addWidget(self.csat, 0, Qt.AlignmentFlag.AlignRight)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addLayout(right)

    def show_interaction(self, item: Interaction, blind: bool) -> None:
        subject = f" — {item.subject}" if item.subject else ""
        self.title.setText(f"{item.external_id}{subject}")
        self.title.setToolTip(self.title.text())
        parts = [channel_label(item.channel), f"Agent: {item.agent or 'unknown'}"]
        if item.team:
            parts.append(f"Team: {item.team}")
        if item.brand:
            parts.append(item.brand)
        parts.append(when(item.occurred_at))
        self.meta.setText("   ·   ".join(parts))
        if blind:
            self.csat.setText("CSAT hidden (blind grading)")
            self.csat.setToolTip("Turn blind grading off in Preferences to see the customer's rating.")
        elif item.csat_raw:
            self.csat.setText(f"CSAT {item.csat_raw}" + (f" on {item.csat_scale}" if item.csat_scale else ""))
            self.csat.setToolTip("")
        else:
            self.csat.setText("No CSAT survey")
            self.csat.setToolTip("")

    def show_state(self, text: str, kind: str) -> None:
        """kind: new / draft / submitted / editing."""
        self.state.setText(text)
        self.state.setProperty("kind", kind)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)


class HistoryBox(QGroupBox):
    """Who submitted a grade, when, its score, and each earlier version."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("History", parent)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setMaximumHeight(96)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(self.list)

    def show_history(self, evaluation: Evaluation | None, history: list[tuple[str, dict]]) -> None:
        self.list.clear()
        if evaluation is None or not evaluation.submitted:
            self.setVisible(False)
            return
        edited = f", last saved {local_time(evaluation.updated_at)}" if history else ""
        self.list.addItem(f"Now: {percent(evaluation.score)} — submitted by {evaluation.grader} "
                          f"on {local_time(evaluation.submitted_at)}{edited}")
        for saved_at, snapshot in reversed(history):
            by = f" by {snapshot['edited_by']}" if snapshot.get("edited_by") else ""
            self.list.addItem(f"Edited {local_time(saved_at)}{by} — before the edit: "
                              f"{percent(snapshot.get('score'))}"
                              f"{' (auto-fail)' if snapshot.get('auto_failed') else ''}, "
                              f"saved {local_time(snapshot.get('updated_at'))}")
        self.setTitle(f"History ({len(history)} edit{'s' if len(history) != 1 else ''})")
        self.setVisible(True)


START_TEXT = ("Start with the next ungraded interaction of the queue, or double-click an interaction "
              "in Interactions.\n\nKeys while grading: 1-9 / Y / N / A answer and move on, ↑ ↓ move, "
              "C comment, G guideline, Ctrl+S save, Ctrl+Enter submit and open the next.")


class EmptyPage(QWidget):
    """Shown when nothing is open: how to start grading."""

    start = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel("Nothing open for grading")
        self.heading.setObjectName("title")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(START_TEXT)
        self.text.setObjectName("muted")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setFixedWidth(560)
        self._fit_text()
        self.button = QPushButton("Start grading")
        self.button.setDefault(True)
        self.button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.button.clicked.connect(self.start)
        self.note = QLabel("")
        self.note.setObjectName("message")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addWidget(self.heading)
        # Centred by stretches, not by an alignment flag: an aligned item gets its size hint's
        # height, which is too short for wrapped text (it was cut top and bottom).
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.note)
        layout.addStretch(3)

    def set_message(self, heading: str, text: str, can_start: bool = True) -> None:
        self.heading.setText(heading)
        self.text.setText(text)
        self._fit_text()
        self.button.setVisible(can_start)

    def _fit_text(self) -> None:
        """The wrapped text gets the height it needs (a layout does not ask a label of fixed
        width for its height, so the lines were clipped)."""
        self.text.setMinimumHeight(self.text.heightForWidth(self.text.width()))


class UnsavedBanner(QFrame):
    """Says plainly that answers are not saved yet while the workspace is busy, with Retry now."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("unsaved")
        self.text = QLabel("")
        self.text.setObjectName("unsavedText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.button = _banner_button("Retry now", "Try to save at once instead of after the next pause", self.retry)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_waiting(self, changes: int, blocked: bool) -> None:
        what = f"{changes} change{'s' if changes != 1 else ''}"
        why = ("the workspace is busy: another QA Grader or program is writing to it" if blocked
               else "the workspace has not answered yet (another program may be writing to it)")
        verb = "stays" if changes == 1 else "stay"
        self.text.setText(f"<b>Not saved yet:</b> {why}. Your {what} {verb} here and will be saved, in "
                          f"order, as soon as it is free. Retrying…")
        self.show()


class ChangedElsewhereNotice(QFrame):
    """One line: the open grade was changed elsewhere while answers entered here are not saved
    yet; Reload shows the stored version (dropping them), Keep mine hides the notice."""

    reload = Signal()
    keep = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("changedElsewhere")
        self.text = QLabel("This grade was changed elsewhere (an import, a merge or a dispute) while you "
                           "were answering: your answers here are kept.")
        self.text.setObjectName("changedText")
        self.text.setWordWrap(True)
        self.reload_button = _banner_button("Reload", "", self.reload)
        self.keep_button = _banner_button("Keep mine", "Hide this notice; your answers are saved as usual", self.keep)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.keep_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_changed(self, can_reload: bool) -> None:
        self.set_can_reload(can_reload)
        self.show()

    def set_can_reload(self, can_reload: bool) -> None:
        self.reload_button.setEnabled(can_reload)
        self.reload_button.setToolTip(
            "Show the grade as now stored; the changes typed here and not saved yet are dropped" if can_reload
            else "Your answers are being saved; Reload is possible once they are (they will then be what is stored)")


def _banner_button(text: str, tip: str, clicked: SignalInstance) -> QPushButton:
    """A button of a banner: it never takes the keyboard from the form."""
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setToolTip(tip)
    button.clicked.connect(clicked)
    return button
