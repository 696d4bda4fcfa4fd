"""Run the whole analysis on a frame, and write it as CSV tables and PNG charts.

`run_analysis` is what the CLI and the GUI worker call; it reports progress as a fraction and
stops with `AnalysisCancelled` as soon as `cancelled()` returns True (checked between steps).
Everything is a function of the frame (one row per interaction, see `dataset`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qagrader.core.errors import CancelledError
from qagrader.core.exporting.csv_files import write_table
from qagrader.core.storage.files import atomic_file, report_folder

from .channel_differences import channel_differences
from .clustered import MIN_CLUSTERS
from .coaching import agent_skill_matrix, coaching_priorities
from .correlation import ALL, associations, correlation_table
from .dataset import NO_AGENT, polarity_of, skills_of, yes_no_skills
from .drivers import key_drivers
from .effects import dose_response, effects_table
from .ipa import importance_performance, skill_importance
from .trends import skill_trends

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


class AnalysisCancelled(CancelledError):
    """The analysis was cancelled (e.g. a newer filter change replaced it)."""


@dataclass(frozen=True)
class DataNotes:
    """What the numbers rest on, for captions and warnings."""

    interactions: int          # rows of the frame: interactions with submitted grades
    grades: int                # submitted, non-calibration grades behind them
    several_grades: int        # interactions graded more than once (averaged)
    with_csat: int             # interactions with a CSAT survey
    csat_varies: bool          # CSAT takes more than one value among them
    agents: int                # distinct agents
    csat_visible: int          # interactions with a grade made while CSAT was visible
    blind_unknown: int         # interactions whose grades do not record it

    @property
    def clustered(self) -> bool:
        """Enough agents for agent-clustered intervals."""
        return self.agents >= MIN_CLUSTERS


def data_notes(frame: pd.DataFrame) -> DataNotes:
    """The `DataNotes` of an analysis frame."""
    csat = frame["csat"].dropna()
    blind = frame["blind"] if "blind" in frame else pd.Series(np.nan, index=frame.index)
    grades = frame["n_grades"] if "n_grades" in frame else pd.Series(1, index=frame.index)
    agents = frame.loc[frame["agent"] != NO_AGENT, "agent"].nunique()
    return DataNotes(
        interactions=len(frame), grades=int(grades.sum()), several_grades=int((grades > 1).sum()),
        with_csat=len(csat), csat_varies=bool(csat.nunique() > 1), agents=int(agents),
        csat_visible=int((blind < 1).sum()), blind_unknown=int(blind.isna().sum()))


@dataclass(frozen=True)
class AnalysisResult:
    """Every table of the analysis of one filtered frame."""

    notes: DataNotes
    skills: tuple[str, ...]
    yes_no_skills: tuple[str, ...]
    polarity: dict[str, str]         # skill -> "positive" / "negative" (reported as occurrence)
    correlations: pd.DataFrame       # skill x channel (correlation.CORRELATION_COLUMNS, ...)
    channel_differences: pd.DataFrame  # skill x pair of channels
    effects: pd.DataFrame            # skill x channel: CSAT with vs without the skill
    dose_response: pd.DataFrame      # skill x channel x score level: mean CSAT
    drivers: pd.DataFrame            # skill x channel, shares of R^2
    importance: pd.DataFrame         # skill -> CSAT gained when met / avoided (ipa's y)
    ipa: pd.DataFrame                # all / team / agent x skill, with quadrants
    priorities: pd.DataFrame         # agent x skill gaps, ranked coaching priorities
    agent_matrix: pd.DataFrame       # (team, agent) x skill: gap (agent - rest of team)
    agent_counts: pd.DataFrame       # (team, agent) x skill: interactions graded (n)
    trends: pd.DataFrame             # period x metric, overall and per agent

    @property
    def n_evaluations(self) -> int:
        """Interactions analysed (kept for callers of the per-evaluation frame)."""
        return self.notes.interactions


def run_analysis(frame: pd.DataFrame, progress: Progress | None = None,
                 cancelled: Cancelled | None = None, *, trend_freq: str = "auto") -> AnalysisResult:
    """All the analysis tables for `frame` (the output of `load_skill_frame`); `trend_freq` is
    "W", "M" or "auto"."""
    skills = skills_of(frame)
    steps = 8
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise AnalysisCancelled("The analysis was cancelled.")
        if progress is not None:
            progress(done / steps)
        done += 1

    step()
    found = associations(frame, skills)
    correlations = correlation_table(found)
    step()
    differences = channel_differences(found)
    step()
    effects = effects_table(frame, skills)
    dose = dose_response(frame, skills)
    step()
    drivers = key_drivers(frame, skills)
    step()
    priorities = coaching_priorities(frame, effects, skills)
    step()
    ipa = importance_performance(frame, effects, skills, agent_gaps=priorities)
    step()
    matrix, counts = agent_skill_matrix(priorities, "gap"), agent_skill_matrix(priorities, "n")
    step()
    trends = skill_trends(frame, skills, freq=trend_freq)
    if cancelled is not None and cancelled():
        raise AnalysisCancelled("The analysis was cancelled.")
    if progress is not None:
        progress(1.0)
    return AnalysisResult(
        notes=data_notes(frame), skills=tuple(skills),
        yes_no_skills=tuple(yes_no_skills(frame, skills)), polarity=polarity_of(frame),
        correlations=correlations, channel_differences=differences, effects=effects,
        dose_response=dose, drivers=drivers, importance=skill_importance(effects), ipa=ipa,
        priorities=priorities, agent_matrix=matrix, agent_counts=counts, trends=trends,
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
    """The `count` skills most associated with CSAT (largest pooled |rho|), for busy charts."""
    pooled = result.correlations[result.correlations["channel"] == ALL].set_index("skill")["rho"]
    ranked = pooled.abs().sort_values(ascending=False, na_position="last")
    return list(ranked.index[:count])


def agent_matrix_table(result: AnalysisResult) -> pd.DataFrame:
    """The heatmap as a table: per agent, each skill's gap followed by its n."""
    columns = {}
    for skill in result.agent_matrix.columns:
        columns[skill] = result.agent_matrix[skill]
        columns[f"{skill} (n)"] = result.agent_counts[skill].astype("Int64")
    return pd.DataFrame(columns).reset_index()


def write_report(result: AnalysisResult, out_dir: str | Path, *,
                 ipa_entity: tuple[str, str, str] | None = None,
                 reliability: pd.DataFrame | None = None, excel_bom: bool = False) -> list[Path]:
    """Write the CSV tables (`core.exporting.csv_files` conventions; `excel_bom` adds the
    byte-order mark Excel needs to show accents), a plain-words summary (summary.txt) and one PNG per chart into
    `out_dir` (created if missing, in an existing folder); return the paths written. Each file
    is written atomically; a failure leaves older files as they were and removes a folder this
    call created. `ipa_entity` = (level, team, agent) for the quadrant chart; `reliability`
    (`calibration.skill_alphas`) puts each skill's calibration alpha on the skills chart and
    names in the summary the skills graders disagree on."""
    from . import plots  # matplotlib only when charts are wanted
    from .calibration import understated_sentence
    from .summary import summary_text

    out = Path(out_dir).expanduser()
    tables = {
        "correlations.csv": result.correlations,
        "channel_differences.csv": result.channel_differences,
        "effects.csv": result.effects, "dose_response.csv": result.dose_response,
        "drivers.csv": result.drivers, "agent_priorities.csv": result.priorities,
        "trends.csv": result.trends, "importance_performance.csv": result.ipa,
        "agent_skill_matrix.csv": agent_matrix_table(result),
    }
    with report_folder(out, [*tables, SUMMARY_NAME, *FIGURE_NAMES]) as written:
        for name, table in tables.items():
            write_table(out / name, table, excel_bom=excel_bom)
            written.append(out / name)
        with atomic_file(out / SUMMARY_NAME, "w", encoding="utf-8", newline="") as handle:
            handle.write(summary_text(result) + "\n")
            if understated_sentence(reliability):
                handle.write(understated_sentence(reliability) + "\n")
        written.append(out / SUMMARY_NAME)
        level, team, agent = ipa_entity or default_ipa_entity(result)
        figures = {
            "correlations.png": lambda: plots.plot_correlations(result.correlations, notes=result.notes,
                                                                reliability=reliability),
            "correlations_by_channel.png": lambda: plots.plot_channel_correlations(
                result.correlations, result.channel_differences),
            "effects.png": lambda: plots.plot_effects(result.effects),
            "dose_response.png": lambda: plots.plot_dose_response(result.dose_response),
            "drivers.png": lambda: plots.plot_drivers(result.drivers),
            "importance_performance.png": lambda: plots.plot_importance_performance(
                result.ipa, level, team, agent),
            "agent_heatmap.png": lambda: plots.plot_agent_heatmap(result.agent_matrix, result.agent_counts,
                                                                  result.polarity),
            "trends.png": lambda: plots.plot_trends(result.trends, metrics=[*top_skills(result), "CSAT"],
                                                    polarity=result.polarity),
        }
        for name, draw in figures.items():
            with atomic_file(out / name, "wb") as handle:
                draw().savefig(handle, format="png")
            written.append(out / name)
    return written


SUMMARY_NAME = "summary.txt"
FIGURE_NAMES: tuple[str, ...] = (
    "correlations.png", "correlations_by_channel.png", "effects.png", "dose_response.png",
    "drivers.png", "importance_performance.png", "agent_heatmap.png", "trends.png",
)
