"""Import wizard page: how to read the values (CSAT scale, channels, date order)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFormLayout, QGroupBox, QHeaderView, QLabel, QSizePolicy,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWizardPage,
)

from qagrader.gui.workers import Tasks

from .source_pages import CSAT_LABELS, DATE_ORDER_LABELS, error_html, red

if TYPE_CHECKING:
    from .wizard import InteractionImportWizard

UNMAPPED_CHANNEL = "(not recognised)"


def scan(path: Path, mapping: dict[str, str]) -> dict[str, Any]:
    """Whole-file facts the options page needs: row count, distinct raw channel and CSAT values."""
    from qagrader.core.importing.csv_source import read_table
    from qagrader.core.interactions.channels import CHANNEL_SYNONYMS
    from qagrader.core.importing.interaction_fields import normalise_name

    table = read_table(path)
    out: dict[str, Any] = {"rows": table.rows, "channels": [], "csat": [], "suggested_scale": None}
    if mapping.get("channel") in table.headers:
        counts = table.frame[mapping["channel"]].str.strip().value_counts()
        out["channels"] = [(raw, int(n), CHANNEL_SYNONYMS.get(normalise_name(raw)))
                           for raw, n in counts.items() if raw]
        out["blank_channels"] = int(counts.get("", 0))
    if mapping.get("csat") in table.headers:
        counts = table.frame[mapping["csat"]].str.strip().value_counts()
        out["csat"] = [(raw, int(n)) for raw, n in counts.items()]
        out["suggested_scale"] = suggest_scale([raw for raw, _ in out["csat"] if raw])
    return out


def suggest_scale(values: list[str]) -> str | None:
    """The CSAT scale the values found fit best."""
    from qagrader.core.importing.interaction_fields import BINARY_TOKENS, normalise_name

    if not values:
        return None
    try:
        numbers = [float(v.rstrip("%")) for v in values]
    except ValueError:
        return "binary" if all(normalise_name(v) in BINARY_TOKENS or v in BINARY_TOKENS for v in values) else None
    low, high = min(numbers), max(numbers)
    whole = all(n.is_integer() for n in numbers)
    if whole and set(numbers) <= {0.0, 1.0}:
        return "binary"
    if whole and low >= 1 and high <= 5:
        return "1-5"
    if whole and low >= 1 and high <= 10:
        return "1-10"
    if whole and low >= 0 and high <= 10:
        return "0-10"
    if low >= 0 and high <= 100:
        return "0-100"
    return None


def guess_default_channel(headers: tuple[str, ...], path: Path) -> str | None:
    """A default channel when the file's names say it (a 'Call Id' column: phone calls)."""
    text = " ".join(headers).lower() + " " + path.stem.lower()
    for words, channel in ((("call", "phone", "voice"), "phone"), (("chat",), "chat"),
                           (("email", "e-mail", "mail"), "email")):
        if any(w in text for w in words):
            return channel
    return None


class OptionsPage(QWizardPage):
    """CSAT scale, default channel, channel mapping of unknown raw values, date order."""

    def __init__(self, wizard: "InteractionImportWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("How to read the values")
        self.setSubTitle("Check the rating scale, the channels and the date order. The values listed "
                         "are the ones found in the whole file.")
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.csat_box = QGroupBox("Customer satisfaction (CSAT)")
        csat_form = _form(self.csat_box)
        self.csat_scale = QComboBox()
        for value, label in CSAT_LABELS.items():
            self.csat_scale.addItem(label, value)
        csat_form.addRow("Scale:", self.csat_scale)
        self.csat_values = QLabel()
        self.csat_values.setWordWrap(True)
        self.csat_values.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        csat_form.addRow("Values found:", self.csat_values)
        layout.addWidget(self.csat_box)

        self.channel_box = QGroupBox("Channel")
        channel_layout = QVBoxLayout(self.channel_box)
        default_row = _form()
        self.default_channel = QComboBox()
        self.default_channel_label = QLabel("Every row is a:")
        default_row.addRow(self.default_channel_label, self.default_channel)
        channel_layout.addLayout(default_row)
        self.channel_table = QTableWidget(0, 3)
        self.channel_table.setHorizontalHeaderLabels(["Value in the file", "Rows", "Channel"])
        self.channel_table.verticalHeader().setVisible(False)
        self.channel_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.channel_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.channel_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.channel_table.setMaximumHeight(170)
        channel_layout.addWidget(self.channel_table)
        self.channel_note = QLabel()
        self.channel_note.setWordWrap(True)
        channel_layout.addWidget(self.channel_note)
        layout.addWidget(self.channel_box)
        self.channel_combos: dict[str, QComboBox] = {}

        self.date_box = QGroupBox("Dates")
        date_form = _form(self.date_box)
        self.date_order = QComboBox()
        for value, label in DATE_ORDER_LABELS.items():
            self.date_order.addItem(label, value)
        date_form.addRow("Day and month order:", self.date_order)
        layout.addWidget(self.date_box)
        layout.addStretch(1)
        self.default_channel.currentIndexChanged.connect(self._update_note)
        self.tasks = Tasks(self)
        self._scanned_for: tuple | None = None
        self.facts: dict[str, Any] | None = None

    def initializePage(self) -> None:
        from qagrader.core.interactions.channels import CHANNELS, channel_label

        wiz = self.wiz
        has_channel = "channel" in wiz.mapping
        if self.default_channel.count() == 0:
            self.default_channel.addItem("Choose a channel…", None)
            for channel in CHANNELS:
                self.default_channel.addItem(channel_label(channel), channel)
        if not has_channel and self.default_channel.currentData() is None:
            guess = guess_default_channel(wiz.preview.headers, wiz.preview.path)
            self.default_channel.setCurrentIndex(max(0, self.default_channel.findData(guess)))
        self.default_channel.setItemText(0, "Leave blank cells as problems" if has_channel else "Choose a channel…")
        self.default_channel_label.setText("Blank cells are:" if has_channel else "Every row is a:")
        self.channel_table.setVisible(has_channel)
        self.csat_box.setEnabled("csat" in wiz.mapping)
        self.date_box.setEnabled("occurred_at" in wiz.mapping)
        key = (str(wiz.preview.path), tuple(sorted(wiz.mapping.items())))
        if key != self._scanned_for:
            self._scanned_for = key
            self.facts = None
            self.status.setText("Reading the whole file…")
            mapping, path = dict(wiz.mapping), wiz.preview.path
            self.tasks.start(lambda progress, cancelled: scan(path, mapping), done=self._scanned,
                              failed=self._failed)
        self._update_note()
        self.completeChanged.emit()

    def _scanned(self, facts: dict[str, Any]) -> None:
        from qagrader.core.interactions.channels import CHANNELS, channel_label

        self.facts = facts
        self.status.setText(f"{facts['rows']:,} rows in the file.")
        if "csat" in self.wiz.mapping:
            found = sorted(facts["csat"], key=_csat_order)
            shown = ", ".join(f"{raw or '(blank)'} ×{n:,}" for raw, n in found[:24])
            more = len(facts["csat"]) - 24
            self.csat_values.setText(shown + (f" and {more} more" if more > 0 else ""))
            if facts["suggested_scale"]:
                self.csat_scale.setCurrentIndex(self.csat_scale.findData(facts["suggested_scale"]))
        else:
            self.csat_values.setText("No CSAT column: interactions are imported without a survey score.")
        self.channel_table.setRowCount(len(facts["channels"]))
        self.channel_combos = {}
        for row, (raw, count, known) in enumerate(facts["channels"]):
            self.channel_table.setItem(row, 0, QTableWidgetItem(raw))
            number = QTableWidgetItem(f"{count:,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.channel_table.setItem(row, 1, number)
            combo = QComboBox()
            combo.addItem(UNMAPPED_CHANNEL, None)
            for channel in CHANNELS:
                combo.addItem(channel_label(channel), channel)
            chosen = self.wiz.channel_map.get(raw, known)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.currentIndexChanged.connect(lambda _i, r=raw, c=combo: self._channel_chosen(r, c))
            self.channel_table.setCellWidget(row, 2, combo)
            self.channel_combos[raw] = combo
        self._update_note()
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"<span style='color:{red()}'>{error_html(error)}</span>")

    def _channel_chosen(self, raw: str, combo: QComboBox) -> None:
        if combo.currentData() is None:
            self.wiz.channel_map.pop(raw, None)
        else:
            self.wiz.channel_map[raw] = combo.currentData()
        self._update_note()

    def set_channel(self, raw: str, channel: str | None) -> None:
        combo = self.channel_combos[raw]
        combo.setCurrentIndex(max(0, combo.findData(channel)))

    def _update_note(self) -> None:
        if "channel" not in self.wiz.mapping:
            self.channel_note.setText("The file has no channel column: choose what every row is."
                                      if self.default_channel.currentData() is None else "")
            self.channel_note.setVisible(bool(self.channel_note.text()))
        else:
            unknown = [raw for raw, combo in self.channel_combos.items() if combo.currentData() is None]
            self.channel_note.setText(
                f"<span style='color:{red()}'>Not recognised: {', '.join(unknown)}. Choose a channel for "
                f"them, or the dry run will list their rows as problems.</span>" if unknown else "")
            self.channel_note.setVisible(bool(unknown))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.facts is None:
            return False
        return "channel" in self.wiz.mapping or self.default_channel.currentData() is not None

    def options(self) -> dict[str, Any]:
        return {
            "csat_scale": self.csat_scale.currentData(),
            "default_channel": self.default_channel.currentData(),
            "channel_map": dict(self.wiz.channel_map) if "channel" in self.wiz.mapping else {},
            "date_order": self.date_order.currentData(),
        }


def _form(parent=None) -> QFormLayout:
    """A form whose combos keep their natural width; expanding fields (labels) still grow."""
    form = QFormLayout(parent) if parent is not None else QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    return form


def _csat_order(pair: tuple[str, int]) -> tuple:
    raw = pair[0]
    try:
        return (0, float(raw.rstrip("%")), raw)
    except ValueError:
        return (1 if raw else 2, 0.0, raw)
