"""The sub-commands of `qagrader`: parse arguments into core calls, print what happened."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qagrader.core.errors import CsvImportError, QAGraderError
from qagrader.core.faults import is_environment_error
from qagrader.core.paths import data_dir, default_workspace_path
from qagrader.core.storage.files import (
    OutputError, check_folder, check_output, remove_stale_temps, temp_path, write_file,
)
from qagrader.core.storage.integrity import refuse_if_damaged
from qagrader.core.storage.workspace import Workspace, remove_workspace_files

from .progress import ProgressBar

PROBLEMS_SHOWN = 50


@contextmanager
def open_existing(args: argparse.Namespace) -> Iterator[Workspace]:
    """The workspace of a command that does not create one: it must exist; nothing is created.
    One this user cannot write opens read-only: reading works, a write is refused with one line
    (`WorkspaceReadOnly`). If another program changed it while it was read, say so."""
    ws = Workspace.open(default_workspace_path(args.db, create_folder=False), create=False, read_only=None)
    try:
        yield ws
    except Exception as error:
        if ws.changed_since_opened() and is_environment_error(error):
            raise QAGraderError(changed_while_read(ws.path)) from error
        raise
    else:
        if ws.changed_since_opened():
            raise QAGraderError(changed_while_read(ws.path))
    finally:
        ws.close()


def changed_while_read(path: Path) -> str:
    return (f"{path} was changed by another program while it was being read (it is read-only "
            f"here): run the command again.")


@contextmanager
def open_or_create(args: argparse.Namespace) -> Iterator[Workspace]:
    """The workspace of a command that imports: created when missing (its folder must exist),
    and removed again if the command fails, so that a refused command leaves nothing behind.
    An existing one with damaged pages is refused (SQLite's quick check: 0.35 s at 265,000)."""
    path = default_workspace_path(args.db)
    existed = path.exists()
    ws = Workspace.open(path, create=True)
    try:
        if existed:  # a bulk write into damaged pages would spread the damage
            refuse_if_damaged(ws.conn, path, doing="imported or merged")
        yield ws
    except BaseException:
        ws.close()
        if not existed:
            remove_workspace_files(path, only_if_empty=True)
        raise
    else:
        ws.close()


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
    if path.exists() and args.open and not args.replace:
        with Workspace.open(path, create=False) as ws:
            has_data = ws.interactions.count() > 0
        if has_data:
            print(f"Opening the existing demo workspace {path}")
            args.db = str(path)
            return gui(args)
    if path.exists() and not args.replace:
        with Workspace.open(path, create=False) as ws, ProgressBar("Building demo") as bar:
            summary = build_demo(ws, interactions=args.interactions, seed=args.seed, progress=bar)
    else:
        summary = _build_demo_then_replace(path, args, build_demo)
    print(f"Demo workspace {path}: {summary}")
    if args.open:
        args.db = str(path)
        return gui(args)
    return 0


def _build_demo_then_replace(path: Path, args: argparse.Namespace, build_demo) -> object:
    """Build the demo in a temporary file beside `path`, then rename it over `path`: a failed
    or killed build leaves the old file (or no file) as it was."""
    try:
        check_output(path, what="workspace file")
    except OutputError as error:
        raise QAGraderError(f"Cannot build the demo at {path}: {error}") from error
    check_folder(path.parent)
    remove_stale_temps(path.parent)
    building = temp_path(path)
    try:
        with Workspace.open(building, create=True) as ws, ProgressBar("Building demo") as bar:
            summary = build_demo(ws, interactions=args.interactions, seed=args.seed, progress=bar)
            ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(building, path)
    finally:
        remove_workspace_files(building)
    return dataclasses.replace(summary, path=path)


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
        keep_columns=tuple(args.keep),
    )
    with open_or_create(args) as ws:
        try:
            with ProgressBar(f"Importing {args.file.name}") as bar:
                report = import_interactions(ws, args.file, options, progress=bar)
        except CsvImportError as error:
            _fail_with_problems(error, dry_run_hint=True)
            raise AlreadyReported() from error
    mapping = ", ".join(f"{field}={column}" for field, column in report.mapping.items())
    print(f"Columns: {mapping}")
    if report.kept:
        print(f"Kept as custom fields: {', '.join(report.kept)}")
    if report.ignored:
        print(f"Ignored columns: {', '.join(report.ignored)} (keep one with --keep COLUMN)")
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
    with open_or_create(args) as ws:
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

    with open_or_create(args) as ws:
        try:
            with ProgressBar(f"Importing {args.file.name}") as bar:
                report = import_evaluations(ws, args.file, dry_run=args.dry_run,
                                            skip_bad_rows=args.skip_bad_rows, editor=args.editor, progress=bar)
        except CsvImportError as error:
            _fail_with_problems(error, dry_run_hint=True)
            raise AlreadyReported() from error
    print(report.summary())
    shown = report.problems if args.dry_run else report.problems[:PROBLEMS_SHOWN]
    for problem in shown:
        print(f"  {problem}")
    if len(shown) < len(report.problems):
        print(f"  ... and {len(report.problems) - len(shown)} more (run with --dry-run to list them all)")
    return 1 if args.dry_run and report.problems else 0


def export_evaluations(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.csv_export import export_evaluations
    from qagrader.core.exporting.times import chosen_zone

    zone = chosen_zone(args.time_zone)  # a clear error for an unknown zone, before opening anything
    with open_existing(args) as ws:
        if args.scorecard:
            ws.scorecards.get(args.scorecard)  # a clear error for an unknown name
        with ProgressBar(f"Exporting {args.out.name}") as bar:
            rows = export_evaluations(ws, args.out, shape=args.format, scorecard=args.scorecard,
                                      status=args.status, include_calibration=args.include_calibration,
                                      excel_bom=args.excel, headers=args.headers, time_zone=zone,
                                      progress=bar)
    print(f"Wrote {rows} {'evaluations' if args.format == 'wide' else 'answers'} to {args.out}")
    return 0


def export_scorecard(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.csv_export import export_scorecard_csv

    suffix = args.out.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise QAGraderError(f"Export a scorecard to a .json or .csv file, not '{args.out.name}'.")
    with open_existing(args) as ws:
        stored = ws.scorecards.get(args.name, args.card_version)
        if suffix == ".json":
            write_file(args.out, ws.scorecards.export_json(args.name, args.card_version))
        else:
            export_scorecard_csv(stored.card, args.out, excel_bom=args.excel)
    print(f"Wrote scorecard '{stored.name}' v{stored.version} to {args.out}")
    return 0


def list_records(args: argparse.Namespace) -> int:
    with open_existing(args) as ws:
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


def check(args: argparse.Namespace) -> int:
    from qagrader.core.storage.integrity import check_workspace, repair_analysis_store

    path = default_workspace_path(args.db, create_folder=False)
    report = check_workspace(path)
    if args.repair and report.store_only:
        with Workspace.open(path, create=False) as ws:
            repair_analysis_store(ws)
        print(f"Rebuilt the analysis-ready store of {path} from its {report.evaluations:,} evaluations.")
        return 0
    for line in [*report.problems, *report.notes]:
        print(f"  {line}")
    if not report.ok:
        print(f"error: {report.summary()}", file=sys.stderr)
        raise AlreadyReported()
    print(report.summary())
    return 0


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    for name in ("channel", "team", "agent", "brand", "scorecard", "grader"):
        parser.add_argument(f"--{name}", action="append", dest=f"{name}s", metavar=name.upper(),
                            help=f"only this {name} (repeatable)")


def analyze(args: argparse.Namespace) -> int:
    from qagrader.analysis.calibration import skill_alphas, understated_sentence
    from qagrader.analysis.dataset import AnalysisFilters
    from qagrader.analysis.frames import load_skill_frame
    from qagrader.analysis.report import analyze_into
    from qagrader.analysis.summary import summary_text

    filters = AnalysisFilters(
        date_from=args.date_from, date_to=args.date_to, channels=args.channels, teams=args.teams,
        agents=args.agents, brands=args.brands, scorecards=args.scorecards, graders=args.graders,
    )
    check_output_folder(args.out)
    with open_existing(args) as ws:
        frame = load_skill_frame(ws, filters)
        if frame.empty:
            raise QAGraderError("No submitted evaluations match these filters; nothing to analyse.")
        reliability = skill_alphas(ws)
        with ProgressBar("Analysing") as bar:  # on two cores (the workspace stays open: it cannot be overwritten)
            result, files = analyze_into(frame, args.out, progress=bar, reliability=reliability,
                                         excel_bom=args.excel)
    print(summary_text(result))
    if understated_sentence(reliability):
        print(understated_sentence(reliability))
    print(f"Wrote {len(files)} files to {args.out} (the summary above is summary.txt).")
    return 0


def check_output_folder(folder: Path) -> None:
    """A report folder may exist (files in it are replaced) or be new in an existing folder."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder: give a folder for the report.")
    if not folder.exists():
        check_folder(folder.parent if str(folder.parent) else Path("."), shown=folder.parent)


class AlreadyReported(QAGraderError):
    """The failure was printed already; exit with status 1 without another line."""


def calibration(args: argparse.Namespace) -> int:
    from qagrader.analysis.calibration import calibration_results
    from qagrader.analysis.calibration_report import write_calibration_report

    if args.session and (args.date_from or args.date_to):
        raise QAGraderError("Give either --session or --from/--to, not both.")
    check_output_folder(args.out)
    with open_existing(args) as ws:
        results = calibration_results(ws, session=args.session, date_from=args.date_from, date_to=args.date_to)
        if results.empty:
            waiting = f" ({_count(len(results.open_sessions), 'open session')} still grading)" \
                if results.open_sessions else ""
            dates = " in these dates" if args.date_from or args.date_to else ""
            raise QAGraderError(f"No closed calibration session{dates}{waiting}; results come from closed sessions.")
        # the workspace stays open: it cannot be overwritten
        files = write_calibration_report(results, args.out, excel_bom=args.excel)
    items = sum(s.items for s in results.sessions)
    print(f"Calibration results of {_count(len(results.sessions), 'closed session')} ({_count(items, 'interaction')}); "
          f"wrote {len(files)} files to {args.out}")
    pooled = results.agreement[results.agreement["session"] == ("all" if args.session is None else
                                                                results.sessions[0].label)]
    weak = pooled[pooled["alpha"] < 0.667]
    if not weak.empty:
        listed = "; ".join(f"{card}: " + ", ".join(f"{q} {a:.2f}" for q, a in zip(rows["question"], rows["alpha"]))
                           for card, rows in weak.groupby("scorecard", sort=True))
        print(f"Graders disagree (alpha below 0.667) on {listed}")
    if results.open_sessions:
        names = ", ".join(f"'{s.label}'" for s in results.open_sessions)
        print(f"Left out until closed: {names}")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _fail_with_problems(error: CsvImportError, dry_run_hint: bool) -> None:
    count = len(error.problems)
    hint = f" Run with --dry-run to list all {count} problems." if dry_run_hint and count > 1 else ""
    print(f"error: {error}{hint}", file=sys.stderr)
