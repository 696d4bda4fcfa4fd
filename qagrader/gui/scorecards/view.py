"""The Scorecards screen: the list of scorecards with their actions, beside the editor."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
    QSplitter, QStyle, QToolBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from qagrader.core.errors import QAGraderError
from qagrader.core.scorecards.model import scorecard_to_json
from qagrader.core.scorecards.store import StoredScorecard
from qagrader.core.storage.changes import EVALUATIONS, SCORECARDS, Changes
from qagrader.core.storage.files import write_file
from qagrader.gui.messages import show_error
from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing
from qagrader.gui.when_shown import ReloadWhenShown

from . import draft as drafts
from .editor import ScorecardEditor

ROLE = Qt.ItemDataRole.UserRole


class ScorecardsView(QWidget):
    """List of scorecards (name, version, status, evaluations) with New / Duplicate /
    Archive-Restore / Delete / Import / Export, and the editor of the selected one. Writes go
    through `operations`; the list is read again when scorecards or evaluations changed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = None
        self._counts: dict[str, int] = {}
        self._build()
        self._reload_list = ReloadWhenShown(self, self._reload)
        operations().changed.connect(self.apply_changes)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.toolbar = QToolBar("Scorecards")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        icon = style.standardIcon
        sp = QStyle.StandardPixmap

        def action(text: str, theme: str, fallback: QStyle.StandardPixmap, tip: str, slot) -> QAction:
            act = QAction(QIcon.fromTheme(theme, icon(fallback)), text, self)
            act.setToolTip(tip)
            act.triggered.connect(slot)
            self.toolbar.addAction(act)
            return act

        self.new_action = action("New", "document-new", sp.SP_FileIcon, "Create a scorecard", self.new_scorecard)
        self.duplicate_action = action("Duplicate", "edit-copy", sp.SP_FileDialogNewFolder,
                                       "Copy the selected scorecard under a new name", self.duplicate)
        self.archive_action = action("Archive", "folder", sp.SP_DirClosedIcon,
                                     "Hide from grading (keeps its evaluations) or restore", self.toggle_archived)
        self.delete_action = action("Delete", "edit-delete", sp.SP_TrashIcon,
                                    "Delete a scorecard that has never been used", self.delete)
        self.toolbar.addSeparator()
        self.import_action = action("Import JSON…", "document-open", sp.SP_DialogOpenButton,
                                    "Import a scorecard from a JSON file", self.import_json)
        self.export_json_action = action("Export JSON…", "document-save-as", sp.SP_DialogSaveButton,
                                         "Save the selected scorecard as JSON", self.export_json)
        self.export_csv_action = action("Export CSV…", "x-office-spreadsheet", sp.SP_FileDialogListView,
                                        "Save the questions of the selected scorecard as CSV", self.export_csv)
        writing(self.new_action, self.duplicate_action, self.archive_action, self.delete_action, self.import_action)
        layout.addWidget(self.toolbar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.editor = ScorecardEditor()
        self.editor.saved.connect(self._saved)
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Scorecard", "Version", "Grades"])
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAlternatingRowColors(True)
        self.list.setSortingEnabled(False)
        self.list.headerItem().setToolTip(1, "The latest version; older versions keep their evaluations")
        self.list.headerItem().setToolTip(2, "Submitted grades on every version of the scorecard (calibration "
                                             "grades apart; hover a number for drafts and calibration)")
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.list.currentItemChanged.connect(self._selection_changed)
        left_layout.addWidget(self.list, 1)
        self.show_archived = QCheckBox("Show archived scorecards")
        self.show_archived.toggled.connect(self._reload)
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_archived)
        bottom.addStretch(1)
        self.summary = QLabel()
        self.summary.setEnabled(False)
        bottom.addWidget(self.summary)
        left_layout.addLayout(bottom)
        self.left_splitter.addWidget(left)
        self.left_splitter.addWidget(self.editor.structure)
        self.left_splitter.setSizes([260, 440])
        self.splitter.addWidget(self.left_splitter)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([320, 960])
        layout.addWidget(self.splitter, 1)
        self._update_actions()

    # ------------------------------------------------------------------ data

    def set_workspace(self, ws) -> None:
        """Show `ws`'s scorecards from the `Changes.everything()` that follows."""
        self.ws = ws
        self.editor.set_workspace(ws)
        self.editor.clear()
        self._counts = {}
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        self._update_actions()

    def apply_changes(self, changes: Changes) -> None:
        """The list shows scorecards and their evaluation counts: read again when those changed
        (at once when on screen or empty, else when shown)."""
        if self.ws is not None and changes.touches(SCORECARDS, EVALUATIONS):
            # new or changed scorecards at once (the editor selects what it saved); counts can wait
            self._reload_list.request(now=self.list.topLevelItemCount() == 0 or changes.touches(SCORECARDS))

    def _reload(self) -> None:
        """Read the list again, keeping the selection (and the editor's unsaved draft)."""
        if self.ws is None:
            return
        current = self.current()
        keep = current.family_uuid if current else self.editor.family_uuid
        self._counts = self.ws.scorecards.evaluation_counts()  # any grade: editing then makes a new version
        grades = self.ws.scorecards.grade_counts()
        cards = self.ws.scorecards.list(include_archived=self.show_archived.isChecked())
        self.list.blockSignals(True)
        self.list.clear()
        chosen = None
        for stored in cards:
            submitted, drafts, calibration = grades.get(stored.family_uuid, (0, 0, 0))
            item = QTreeWidgetItem([stored.name + ("  (archived)" if stored.archived else ""),
                                    f"v{stored.version}", f"{submitted:,}"])
            item.setToolTip(2, f"{submitted:,} submitted, {drafts:,} draft{'s' if drafts != 1 else ''}, "
                               f"{calibration:,} calibration grade{'s' if calibration != 1 else ''}")
            item.setData(0, ROLE, stored)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if stored.archived:
                item.setToolTip(0, "Archived: hidden from grading; its evaluations are kept")
                for column in range(3):
                    item.setForeground(column, self.palette().placeholderText())
            self.list.addTopLevelItem(item)
            if stored.family_uuid == keep:
                chosen = item
        self.list.blockSignals(False)
        if chosen is not None and self.editor.saving:  # it goes on with what it saved (`_saved`)
            self.list.blockSignals(True)
            self.list.setCurrentItem(chosen)
            self.list.blockSignals(False)
        elif chosen is not None:
            self.list.setCurrentItem(chosen)
        elif self.editor.stored is not None and not self.editor.is_dirty:
            self.editor.clear()
        self.summary.setText(f"{len(cards)} scorecard{'s' if len(cards) != 1 else ''}")
        self._update_actions()

    def current(self) -> StoredScorecard | None:
        item = self.list.currentItem()
        return item.data(0, ROLE) if item is not None else None

    def select(self, name: str) -> None:
        """Select (and edit) the scorecard called `name`."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, ROLE).name.lower() == name.lower():
                self.list.setCurrentItem(item)
                return

    def _load(self, stored: StoredScorecard) -> None:
        self.editor.load(stored, used_by=self.ws.scorecards.evaluation_count(stored.id))

    def _selection_changed(self, item: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        if item is not None:
            stored = item.data(0, ROLE)
            if self.editor.stored is not None and self.editor.stored.id == stored.id:
                self.editor.stored = stored  # same version: keep the draft, refresh what it shows
                self.editor.used_by = self.ws.scorecards.evaluation_count(stored.id)
                self.editor._update_title()
            elif self._confirm_leave(then=lambda: self.select_family(stored.family_uuid)):
                self._load(stored)
            else:
                self.list.blockSignals(True)
                self.list.setCurrentItem(previous)
                self.list.blockSignals(False)
                return
        self._update_actions()

    def confirm_close(self) -> bool:
        """For the main window's close: True when there are no unsaved edits, or the user saved
        (the save is waited for, painting, with Retry / Discard while the workspace is busy) or
        discarded them; False when they chose Cancel or the save was refused (its line says why)."""
        if not self.editor.saving:
            if not self.editor.is_dirty:
                return True
            answer = self._ask_save()
            if answer != QMessageBox.StandardButton.Save:
                return answer == QMessageBox.StandardButton.Discard
            if self.editor.save() is None:
                return False
        from qagrader.gui.unsaved import settle_writes

        return settle_writes(self, self.ws, "closing") and not self.editor.saving and not self.editor.is_dirty

    def _confirm_leave(self, then) -> bool:
        """Ask what to do with unsaved edits; True when it is fine to load something else now.
        Save starts the save and returns False: `then()` goes on once it has committed."""
        if self.editor.saving:
            self.editor.say_saving()
            return False
        if not self.editor.is_dirty:
            return True
        answer = self._ask_save()
        if answer == QMessageBox.StandardButton.Save:
            self.editor.save(then=then)
            return False
        return answer == QMessageBox.StandardButton.Discard

    def _ask_save(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self, "Unsaved changes",
            f"Save your changes to '{self.editor.draft.get('name') or 'Untitled'}' first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)

    def select_family(self, family_uuid: str) -> None:
        """Select (and edit) the scorecard of `family_uuid`."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, ROLE).family_uuid == family_uuid:
                self.list.setCurrentItem(item)
                return

    def _update_actions(self) -> None:
        stored = self.current()
        has = stored is not None and self.ws is not None
        used = self._counts.get(stored.family_uuid, 0) if stored else 0
        for act in (self.duplicate_action, self.archive_action, self.export_json_action, self.export_csv_action):
            act.setEnabled(has)
        self.delete_action.setEnabled(has and used == 0)
        self.delete_action.setToolTip(
            f"'{stored.name}' has {used} evaluations: archive it instead" if has and used
            else "Delete a scorecard that has never been used")
        self.archive_action.setText("Restore" if stored and stored.archived else "Archive")
        self.new_action.setEnabled(self.ws is not None)
        self.import_action.setEnabled(self.ws is not None)

    def _saved(self, result) -> None:
        """The editor saved (the list was read again with the write's Changes): select it."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, ROLE).family_uuid == result.scorecard.family_uuid:
                self.list.blockSignals(True)
                self.list.setCurrentItem(item)
                self.list.blockSignals(False)
        self._update_actions()

    # ------------------------------------------------------------------ actions

    def new_scorecard(self) -> None:
        if not self._confirm_leave(then=self.new_scorecard):
            return
        self.list.blockSignals(True)
        self.list.setCurrentItem(None)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self.editor.load(None, drafts.new_draft(self._free_name("New scorecard")))
        self._update_actions()
        self.editor.card_form.name.setFocus()
        self.editor.card_form.name.selectAll()

    def duplicate(self) -> None:
        stored = self.current()
        if stored is None or not self._confirm_leave(then=self.duplicate):
            return
        copy_draft = drafts.from_card(stored.card)
        copy_draft["name"] = self._free_name(f"{stored.name} (copy)")
        self.list.blockSignals(True)
        self.list.setCurrentItem(None)
        self.list.blockSignals(False)
        self.editor.load(None, copy_draft)
        self._update_actions()

    def _free_name(self, stem: str) -> str:
        names = {s.name.lower() for s in self.ws.scorecards.list(include_archived=True)}
        name, n = stem, 2
        while name.lower() in names:
            name, n = f"{stem} {n}", n + 1
        return name

    def toggle_archived(self) -> None:
        stored = self.current()
        if stored is None:
            return
        if stored.archived is False and not self.show_archived.isChecked():
            self.editor.clear()
        operations().run(self.ws, _set_archived, stored.name, not stored.archived, owner=self,
                         failed=lambda error: show_error(self, error))

    def delete(self) -> None:
        stored = self.current()
        if stored is None:
            return
        answer = QMessageBox.question(self, "Delete scorecard",
                                      f"Delete '{stored.name}' and all its versions? This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        operations().run(self.ws, _delete_scorecard, stored.name, owner=self,
                         done=lambda _none: self.editor.clear(), failed=lambda error: show_error(self, error))

    def import_json(self) -> None:
        from qagrader.gui.importing import import_scorecard_file

        import_scorecard_file(self, self.ws)

    def export_json(self) -> None:
        stored = self.current()
        if stored is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export scorecard as JSON",
                                              str(Path.home() / f"{_file_stem(stored.name)}.json"),
                                              "Scorecard JSON (*.json)")
        if not path:
            return
        try:
            write_file(path, scorecard_to_json(stored.card))
        except QAGraderError as error:
            show_error(self, error)
            return
        self.editor._set_message(f"Exported '{stored.name}' v{stored.version} to {path}", info=True)

    def export_csv(self) -> None:
        stored = self.current()
        if stored is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export scorecard questions as CSV",
                                              str(Path.home() / f"{_file_stem(stored.name)}.csv"),
                                              "CSV files (*.csv)")
        if not path:
            return
        try:
            from qagrader.core.exporting.csv_export import export_scorecard_csv
            from qagrader.gui.grading.settings import excel_bom

            export_scorecard_csv(stored.card, Path(path), excel_bom=excel_bom())
        except ImportError:
            show_error(self, QAGraderError("Scorecard CSV export is not available in this build."))
            return
        except OSError as error:
            show_error(self, QAGraderError(f"Cannot write {path}: {error.strerror or error}"))
            return
        except QAGraderError as error:
            show_error(self, error)
            return
        self.editor._set_message(f"Exported the questions of '{stored.name}' to {path}", info=True)


def _set_archived(ws, name: str, archived: bool) -> None:
    ws.scorecards.set_archived(name, archived)


def _delete_scorecard(ws, name: str) -> None:
    ws.scorecards.delete(name)


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "scorecard"
