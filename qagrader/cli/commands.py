"""The sub-commands of `qagrader`: parse arguments into core calls, print what happened."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qagrader.core.errors import CsvImportError, QAGraderError
from qagrader.core.paths import data_dir, default_workspace_path
from qagrader.core.storage.workspace import Workspace

from .progress import ProgressBar

PROBLEMS_SHOWN = 50


def _open(args: argparse.Namespace) -> Workspace:
    return Workspace.open(default_workspace_path(args.db))


def gui(args: argparse.Namespace) -> int:
    try:
        from qagrader.gui.app import run
    except ImportError as error:  # PySide6 missing or broken
        raise QAGraderError(f"The desktop app cannot start: {error}") from error
    app_argv = [sys.argv[0] if sys.argv else "qagrader"]
    if args.theme:
        app_argv += ["--theme", args.theme]
    if args.smoke:
        app_argv.append("--smoke")
    return run(default_workspace_path(args.db) if args.db else None, argv=app_argv)


def demo(args: argparse.Namespace) -> int:
    from qagrader.core.demo.build import build_demo

    path = Path(args.db).expanduser() if args.db else data_dir() / "demo.qagrader"
    if args.replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Workspace.open(path) as ws:
        if ws.interactions.count() and args.open and not args.replace:
            print(f"Opening the existing demo workspace {path}")
        else:
            with ProgressBar("Building demo") as bar:
                summary = build_demo(ws, interactions=args.interactions, seed=args.seed, progress=bar)
            print(f"Demo workspace {path}: {summary}")
    if args.open:
        args.db = str(path)
        return gui(args)
    return 0


def import_interactions(args: argparse.Namespace) -> int:
    from qagrader.core.importing.interaction_fields import parse_assignments
    from qagrader.core.importing.interactions import ImportOptions, import_interactions

    options = ImportOptions(
        mapping=parse_assignments(args.map, "FIELD=COLUMN"),
        default_channel=args.default_channel,
        csat_scale=args.csat_scale,
        channel_map=parse_assignments(args.channel_map, "RAW=CHANNEL"),
        date_order=args.date_order,
        dry_run=args.dry_run,
        skip_bad_rows=args.skip_bad_rows,
        rejects_path=args.rejects,
    )
    with _open(args) as ws:
        try:
            with ProgressBar(f"Importing {args.file.name}") as bar:
                report = import_interactions(ws, args.file, options, progress=bar)
        except CsvImportError as error:
            _fail_with_problems(error, dry_run_hint=True)
            return 1
    mapping = ", ".join(f"{field}={column}" for field, column in report.mapping.items())
    print(f"Columns: {mapping}")
    if report.dry_run:
        print(f"Dry run: {report.rows_read} rows read; {report.inserted} would be new, "
              f"{report.updated} updated; {len(report.problems)} problems. Nothing was written.")
        for problem in report.problems:
            print(f"  {problem}")
        return 1 if report.problems else 0
    print(f"Imported {args.file.name}: {report.inserted} new, {report.updated} updated, "
          f"{report.skipped} skipped.")
    if report.skipped:
        print(f"Skipped rows were written to {report.rejects_path}:")
        for problem in report.problems[:PROBLEMS_SHOWN]:
            print(f"  {problem}")
    return 0


def import_scorecard(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        result = ws.scorecards.import_file(args.file)
    card = result.scorecard
    if not result.changed:
        print(f"Scorecard '{card.name}' v{card.version} is already up to date.")
    elif result.new_version:
        print(f"Scorecard '{card.name}' saved as version {card.version}; "
              f"evaluations graded on earlier versions keep theirs.")
    else:
        print(f"Scorecard '{card.name}' v{card.version} saved "
              f"({len(card.card.questions)} questions, skills: {', '.join(card.card.skills) or 'none'}).")
    return 0


def import_evaluations(args: argparse.Namespace) -> int:
    from qagrader.core.importing.evaluations import import_evaluations

    with _open(args) as ws:
        try:
            with ProgressBar(f"Importing {args.file.name}") as bar:
                report = import_evaluations(ws, args.file, dry_run=args.dry_run,
                                            skip_bad_rows=args.skip_bad_rows, progress=bar)
        except CsvImportError as error:
            _fail_with_problems(error, dry_run_hint=True)
            return 1
    print(report.summary())
    shown = report.problems if args.dry_run else report.problems[:PROBLEMS_SHOWN]
    for problem in shown:
        print(f"  {problem}")
    if len(shown) < len(report.problems):
        print(f"  ... and {len(report.problems) - len(shown)} more (run with --dry-run to list them all)")
    return 1 if args.dry_run and report.problems else 0


def export_evaluations(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.csv_export import export_evaluations

    with _open(args) as ws:
        if args.scorecard:
            ws.scorecards.get(args.scorecard)  # a clear error for an unknown name
        with ProgressBar(f"Exporting {args.out.name}") as bar:
            rows = export_evaluations(ws, args.out, shape=args.format, scorecard=args.scorecard,
                                      status=args.status, excel_bom=args.excel, progress=bar)
    print(f"Wrote {rows} {'evaluations' if args.format == 'wide' else 'answers'} to {args.out}")
    return 0


def export_scorecard(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.csv_export import export_scorecard_csv

    suffix = args.out.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise QAGraderError(f"Export a scorecard to a .json or .csv file, not '{args.out.name}'.")
    with _open(args) as ws:
        stored = ws.scorecards.get(args.name, args.card_version)
        if suffix == ".json":
            args.out.write_text(ws.scorecards.export_json(args.name, args.card_version), encoding="utf-8")
        else:
            export_scorecard_csv(stored.card, args.out)
    print(f"Wrote scorecard '{stored.name}' v{stored.version} to {args.out}")
    return 0


def list_records(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        if args.what == "scorecards":
            for card in ws.scorecards.list(include_archived=True):
                flags = " (archived)" if card.archived else ""
                print(f"{card.name}\tv{card.version}\t{len(card.card.questions)} questions\t"
                      f"{','.join(card.card.channels) or 'all channels'}{flags}")
        else:
            for agent in ws.interactions.agents():
                print(f"{agent.name}\t{agent.team or '-'}\t{'active' if agent.active else 'inactive'}\t"
                      f"{_count(agent.interactions, 'interaction')}\t{_count(agent.evaluations, 'evaluation')}")
    return 0


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    for name in ("channel", "team", "agent", "brand", "scorecard", "grader"):
        parser.add_argument(f"--{name}", action="append", dest=f"{name}s", metavar=name.upper(),
                            help=f"only this {name} (repeatable)")


def analyze(args: argparse.Namespace) -> int:
    from qagrader.analysis.dataset import AnalysisFilters, load_skill_frame
    from qagrader.analysis.report import run_analysis, write_report

    filters = AnalysisFilters(
        date_from=args.date_from, date_to=args.date_to, channels=args.channels, teams=args.teams,
        agents=args.agents, brands=args.brands, scorecards=args.scorecards, graders=args.graders,
    )
    with _open(args) as ws:
        frame = load_skill_frame(ws, filters)
    if frame.empty:
        raise QAGraderError("No submitted evaluations match these filters; nothing to analyse.")
    with ProgressBar("Analysing") as bar:
        result = run_analysis(frame, progress=bar)
    files = write_report(result, args.out)
    print(f"Analysed {len(frame)} evaluations; wrote {len(files)} files to {args.out}")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _fail_with_problems(error: CsvImportError, dry_run_hint: bool) -> None:
    count = len(error.problems)
    hint = f" Run with --dry-run to list all {count} problems." if dry_run_hint and count > 1 else ""
    print(f"error: {error}{hint}", file=sys.stderr)
