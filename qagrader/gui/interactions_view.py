"""The Interactions browser: filters, a lazy table, double-click (or Enter) to grade.

The model holds only the ordered ids of the matching interactions (filtered and sorted in SQL
by `core.browsing`, on a worker thread) and fetches the rows it paints a page at a time. A first
page is queried with LIMIT next to the full id list, so the first rows show quickly even on a
million interactions; the rest is appended when it arrives.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qagrader.core.browsing.sql import BrowseFilters
from qagrader.core.browsing.browser import BrowseRow, browse_ids, choices_version, fetch_rows, filter_choices
from qagrader.core.interactions.channels import channel_label
from qagrader.core.interactions.store import custom_fields
from qagrader.core.storage.changes import AGENTS, EVALUATIONS, INTERACTIONS, KINDS, SCORECARDS, TEAMS, Changes
from qagrader.core.storage.workspace import Workspace
from qagrader.gui.grading import settings
from qagrader.gui.grading.queue import QueueSpec
from qagrader.gui.messages import user_message
from qagrader.gui.operations import operations
from qagrader.gui.read_only import writing
from qagrader.gui.when_shown import ReloadWhenShown
from qagrader.gui.workers import Tasks

PAGE = 200
FIRST_PAGE_PRIORITY = 10
CACHED_PAGES = 40
COLUMNS: tuple[tuple[str, str], ...] = (
    ("external_id", "ID"), ("channel", "Channel"), ("agent", "Agent"), ("team", "Team"),
    ("brand", "Brand"), ("date", "Date"), ("csat", "CSAT"), ("state", "Graded"),
    ("score", "Score"), ("subject", "Subject"),
)
COLUMN_INDEX = {name: i for i, (name, _title) in enumerate(COLUMNS)}
STATE_TEXT = {"ungraded": "Ungraded", "draft": "Draft", "submitted": "Submitted"}
BY_EVALUATIONS = ("state", "score")  # orders that change when a grade does
NO_DATE = QDate(2000, 1, 1)


def _ids(ws: Workspace, filters: BrowseFilters, column: str, descending: bool, limit: int | None,
         cancelled) -> array:
    return browse_ids(ws.conn, filters, column, descending, limit=limit, cancelled=cancelled)


class InteractionsModel(QAbstractTableModel):
    """Ids in display order; rows fetched on demand in pages and kept in a small cache."""

    loaded = Signal(int)  # the complete id list is in: number of rows
    loading = Signal()
    failed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.ids = array("q")
        self.complete = True
        self.filters = BrowseFilters()
        self.sort_column, self.descending = "date", True
        self.fields: list[str] = []  # custom interaction fields: a column each, after COLUMNS
        self._pages: OrderedDict[int, dict[int, BrowseRow]] = OrderedDict()
        self._generation = 0
        self.shown_generation = 0  # the query whose rows are on screen (first page or all)
        self._first_task, self._all_task = Tasks(self), Tasks(self)

    def set_workspace(self, ws: Workspace | None) -> None:
        self._first_task.cancel()
        self._all_task.cancel()
        self.ws = ws
        self.beginResetModel()
        self.ids = array("q")
        self._pages.clear()
        self.fields = custom_fields(ws.conn) if ws is not None else []
        self.endResetModel()

    # ------------------------------------------------------------ loading

    def query(self, filters: BrowseFilters | None = None, sort_column: str | None = None,
              descending: bool | None = None, *, refresh: bool = False) -> None:
        """Load the ids for new filters/order in the background; the current rows stay until
        then. A new query shows a first page as soon as it is ready; a `refresh` (same query,
        rows re-read) waits for the full list so that the scroll position is kept."""
        if filters is not None:
            self.filters = filters
        if sort_column is not None:
            self.sort_column = sort_column
        if descending is not None:
            self.descending = descending
        if self.ws is None:
            return
        fields = custom_fields(self.ws.conn)  # an import may have kept new ones
        if fields != self.fields:
            self.beginResetModel()
            self.fields = fields
            self.endResetModel()
        self._generation += 1
        self._refreshing = refresh
        generation = self._generation
        args = (self.filters, self.sort_column, self.descending)
        self.complete = False
        self.loading.emit()
        if not refresh:
            # ahead of other background work in the pool: it is what the user waits for
            self._first_task.read(self.ws, lambda ws, progress, cancelled: _ids(ws, *args, PAGE, cancelled),
                                  done=lambda ids: self._first_page(generation, ids),
                                  failed=lambda error: self._failed(generation, error),
                                  priority=FIRST_PAGE_PRIORITY)
        self._all_task.read(self.ws, lambda ws, progress, cancelled: _ids(ws, *args, None, cancelled),
                            done=lambda ids: self._all_ids(generation, ids),
                            failed=lambda error: self._failed(generation, error))

    def _first_page(self, generation: int, ids: array) -> None:
        if generation != self._generation or self.complete:
            return
        self._replace(ids)
        self.shown_generation = generation

    def _all_ids(self, generation: int, ids: array) -> None:
        if generation != self._generation:
            return
        self.complete = True
        shown = len(self.ids)
        if self._refreshing and ids == self.ids:
            self._pages.clear()  # same rows: re-read their state and score where they are
            if shown:
                self.dataChanged.emit(self.index(0, 0), self.index(shown - 1, self.columnCount() - 1))
        elif not self._refreshing and 0 < shown <= len(ids) and ids[:shown] == self.ids:
            if len(ids) > shown:  # the first page is on screen: append the rest below it
                self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
                self.ids = ids
                self.endInsertRows()
        else:
            self._replace(ids)
        self._refreshing = False
        self.shown_generation = generation
        self.loaded.emit(len(self.ids))

    _refreshing = False

    def _replace(self, ids: array) -> None:
        self.beginResetModel()
        self.ids = ids
        self._pages.clear()
        self.endResetModel()

    def _failed(self, generation: int, error: Exception) -> None:
        if generation == self._generation:
            self.complete = True
            self.failed.emit(error)

    def reload(self) -> None:
        """Query again with the same filters and order; rows are re-read (graded state, score)."""
        self.query(refresh=True)

    def mark_stale(self, interaction_ids: frozenset[int] | None) -> None:
        """The rows of `interaction_ids` (None: every row) changed: drop them from the cache, so
        that they are read again when painted. The id list stays."""
        if interaction_ids is None:
            self._pages.clear()
            if self.ids:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, self.columnCount() - 1))
            return
        for page, rows in list(self._pages.items()):
            stale = interaction_ids.intersection(rows)
            if not stale:
                continue
            del self._pages[page]
            start = page * PAGE
            ids = list(self.ids[start:start + PAGE])
            for interaction_id in stale:
                row = start + ids.index(interaction_id)
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def lists(self, interaction_ids: frozenset[int]) -> bool:
        """True when every one of `interaction_ids` is in the (complete) id list."""
        if not self.complete:
            return False
        if len(interaction_ids) > 10:  # each look-up scans the ids: a few ms on a million
            return False
        return all(i in self.ids for i in interaction_ids)

    # ------------------------------------------------------------ rows

    def row(self, index: int) -> BrowseRow | None:
        if not 0 <= index < len(self.ids) or self.ws is None:
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = fetch_rows(self.ws.conn, self.ids[page * PAGE:(page + 1) * PAGE])
            self._pages[page] = rows
            if len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(int(self.ids[index]))

    def id_at(self, index: int) -> int | None:
        return int(self.ids[index]) if 0 <= index < len(self.ids) else None

    def row_of(self, interaction_id: int) -> int | None:
        try:
            return self.ids.index(interaction_id)
        except ValueError:
            return None

    # ------------------------------------------------------------ Qt model API

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS) + len(self.fields)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if section < len(COLUMNS) else self.fields[section - len(COLUMNS)]
        if role == Qt.ItemDataRole.ToolTipRole and section >= len(COLUMNS):
            return "A custom field kept at import (not sortable)"
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole):
            return None
        if index.column() >= len(COLUMNS):  # a custom field
            if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return None
            row = self.row(index.row())
            field_name = self.fields[index.column() - len(COLUMNS)]
            return _field_value(row.fields, field_name) if row is not None else None
        name = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if name in ("csat", "score"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        row = self.row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if name == "state" and row.state == "ungraded":
                return QPalette().color(QPalette.ColorRole.PlaceholderText)
            if name == "state" and row.state == "draft":
                return QColor("#b7791f")
            if name == "score" and row.score is not None and row.score < 60:
                return QColor("#c62828")
            return None
        text = _cell(row, name)
        if role == Qt.ItemDataRole.ToolTipRole:
            if name == "state" and row.grader:
                return f"{text} by {row.grader}"
            return text if name == "subject" and text else None
        return text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column >= len(COLUMNS):  # custom fields are not indexed: the order stays
            return
        self.query(sort_column=COLUMNS[column][0], descending=order == Qt.SortOrder.DescendingOrder)


def _field_value(fields: dict[str, str], name: str) -> str:
    """A custom field's text (names match case-insensitively, as the field list does)."""
    if name in fields:
        return fields[name]
    folded = name.casefold()
    return next((v for k, v in fields.items() if k.casefold() == folded), "")


def _cell(row: BrowseRow, name: str) -> str:
    if name == "date":
        return (row.occurred_at or "").replace("T", " ")[:16]
    if name == "channel":
        return channel_label(row.channel)
    if name == "csat":
        return row.csat_raw or ""
    if name == "state":
        return STATE_TEXT.get(row.state, row.state)
    if name == "score":
        return "" if row.score is None else f"{row.score:.1f}"
    value = getattr(row, name)
    return "" if value is None else str(value)


class _Table(QTableView):
    """Enter opens the current row, like a double-click."""

    open_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_row.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class InteractionsView(QWidget):
    """Find interactions and open one for grading."""

    open_interaction = Signal(int)
    calibrate = Signal(tuple)  # the selected interactions' ids, for a new calibration session

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws: Workspace | None = None
        self._choices_task = Tasks(self)
        self._reload_ids = ReloadWhenShown(self, self._reload)
        operations().changed.connect(self.apply_changes)
        self.model = InteractionsModel(self)
        self.model.loading.connect(lambda: self.count.setText("Loading…"))
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda error: self.count.setText(user_message(error)))
        self.model.modelReset.connect(self._update_count)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search subject and transcript…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView),
                              QLineEdit.ActionPosition.LeadingPosition)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_filters)
        self.channel = self._combo("All channels")
        self.agent = self._combo("All agents")
        self.team = self._combo("All teams")
        self.brand = self._combo("All brands")
        self.scorecard = self._combo("All scorecards")
        self.graded = QComboBox()
        for value, label in (("any", "Any state"), ("ungraded", "Ungraded"), ("draft", "Draft"),
                             ("submitted", "Submitted")):
            self.graded.addItem(label, value)
        self.graded.currentIndexChanged.connect(self.apply_filters)
        self.date_from, self.date_to = self._date(), self._date()
        clear = QPushButton("Clear filters")
        clear.clicked.connect(self.clear_filters)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        self.count.setMinimumWidth(150)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.table = _Table()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.grade_action = QAction("Grade", self)
        self.grade_action.triggered.connect(self._grade_selected)
        self.calibrate_action = QAction("New calibration session…", self)
        self.calibrate_action.triggered.connect(lambda: self.calibrate.emit(self.selected_interaction_ids()))
        writing(self.calibrate_action)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for name, width in (("external_id", 110), ("channel", 80), ("agent", 150), ("team", 130),
                            ("brand", 130), ("date", 140), ("csat", 60), ("state", 100), ("score", 70)):
            self.table.setColumnWidth(COLUMN_INDEX[name], width)
        saved = QSettings().value("interactions/header")
        if saved is not None:
            header.restoreState(saved)
        header.sectionResized.connect(self._save_header)
        self.table.setSortingEnabled(True)
        header.setSortIndicator(COLUMN_INDEX["date"], Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._keep_sort_indicator)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.open_row.connect(self._open)

        row1 = QHBoxLayout()
        row1.addWidget(self.search, 1)
        row1.addWidget(self.graded)
        row1.addWidget(self.scorecard)
        row1.addWidget(clear)
        row2 = QHBoxLayout()
        for widget in (self.channel, self.agent, self.team, self.brand):
            row2.addWidget(widget)
        row2.addSpacing(8)
        row2.addWidget(QLabel("From"))
        row2.addWidget(self.date_from)
        row2.addWidget(QLabel("to"))
        row2.addWidget(self.date_to)
        row2.addStretch(1)
        row2.addWidget(self.count)
        hint = QLabel("Double-click a row or press Enter to grade it. Click a column title to sort. Select "
                      "several rows and right-click to calibrate graders on them.")
        hint.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        self.setStyleSheet("QLabel#muted { color: palette(placeholder-text); }")

    def _combo(self, all_label: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(all_label, None)
        combo.setMaxVisibleItems(20)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMinimumContentsLength(10)
        combo.currentIndexChanged.connect(self.apply_filters)
        return combo

    def _date(self) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("any date")
        edit.setDate(NO_DATE)
        edit.dateChanged.connect(self.apply_filters)
        return edit

    # ------------------------------------------------------------ screen API

    def set_workspace(self, ws: Workspace | None) -> None:
        """Browse `ws` from now on; its rows come with the `Changes.everything()` that follows."""
        self.ws = ws
        self._choices_version = None
        self._reload_ids.forget()
        self._choices_task.cancel()
        self.model.set_workspace(ws)
        self.table.setColumnHidden(COLUMN_INDEX["csat"], settings.blind_grading())

    def apply_changes(self, changes: Changes) -> None:
        """Refresh what `changes` touched: the changed rows are read again when painted; the
        id list is queried again only when the filters or the order could be affected (now if
        the browser is on screen, else when it is shown)."""
        if self.ws is None or not changes:
            return
        if changes.touches(AGENTS, TEAMS) or changes.ids_of(INTERACTIONS) is None:
            self._fill_choices()
        elif changes.touches(SCORECARDS):
            self._fill_scorecards()
        if not self.model.ids and self.model.complete and all(changes.ids_of(k) is None for k in KINDS):
            self.model.query(self.filters())  # a workspace just opened: the first page first
            return
        if self._affects_ids(changes):
            self._reload_ids.request()
        if changes.touches(AGENTS, TEAMS):
            self.model.mark_stale(None)  # names on every row may have changed
        else:
            self.model.mark_stale(changes.ids_of(INTERACTIONS))

    def _affects_ids(self, changes: Changes) -> bool:
        """Could `changes` add, drop or move rows of the current id list?"""
        filters, model = self.filters(), self.model
        interactions = changes.ids_of(INTERACTIONS)
        if interactions is None:
            return True  # an import, or too many to list
        if changes.touches(AGENTS, TEAMS) and (
                filters.agent or filters.team or model.sort_column in ("agent", "team")):
            return True
        if changes.touches(EVALUATIONS, SCORECARDS) and (
                filters.graded != "any" or filters.scorecard or model.sort_column in BY_EVALUATIONS):
            return True
        if interactions and not model.lists(interactions):
            return True  # rows the list does not hold (new ones)
        return changes.touches(INTERACTIONS) and not changes.touches(EVALUATIONS)  # rows edited

    def apply_preferences(self) -> None:
        """The CSAT column follows blind grading."""
        self.table.setColumnHidden(COLUMN_INDEX["csat"], settings.blind_grading())

    def _reload(self) -> None:
        """The same filters and order again, keeping the selected row."""
        self.model.filters = self.filters()
        current = self.model.id_at(self.table.currentIndex().row()) if self.table.currentIndex().isValid() else None
        self._reselect = current
        self.model.reload()

    def focus_default(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected_interaction_ids(self) -> tuple[int, ...]:
        """The ids of the selected rows, in display order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return tuple(i for i in (self.model.id_at(r) for r in rows) if i is not None)

    def context_menu(self) -> QMenu | None:
        """The right-click menu for the selected rows (None when none is selected): Grade (one
        row) and New calibration session (off on a read-only workspace)."""
        chosen = self.selected_interaction_ids()
        if not chosen:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if len(chosen) == 1:
            menu.addAction(self.grade_action)
        self.calibrate_action.setText(
            f"New calibration session with {len(chosen)} interaction{'s' if len(chosen) > 1 else ''}…")
        menu.addAction(self.calibrate_action)
        return menu

    def _context_menu(self, position) -> None:
        menu = self.context_menu()
        if menu is not None:
            menu.popup(self.table.viewport().mapToGlobal(position))

    def _grade_selected(self) -> None:
        chosen = self.selected_interaction_ids()
        if chosen:
            self.open_interaction.emit(chosen[0])

    def filters(self) -> BrowseFilters:
        def date(edit: QDateEdit) -> str | None:
            return None if edit.date() == NO_DATE else edit.date().toString("yyyy-MM-dd")

        return BrowseFilters(
            channel=self.channel.currentData(), agent=self.agent.currentData(),
            team=self.team.currentData(), brand=self.brand.currentData(),
            date_from=date(self.date_from), date_to=date(self.date_to),
            graded=self.graded.currentData(), search=self.search.text().strip(),
            scorecard=self.scorecard.currentData(),
        )

    def queue_spec(self) -> QueueSpec:
        """The filters and order the grading queue follows (the id list only while it is up to
        date: after an import or a merge it waits for the next show, and the queue asks SQL)."""
        model = self.model
        filters = self.filters()
        current = model.complete and model.filters == filters and not self._reload_ids.stale
        ids = model.ids if current else None
        return QueueSpec(filters, model.sort_column, model.descending, ids)

    def apply_filters(self, *_args) -> None:
        self._debounce.stop()
        if self.ws is not None and not self._filling:
            self.model.query(self.filters())

    def clear_filters(self) -> None:
        self._filling = True
        for combo in (self.channel, self.agent, self.team, self.brand, self.scorecard, self.graded):
            combo.setCurrentIndex(0)
        self.date_from.setDate(NO_DATE)
        self.date_to.setDate(NO_DATE)
        self.search.clear()
        self._filling = False
        self.apply_filters()

    def select_interaction(self, interaction_id: int) -> None:
        row = self.model.row_of(interaction_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # ------------------------------------------------------------ internals

    _filling = False
    _reselect: int | None = None
    _choices_version: tuple | None = None

    def _fill_scorecards(self) -> None:
        if self.ws is not None:
            self._set_choices(self.scorecard, [s.name for s in self.ws.scorecards.list(include_archived=True)])

    def _fill_choices(self) -> None:
        """Fill the filter lists (in the background: listing brands reads every interaction)."""
        if self.ws is None:
            return
        self._fill_scorecards()
        version = (str(self.ws.path), *choices_version(self.ws.conn))
        if version == self._choices_version:
            return
        self._choices_version = version
        self._choices_task.read(self.ws, lambda ws, progress, cancelled: filter_choices(ws.conn),
                                done=self._choices_ready, failed=lambda _error: None)

    def _choices_ready(self, choices: dict[str, list[str]]) -> None:
        self._set_choices(self.channel, choices["channels"])
        self._set_choices(self.agent, choices["agents"])
        self._set_choices(self.team, choices["teams"])
        self._set_choices(self.brand, choices["brands"])

    def _set_choices(self, combo: QComboBox, values: list[str]) -> None:
        """Replace a filter list's values, keeping the current choice (without re-querying)."""
        if [combo.itemData(i) for i in range(1, combo.count())] == values:
            return
        current = combo.currentData()
        self._filling = True
        try:
            while combo.count() > 1:
                combo.removeItem(1)
            for value in values:
                combo.addItem(channel_label(value) if combo is self.channel else value, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(index, 0))
        finally:
            self._filling = False
        if current is not None and combo.findData(current) < 0:
            self.apply_filters()  # the chosen value is gone (renamed, merged): show everything

    def _open(self, row: int) -> None:
        interaction_id = self.model.id_at(row)
        if interaction_id is not None:
            self.open_interaction.emit(interaction_id)

    def _loaded(self, count: int) -> None:
        self._update_count()
        if self._reselect is not None and not self.table.currentIndex().isValid():
            self.select_interaction(self._reselect)
        self._reselect = None

    def _update_count(self) -> None:
        n = len(self.model.ids)
        if not self.model.complete:
            self.count.setText(f"{n:,}+ interactions, loading…" if n else "Loading…")
        else:
            self.count.setText(f"{n:,} interaction{'s' if n != 1 else ''}")

    def _keep_sort_indicator(self, column: int, _order: Qt.SortOrder) -> None:
        """A custom field's column does not sort: the indicator stays on the order shown."""
        if column >= len(COLUMNS):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(COLUMN_INDEX[self.model.sort_column], Qt.SortOrder.DescendingOrder
                                    if self.model.descending else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)

    def _save_header(self, *_args) -> None:
        QSettings().setValue("interactions/header", self.table.horizontalHeader().saveState())
