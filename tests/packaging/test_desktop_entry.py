"""The Linux menu entry and the application icon that ship in resources/."""

from __future__ import annotations

import configparser
import re
import xml.etree.ElementTree as ElementTree
from importlib import metadata

from PIL import Image

from .conftest import ROOT

ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def test_desktop_file_starts_the_installed_gui_command_with_the_shipped_icon():
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(ROOT / "resources" / "qagrader.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert (desktop["Type"], desktop["Name"], desktop["Terminal"]) == ("Application", "QA Grader", "false")
    gui_scripts = {ep.name for ep in metadata.entry_points(group="gui_scripts") if ep.value.startswith("qagrader.")}
    command = desktop["Exec"]  # no file argument: the app opens the last workspace
    assert command in gui_scripts and desktop["TryExec"] == command
    assert (ICONS / f"{desktop['Icon']}-256.png").is_file() and (ICONS / f"{desktop['Icon']}.svg").is_file()
    for key in ("Categories", "Keywords"):  # lists end with a semicolon
        assert re.fullmatch(r"([^;]+;)+", desktop[key]), key


def test_icon_comes_in_every_size_square_and_drawn():
    svg = ElementTree.parse(ICONS / "qagrader.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    for size in SIZES:
        with Image.open(ICONS / f"qagrader-{size}.png") as image:
            rgba = image.convert("RGBA")
        assert rgba.size == (size, size)
        corner, centre = rgba.getpixel((0, 0)), rgba.getpixel((size // 2, size // 2))
        assert corner[3] == 0 and centre[3] == 255, size  # rounded, transparent corners; opaque card
    with Image.open(ICONS / "qagrader.ico") as ico:
        assert {(s, s) for s in (16, 32, 48, 256)} <= set(ico.info["sizes"])
