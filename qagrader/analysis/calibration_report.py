"""Writing calibration results to a folder: `agreement.csv` (per question), `graders.csv` (per
grader), `disagreements.csv` (answers side by side with the guidelines), `skills.csv` (alpha of
each skill score) and the charts. Each file is written atomically (`core.storage.files`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qagrader.core.exporting.csv_files import write_table
from qagrader.core.storage.files import atomic_file, report_folder

from .calibration import ALL, DISAGREEMENT_COLUMNS, CalibrationResults, trend

TABLE_NAMES: tuple[str, ...] = ("agreement.csv", "graders.csv", "disagreements.csv", "skills.csv")
FIGURE_NAMES: tuple[str, ...] = ("agreement.png", "graders.png", "grader_trends.png")


def write_calibration_report(results: CalibrationResults, out_dir: str | Path, *,
                             excel_bom: bool = False) -> list[Path]:
    """Write the tables (`core.exporting.csv_files` conventions; `excel_bom` adds the byte-order
    mark Excel needs to show accents) and charts of `results` into `out_dir` (created if
    missing, in an existing folder); the paths written. A failure leaves older files as they were and removes
    a folder this call created."""
    from . import calibration_plots as plots  # matplotlib only when charts are wanted

    out = Path(out_dir).expanduser()
    pooled = (results.agreement["session"] == ALL).any() or len(results.sessions) != 1
    session = ALL if pooled else results.sessions[0].label
    tables = dict(zip(TABLE_NAMES, (results.agreement, results.graders,
                                    results.disagreements[list(DISAGREEMENT_COLUMNS)], results.skills)))
    figures = dict(zip(FIGURE_NAMES, (lambda: plots.plot_agreement(results.agreement, session),
                                      lambda: plots.plot_graders(results.graders, session),
                                      lambda: plots.plot_trends(trend(results.graders)))))
    with report_folder(out, (*TABLE_NAMES, *FIGURE_NAMES)) as written:
        for name, table in tables.items():
            write_table(out / name, _rounded(table), excel_bom=excel_bom)
            written.append(out / name)
        for name, draw in figures.items():
            with atomic_file(out / name, "wb") as handle:
                draw().savefig(handle, format="png")
            written.append(out / name)
    return written


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Percentages and score points to 1 or 2 decimals, alphas to 3."""
    digits = {"alpha": 3, "percent_agreement": 1, "agreement": 1, "alignment": 1, "alignment_low": 1,
              "alignment_high": 1, "leniency": 2, "leniency_low": 2, "leniency_high": 2}
    return table.round({c: d for c, d in digits.items() if c in table.columns})
