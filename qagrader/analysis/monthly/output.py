"""Writing the monthly report: a PDF of A4 pages (`PdfPages`), one PNG per page, or one CSV of
the same content. Every file is written atomically through `core.storage.files` (the open
workspace and the files being read are refused; a failure leaves an older file as it was)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from qagrader.core.exporting.csv_files import write_table
from qagrader.core.storage.files import atomic_file, check_output, written_together

from .content import CAUSATION, MonthlyReport

FORMATS: tuple[str, ...] = ("pdf", "png", "csv")
PNG_DPI = 110
TABLE_COLUMNS: tuple[str, ...] = (
    "section", "subject", "measure", "value", "ci_low", "ci_high", "n", "previous", "previous_n", "note",
)


def report_format(path: str | Path, given: str | None) -> str:
    """The format asked for, else the one the file name says, else pdf."""
    if given:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "pdf"


def png_paths(target: str | Path, pages: int) -> list[Path]:
    """Where the pages go as PNGs: ``report.png`` -> ``report-1.png``, ``report-2.png``, ..."""
    path = Path(target)
    stem = path.stem if path.suffix.lower() == ".png" else path.name
    return [path.with_name(f"{stem}-{k}.png") for k in range(1, pages + 1)]


def write_report(report: MonthlyReport, target: str | Path, fmt: str = "pdf", *,
                 progress: Callable[[float], None] | None = None, excel_bom: bool = False) -> list[Path]:
    """Write `report` to `target` as `fmt`; the files written. A CSV follows the rules of every
    CSV the app writes (`core.exporting.csv_files`; `excel_bom` adds the byte-order mark)."""
    if fmt == "csv":
        check_output(target)
        write_table(target, report_table(report), excel_bom=excel_bom)
        return [Path(target)]
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from .pages import report_pages
    from .sheet import PDF_RC

    with matplotlib.rc_context(PDF_RC):
        pages = report_pages(report)
        if progress is not None:
            progress(0.5)
        if fmt == "pdf":
            check_output(target)
            buffer = io.BytesIO()
            with PdfPages(buffer, metadata={"Title": f"Monthly quality report, {report.label}",
                                            "Subject": report.filters, "Creator": "QA Grader"}) as pdf:
                for page in pages:
                    pdf.savefig(page)
            with atomic_file(target, "wb") as handle:
                handle.write(buffer.getvalue())
            return [Path(target)]
        check_output(target)  # the name given may not be the workspace, a folder, ... even if the pages are named after it
        paths = png_paths(target, len(pages))
        for path in paths:  # refuse before writing anything
            check_output(path)
        images = []
        for page in pages:
            buffer = io.BytesIO()
            page.savefig(buffer, format="png", dpi=PNG_DPI)
            images.append(buffer.getvalue())
        with written_together(paths[0].parent):  # all pages or none (older pages kept)
            for path, image in zip(paths, images):
                with atomic_file(path, "wb") as handle:
                    handle.write(image)
        return paths


def report_table(report: MonthlyReport) -> pd.DataFrame:
    """The report as one long table (`TABLE_COLUMNS`): a row per number, with its interval,
    n and last month's value where it has them."""
    rows: list[dict] = []

    def add(section: str, subject: str, measure: str, value: object = np.nan, ci_low: float = np.nan,
            ci_high: float = np.nan, n: object = np.nan, previous: object = np.nan, previous_n: object = np.nan,
            note: str = "") -> None:
        rows.append(dict(section=section, subject=subject, measure=measure, value=value, ci_low=ci_low,
                         ci_high=ci_high, n=n, previous=previous, previous_n=previous_n, note=note))

    add("report", report.label, "month", report.month.isoformat(), note=f"{report.workspace}; {report.filters}")
    if report.tip is not None:
        tip = report.tip
        add("tip of the month", tip.headline, "expected CSAT cost per interaction", tip.cost, n=tip.n,
            note=" ".join(x for x in (tip.do and f"What good looks like: {tip.do}", tip.avoid) if x))
        add("tip of the month", tip.headline, "CSAT lower when missed", tip.csat_diff, tip.ci_low, tip.ci_high,
            tip.n, note=f"{tip.scale or 'CSAT 0..1'}; failure rate {tip.failure_rate:.3f}; guideline of "
                        f"'{tip.question}' ({tip.scorecard})")
    add("qa score", "everyone", "mean QA score (%)", report.overall.mean, report.overall.ci_low,
        report.overall.ci_high, report.overall.n, report.previous.mean if report.previous.n else np.nan,
        report.previous.n)
    for r in report.teams.itertuples():
        add("qa score", r.team, "team mean QA score (%)", r.mean, r.ci_low, r.ci_high, r.n, r.previous_mean,
            r.previous_n)
    for r in report.agents.itertuples():
        add("qa score", f"{r.agent} ({r.team})", "agent mean QA score (%)", r.mean, r.ci_low, r.ci_high, r.n,
            r.previous_mean, r.previous_n)
    top = report.top
    if top.agent is not None:
        add("top of the month", f"{top.agent['agent']} ({top.agent['team']})", "top agent: mean QA score (%)",
            top.agent["mean"], top.agent["ci_low"], top.agent["ci_high"], top.agent["n"],
            note=f"at least {top.min_agent} evaluations")
    if top.team is not None:
        add("top of the month", top.team["team"], "top team: mean QA score (%)", top.team["mean"],
            top.team["ci_low"], top.team["ci_high"], top.team["n"], note=f"at least {top.min_team} evaluations")
    if report.improved is not None:
        i = report.improved
        add("top of the month", f"{i.agent} ({i.team})", "most improved: change in mean QA score", i.change,
            i.ci_low, i.ci_high, i.n, i.previous_mean, i.previous_n)
    else:
        add("top of the month", "", "most improved", note=report.improved_note)
    for r in report.skills.itertuples():
        add("skills and csat", r.label, "Spearman rho with CSAT", r.rho, r.ci_low, r.ci_high, r.n,
            note=f"q = {r.q_value:.4f}")
        add("skills and csat", r.label, f"CSAT with minus without ({r.csat_unit})", r.csat_diff,
            r.csat_diff_ci_low, r.csat_diff_ci_high, r.n)
    for r in report.channel_rows.itertuples():
        add("channels", r.skill, "difference in rho between channels", r.difference,
            note=f"stronger on {r.stronger} than on {r.weaker}" + (" (opposite signs)" if r.opposite else ""))
    if report.channels:
        add("channels", "", "in words", note=report.channels)
    for r in report.gaps.itertuples():
        add("team gaps", f"{r.team}: {r.label}", "gap against everyone else", r.gap, r.gap_ci_low, r.gap_ci_high,
            r.n, r.team_rate, r.team_n, note=f"rate {r.rate:.3f}; CSAT per interaction {r.priority_points:+.3f}"
            if np.isfinite(r.priority_points) else f"rate {r.rate:.3f}")
    for note in report.follow_ups:
        add("coaching follow-ups due", f"{note.agent} ({note.team or '-'})", "follow up on", note.follow_up_on,
            note=f"coached {note.coached_on} by {note.coach} on {', '.join(note.skills)}"
                 + ("; overdue" if note.overdue(report.generated) else ""))
    for r in report.coaching_results.itertuples():
        add("coaching followed up", f"{r.agent} ({r.team or '-'}): {r.skill}", f"{r.measure}, after minus before",
            r.difference, r.ci_low, r.ci_high, r.after_n, r.before, r.before_n,
            note=f"coached {r.coached_on}; after {r.after:.3f}; {r.direction or r.status}"
            if np.isfinite(r.after) else f"coached {r.coached_on}; {r.status}")
    d = report.disputes
    for measure, value in (("raised", d.raised), ("accepted", d.accepted), ("rejected", d.rejected),
                           ("still open", d.still_open)):
        add("disputes", "", measure, value)
    if d.top_question:
        add("disputes", d.top_question, "most disputed question", d.top_question_count)
    if report.calibration is not None:
        for r in report.calibration.sessions.itertuples():
            add("calibration", str(r.session), "median Krippendorff's alpha of its questions", r.alpha, n=r.items,
                note=f"held {r.held_on}; mean percent agreement {r.percent_agreement:.1f}; {r.graders} graders; "
                     f"{r.reading}")
        for line in report.calibration.lines:
            add("calibration", "", "in words", note=line)
    add("report", "", "caveat", note=CAUSATION)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for column in ("n", "previous_n"):
        table[column] = pd.to_numeric(table[column]).round().astype("Int64")
    for column in ("value", "ci_low", "ci_high", "previous"):
        table[column] = [round(v, 4) if isinstance(v, float) else v for v in table[column]]
    for column in ("section", "subject", "measure", "note"):
        table[column] = table[column].map(str)  # text; made safe from formulas when written
    return table
