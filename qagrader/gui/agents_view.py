"""Agents & teams: rename, move between teams, mark inactive, merge two spellings of one agent."""

from __future__ import annotations

import difflib

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
    QHeaderView, QInputDialog, QLabel, QLineEdit, QSplitter, QStyle, QTableWidget,
    QTableWidgetItem, QToolBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from qagrader.core.errors import QAGraderError
from qagrader.core.interactions.store import Agent
from qagrader.core.storage.changes import AGENTS, EVALUATIONS, INTERACTIONS, TEAMS, Changes
from qagrader.gui.messages import show_error
from qagrader.gui.operations import Write, operations
from qagrader.gui.read_only import writing
from qagrader.gui.when_shown import ReloadWhenShown
from qagrader.gui.workers import Tasks

NO_TEAM = "(no team)"
ALL_TEAMS = "All teams"
ROLE = Qt.ItemDataRole.UserRole


class _TextItem(QTableWidgetItem):
    """Sorts case-insensitively, as the database lists names."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.text().casefold() < other.text().casefold()


class _NumberItem(QTableWidgetItem):
    """Sorts by number, shows thousands separators."""

    def __init__(self, value: int):
        super().__init__(f"{value:,}")
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.value < getattr(other, "value", 0)


class AgentsView(QWidget):
    """Agents (name, team, active, interactions, evaluations) and teams, loaded off the GUI
    thread. Every edit is an operation of `ws.interactions` run through `operations`; the lists
    are loaded again when a write changed agents, teams, interactions or evaluations (at once
    when on screen, else when next shown)."""

    loaded = Signal()  # the lists were (re)loaded

    COLUMNS = ("Agent", "Team", "Status", "Interactions", "Evaluations")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = None
        self.agents: list[Agent] = []
        self.teams: list[str] = []
        self._load_task = Tasks(self)
        self._pending_team: str | None = None  # select this team after the next load
        self._after_load = ""  # status message to show after the next load
        self.last_message = ""
        self._build()
        self._update_actions()
        self._reload = ReloadWhenShown(self, self._load)
        operations().changed.connect(self.apply_changes)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.toolbar = QToolBar("Agents")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        sp, icon = QStyle.StandardPixmap, self.style().standardIcon

        def action(text: str, theme: str, fallback: QStyle.StandardPixmap, tip: str, slot) -> QAction:
            act = QAction(QIcon.fromTheme(theme, icon(fallback)), text, self)
            act.setToolTip(tip)
            act.triggered.connect(lambda: slot())
            self.toolbar.addAction(act)
            return act

        self.rename_action = action("Rename…", "edit-rename", sp.SP_FileDialogDetailedView,
                                    "Rename the selected agent", self.rename_agent)
        self.move_action = action("Move to team…", "go-next", sp.SP_ArrowRight,
                                  "Put the selected agents in another team", self.move_agents)
        self.active_action = action("Mark inactive", "user-offline", sp.SP_DialogNoButton,
                                    "Inactive agents stay in reports but leave grading queues",
                                    self.toggle_active)
        self.merge_action = action("Merge…", "edit-join", sp.SP_DialogApplyButton,
                                   "Merge two spellings of the same agent", self.merge_agents)
        self.toolbar.addSeparator()
        self.new_team_action = action("New team…", "folder-new", sp.SP_FileDialogNewFolder,
                                      "Create a team", self.new_team)
        self.rename_team_action = action("Rename team…", "edit-rename", sp.SP_DirIcon,
                                         "Rename the selected team", self.rename_team)
        writing(self.rename_action, self.move_action, self.active_action, self.merge_action, self.new_team_action,
                self.rename_team_action)
        layout.addWidget(self.toolbar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        teams_box = QWidget()
        teams_layout = QVBoxLayout(teams_box)
        teams_layout.setContentsMargins(0, 0, 0, 0)
        self.team_list = QTreeWidget()
        self.team_list.setRootIsDecorated(False)
        self.team_list.setHeaderLabels(["Team", "Agents"])
        self.team_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.team_list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.team_list.currentItemChanged.connect(lambda *_: (self._fill_agents(), self._update_actions()))
        self.team_list.itemDoubleClicked.connect(lambda *_: self.rename_team())
        teams_layout.addWidget(self.team_list)
        splitter.addWidget(teams_box)

        agents_box = QWidget()
        agents_layout = QVBoxLayout(agents_box)
        agents_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find an agent…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._fill_agents)
        filters.addWidget(self.search, 1)
        self.show_inactive = QCheckBox("Show inactive agents")
        self.show_inactive.setChecked(True)
        self.show_inactive.toggled.connect(self._fill_agents)
        filters.addWidget(self.show_inactive)
        agents_layout.addLayout(filters)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.table.doubleClicked.connect(lambda *_: self.rename_agent())
        agents_layout.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setEnabled(False)
        agents_layout.addWidget(self.status)
        splitter.addWidget(agents_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([280, 900])
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ loading

    def set_workspace(self, ws) -> None:
        """Show `ws`'s agents from the `Changes.everything()` that follows."""
        self._load_task.cancel()
        self.ws = ws
        self.agents, self.teams = [], []
        self._reload.forget()
        self._fill()

    def apply_changes(self, changes: Changes) -> None:
        """Agents, teams and the interaction and evaluation counts change with these kinds."""
        if self.ws is not None and changes.touches(AGENTS, TEAMS, INTERACTIONS, EVALUATIONS):
            self._reload.request(now=not self.agents)

    def _load(self) -> None:
        """Load agents and teams in a worker (counting interactions can take a while)."""
        self.status.setText("Loading agents…")
        self._load_task.read(self.ws, lambda ws, progress, cancelled: (ws.interactions.agents(),
                                                                       ws.interactions.teams()),
                             done=self._loaded,
                             failed=lambda error: (self.status.setText(""), show_error(self, error)))

    def _loaded(self, result: tuple[list[Agent], list[str]]) -> None:
        self.agents, self.teams = result
        self._fill()
        if self._after_load:
            self.status.setText(self._after_load)
            self._after_load = ""
        self.loaded.emit()

    def _fill(self) -> None:
        current = self._pending_team or self.current_team()
        self._pending_team = None
        self.team_list.blockSignals(True)
        self.team_list.clear()
        counts: dict[str | None, int] = {}
        for agent in self.agents:
            counts[agent.team] = counts.get(agent.team, 0) + 1
        entries = [(ALL_TEAMS, len(self.agents))] + [(t, counts.get(t, 0)) for t in self.teams]
        if counts.get(None):
            entries.append((NO_TEAM, counts[None]))
        chosen = None
        for name, count in entries:
            item = QTreeWidgetItem([name, f"{count:,}"])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, ROLE, name)
            if name in (ALL_TEAMS, NO_TEAM):
                font = item.font(0)
                font.setItalic(True)
                item.setFont(0, font)
            self.team_list.addTopLevelItem(item)
            if name == (current or ALL_TEAMS):
                chosen = item
        self.team_list.setCurrentItem(chosen or self.team_list.topLevelItem(0))
        self.team_list.blockSignals(False)
        self._fill_agents()
        self._update_actions()

    def current_team(self) -> str | None:
        """The team selected in the teams list (None for all teams)."""
        item = self.team_list.currentItem()
        name = item.data(0, ROLE) if item is not None else ALL_TEAMS
        return None if name == ALL_TEAMS else name

    def visible_agents(self) -> list[Agent]:
        team, text = self.current_team(), self.search.text().strip().lower()
        out = []
        for agent in self.agents:
            if team == NO_TEAM and agent.team is not None or team not in (None, NO_TEAM) and agent.team != team:
                continue
            if not agent.active and not self.show_inactive.isChecked():
                continue
            if text and text not in agent.name.lower():
                continue
            out.append(agent)
        return out

    def _fill_agents(self) -> None:
        selected = {a.name for a in self.selected_agents()}
        agents = self.visible_agents()
        self.table.setSortingEnabled(False)
        self.table.clearSelection()
        self.table.setRowCount(len(agents))
        muted = self.palette().placeholderText()
        for row, agent in enumerate(agents):
            items = [_TextItem(agent.name), _TextItem(agent.team or "—"),
                     _TextItem("Active" if agent.active else "Inactive"),
                     _NumberItem(agent.interactions), _NumberItem(agent.evaluations)]
            items[0].setData(ROLE, agent)
            for column, item in enumerate(items):
                if not agent.active:
                    item.setForeground(muted)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() in selected:
                self.table.selectRow(row)
        total = len(self.agents)
        inactive = sum(not a.active for a in self.agents)
        self.status.setText(f"{len(agents):,} of {total:,} agents shown · {inactive:,} inactive · "
                            f"{len(self.teams):,} teams")

    def selected_agents(self) -> list[Agent]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.table.item(row, 0).data(ROLE) for row in rows if self.table.item(row, 0)]

    def select_agents(self, names: list[str]) -> None:
        """Select the rows of `names` (as a click with Ctrl would)."""
        self.table.clearSelection()
        wanted = {n.lower() for n in names}
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text().lower() in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _update_actions(self) -> None:
        agents = self.selected_agents()
        has_ws = self.ws is not None
        self.rename_action.setEnabled(len(agents) == 1)
        self.move_action.setEnabled(bool(agents))
        self.active_action.setEnabled(bool(agents))
        self.active_action.setText("Mark active" if agents and all(not a.active for a in agents) else "Mark inactive")
        self.merge_action.setEnabled(has_ws and len(self.agents) >= 2)
        self.new_team_action.setEnabled(has_ws)
        self.rename_team_action.setEnabled(self.current_team() not in (None, NO_TEAM))

    # ------------------------------------------------------------------ edits

    def _write(self, operation, *args, done=None) -> Write:
        """Run `operation(ws, *args)` through `operations`; refusals are shown."""
        return operations().run(self.ws, operation, *args, owner=self, done=done,
                                failed=lambda error: show_error(self, error))

    def rename_agent(self, new_name: str | None = None) -> bool:
        agents = self.selected_agents()
        if len(agents) != 1:
            return False
        old = agents[0].name
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename agent", f"New name for '{old}':", text=old)
            if not ok or new_name.strip() == old:
                return False
        return self._write(_rename_agent, old, new_name)

    def move_agents(self, team: str | None = None) -> bool:
        """Put the selected agents in `team` (asked when None; "(no team)" clears the team)."""
        agents = self.selected_agents()
        if not agents:
            return False
        if team is None:
            choices = [NO_TEAM] + self.teams
            start = choices.index(agents[0].team) if agents[0].team in choices else 0
            who = agents[0].name if len(agents) == 1 else f"{len(agents)} agents"
            team, ok = QInputDialog.getItem(self, "Move to team",
                                            f"Team for {who} (type a name for a new team):",
                                            choices, start, True)
            if not ok:
                return False
        target = None if team.strip() in ("", NO_TEAM) else team.strip()
        return self._write(_move_agents, [a.name for a in agents], target)

    def toggle_active(self) -> bool:
        agents = self.selected_agents()
        if not agents:
            return False
        active = all(not a.active for a in agents)
        return self._write(_set_agents_active, [a.name for a in agents], active)

    def new_team(self, name: str | None = None) -> bool:
        if self.ws is None:
            return False
        if name is None:
            name, ok = QInputDialog.getText(self, "New team", "Team name:")
            if not ok:
                return False
        if name.strip().lower() in (t.lower() for t in self.teams):
            show_error(self, QAGraderError(f"A team named '{name.strip()}' already exists."))
            return False
        return self._write(_new_team, name)

    def rename_team(self, new_name: str | None = None) -> bool:
        old = self.current_team()
        if old in (None, NO_TEAM):
            return False
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename team", f"New name for team '{old}':", text=old)
            if not ok or new_name.strip() == old:
                return False
        self._pending_team = new_name.strip()
        return self._write(_rename_team, old, new_name)

    def merge_agents(self) -> bool:
        """Ask which two agents to merge and which name to keep, then merge in a worker."""
        if len(self.agents) < 2:
            return False
        selected = self.selected_agents()
        dialog = MergeDialog(self.agents, selected[:2], self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.merge(dialog.keep(), dialog.duplicate())
        return True

    def merge(self, keep: str, duplicate: str) -> Write:
        """Move `duplicate`'s interactions to `keep` and remove `duplicate`."""
        self.status.setText(f"Merging '{duplicate}' into '{keep}'…")
        return self._write(_merge_agents, keep, duplicate, done=lambda moved: self._merged(keep, duplicate, moved))

    def _merged(self, keep: str, duplicate: str, moved: int) -> None:
        self.last_message = f"Merged '{duplicate}' into '{keep}': {moved:,} interactions moved."
        self._after_load = self.last_message


# The edits, as operations run on the writer's workspace.

def _rename_agent(ws, old: str, new: str) -> None:
    ws.interactions.rename_agent(old, new)


def _move_agents(ws, names: list[str], team: str | None) -> None:
    ws.interactions.move_agents(names, team)


def _set_agents_active(ws, names: list[str], active: bool) -> None:
    ws.interactions.set_agents_active(names, active)


def _new_team(ws, name: str) -> None:
    ws.interactions.ensure_team(name)


def _rename_team(ws, old: str, new: str) -> None:
    ws.interactions.rename_team(old, new)


def _merge_agents(ws, keep: str, duplicate: str) -> int:
    return ws.interactions.merge_agents(keep, duplicate)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def _closest(agent: Agent, agents: list[Agent]) -> Agent:
    """The other agent whose name looks most like `agent`'s (a likely second spelling)."""
    others = [a for a in agents if a.name != agent.name]
    return max(others, key=lambda other: _similarity(agent.name, other.name))


class MergeDialog(QDialog):
    """Choose the agent to keep and the spelling to merge into it; shows what will move."""

    def __init__(self, agents: list[Agent], preselect: list[Agent], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Merge agents")
        self.agents = {a.name: a for a in agents}
        layout = QVBoxLayout(self)
        intro = QLabel("Use this when one person appears under two spellings. The duplicate's "
                       "interactions move to the agent you keep, and the duplicate is removed.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.keep_combo = QComboBox()
        self.duplicate_combo = QComboBox()
        for combo in (self.keep_combo, self.duplicate_combo):
            combo.setEditable(False)
            for agent in agents:
                combo.addItem(f"{agent.name}  ({agent.interactions:,} interactions)", agent.name)
        if len(preselect) == 2:
            first, second = sorted(preselect, key=lambda a: -a.interactions)
        elif len(preselect) == 1:
            first, second = preselect[0], _closest(preselect[0], agents)
        else:
            first, second = min(((a, _closest(a, agents)) for a in agents),
                                key=lambda pair: -_similarity(pair[0].name, pair[1].name))
            if second.interactions > first.interactions:
                first, second = second, first
        self.keep_combo.setCurrentIndex(self.keep_combo.findData(first.name))
        self.duplicate_combo.setCurrentIndex(self.duplicate_combo.findData(second.name))
        form.addRow("Keep:", self.keep_combo)
        form.addRow("Merge into it:", self.duplicate_combo)
        layout.addLayout(form)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = self.buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        for combo in (self.keep_combo, self.duplicate_combo):
            combo.currentIndexChanged.connect(self._update)
        self._update()

    def keep(self) -> str:
        return self.keep_combo.currentData()

    def duplicate(self) -> str:
        return self.duplicate_combo.currentData()

    def set_names(self, keep: str, duplicate: str) -> None:
        self.keep_combo.setCurrentIndex(self.keep_combo.findData(keep))
        self.duplicate_combo.setCurrentIndex(self.duplicate_combo.findData(duplicate))

    def _update(self) -> None:
        keep, dup = self.agents.get(self.keep()), self.agents.get(self.duplicate())
        if keep is None or dup is None or keep.name == dup.name:
            self.summary.setText("Choose two different agents.")
            self.merge_button.setEnabled(False)
            return
        team = f" Team stays '{keep.team}'." if keep.team else ""
        self.summary.setText(
            f"<b>{dup.interactions:,} interaction{'s' if dup.interactions != 1 else ''}</b> "
            f"(with {dup.evaluations:,} grade{'s' if dup.evaluations != 1 else ''}) will move from '{dup.name}' to '{keep.name}', "
            f"and '{dup.name}' will be removed.{team} This cannot be undone.")
        self.merge_button.setEnabled(True)
