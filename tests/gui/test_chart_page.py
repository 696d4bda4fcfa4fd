"""A chart page's buttons (Save image, Copy, Show table, Export CSV; no developer toolbar), charts
in the theme's colours, and the Theme choice in Preferences."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QToolBar

from qagrader.analysis.chart_theme import themed
from qagrader.gui.analysis.chart_page import ChartPage
from qagrader.gui.grading.settings import PreferencesDialog, excel_bom
from qagrader.gui.theme import apply_theme, theme_preference

TABLE = pd.DataFrame({"skill": ["Empathy", "=Tone"], "rho": [0.25, -0.1], "n": [300, 280]})


def figure() -> Figure:
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot()
    ax.barh([0, 1], [0.25, -0.1], color=["#0072B2", "#BBBBBB"])  # a data colour and a grey
    ax.set_title("Skills", color="#222222")
    ax.text(0.1, 0.5, "note", color="#555555")
    return fig


@pytest.fixture
def page(qtbot):
    widget = ChartPage("skills")
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    widget.show_chart(figure)
    widget.set_table(TABLE)
    yield widget
    apply_theme(QApplication.instance(), "light")


def test_buttons_replace_the_developer_toolbar(page, tmp_path):
    assert page.findChildren(QToolBar) == []
    labels = [b.text() for b in (page.save_button, page.copy_button, page.table_button, page.export_button)]
    assert labels == ["Save image…", "Copy", "Show table", "Export CSV…"]
    saved = page.save_chart(tmp_path / "skills.png")
    assert saved.read_bytes().startswith(b"\x89PNG")
    QGuiApplication.clipboard().clear()
    page.copy()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.width() >= 300
    page.table_button.setChecked(True)
    page.copy()  # the table is shown: it is copied as text a spreadsheet pastes into cells
    assert QGuiApplication.clipboard().text().splitlines() == ["skill\trho\tn", "Empathy\t0.25\t300",
                                                               "'=Tone\t-0.1\t280"]


def test_the_chart_follows_the_theme(page, qtbot):
    app = QApplication.instance()
    apply_theme(app, "dark")
    qtbot.waitUntil(lambda: page.palette().color(QPalette.ColorRole.Base).lightness() < 100)
    base = page.palette().color(QPalette.ColorRole.Base).name()
    qtbot.waitUntil(lambda: to_hex(page.figure.patch.get_facecolor()) == base)
    ax = page.figure.axes[0]
    assert to_hex(ax.title.get_color()) != "#222222"  # light ink now
    bars = ax.patches
    assert to_hex(bars[0].get_facecolor()) == "#0072b2"  # data colours stay
    assert to_hex(bars[1].get_facecolor()) != "#bbbbbb"
    apply_theme(app, "light")
    qtbot.waitUntil(lambda: to_hex(page.figure.patch.get_facecolor()) == "#ffffff")


def test_themed_leaves_paper_colours_and_mixes_greys():
    fig = themed(figure(), "#ffffff", "#000000")  # inverted: white ink on black
    ax = fig.axes[0]
    assert to_hex(fig.patch.get_facecolor()) == "#000000"
    assert to_hex(ax.title.get_color()) == to_hex((1 - 0x22 / 255,) * 3)  # as much ink, now white
    assert to_hex(ax.patches[0].get_facecolor()) == "#0072b2"
    same = themed(figure(), "#000000", "#ffffff")
    assert to_hex(same.axes[0].title.get_color()) == "#222222"


def test_preferences_choose_the_theme_and_excel_csv(qtbot):
    app = QApplication.instance()
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    assert theme_preference() == "system" and excel_bom()
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.excel.setChecked(False)
    dialog.accept()
    assert theme_preference() == "dark" and not excel_bom()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
    again = PreferencesDialog()
    qtbot.addWidget(again)
    assert again.theme.currentData() == "dark" and not again.excel.isChecked()
    again.theme.setCurrentIndex(again.theme.findData("light"))
    again.accept()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200


def test_a_theme_chosen_while_the_app_runs_reaches_widgets_with_style_sheets(qtbot):
    from PySide6.QtWidgets import QListWidget

    app = QApplication.instance()
    apply_theme(app, "light")
    holder = QListWidget()
    holder.setStyleSheet("QListWidget { background: palette(base); }")
    qtbot.addWidget(holder)
    holder.show()
    light = holder.grab().toImage().pixelColor(5, 5).lightness()
    apply_theme(app, "dark")
    qtbot.waitUntil(lambda: holder.grab().toImage().pixelColor(5, 5).lightness() < 100)
    assert light > 200
    apply_theme(app, "light")
