"""Run the whole analysis on a frame, and write it as CSV tables and PNG charts.

`run_analysis` is what the CLI and the GUI worker call; it reports progress as a fraction and
stops with `AnalysisCancelled` as soon as `cancelled()` returns True (checked between steps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qagrader.core.errors import CancelledError
from qagrader.core.storage.files import atomic_file, check_folder, check_output

from .coaching import agent_skill_matrix, coaching_priorities
from .correlation import ALL, skill_correlations
from .dataset import skills_of, yes_no_skills
from .drivers import key_drivers
from .effects import yes_no_effects
from .ipa import importance_performance, skill_importance
from .trends import skill_trends

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


class AnalysisCancelled(CancelledError):
    """The analysis was cancelled (e.g. a newer filter change replaced it)."""


@dataclass(frozen=True)
class AnalysisResult:
    """Every table of the analysis of one filtered frame."""

    n_evaluations: int
    skills: tuple[str, ...]
    yes_no_skills: tuple[str, ...]
    correlations: pd.DataFrame   # skill x channel (see correlation.CORRELATION_COLUMNS)
    effects: pd.DataFrame        # yes/no skill x channel
    drivers: pd.DataFrame        # skill x channel, shares of R^2
    importance: pd.Series        # skill -> importance used by ipa and priorities
    ipa: pd.DataFrame            # all / team / agent x skill, with quadrants
    priorities: pd.DataFrame     # agent x skill coaching priorities
    agent_matrix: pd.DataFrame   # (team, agent) x skill, agent mean - team mean
    trends: pd.DataFrame         # period x metric, overall and per agent


def run_analysis(frame: pd.DataFrame, progress: Progress | None = None,
                 cancelled: Cancelled | None = None, *, importance: str = "rho",
                 trend_freq: str = "auto") -> AnalysisResult:
    """All the analysis tables for `frame` (the output of `load_skill_frame`).

    `importance` is "rho" (pooled Spearman rho) or "share" (driver share of R^2);
    `trend_freq` is "W", "M" or "auto".
    """
    skills = skills_of(frame)
    steps = 7
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise AnalysisCancelled("The analysis was cancelled.")
        if progress is not None:
            progress(done / steps)
        done += 1

    step()
    correlations = skill_correlations(frame, skills)
    step()
    effects = yes_no_effects(frame, skills)
    step()
    drivers = key_drivers(frame, skills)
    step()
    weights = skill_importance(correlations, drivers, importance)
    ipa = importance_performance(frame, weights, skills)
    step()
    priorities = coaching_priorities(frame, weights, skills)
    step()
    matrix = agent_skill_matrix(frame, skills)
    step()
    trends = skill_trends(frame, skills, freq=trend_freq)
    if cancelled is not None and cancelled():
        raise AnalysisCancelled("The analysis was cancelled.")
    if progress is not None:
        progress(1.0)
    return AnalysisResult(
        n_evaluations=len(frame), skills=tuple(skills),
        yes_no_skills=tuple(yes_no_skills(frame, skills)), correlations=correlations,
        effects=effects, drivers=drivers, importance=weights, ipa=ipa, priorities=priorities,
        agent_matrix=matrix, trends=trends,
    )


def default_ipa_entity(result: AnalysisResult) -> tuple[str, str, str]:
    """(level, team, agent) to chart when none is chosen: the only agent, else the only team,
    else everyone."""
    agents = result.ipa[result.ipa["level"] == "agent"][["team", "agent"]].drop_duplicates()
    if len(agents) == 1:
        return "agent", agents["team"].iloc[0], agents["agent"].iloc[0]
    teams = result.ipa[result.ipa["level"] == "team"]["team"].drop_duplicates()
    if len(teams) == 1:
        return "team", teams.iloc[0], ""
    return ALL, "", ""


def top_skills(result: AnalysisResult, count: int = 5) -> list[str]:
    """The `count` skills most associated with CSAT (largest |importance|), for busy charts."""
    ranked = result.importance.abs().sort_values(ascending=False, na_position="last")
    return list(ranked.index[:count])


def write_report(result: AnalysisResult, out_dir: str | Path, *,
                 ipa_entity: tuple[str, str, str] | None = None,
                 blind_grading: bool | None = None) -> list[Path]:
    """Write the CSV tables and one PNG per chart into `out_dir` (created if missing, in an
    existing folder); return the paths written. Each file is written atomically; a failure
    leaves older files as they were and removes a folder this call created. `ipa_entity` = (level, team, agent) for the quadrant chart."""
    from . import plots  # matplotlib only when charts are wanted

    out = Path(out_dir).expanduser()
    created = not out.exists()
    if created:
        check_folder(out.parent)
    tables = {
        "correlations.csv": result.correlations, "effects.csv": result.effects,
        "drivers.csv": result.drivers, "agent_priorities.csv": result.priorities,
        "trends.csv": result.trends, "importance_performance.csv": result.ipa,
        "agent_skill_matrix.csv": result.agent_matrix.reset_index(),
    }
    names = [*tables, *FIGURE_NAMES]
    for name in names:  # refuse before writing anything
        if not created:
            check_output(out / name)
    written: list[Path] = []
    try:
        if created:
            out.mkdir()
        for name, table in tables.items():
            with atomic_file(out / name, "w", encoding="utf-8", newline="") as handle:
                table.to_csv(handle, index=False)
            written.append(out / name)
        level, team, agent = ipa_entity or default_ipa_entity(result)
        figures = {
            "correlations.png": lambda: plots.plot_correlations(result.correlations,
                                                                blind_grading=blind_grading),
            "correlations_by_channel.png": lambda: plots.plot_channel_correlations(result.correlations),
            "drivers.png": lambda: plots.plot_drivers(result.drivers),
            "importance_performance.png": lambda: plots.plot_importance_performance(
                result.ipa, level, team, agent),
            "agent_heatmap.png": lambda: plots.plot_agent_heatmap(result.agent_matrix),
            "trends.png": lambda: plots.plot_trends(result.trends,
                                                    metrics=[*top_skills(result), "CSAT"]),
        }
        for name, draw in figures.items():
            with atomic_file(out / name, "wb") as handle:
                draw().savefig(handle, format="png")
            written.append(out / name)
    except BaseException:
        if created:  # a failed report into a new folder leaves no folder behind
            for path in written:
                path.unlink(missing_ok=True)
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    return written


FIGURE_NAMES: tuple[str, ...] = (
    "correlations.png", "correlations_by_channel.png", "drivers.png", "importance_performance.png",
    "agent_heatmap.png", "trends.png",
)
