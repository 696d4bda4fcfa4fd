"""Draw the team workflow picture of the README (docs/screenshots/team-workflow.png).

    .venv/bin/python scripts/team_workflow_diagram.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parent.parent
BLUE, GREEN, GREY, INK = "#1a73e8", "#188038", "#5f6368", "#202124"


def box(axes, x: float, y: float, w: float, h: float, title: str, lines: list[str], colour: str) -> None:
    axes.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.04",
                                  facecolor="white", edgecolor=colour, linewidth=2))
    axes.text(x + w / 2, y + h - 0.09, title, ha="center", va="top", fontsize=12, fontweight="bold", color=colour)
    for k, line in enumerate(lines):
        axes.text(x + w / 2, y + h - 0.3 - 0.15 * k, line, ha="center", va="top", fontsize=9, color=INK)


def arrow(axes, start, end, text: str, colour: str, offset=(0, 0), rad: float = 0.0) -> None:
    axes.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, linewidth=1.8, color=colour,
                                   connectionstyle=f"arc3,rad={rad}"))
    axes.text((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1], text, ha="center",
              va="center", fontsize=8.5, color=colour, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "team-workflow.png"
    figure = Figure(figsize=(10, 4.6), dpi=110, facecolor="white")
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 4.6)
    axes.axis("off")
    box(axes, 0.3, 1.6, 2.6, 1.25, "Team lead", ["File > Publish: scorecards, interactions", "File > Team folder:",
                                                 "bring in the team's grades"], BLUE)
    box(axes, 3.9, 1.6, 2.2, 1.25, "Team folder", ["a shared or synced folder,", "one .qagrader per person"], GREY)
    for k, name in enumerate(("Priya's laptop", "Tom's laptop", "Sam's laptop")):
        box(axes, 7.1, 0.35 + 1.35 * k, 2.6, 1.05, name, ["grades offline, then", "File > Publish to team folder"],
            GREEN)
    arrow(axes, (2.9, 2.45), (3.9, 2.45), "publish", BLUE, (0, 0.2))
    arrow(axes, (3.9, 2.0), (2.9, 2.0), "merge", GREEN, (0, -0.2))
    for k in range(3):
        y = 0.88 + 1.35 * k
        arrow(axes, (6.1, 2.3 + 0.12 * (k - 1)), (7.1, y + 0.12), "", BLUE)
        arrow(axes, (7.1, y - 0.12), (6.1, 2.15 + 0.12 * (k - 1)), "", GREEN)
    axes.text(0.3, 4.45, "Blue: scorecards and interactions travel from the lead to the graders.   "
              "Green: grades travel back.", fontsize=9.5, color=INK, va="top")
    axes.text(0.3, 1.25, "Merging matches records by stable ids, so merging\ntwice changes nothing and A+B equals B+A. "
              "When\nboth sides changed a grade, the later change wins\nand the other goes into its history.",
              fontsize=8.5, color=GREY, va="top")
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
