"""Writing calibration results to a folder: `agreement.csv` (per question), `graders.csv` (per
grader), `disagreements.csv` (answers side by side with the guidelines), `skills.csv` (alpha of
each skill score) and the charts, each file written atomically."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

from qagrader.core.errors import QAGraderError

from .calibration import ALL, DISAGREEMENT_COLUMNS, CalibrationResults, trend


def write_calibration_report(results: CalibrationResults, out_dir: str | Path) -> list[Path]:
    """Write the tables and charts of `results` into `out_dir` (created if missing); the paths."""
    from . import calibration_plots as plots  # matplotlib only when charts are wanted

    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise QAGraderError(f"Cannot create the folder {out}: {error.strerror or error}.") from error
    session = ALL if len(results.sessions) != 1 or (results.agreement["session"] == ALL).any() else \
        results.sessions[0].label
    tables = {"agreement.csv": results.agreement, "graders.csv": results.graders,
              "disagreements.csv": results.disagreements[list(DISAGREEMENT_COLUMNS)], "skills.csv": results.skills}
    written = []
    for name, table in tables.items():
        with atomic_file(out / name, "w", encoding="utf-8", newline="") as handle:
            _rounded(table).to_csv(handle, index=False, lineterminator="\n")
        written.append(out / name)
    figures = {"agreement.png": plots.plot_agreement(results.agreement, session),
               "graders.png": plots.plot_graders(results.graders, session),
               "grader_trends.png": plots.plot_trends(trend(results.graders))}
    for name, figure in figures.items():
        with atomic_file(out / name, "wb") as handle:
            figure.savefig(handle, format="png")
        written.append(out / name)
    return written


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Percentages and score points to 1 decimal, alphas to 3."""
    digits = {"alpha": 3, "percent_agreement": 1, "agreement": 1, "alignment": 1, "alignment_low": 1,
              "alignment_high": 1, "leniency": 2, "leniency_low": 2, "leniency_high": 2}
    return table.round({c: d for c, d in digits.items() if c in table.columns})


@contextmanager
def atomic_file(target: Path, mode: str = "w", *, encoding: str | None = None,
                newline: str | None = None) -> Iterator[IO]:
    """A temporary file beside `target` that replaces it (flushed and fsynced) only when the
    block ends without error."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        handle = open(tmp, "xb") if mode == "wb" else open(tmp, "x", encoding=encoding, newline=newline)
    except OSError as error:
        raise QAGraderError(f"Cannot write {target}: {error.strerror or error}.") from error
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise QAGraderError(f"Cannot write {target}: {error.strerror or error}.") from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
