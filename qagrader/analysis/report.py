"""Run the whole analysis on a frame, and write it as CSV tables and PNG charts.

`run_analysis` is what the CLI and the GUI worker call; it reports progress as a fraction and
stops with `AnalysisCancelled` as soon as `cancelled()` returns True (checked between steps).
Everything is a function of the frame (one row per interaction, see `dataset`).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qagrader.core.errors import CancelledError
from qagrader.core.exporting.csv_files import encoding, table_text
from qagrader.core.storage.files import atomic_file, report_folder

from .channel_differences import channel_differences
from .clustered import MIN_CLUSTERS
from .coaching import agent_skill_matrix, coaching_priorities
from .correlation import associations, correlation_table
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


ASSOCIATIONS, AGENTS = "associations", "agents"
HALVES: dict[str, tuple[str, ...]] = {
    ASSOCIATIONS: ("correlations", "channel_differences", "drivers", "trends"),
    AGENTS: ("effects", "dose_response", "importance", "priorities", "ipa", "agent_matrix", "agent_counts"),
}
"""The tables of `AnalysisResult` in two halves that need nothing from each other (about equal
work with their charts, `CHARTS`), for `analyze_into`'s two processes."""
CSV_FILES: dict[str, tuple[str, ...]] = {
    ASSOCIATIONS: ("correlations.csv", "channel_differences.csv", "drivers.csv", "trends.csv"),
    AGENTS: ("effects.csv", "dose_response.csv", "agent_priorities.csv", "importance_performance.csv",
             "agent_skill_matrix.csv"),
}
"""The report's CSV files each half's tables make."""
CHARTS: dict[str, tuple[str, ...]] = {
    ASSOCIATIONS: ("correlations.png", "correlations_by_channel.png", "drivers.png", "trends.png"),
    AGENTS: ("effects.png", "dose_response.png", "importance_performance.png", "agent_heatmap.png"),
}


def analysis_tables(frame: pd.DataFrame, half: str | None = None, progress: Progress | None = None,
                    cancelled: Cancelled | None = None, *, trend_freq: str = "auto") -> dict[str, pd.DataFrame]:
    """The tables of one half of the analysis (`HALVES`; None: all) by field name of
    `AnalysisResult`."""
    skills = skills_of(frame)
    wanted = set(HALVES[half]) if half else {t for tables in HALVES.values() for t in tables}
    steps = (("correlations", "channel_differences"), ("effects", "dose_response"), ("drivers",),
             ("priorities",), ("ipa",), ("agent_matrix",), ("trends",))
    steps = tuple(step for step in steps if wanted & set(step))
    tables: dict[str, pd.DataFrame] = {}
    for done, step in enumerate(steps):
        if cancelled is not None and cancelled():
            raise AnalysisCancelled("The analysis was cancelled.")
        if progress is not None:
            progress(done / len(steps))
        if step[0] == "correlations":
            found = associations(frame, skills)
            tables["correlations"] = correlation_table(found)
            tables["channel_differences"] = channel_differences(found)
        elif step[0] == "effects":
            tables["effects"] = effects_table(frame, skills)
            tables["dose_response"] = dose_response(frame, skills)
            tables["importance"] = skill_importance(tables["effects"])
        elif step[0] == "drivers":
            tables["drivers"] = key_drivers(frame, skills)
        elif step[0] == "priorities":
            tables["priorities"] = coaching_priorities(frame, tables["effects"], skills)
        elif step[0] == "ipa":
            tables["ipa"] = importance_performance(frame, tables["effects"], skills,
                                                   agent_gaps=tables["priorities"])
        elif step[0] == "agent_matrix":
            tables["agent_matrix"] = agent_skill_matrix(tables["priorities"], "gap")
            tables["agent_counts"] = agent_skill_matrix(tables["priorities"], "n")
        else:
            tables["trends"] = skill_trends(frame, skills, freq=trend_freq)
    if cancelled is not None and cancelled():
        raise AnalysisCancelled("The analysis was cancelled.")
    if progress is not None:
        progress(1.0)
    return tables


def assemble(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> AnalysisResult:
    """The `AnalysisResult` of `frame` holding `tables` (a table not given is None: a partial
    result, for the charts of one half)."""
    skills = skills_of(frame)
    return AnalysisResult(
        notes=data_notes(frame), skills=tuple(skills), yes_no_skills=tuple(yes_no_skills(frame, skills)),
        polarity=polarity_of(frame),
        **{name: tables.get(name) for tables_of_half in HALVES.values() for name in tables_of_half})


def run_analysis(frame: pd.DataFrame, progress: Progress | None = None,
                 cancelled: Cancelled | None = None, *, trend_freq: str = "auto") -> AnalysisResult:
    """All the analysis tables for `frame` (the output of `load_skill_frame`); `trend_freq` is
    "W", "M" or "auto"."""
    return assemble(frame, analysis_tables(frame, None, progress, cancelled, trend_freq=trend_freq))


def agent_matrix_table(result: AnalysisResult) -> pd.DataFrame:
    """The heatmap as a table: per agent, each skill's gap followed by its n."""
    columns = {}
    for skill in result.agent_matrix.columns:
        columns[skill] = result.agent_matrix[skill]
        columns[f"{skill} (n)"] = result.agent_counts[skill].astype("Int64")
    return pd.DataFrame(columns).reset_index()


def report_tables(result: AnalysisResult, names: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """The CSV files of the report (`names`, default all: `TABLE_NAMES`) and their tables."""
    tables = {
        "correlations.csv": lambda: result.correlations,
        "channel_differences.csv": lambda: result.channel_differences,
        "effects.csv": lambda: result.effects, "dose_response.csv": lambda: result.dose_response,
        "drivers.csv": lambda: result.drivers, "agent_priorities.csv": lambda: result.priorities,
        "trends.csv": lambda: result.trends, "importance_performance.csv": lambda: result.ipa,
        "agent_skill_matrix.csv": lambda: agent_matrix_table(result),
    }
    return {name: tables[name]() for name in (TABLE_NAMES if names is None else names)}


def csv_bytes(table: pd.DataFrame, excel_bom: bool = False) -> bytes:
    """A report table as its CSV file's bytes, by the rules of every CSV the app writes
    (`core.exporting.csv_files`: CRLF, dates Excel reads, formula-safe text, no index; UTF-8,
    with the byte-order mark Excel needs for accents when `excel_bom`)."""
    return table_text(table, delimiter=",").encode(encoding(excel_bom))


TABLE_NAMES: tuple[str, ...] = (
    "correlations.csv", "channel_differences.csv", "effects.csv", "dose_response.csv", "drivers.csv",
    "agent_priorities.csv", "trends.csv", "importance_performance.csv", "agent_skill_matrix.csv",
)


@contextmanager
def _report_folder(out_dir: str | Path) -> Iterator[Path]:
    """The report folder (`files.report_folder`: checked before anything is written; a failure
    inside the block removes a folder made here with every file of the report in it, including
    those a forked child wrote)."""
    out = Path(out_dir).expanduser()
    names = [*TABLE_NAMES, SUMMARY_NAME, *FIGURE_NAMES]
    with report_folder(out, names) as written:
        written.extend(out / name for name in names)
        yield out


def _write_tables(result: AnalysisResult, out: Path, reliability: pd.DataFrame | None = None,
                  excel_bom: bool = False) -> None:
    for name, table in report_tables(result).items():
        with atomic_file(out / name, "wb") as handle:
            handle.write(csv_bytes(table, excel_bom))
    _write_summary(result, out, reliability)


def _write_summary(result: AnalysisResult, out: Path, reliability: pd.DataFrame | None) -> None:
    from .calibration import understated_sentence
    from .summary import summary_text

    with atomic_file(out / SUMMARY_NAME, "w", encoding="utf-8", newline="") as handle:
        handle.write(summary_text(result) + "\n")
        if understated_sentence(reliability):
            handle.write(understated_sentence(reliability) + "\n")


def write_report(result: AnalysisResult, out_dir: str | Path, *,
                 ipa_entity: tuple[str, str, str] | None = None,
                 reliability: pd.DataFrame | None = None, parallel: bool = False,
                 excel_bom: bool = False) -> list[Path]:
    """Write the CSV tables (`csv_bytes`; `excel_bom` adds the byte-order mark Excel needs to
    show accents), a plain-words summary (summary.txt) and one PNG per chart into
    `out_dir` (created if missing, in an existing folder); return the paths written. Each file
    is written atomically; a failure leaves older files as they were and removes a folder this
    call created. `ipa_entity` = (level, team, agent) for the quadrant chart; `reliability`
    (`calibration.skill_alphas`) puts each skill's calibration alpha on the skills chart and
    names in the summary the skills graders disagree on. `parallel`: draw half the charts in a
    forked process (`chart_files.write_charts`; for a single-threaded caller such as the
    command line)."""
    from .chart_files import chart_makers, write_charts  # matplotlib only when charts are wanted

    with _report_folder(out_dir) as out:
        write_charts(chart_makers(result, ipa_entity, reliability), out, parallel=parallel,
                     meanwhile=lambda: _write_tables(result, out, reliability, excel_bom))
    return [out / name for name in (*TABLE_NAMES, SUMMARY_NAME, *FIGURE_NAMES)]


def analyze_into(frame: pd.DataFrame, out_dir: str | Path, *, progress: Progress | None = None,
                 ipa_entity: tuple[str, str, str] | None = None,
                 reliability: pd.DataFrame | None = None,
                 excel_bom: bool = False) -> tuple[AnalysisResult, list[Path]]:
    """`run_analysis(frame)` and `write_report` of it into `out_dir`, on two cores where the
    system can fork (`forked`): a child computes one half of the tables (`HALVES`) and draws
    their charts while this process does the other half, then sends its tables and PNG bytes
    back (pickled); this process alone writes files. The same tables and files as the two calls; for
    single-threaded callers (the command line). `progress` follows this process's half."""
    from .chart_files import chart_makers, draw_pngs, write_files, write_png
    from .forked import can_fork, in_two_processes

    if not can_fork():
        result = run_analysis(frame, progress)
        return result, write_report(result, out_dir, ipa_entity=ipa_entity, reliability=reliability,
                                    excel_bom=excel_bom)

    def files_of(half: str, tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
        """The half's CSV files as bytes (formatting them is the cost, not writing)."""
        partial = assemble(frame, tables)
        return {name: csv_bytes(table, excel_bom) for name, table in report_tables(partial, CSV_FILES[half]).items()}

    def theirs() -> bytes:  # the child writes no file: its charts and CSVs come back as bytes
        tables = analysis_tables(frame, ASSOCIATIONS)
        makers = chart_makers(assemble(frame, tables), ipa_entity, reliability)
        files = {**pickle.loads(draw_pngs(makers, list(CHARTS[ASSOCIATIONS]))), **files_of(ASSOCIATIONS, tables)}
        return pickle.dumps((tables, files), pickle.HIGHEST_PROTOCOL)

    def mine() -> dict[str, pd.DataFrame]:
        tables = analysis_tables(frame, AGENTS, progress)
        makers = chart_makers(assemble(frame, tables), ipa_entity, reliability)
        for chart in CHARTS[AGENTS]:
            write_png(makers[chart], out / chart)
        write_files(files_of(AGENTS, tables), out)
        return tables

    from . import plots  # noqa: F401  (matplotlib imported once, before the fork, not in each process)

    with _report_folder(out_dir) as out:
        own, sent = in_two_processes(theirs, mine)
        other, files = pickle.loads(sent)
        write_files(files, out)
        result = assemble(frame, {**other, **own})
        _write_summary(result, out, reliability)
    return result, [out / name for name in (*TABLE_NAMES, SUMMARY_NAME, *FIGURE_NAMES)]


SUMMARY_NAME = "summary.txt"
FIGURE_NAMES: tuple[str, ...] = (
    "correlations.png", "correlations_by_channel.png", "effects.png", "dose_response.png",
    "drivers.png", "importance_performance.png", "agent_heatmap.png", "trends.png",
)
"""The charts `write_report` writes (`chart_files.chart_makers` draws them)."""
