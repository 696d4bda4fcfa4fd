"""Forms for the scorecard, a section and a question. Each edits its part of the draft dict in
place, emits `changed`, and can show a validation message under the field it names."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QCompleter, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QSpinBox, QVBoxLayout, QWidget,
)

from qagrader.core.interactions.channels import CHANNELS, channel_label

from .draft import parse_field, set_type
from .options_table import OptionsTable
from .style import AUTO_FAIL_LABELS, NA_POLICY_LABELS, TYPE_LABELS, error_color, highlight



class _Form(QWidget):
    """A QFormLayout whose rows each carry a hidden error label."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: dict[str, Any] = {}
        self._loading = False
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}
        self._labels: dict[str, str] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        heading = QLabel(f"<b>{title}</b>")
        outer.addWidget(heading)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(self.form)
        outer.addStretch(1)

    def _row(self, label: str, key: str, widget: QWidget, field: QWidget | None = None) -> QWidget:
        """Add `widget` (or a container holding `field`) with an error label under it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel()
        error.setWordWrap(True)
        error.setObjectName(f"error_{key}")
        error.setStyleSheet(f"color: {error_color()};")
        error.hide()
        column.addWidget(error)
        self.form.addRow(label, box)
        self._fields[key] = (field or widget, error)
        self._labels[key] = label.rstrip(":") or key.replace("_", " ").capitalize()
        return box

    def set_row_visible(self, key: str, visible: bool) -> None:
        widget = self._fields[key][0]
        container = widget
        while container is not None and container.parentWidget() is not self:
            container = container.parentWidget()
        if container is not None:
            self.form.setRowVisible(container, visible)

    def error_text(self, key: str) -> str:
        entry = self._fields.get(key)
        return entry[1].text() if entry and not entry[1].isHidden() else ""

    def show_error(self, field: str, message: str) -> QWidget | None:
        """Show `message` under the row for `field` (falls back to the first row); returns the
        highlighted widget."""
        key = field if field in self._fields else next(iter(self._fields))
        widget, label = self._fields[key]
        label.setText(self.inline_message(key, message))
        label.show()
        highlight(widget, True)
        return widget

    def inline_message(self, key: str, message: str) -> str:
        """"is required" -> "Key is required."; other messages start with a capital."""
        if message.startswith(("is ", "must ", "may ")):
            message = f"{self._labels.get(key, key)} {message}"
        message = message[:1].upper() + message[1:]
        return message if message.endswith(".") else message + "."

    def clear_errors(self) -> None:
        for widget, label in self._fields.values():
            label.hide()
            label.clear()
            if widget.property("validationError"):
                highlight(widget, False)

    def _set(self, key: str, value: Any, default: Any = None) -> None:
        """Write a field into the draft (dropping it at its default) and announce the change."""
        if self._loading:
            return
        if value == default or value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value
        self.changed.emit()


class CardForm(_Form):
    """Name, description, channels and N/A policy of the whole scorecard."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Scorecard", parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Phone quality")
        self.name.textEdited.connect(lambda t: self._set("name", t, default=None) if t else self._set("name", ""))
        self._row("Name:", "name", self.name)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("What this scorecard is for (optional)")
        self.description.setFixedHeight(64)
        self.description.textChanged.connect(lambda: self._set("description", self.description.toPlainText(), ""))
        self._row("Description:", "description", self.description)
        self.channel_box = QWidget()
        self._channel_layout = QHBoxLayout(self.channel_box)
        self._channel_layout.setContentsMargins(0, 0, 0, 0)
        self.channel_checks: dict[str, QCheckBox] = {}
        for channel in CHANNELS:
            self._add_channel(channel)
        self._channel_layout.addStretch(1)
        self._row("Channels:", "channels", self.channel_box)
        hint = QLabel("None ticked: the scorecard suits every channel.")
        hint.setEnabled(False)
        self.form.addRow("", hint)
        self.na_policy = QComboBox()
        for value, label in NA_POLICY_LABELS.items():
            self.na_policy.addItem(label, value)
        self.na_policy.currentIndexChanged.connect(lambda: self._set("na_policy", self.na_policy.currentData()))
        self._row("N/A answers:", "na_policy", self.na_policy)
        self.sections_error = QLabel()
        self._fields["sections"] = (self.channel_box, self.sections_error)

    def _add_channel(self, channel: str) -> None:
        check = QCheckBox(channel_label(channel))
        check.toggled.connect(self._channels_changed)
        self.channel_checks[channel] = check
        self._channel_layout.insertWidget(len(self.channel_checks) - 1, check)

    def _channels_changed(self) -> None:
        self._set("channels", [c for c, check in self.channel_checks.items() if check.isChecked()], [])

    def load(self, data: dict[str, Any]) -> None:
        self._loading = True
        self.data = data
        self.name.setText(data.get("name", ""))
        self.description.setPlainText(data.get("description", ""))
        for channel in data.get("channels", []):
            if channel not in self.channel_checks:
                self._add_channel(channel)
        for channel, check in self.channel_checks.items():
            check.setChecked(channel in data.get("channels", []))
        self.na_policy.setCurrentIndex(max(0, self.na_policy.findData(data.get("na_policy", "exclude"))))
        self._loading = False

    def show_error(self, field: str, message: str) -> QWidget | None:
        if field == "sections":
            field = "name" if not self.name.text().strip() else "na_policy"
        return super().show_error(field, message)


class SectionForm(_Form):
    """Name, optional weight and bonus flag of one section."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Section", parent)
        self.name = QLineEdit()
        self.name.textEdited.connect(lambda t: self._set("name", t, default=None) if t else self._set("name", ""))
        self._row("Name:", "name", self.name)
        weight_box = QWidget()
        row = QHBoxLayout(weight_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.weighted = QCheckBox("Weighted")
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 1000)
        self.weight.setDecimals(2)
        self.weight.setValue(1)
        self.weighted.toggled.connect(self._weight_changed)
        self.weight.valueChanged.connect(self._weight_changed)
        row.addWidget(self.weighted)
        row.addWidget(self.weight, 1)
        self._row("Weight:", "weight", weight_box, field=self.weight)
        hint = QLabel("Weight every scored section, or none: then each question counts by its points.")
        hint.setWordWrap(True)
        hint.setEnabled(False)
        self.form.addRow("", hint)
        self.bonus = QCheckBox("Bonus section (its points can lift the score, never lower it)")
        self.bonus.toggled.connect(lambda on: self._set("bonus", on, default=False))
        self._row("", "bonus", self.bonus)
        self.questions_note = QLabel()
        self._row("", "questions", self.questions_note)
        self.set_row_visible("questions", False)

    def _weight_changed(self) -> None:
        self.weight.setEnabled(self.weighted.isChecked())
        if self.weighted.isChecked():
            self._set("weight", self.weight.value())
        else:
            self._set("weight", None)

    def load(self, data: dict[str, Any]) -> None:
        self._loading = True
        self.data = data
        self.name.setText(data.get("name", ""))
        weight = data.get("weight")
        self.weighted.setChecked(weight is not None)
        self.weight.setValue(weight if isinstance(weight, (int, float)) else 1)
        self.weight.setEnabled(weight is not None)
        self.bonus.setChecked(bool(data.get("bonus")))
        self.set_row_visible("questions", False)
        self._loading = False

    def show_error(self, field: str, message: str) -> QWidget | None:
        if field == "questions":
            self.set_row_visible("questions", True)
        return super().show_error(field, message)


class QuestionForm(_Form):
    """Every property of one question; the answer rows shown depend on its type."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Question", parent)
        self.key = QLineEdit()
        self.key.setPlaceholderText("short id used as CSV column, e.g. greeting")
        self.key.textEdited.connect(lambda t: self._set("key", t, default=None) if t else self._set("key", ""))
        self._row("Key:", "key", self.key)
        self.text = QLineEdit()
        self.text.setPlaceholderText("What the grader checks")
        self.text.textEdited.connect(lambda t: self._set("text", t, default=None) if t else self._set("text", ""))
        self._row("Question:", "text", self.text)
        self.guideline = QPlainTextEdit()
        self.guideline.setPlaceholderText("How to judge it (shown to graders)")
        self.guideline.setFixedHeight(72)
        self.guideline.textChanged.connect(lambda: self._set("guideline", self.guideline.toPlainText(), ""))
        self._row("Guideline:", "guideline", self.guideline)
        self.skill = QLineEdit()
        self.skill.setPlaceholderText("e.g. Empathy (used by the analysis)")
        self.skill_model = QStringListModel(self)
        completer = QCompleter(self.skill_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.skill.setCompleter(completer)
        self.skill.textChanged.connect(lambda t: self._set("skill", t.strip() or None))
        self._row("Skill:", "skill", self.skill)
        self.polarity = QCheckBox("A behaviour to avoid")
        self.polarity.setToolTip(
            "Tick when the skill names something that should NOT happen, like “Negative tone” or "
            "“Wrong customer name”.\nThe question still gives its points when the behaviour was "
            "avoided; the analysis shows how often it happened,\nso a behaviour that hurts CSAT "
            "shows as a negative association, as it should. Use the same setting for the skill\n"
            "on every question and every scorecard.")
        self.polarity.toggled.connect(lambda on: self._set("polarity", "negative" if on else None))
        self._row("Polarity:", "polarity", self.polarity)
        self.type = QComboBox()
        for value, label in TYPE_LABELS.items():
            self.type.addItem(label, value)
        self.type.currentIndexChanged.connect(self._type_changed)
        self._row("Type:", "type", self.type)
        self.auto_fail = QComboBox()
        for value, label in AUTO_FAIL_LABELS.items():
            self.auto_fail.addItem(label, value)
        self.auto_fail.currentIndexChanged.connect(lambda: self._set("auto_fail", self.auto_fail.currentData()))
        self._row("When No:", "auto_fail", self.auto_fail)
        scale_box = QWidget()
        scale_row = QHBoxLayout(scale_box)
        scale_row.setContentsMargins(0, 0, 0, 0)
        self.min = QSpinBox()
        self.max = QSpinBox()
        for spin in (self.min, self.max):
            spin.setRange(-100, 1000)
            spin.valueChanged.connect(self._scale_changed)
        scale_row.addWidget(QLabel("from"))
        scale_row.addWidget(self.min, 1)
        scale_row.addWidget(QLabel("to"))
        scale_row.addWidget(self.max, 1)
        self._row("Scale:", "min", scale_box, field=self.min)
        self._fields["max"] = (self.max, self._fields["min"][1])
        self.options = OptionsTable()
        self.options.changed.connect(self._options_changed)
        self._row("Options:", "options", self.options, field=self.options.table)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 1000)
        self.weight.setDecimals(2)
        self.weight.valueChanged.connect(lambda v: self._set("weight", v, default=1.0))
        self._row("Weight:", "weight", self.weight)
        self.allow_na = QCheckBox("Graders may answer N/A")
        self.allow_na.toggled.connect(lambda on: self._set("allow_na", on, default=False))
        self._row("N/A:", "allow_na", self.allow_na)

    def set_skills(self, skills: list[str]) -> None:
        self.skill_model.setStringList(sorted(set(skills), key=str.lower))

    def load(self, data: dict[str, Any]) -> None:
        self._loading = True
        self.data = data
        self.key.setText(data.get("key", ""))
        self.text.setText(data.get("text", ""))
        self.guideline.setPlainText(data.get("guideline", ""))
        self.skill.setText(data.get("skill") or "")
        self.polarity.setChecked(data.get("polarity") == "negative")
        self.type.setCurrentIndex(max(0, self.type.findData(data.get("type"))))
        self.auto_fail.setCurrentIndex(max(0, self.auto_fail.findData(data.get("auto_fail"))))
        self.min.setValue(data.get("min", 1) if isinstance(data.get("min"), int) else 1)
        self.max.setValue(data.get("max", 5) if isinstance(data.get("max"), int) else 5)
        self.options.load(data.get("options") or [])
        weight = data.get("weight", 1.0)
        self.weight.setValue(weight if isinstance(weight, (int, float)) else 1.0)
        self.allow_na.setChecked(bool(data.get("allow_na")))
        self._show_type_rows()
        self._loading = False

    def _show_type_rows(self) -> None:
        qtype = self.type.currentData()
        self.set_row_visible("auto_fail", qtype == "yes_no")
        self.set_row_visible("min", qtype == "scale")
        self.set_row_visible("options", qtype == "options")

    def _type_changed(self) -> None:
        self._show_type_rows()
        if self._loading:
            return
        set_type(self.data, self.type.currentData())
        self.load(self.data)
        self.changed.emit()

    def _scale_changed(self) -> None:
        if self._loading or self.data.get("type") != "scale":
            return
        self.data["min"], self.data["max"] = self.min.value(), self.max.value()
        self.changed.emit()

    def _options_changed(self) -> None:
        if self._loading:
            return
        self.data["options"] = self.options.values()
        self.changed.emit()

    def show_error(self, field: str, message: str) -> QWidget | None:
        where = parse_field(f"sections[0].questions[0].{field}")
        if where.option is not None or field == "options":
            widget = self.options.cell_for(field)
            _, label = self._fields["options"]
            if where.option is not None:
                part = f" {where.field.replace('_', '-')}" if where.field else ""
                message = f"Option {where.option + 1}{part}: {message}"
            label.setText(self.inline_message("options", message))
            label.show()
            if widget is not None:
                highlight(widget, True)
            return widget
        return super().show_error(field, message)

    def clear_errors(self) -> None:
        super().clear_errors()
        self.options.clear_highlights()
