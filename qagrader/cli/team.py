"""Team commands: `merge` another workspace or a team folder, `publish` to the team folder,
and the graders (`graders`, `graders rename`, `graders merge`)."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from qagrader.core.errors import QAGraderError
from qagrader.core.storage.workspace import Workspace

from .commands import open_existing, open_or_create
from .progress import ProgressBar


def add_arguments(sub) -> None:
    merge = sub.add_parser("merge", help="bring in another workspace's work, or every workspace in a team folder")
    merge.add_argument("source", type=Path, metavar="OTHER.qagrader|FOLDER")
    merge.add_argument("--dry-run", action="store_true", help="report what would come in; write nothing")
    merge.add_argument("--as", dest="grader", metavar="NAME", help="who is merging (default: $QAGRADER_GRADER "
                       "or your login)")
    merge.set_defaults(run=merge_command)

    publish = sub.add_parser("publish", help="write a copy of this workspace into the team folder")
    publish.add_argument("folder", type=Path)
    publish.add_argument("--as", dest="grader", metavar="NAME", help="whose copy it is (names the file)")
    publish.set_defaults(run=publish_command)

    graders = sub.add_parser("graders", help="list, rename or merge graders")
    graders_sub = graders.add_subparsers(dest="action", metavar="ACTION")
    rename = graders_sub.add_parser("rename", help="rename a grader everywhere")
    rename.add_argument("old")
    rename.add_argument("new")
    join = graders_sub.add_parser("merge", help="merge two spellings of one person")
    join.add_argument("keep")
    join.add_argument("duplicate")
    graders.set_defaults(run=graders_command)


def current_grader(given: str | None) -> str:
    """The grader named on the command line, else $QAGRADER_GRADER, else the system login."""
    for name in (given, os.environ.get("QAGRADER_GRADER")):
        if name and name.strip():
            return name.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "grader"


def merge_command(args: argparse.Namespace) -> int:
    from qagrader.core.merging.merge import merge_folder, merge_workspace

    source = args.source.expanduser()
    with open_or_create(args) as ws:
        with ProgressBar("Merging") as bar:
            if source.is_dir():
                report = merge_folder(ws, source, dry_run=args.dry_run, merged_by=current_grader(args.grader),
                                      progress=bar)
            else:
                report = merge_workspace(ws, source, dry_run=args.dry_run, merged_by=current_grader(args.grader),
                                         progress=bar)
    for line in report.lines():
        print(line)
    return 0


def publish_command(args: argparse.Namespace) -> int:
    from qagrader.core.merging.team_folder import publish

    with open_existing(args) as ws:
        target = publish(ws, args.folder, current_grader(args.grader))
    print(f"Published a copy of this workspace to {target}")
    return 0


def graders_command(args: argparse.Namespace) -> int:
    with open_existing(args) as ws:
        graders = ws.graders
        if args.action == "rename":
            graders.rename(_grader(ws, args.old), args.new)
            print(f"Renamed grader '{args.old}' to '{args.new}' everywhere.")
        elif args.action == "merge":
            moved = graders.merge(_grader(ws, args.keep), _grader(ws, args.duplicate))
            print(f"Merged '{args.duplicate}' into '{args.keep}': {moved} evaluation{'s' if moved != 1 else ''} moved.")
        else:
            for grader in graders.list():
                email = f" <{grader.email}>" if grader.email else ""
                print(f"{grader.name}{email}\t{grader.evaluations} submitted\t{grader.drafts} drafts")
    return 0


def _grader(ws: Workspace, name: str) -> int:
    grader_id = ws.graders.find(name)
    if grader_id is None:
        raise QAGraderError(f"No grader named '{name}' (see `qagrader graders`).")
    return grader_id
