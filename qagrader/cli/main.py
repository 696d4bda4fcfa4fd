"""`qagrader [--db PATH] COMMAND ...`: the same core functions as the desktop app.

User mistakes print one clear line to stderr and exit with status 1 (2 for bad arguments);
never a traceback.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from qagrader import __version__
from qagrader.core.errors import QAGraderError
from qagrader.core.faults import describe
from qagrader.core.logs import log_unexpected
from qagrader.core.paths import default_workspace_path

from . import actions, commands, team

APP_THEMES = ("system", "light", "dark")


def _count(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qagrader",
        description="Offline QA grading of customer interactions. Without a command, opens the app.",
    )
    parser.add_argument("--db", metavar="PATH", help="workspace file (default: $QAGRADER_DB, "
                        "else workspace.qagrader in your data folder)")
    parser.add_argument("--version", action="version", version=f"qagrader {__version__}")
    app = parser.add_argument_group("opening the app (no command, gui, demo --open)")
    app.add_argument("--theme", choices=APP_THEMES, help="colour theme (default: follow the system)")
    app.add_argument("--smoke", action="store_true",
                     help="open the main window and every screen, then quit (checks an installation)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.set_defaults(run=commands.gui)

    demo = sub.add_parser("demo", help="build a realistic demo workspace")
    demo.add_argument("--interactions", type=_count, default=2400, metavar="N")
    demo.add_argument("--seed", type=int, default=5, metavar="S",  # = core.demo.build.DEFAULT_SEED
                      help="random seed (default 5)")
    demo.add_argument("--replace", action="store_true", help="replace the file if it exists")
    demo.add_argument("--open", action="store_true", help="open the app on it afterwards")
    demo.set_defaults(run=commands.demo)

    imp = sub.add_parser("import", help="import interactions, a scorecard or evaluations")
    imp_sub = imp.add_subparsers(dest="what", metavar="WHAT", required=True)
    inter = imp_sub.add_parser("interactions", help="a helpdesk CSV export")
    inter.add_argument("file", type=Path)
    inter.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                       help="use COLUMN for our FIELD (external_id, channel, agent, team, brand, "
                            "occurred_at, csat, subject, transcript)")
    inter.add_argument("--csat-scale", default="1-5", help="1-5 (default), 1-10, 0-10, 0-100 or binary")
    inter.add_argument("--channel", dest="default_channel", metavar="CHANNEL",
                       help="channel for rows without one (e.g. phone)")
    inter.add_argument("--channel-map", action="append", default=[], metavar="RAW=CHANNEL",
                       help="map a raw channel value, e.g. Inbound=phone")
    inter.add_argument("--date-order", choices=("auto", "dayfirst", "monthfirst"), default="auto")
    inter.add_argument("--keep", action="append", default=[], metavar="COLUMN",
                       help="keep COLUMN as a custom field of the interactions (e.g. handle time; repeatable)")
    inter.add_argument("--dry-run", action="store_true", help="report every problem, write nothing")
    inter.add_argument("--skip-bad-rows", action="store_true",
                       help="import the good rows; write the bad ones to a rejects CSV")
    inter.add_argument("--rejects", type=Path, metavar="PATH", help="where to write rejected rows")
    inter.set_defaults(run=commands.import_interactions)
    card = imp_sub.add_parser("scorecard", help="a scorecard JSON file")
    card.add_argument("file", type=Path)
    card.set_defaults(run=commands.import_scorecard)
    evals = imp_sub.add_parser("evaluations", help="a wide evaluations CSV")
    evals.add_argument("file", type=Path)
    evals.add_argument("--dry-run", action="store_true")
    evals.add_argument("--skip-bad-rows", action="store_true")
    evals.add_argument("--editor", metavar="NAME", help="who made the edits, kept in the history of the "
                       "submitted evaluations the file changes (default: each row's grader)")
    evals.set_defaults(run=commands.import_evaluations)

    exp = sub.add_parser("export", help="export evaluations, a scorecard, disputes or coaching notes")
    exp_sub = exp.add_subparsers(dest="what", metavar="WHAT", required=True)
    ev_out = exp_sub.add_parser("evaluations", help="evaluations as CSV")
    ev_out.add_argument("out", type=Path)
    ev_out.add_argument("--format", choices=("wide", "long"), default="wide")
    ev_out.add_argument("--scorecard", metavar="NAME")
    ev_out.add_argument("--status", choices=("submitted", "draft"))
    ev_out.add_argument("--include-calibration", action="store_true",
                        help="also the calibration grades of closed sessions (left out by default)")
    ev_out.add_argument("--excel", action="store_true", help="UTF-8 with a byte-order mark, so that Excel shows accents correctly")
    ev_out.add_argument("--headers", choices=("key", "text"), default="key",
                        help="name question columns by key (default) or by question text")
    ev_out.add_argument("--time-zone", metavar="ZONE", default="UTC",
                        help="write times in this zone, e.g. Europe/Berlin, or 'local' (default: UTC); "
                             "the header names it")
    ev_out.set_defaults(run=commands.export_evaluations)
    card_out = exp_sub.add_parser("scorecard", help="a scorecard as JSON or CSV (by the file suffix)")
    card_out.add_argument("name")
    card_out.add_argument("out", type=Path)
    card_out.add_argument("--version", type=int, dest="card_version")
    card_out.add_argument("--excel", action="store_true", help="UTF-8 with a byte-order mark, so that Excel shows accents correctly")
    card_out.set_defaults(run=commands.export_scorecard)
    actions.add_export_arguments(exp_sub)

    check = sub.add_parser("check", help="check the workspace for damage: every page, the links between "
                                          "records, the schema and the analysis-ready store")
    check.add_argument("--repair", action="store_true",
                       help="rebuild the analysis-ready store from the evaluations when it is the only problem")
    check.set_defaults(run=commands.check)

    lst = sub.add_parser("list", help="list scorecards or agents")
    lst.add_argument("what", choices=("scorecards", "agents"))
    lst.set_defaults(run=commands.list_records)

    analyze = sub.add_parser("analyze", help="skill-CSAT analysis: CSV tables and charts")
    analyze.add_argument("--out", type=Path, required=True, metavar="DIR")
    analyze.add_argument("--excel", action="store_true", help="CSV tables in UTF-8 with a byte-order mark, "
                                                                "so that Excel shows accents correctly")
    commands.add_filter_arguments(analyze)
    analyze.set_defaults(run=commands.analyze)

    cal = sub.add_parser("calibration", help="calibration results: agreement per question, graders' alignment "
                                              "and leniency (CSV tables and charts)")
    cal.add_argument("--out", type=Path, required=True, metavar="DIR")
    cal.add_argument("--session", metavar="NAME", help="one closed session (default: every closed session, "
                                                       "each and pooled as session 'all')")
    cal.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="sessions held on or after")
    cal.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="sessions held on or before")
    cal.add_argument("--excel", action="store_true", help="CSV tables in UTF-8 with a byte-order mark, "
                                                            "so that Excel shows accents correctly")
    cal.set_defaults(run=commands.calibration)

    team.add_arguments(sub)
    actions.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.run = commands.gui
    opens_app = args.command in (None, "gui") or getattr(args, "open", False)
    if (args.theme or args.smoke) and not opens_app:
        parser.error("--theme and --smoke apply only when opening the app")
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except commands.AlreadyReported:
        return 1
    except Exception as error:  # the boundary: one line, never a traceback
        print(f"error: {failure_line(error, args)}", file=sys.stderr)
        return 1


def failure_line(error: BaseException, args: argparse.Namespace) -> str:
    """What the user reads for `error`: ours and the file system's and SQLite's in their words
    (`core.faults`); anything else is a bug, logged with its traceback."""
    if isinstance(error, (QAGraderError, OSError, sqlite3.Error, MemoryError, RecursionError)):
        try:
            workspace = default_workspace_path(getattr(args, "db", None), create_folder=False)
        except Exception:  # the data folder itself cannot be made
            workspace = None
        return describe(error, workspace=workspace)
    log = log_unexpected(error, f"qagrader {getattr(args, 'command', '') or ''}".strip())
    return f"{describe(error)} This is a bug; the details were written to {log}."


if __name__ == "__main__":
    sys.exit(main())
