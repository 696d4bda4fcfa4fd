"""The scorecard editor: structure tree, the form of the selected item, and a live preview."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter, QStackedWidget, QStyle, QTabBar,
    QToolButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from qagrader.core.errors import QAGraderError, ScorecardError
from qagrader.core.faults import is_environment_error
from qagrader.core.scorecards.model import Scorecard, scorecard_from_dict
from qagrader.core.scorecards.store import SaveResult, StoredScorecard

from qagrader.gui.messages import log_path, user_message
from qagrader.gui.operations import Write, is_busy, operations
from qagrader.gui import read_only
from qagrader.gui.read_only import writing

from . import draft as drafts
from .forms import CardForm, QuestionForm, SectionForm
from .style import error_color, ok_color, tool_button
from .preview import ScorecardPreview

ROLE = Qt.ItemDataRole.UserRole
SIDE_BY_SIDE_WIDTH = 800  # narrower, the form and the live preview take turns (Edit / Preview tabs)
FORM_MIN_WIDTH = 400
PREVIEW_MIN_WIDTH = 320


class ScorecardEditor(QWidget):
    """Edits one scorecard draft. `load()` a stored scorecard or a new draft; `save()` validates
    with `scorecard_from_dict` and stores through `ws.scorecards.save`, run by `operations`
    without waiting: the editor is read-only while the save is on its way, says so (and that the
    workspace is busy, when it is), says "Saved" only once it committed, and keeps the draft as
    it was when the save is refused."""

    saved = Signal(object)  # SaveResult
    dirty_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = None
        self.stored: StoredScorecard | None = None
        self.family_uuid: str | None = None
        self.used_by = 0  # evaluations on the latest version
        self.draft: drafts.Draft = drafts.new_draft()
        self._original: drafts.Draft = copy.deepcopy(self.draft)
        self._dirty = False
        self._saving = False  # a save is on its way
        self._build()
        operations().state_changed.connect(self._show_waiting)
        self._validate_timer = QTimer(self, singleShot=True, interval=200)
        self._validate_timer.timeout.connect(self.refresh_preview)
        self.save_action = QAction("Save the scorecard", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.triggered.connect(lambda: self.save())
        self.addAction(self.save_action)
        writing(self.save_action)
        self.setEnabled(False)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)  # the version line wraps rather than running under the buttons
        self.title.setMinimumWidth(120)
        header.addWidget(self.title, 1)
        self.dirty_label = QLabel("● Unsaved changes")
        self.dirty_label.setStyleSheet("color: #b26a00; font-weight: bold;")
        self.dirty_label.hide()
        header.addWidget(self.dirty_label)
        style = self.style()
        self.discard_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton),
                                          "Discard changes")
        self.discard_button.clicked.connect(self.discard)
        self.save_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton), "Save")
        self.save_button.setToolTip("Save the scorecard (Ctrl+S)")
        self.save_button.clicked.connect(lambda: self.save())
        writing(self.discard_button, self.save_button)
        header.addWidget(self.discard_button)
        header.addWidget(self.save_button)
        layout.addLayout(header)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)

        self.panes = QTabBar()  # shown only when the editor is too narrow for form and preview side by side
        self.panes.setDocumentMode(True)
        self.panes.setExpanding(False)
        self.panes.addTab("Edit")
        self.panes.addTab("Preview")
        self.panes.setTabToolTip(0, "The selected item's fields")
        self.panes.setTabToolTip(1, "The scorecard as a grader sees it, scored as you click (a wider window "
                                    "shows it beside the fields)")
        self.panes.currentChanged.connect(self._fit_panes)
        self.panes.hide()
        layout.addWidget(self.panes)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.structure = left = QWidget()  # placed by the owner (the Scorecards screen)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        tools = QHBoxLayout()
        tools.setSpacing(2)
        self.add_section_button = self._tool(tools, "Section", QStyle.StandardPixmap.SP_FileDialogNewFolder,
                                             "Add a section", self.add_section)
        self.add_question_button = self._tool(tools, "Question", QStyle.StandardPixmap.SP_FileIcon,
                                              "Add a question to the selected section", self.add_question)
        tools.addStretch(1)
        self.move_up_button = self._tool(tools, "", QStyle.StandardPixmap.SP_ArrowUp, "Move up",
                                         lambda: self.move_selected(-1))
        self.move_down_button = self._tool(tools, "", QStyle.StandardPixmap.SP_ArrowDown, "Move down",
                                           lambda: self.move_selected(1))
        self.remove_button = self._tool(tools, "", QStyle.StandardPixmap.SP_TrashIcon,
                                        "Remove the selected section or question", self.remove_selected)
        writing(self.add_section_button, self.add_question_button, self.move_up_button, self.move_down_button,
                self.remove_button)
        left_layout.addLayout(tools)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._show_form)
        self.tree.itemClicked.connect(lambda *_: self.show_pane(0))  # a chosen item's fields, in a narrow window
        left_layout.addWidget(self.tree, 1)

        self.card_form = CardForm()
        self.section_form = SectionForm()
        self.question_form = QuestionForm()
        self.forms = QStackedWidget()
        for form in (self.card_form, self.section_form, self.question_form):
            form.changed.connect(self._form_changed)
            self.forms.addWidget(form)
        self.form_pane = QScrollArea()
        self.form_pane.setWidgetResizable(True)
        self.form_pane.setFrameShape(QFrame.Shape.NoFrame)
        self.form_pane.setWidget(self.forms)  # scrolls sideways rather than cutting fields below its minimum
        self.form_pane.setMinimumWidth(FORM_MIN_WIDTH)
        self.splitter.addWidget(self.form_pane)
        self.preview = ScorecardPreview()
        self.preview.setMinimumWidth(PREVIEW_MIN_WIDTH)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 3)  # the form gets the larger share
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([500, 400])
        layout.addWidget(self.splitter, 1)

    @property
    def side_by_side(self) -> bool:
        """True when the form and the live preview are shown together (a wide enough editor)."""
        return self.panes.isHidden()

    def show_pane(self, index: int) -> None:
        """In a narrow editor, show the form (0) or the live preview (1); side by side, both are."""
        self.panes.setCurrentIndex(index)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_panes()

    def _fit_panes(self) -> None:
        """Form and preview side by side when the editor is wide enough, else one at a time
        under Edit / Preview tabs (neither squeezed below a readable width)."""
        wide = self.width() >= SIDE_BY_SIDE_WIDTH
        self.panes.setVisible(not wide)
        self.form_pane.setVisible(wide or self.panes.currentIndex() == 0)
        self.preview.setVisible(wide or self.panes.currentIndex() == 1)
        self.form_pane.setMinimumWidth(FORM_MIN_WIDTH if wide else 0)
        self.preview.setMinimumWidth(PREVIEW_MIN_WIDTH if wide else 0)

    def _tool(self, row: QHBoxLayout, text: str, icon: QStyle.StandardPixmap, tip: str, slot) -> QToolButton:
        return tool_button(row, text, self.style().standardIcon(icon), tip, slot)

    # ------------------------------------------------------------------ loading

    def set_workspace(self, ws) -> None:
        self.ws = ws

    def load(self, stored: StoredScorecard | None, draft: drafts.Draft | None = None,
             used_by: int = 0) -> None:
        """Edit `stored` (its latest version), or a new `draft` when `stored` is None. The preview
        forgets its answers when another scorecard is loaded (they belong to the one shown)."""
        if stored is None or stored.family_uuid != self.family_uuid:
            self.preview.forget_answers()
        self.stored = stored
        self.family_uuid = stored.family_uuid if stored else None
        self.used_by = used_by
        self.draft = draft if draft is not None else drafts.from_card(stored.card)  # type: ignore[union-attr]
        self._original = copy.deepcopy(self.draft)
        if stored is None:
            self._original = {}  # a new scorecard is unsaved until saved
        self.setEnabled(True)
        self._update_skills()
        self._rebuild_tree(("card",))
        self._set_message("")
        self._update_dirty()
        self.refresh_preview()

    def clear(self) -> None:
        self.stored = None
        self.family_uuid = None
        self.draft = drafts.new_draft()
        self._original = copy.deepcopy(self.draft)
        self.tree.clear()
        self.preview.set_card(None)
        self.title.setText("<i>Select a scorecard, or create one with New.</i>")
        self._update_dirty()
        self.setEnabled(False)

    def _update_skills(self) -> None:
        skills: list[str] = []
        if self.ws is not None:
            for stored in self.ws.scorecards.list(include_archived=True):
                skills.extend(stored.card.skills)
        skills.extend(q.get("skill") for s in self.draft.get("sections", []) for q in s.get("questions", [])
                      if q.get("skill"))
        self.question_form.set_skills(skills)

    def _update_title(self) -> None:
        name = self.draft.get("name") or "Untitled"
        if self.stored is None:
            detail = "new scorecard, not saved yet"
        else:
            detail = f"v{self.stored.version}"
            if self.stored.archived:
                detail += " · archived"
            if self.used_by:
                uses = "s (drafts and calibration included) use" if self.used_by != 1 else " uses"
                detail += f" · {self.used_by:,} grade{uses} this version"
                if not self.view_only:
                    detail += f"; saving changes creates v{self.stored.version + 1}"
        if self.view_only:
            detail += " · view only: the workspace is read-only"
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()  # the theme's, light or dark
        self.title.setText(f"<span style='font-size:large'><b>{_escape(name)}</b></span>"
                           f"&nbsp;&nbsp;<span style='color:{muted}'>{_escape(detail)}</span>")

    # ------------------------------------------------------------------ tree

    def _rebuild_tree(self, select: tuple) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        root = QTreeWidgetItem([self.draft.get("name") or "Untitled"])
        root.setData(0, ROLE, ("card",))
        root.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView))
        self.tree.addTopLevelItem(root)
        chosen = root
        for i, section in enumerate(self.draft.get("sections", [])):
            item = QTreeWidgetItem(root, [self._section_text(section)])
            item.setData(0, ROLE, ("section", i))
            item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon))
            if select == ("section", i):
                chosen = item
            for j, question in enumerate(section.get("questions", [])):
                child = QTreeWidgetItem(item, [self._question_text(question)])
                child.setToolTip(0, self._question_text(question))
                child.setData(0, ROLE, ("question", i, j))
                if select == ("question", i, j):
                    chosen = child
        self.tree.expandAll()
        self.tree.blockSignals(False)
        self.tree.setCurrentItem(chosen)
        self._show_form(chosen)

    @staticmethod
    def _section_text(section: dict[str, Any]) -> str:
        return (section.get("name") or "Untitled section") + ("  (bonus)" if section.get("bonus") else "")

    @staticmethod
    def _question_text(question: dict[str, Any]) -> str:
        return f"{question.get('key') or '?'} — {question.get('text') or ''}"

    def selected(self) -> tuple:
        item = self.tree.currentItem()
        return item.data(0, ROLE) if item is not None else ("card",)

    def item_for(self, where: tuple) -> QTreeWidgetItem | None:
        root = self.tree.topLevelItem(0)
        if root is None or where[0] == "card":
            return root
        section = root.child(where[1]) if where[1] < root.childCount() else None
        if section is None or where[0] == "section":
            return section
        return section.child(where[2]) if where[2] < section.childCount() else None

    def select(self, where: tuple) -> None:
        item = self.item_for(where)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _show_form(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        where = item.data(0, ROLE) if item is not None else ("card",)
        for form in (self.card_form, self.section_form, self.question_form):
            form.clear_errors()
        if where[0] == "card":
            self.card_form.load(self.draft)
            self.forms.setCurrentWidget(self.card_form)
        elif where[0] == "section":
            self.section_form.load(self.draft["sections"][where[1]])
            self.forms.setCurrentWidget(self.section_form)
        else:
            self.question_form.load(self.draft["sections"][where[1]]["questions"][where[2]])
            self.forms.setCurrentWidget(self.question_form)
        self.add_question_button.setEnabled(where[0] != "card")
        self.remove_button.setEnabled(where[0] != "card")
        read_only.view_only(self.forms, self.view_only)  # the fields just loaded (an options table's rows)

    @property
    def view_only(self) -> bool:
        """True on a read-only workspace: every field shows, none can be changed; the tree still
        chooses what is shown, and the live preview still scores clicks (it writes nothing)."""
        return read_only.is_read_only()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: its shades
            self._update_title()
            if self.view_only:
                read_only.view_only(self.forms, True)

    # ------------------------------------------------------------------ structure edits

    def add_section(self) -> None:
        sections = self.draft.setdefault("sections", [])
        where = self.selected()
        index = where[1] + 1 if where[0] != "card" else len(sections)
        sections.insert(index, drafts.new_section(f"Section {len(sections) + 1}",
                                                  [drafts.new_question(drafts.unique_key(self.draft))]))
        self._structure_changed(("section", index))

    def add_question(self) -> None:
        where = self.selected()
        if where[0] == "card":
            return
        questions = self.draft["sections"][where[1]].setdefault("questions", [])
        index = where[2] + 1 if where[0] == "question" else len(questions)
        questions.insert(index, drafts.new_question(drafts.unique_key(self.draft)))
        self._structure_changed(("question", where[1], index))

    def remove_selected(self) -> None:
        where = self.selected()
        if where[0] == "section":
            del self.draft["sections"][where[1]]
            self._structure_changed(("section", where[1] - 1) if where[1] else ("card",))
        elif where[0] == "question":
            questions = self.draft["sections"][where[1]]["questions"]
            del questions[where[2]]
            self._structure_changed(("question", where[1], where[2] - 1) if where[2] else ("section", where[1]))

    def move_selected(self, step: int) -> None:
        where = self.selected()
        if where[0] == "section":
            items, index = self.draft["sections"], where[1]
            target_where: tuple = ("section", index + step)
        elif where[0] == "question":
            items, index = self.draft["sections"][where[1]]["questions"], where[2]
            target_where = ("question", where[1], index + step)
        else:
            return
        target = index + step
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        self._structure_changed(target_where)

    def _structure_changed(self, select: tuple) -> None:
        self._rebuild_tree(select)
        self._changed()

    # ------------------------------------------------------------------ edits

    def _form_changed(self) -> None:
        item = self.tree.currentItem()
        where = self.selected()
        if item is not None:
            if where[0] == "card":
                item.setText(0, self.draft.get("name") or "Untitled")
            elif where[0] == "section":
                item.setText(0, self._section_text(self.draft["sections"][where[1]]))
            else:
                item.setText(0, self._question_text(self.draft["sections"][where[1]]["questions"][where[2]]))
        self._changed()

    def _changed(self) -> None:
        self._set_message("")
        for form in (self.card_form, self.section_form, self.question_form):
            form.clear_errors()
        self._update_dirty()
        self._validate_timer.start()

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    def _update_dirty(self) -> None:
        dirty = _canonical(self.draft) != _canonical(self._original)
        self.dirty_label.setVisible(dirty)
        self.save_button.setEnabled(dirty and not self._saving)
        self.discard_button.setEnabled(dirty and not self._saving)
        self._update_title()
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def refresh_preview(self) -> Scorecard | None:
        """Validate the draft and render it; an invalid draft keeps the last good preview."""
        try:
            card = scorecard_from_dict(self.draft)
        except ScorecardError as error:
            self.preview.set_note(f"Preview shows the last valid state. {self._describe(error)}")
            return None
        self.preview.set_note("")
        self.preview.set_card(card)
        return card

    def discard(self) -> None:
        """Throw away unsaved edits."""
        if self.stored is None and not self._original:
            self.draft = drafts.new_draft()
        else:
            self.draft = copy.deepcopy(self._original)
        self._rebuild_tree(("card",))
        self._set_message("")
        self._update_dirty()
        self.refresh_preview()

    # ------------------------------------------------------------------ saving

    @property
    def saving(self) -> bool:
        """True while a save is on its way to the workspace."""
        return self._saving

    def save(self, then: Callable[[], None] | None = None) -> Write | None:
        """Validate and hand the scorecard to the writer; None when it is refused at once (the
        validation error is shown next to its field). The editor is read-only until the write
        has finished; `then()` runs once it has committed."""
        if self.ws is None or self._saving or self.ws.read_only:
            return None
        self._validate_timer.stop()
        try:
            card = scorecard_from_dict(self.draft)
        except ScorecardError as error:
            self.show_validation_error(error)
            return None
        if self.family_uuid is None and card.name.lower() in (
                s.name.lower() for s in self.ws.scorecards.list(include_archived=True)):
            # without a family the core would treat a known name as an edit of that scorecard
            self.show_validation_error(ScorecardError(
                "name", f"a scorecard named '{card.name}' already exists; choose another name"))
            return None
        ws, previous = self.ws, self.stored
        self._set_saving(True)
        return operations().run(ws, _save_scorecard, card, self.family_uuid, owner=self,
                                done=lambda result: self._save_done(ws, previous, result, then),
                                failed=lambda error: self._save_failed(ws, error))

    def _set_saving(self, saving: bool) -> None:
        """Read-only (the structure, the forms, the preview, the buttons) while a save is on its way."""
        self._saving = saving
        self.structure.setEnabled(not saving)
        self.splitter.setEnabled(not saving)
        self._update_dirty()
        if saving:
            self._set_message("Saving…", info=True)
            self._show_waiting()

    def say_saving(self) -> None:
        """Asked to do something else while a save is on its way."""
        busy = self.ws is not None and operations().blocked(self.ws)
        self._set_message("Still saving" + (" (the workspace is busy)" if busy else "")
                          + ": wait until it is saved, then try again.", info=not busy)

    def _show_waiting(self) -> None:
        """While the save waits for another program's lock, say so plainly."""
        if self._saving and self.ws is not None and operations().blocked(self.ws):
            self._set_message(f"Not saved yet: {self.ws.path.name} is busy (another QA Grader or program is "
                              f"writing to it). Still trying…")

    def _save_done(self, ws, previous: StoredScorecard | None, result: SaveResult,
                   then: Callable[[], None] | None) -> None:
        self._set_saving(False)
        if ws is not self.ws:  # another workspace was opened meanwhile: the save went to the old one
            return
        self.stored = result.scorecard
        self.family_uuid = result.scorecard.family_uuid
        self.used_by = 0 if result.new_version else self.used_by
        self.draft = drafts.from_card(result.scorecard.card)
        self._original = copy.deepcopy(self.draft)
        where = self.selected()
        self._rebuild_tree(where if self.item_for(where) else ("card",))
        self._update_dirty()
        self.refresh_preview()
        version = result.scorecard.version
        if result.new_version and previous is not None:
            kept = ws.scorecards.evaluation_count(previous.id)
            verb = "keep" if kept != 1 else "keeps"
            self._set_message(f"v{version} created; {kept} evaluation{'s' if kept != 1 else ''} "
                              f"{verb} v{previous.version}.", info=True)
        elif not result.changed:
            self._set_message("No changes to save.", info=True)
        else:
            self._set_message(f"Saved '{result.scorecard.name}' v{version}.", info=True)
        self.saved.emit(result)
        if then is not None:
            then()

    def _save_failed(self, ws, error: BaseException) -> None:
        """Nothing was saved: the draft stays as it was, with one line saying why."""
        self._set_saving(False)
        if ws is not self.ws:
            return
        if isinstance(error, ScorecardError):  # e.g. a skill's polarity disagrees with another scorecard
            self.show_validation_error(error)
        elif is_busy(error):
            self._set_message(f"Not saved: {user_message(error)} Your changes are still here: "
                              f"Save (Ctrl+S) to try again.")
        elif isinstance(error, QAGraderError) and "name" in str(error):
            self.show_validation_error(ScorecardError("name", str(error)))
        elif isinstance(error, QAGraderError) or is_environment_error(error):
            self._set_message(f"Not saved: {user_message(error)} Your changes are still here.")
        else:  # a bug, logged by the op runner with its traceback
            self._set_message(f"Not saved: something went wrong ({type(error).__name__}). Your changes are still "
                              f"here; the details are in {log_path()}.")

    def show_validation_error(self, error: QAGraderError) -> QWidget | None:
        """Select the item the error names, show the message under its field and focus it."""
        field = error.field if isinstance(error, ScorecardError) else ""
        where = drafts.parse_field(field)
        if where.question is not None:
            self.select(("question", where.section, where.question))
            form, name = self.question_form, where.field
            if where.option is not None:
                name = f"options[{where.option}].{where.field}"
        elif where.section is not None:
            self.select(("section", where.section))
            form, name = self.section_form, where.field
        else:
            self.select(("card",))
            form, name = self.card_form, where.field or "name"
        message = error.message if isinstance(error, ScorecardError) else str(error)
        self.show_pane(0)  # the field, even when a narrow editor was showing the preview
        widget = form.show_error(name, message)
        if widget is not None:
            widget.setFocus()
        self._set_message(f"Cannot save: {self._describe(error)}")
        return widget

    def _describe(self, error: QAGraderError) -> str:
        if isinstance(error, ScorecardError) and error.field:
            return f"{drafts.describe_field(error.field, self.draft)} {error.message}."
        return str(error)

    def _set_message(self, text: str, info: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        color = ok_color() if info else error_color()
        self.message.setStyleSheet(f"color: {color}; font-weight: bold; padding: 2px 0;")


def _save_scorecard(ws, card: Scorecard, family_uuid: str | None) -> SaveResult:
    return ws.scorecards.save(card, family_uuid)


def _canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
