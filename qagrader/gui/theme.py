"""The app's colours: Fusion in the system's light or dark scheme, or the theme chosen in
Preferences (`THEME_SETTING`: system, light or dark). Charts follow the palette
(`analysis.chart_theme`), style sheets use ``palette(...)`` roles, so nothing is hard-coded."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
THEME_SETTING = "appearance/theme"


def theme_preference() -> str:
    """The theme chosen in Preferences (``system`` until one is chosen)."""
    value = str(QSettings().value(THEME_SETTING, "system"))
    return value if value in THEMES else "system"


def set_theme_preference(theme: str) -> None:
    QSettings().setValue(THEME_SETTING, theme if theme in THEMES else "system")


def dark_palette() -> QPalette:
    """A dark Fusion palette for systems whose style does not provide one."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor(40, 40, 43),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: QColor(55, 55, 58),
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: QColor(47, 128, 237), QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(100, 160, 255), QPalette.ColorRole.PlaceholderText: QColor(150, 150, 155),
        QPalette.ColorRole.Light: QColor(75, 75, 80), QPalette.ColorRole.Midlight: QColor(65, 65, 70),
        QPalette.ColorRole.Mid: QColor(80, 80, 86), QPalette.ColorRole.Dark: QColor(25, 25, 27),
        QPalette.ColorRole.Shadow: QColor(10, 10, 10),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 125))
    return p


class VisibleIndicators(QProxyStyle):
    """Fusion, with check boxes and radio buttons outlined in the palette's Mid colour when the
    window is dark: Fusion outlines them in a darker shade of the window colour, which vanishes
    on a dark base (the unticked boxes of lists, e.g. the import wizard's extra columns)."""

    _OUTLINED = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
                 QStyle.PrimitiveElement.PE_IndicatorRadioButton)

    def __init__(self):
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 (Qt's name)
        super().drawPrimitive(element, option, painter, widget)
        if element not in self._OUTLINED or option.palette.window().color().lightness() >= 128:
            return
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing, element == QStyle.PrimitiveElement.PE_IndicatorRadioButton)
        painter.setPen(QPen(option.palette.mid().color().lighter(130), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(option.rect.adjusted(1, 1, -1, -1))
        else:
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()


def is_dark(theme: str) -> bool:
    return theme == "dark" or (
        theme == "system" and QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark)


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Fusion, in the system's light or dark colours (or the one asked for). Every widget gets
    a palette-change event, so charts redraw in the new colours."""
    app.setStyle(VisibleIndicators())  # Fusion; the app owns the style
    app.setPalette(dark_palette() if is_dark(theme) else app.style().standardPalette())
    # Widgets with a style sheet resolve its palette(...) colours when polished: set each sheet
    # again so that a theme chosen while the app runs reaches every widget, not only the plain ones.
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet("")
            widget.setStyleSheet(sheet)
