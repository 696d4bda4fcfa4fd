"""Render the application icon's PNG sizes (and the Windows .ico) from resources/icons/qagrader.svg.

    .venv/bin/python scripts/render_icons.py

Run it after editing the SVG and commit the results: the app and the standalone build use the
PNGs (no SVG plugin needed at run time), the Windows build the .ico.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402 - Pillow comes with matplotlib
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int, out: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(out)):
        raise SystemExit(f"error: cannot write {out}")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    svg = ICONS / "qagrader.svg"
    for size in SIZES:
        render(svg, size, ICONS / f"qagrader-{size}.png")
    Image.open(ICONS / "qagrader-256.png").save(ICONS / "qagrader.ico", sizes=[(s, s) for s in ICO_SIZES])
    print(f"Wrote {len(SIZES)} PNG sizes and qagrader.ico to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
