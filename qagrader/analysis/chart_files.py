"""The report's charts as PNG files, drawn in two processes where the system can fork.

Drawing is most of `qagrader analyze`'s time (matplotlib lays out and renders every label in
Python: about 1.8 s for the eight charts at the study's size, the agent heatmap a third of it),
and one process uses one core. `write_charts(..., parallel=True)` forks: the child draws about
half the charts (by their measured cost) as PNG bytes while the parent runs `meanwhile` (the CSV
tables) and draws the rest; the parent alone writes files (each atomically), so a killed run
leaves at most the one temporary file it was writing. Only for single-threaded callers (the
command line): a process with threads (the app) must not fork. Without `fork` (Windows)
everything is drawn here, one after the other.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from qagrader.core.storage.files import atomic_file

from .correlation import ALL
from .forked import can_fork, in_two_processes

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .report import AnalysisResult

Maker = Callable[[], "Figure"]
MATRIX_FILE = "agent_skill_matrix.csv"
"""The report's table of the heatmap, with each cell's n (`report.TABLE_NAMES`)."""

COST: Mapping[str, float] = {"agent_heatmap.png": 3.5, "dose_response.png": 1.6}
"""Drawing time of the heavier charts relative to the others (measured at 265,000 interactions)."""


def chart_makers(result: "AnalysisResult", ipa_entity: tuple[str, str, str] | None = None,
                 reliability: "pd.DataFrame | None" = None) -> dict[str, Maker]:
    """The report's charts by file name (`report.FIGURE_NAMES`), each a function drawing it;
    `ipa_entity` = (level, team, agent) for the quadrant chart, `reliability` each skill's
    calibration alpha for the skills chart (`calibration.skill_alphas`). Each reads only the
    tables its chart shows, so the makers of a partial result (one half, see `report.HALVES`)
    work for the charts of that half."""
    from . import plots

    def quadrants() -> "Figure":
        level, team, agent = ipa_entity or default_ipa_entity(result)
        return plots.plot_importance_performance(result.ipa, level, team, agent)

    return {
        "correlations.png": lambda: plots.plot_correlations(result.correlations, notes=result.notes,
                                                            reliability=reliability),
        "correlations_by_channel.png": lambda: plots.plot_channel_correlations(
            result.correlations, result.channel_differences),
        "effects.png": lambda: plots.plot_effects(result.effects),
        "dose_response.png": lambda: plots.plot_dose_response(result.dose_response),
        "drivers.png": lambda: plots.plot_drivers(result.drivers),
        "importance_performance.png": quadrants,
        "agent_heatmap.png": lambda: plots.plot_agent_heatmap(result.agent_matrix, result.agent_counts,
                                                              result.polarity, n_elsewhere=MATRIX_FILE),
        "trends.png": lambda: plots.plot_trends(result.trends, metrics=[*top_skills(result), "CSAT"],
                                                polarity=result.polarity),
    }


def default_ipa_entity(result: "AnalysisResult") -> tuple[str, str, str]:
    """(level, team, agent) to chart when none is chosen: the only agent, else the only team,
    else everyone."""
    agents = result.ipa[result.ipa["level"] == "agent"][["team", "agent"]].drop_duplicates()
    if len(agents) == 1:
        return "agent", agents["team"].iloc[0], agents["agent"].iloc[0]
    teams = result.ipa[result.ipa["level"] == "team"]["team"].drop_duplicates()
    if len(teams) == 1:
        return "team", teams.iloc[0], ""
    return ALL, "", ""


def top_skills(result: "AnalysisResult", count: int = 5) -> list[str]:
    """The `count` skills most associated with CSAT (largest pooled |rho|), for busy charts."""
    pooled = result.correlations[result.correlations["channel"] == ALL].set_index("skill")["rho"]
    ranked = pooled.abs().sort_values(ascending=False, na_position="last")
    return list(ranked.index[:count])


def split_by_cost(names: list[str]) -> tuple[list[str], list[str]]:
    """Two shares of `names` with about equal drawing cost (heaviest first, each to the lighter
    share), in their original order."""
    shares: tuple[list[str], list[str]] = ([], [])
    loads = [0.0, 0.0]
    for name in sorted(names, key=lambda n: -COST.get(n, 1.0)):
        lighter = 0 if loads[0] <= loads[1] else 1
        shares[lighter].append(name)
        loads[lighter] += COST.get(name, 1.0)
    order = {n: i for i, n in enumerate(names)}
    return sorted(shares[0], key=order.get), sorted(shares[1], key=order.get)


def png_bytes(make: Maker) -> bytes:
    """Draw one chart as PNG bytes (fast zlib level: the files are about as small)."""
    buffer = io.BytesIO()
    make().savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def write_png(make: Maker, target: Path) -> None:
    """Draw one chart into `target` (PNG, atomically)."""
    write_files({target.name: png_bytes(make)}, target.parent)


def write_files(files: Mapping[str, bytes], out: Path) -> None:
    """Write files made elsewhere (charts by `png_bytes`, e.g. in the forked process) into `out`,
    each atomically."""
    for name, data in files.items():
        with atomic_file(out / name, "wb") as handle:
            handle.write(data)


def draw_pngs(makers: Mapping[str, Maker], names: list[str]) -> bytes:
    """The charts `names` of `makers` drawn as PNG bytes, pickled (what a forked process sends)."""
    return pickle.dumps({name: png_bytes(makers[name]) for name in names}, pickle.HIGHEST_PROTOCOL)


def write_charts(makers: Mapping[str, Maker], out: Path, *, parallel: bool = False,
                 meanwhile: Callable[[], None] | None = None) -> list[Path]:
    """Draw each chart of `makers` into `out / name` and run `meanwhile` (first, or while the
    forked process draws its share); the paths written. A chart that cannot be written raises
    `OutputError` (from the child: its message)."""
    names = list(makers)

    def draw(share: list[str]) -> None:
        for name in share:
            write_png(makers[name], out / name)

    if parallel and can_fork() and len(names) > 1:
        mine, theirs = split_by_cost(names)

        def here() -> None:
            if meanwhile is not None:
                meanwhile()
            draw(mine)

        _, drawn = in_two_processes(lambda: draw_pngs(makers, theirs), here)
        write_files(pickle.loads(drawn), out)
    else:
        if meanwhile is not None:
            meanwhile()
        draw(names)
    return [out / name for name in names]
