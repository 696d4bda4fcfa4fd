"""From numbers to action: `disputes` (list, raise, accept, reject, rates), `coaching` (list,
add, due, done, follow-up), their CSV exports (`export disputes`, `export coaching`) and the
monthly quality `report`.

Records are named by the first characters of their id (`SHORT_UUID`), as the lists print them;
an evaluation also by its interaction's id when the interaction has one submitted grade.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from qagrader.core.coaching.notes import NoteFilters, end_of_week, parse_day
from qagrader.core.disputes.store import STATUSES, Dispute, DisputeFilters
from qagrader.core.errors import NotFound, QAGraderError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.records import SHORT_UUID, id_of_uuid
from qagrader.core.storage.workspace import Workspace

from .commands import open_existing
from .team import current_grader


def add_arguments(sub) -> None:
    disputes = sub.add_parser("disputes", help="list, raise, accept or reject disputes of grades")
    actions = disputes.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="the disputes (the default), open ones first")
    _dispute_filters(listing)
    raise_ = actions.add_parser("raise", help="raise a dispute for an agent")
    raise_.add_argument("evaluation", metavar="EVALUATION", help="the evaluation's id (or its interaction's id)")
    raise_.add_argument("--reason", required=True, help="the agent's reason")
    raise_.add_argument("--question", metavar="KEY", help="the question disputed (default: the whole evaluation)")
    raise_.add_argument("--as", dest="grader", metavar="NAME", help="who enters it (default: $QAGRADER_GRADER or "
                        "your login)")
    accept = actions.add_parser("accept", help="accept a dispute and re-grade its evaluation")
    accept.add_argument("dispute", metavar="DISPUTE")
    accept.add_argument("--answer", action="append", default=[], metavar="KEY=VALUE", required=True,
                        help="the new answer of a question (repeatable); VALUE 'N/A' for not applicable")
    accept.add_argument("--reason", default="", help="why (kept in the evaluation's history)")
    accept.add_argument("--as", dest="grader", metavar="NAME")
    reject = actions.add_parser("reject", help="reject a dispute with a reason")
    reject.add_argument("dispute", metavar="DISPUTE")
    reject.add_argument("--reason", required=True)
    reject.add_argument("--as", dest="grader", metavar="NAME")
    rates = actions.add_parser("rates", help="how often each grader's grades and each question are disputed")
    rates.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="graded from this day")
    rates.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="graded up to this day")
    disputes.set_defaults(run=disputes_command, action="list", statuses=None, agents=None, graders=None,
                          scorecards=None)

    coaching = sub.add_parser("coaching", help="coaching notes: list, add, due follow-ups, done, did it work")
    actions = coaching.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="the notes (the default), newest first")
    listing.add_argument("--agent", action="append", dest="agents", metavar="AGENT")
    listing.add_argument("--team", action="append", dest="teams", metavar="TEAM")
    add = actions.add_parser("add", help="a note about an agent")
    add.add_argument("agent")
    add.add_argument("--skill", action="append", dest="skills", required=True, metavar="SKILL",
                     help="a skill it is about (repeatable)")
    add.add_argument("--agreed", default="", help="what was agreed")
    add.add_argument("--on", dest="coached_on", metavar="YYYY-MM-DD", help="the day of the coaching (default: today)")
    add.add_argument("--follow-up", dest="follow_up_on", metavar="YYYY-MM-DD",
                     help="when to follow up (default: four weeks later)")
    add.add_argument("--no-follow-up", action="store_true")
    add.add_argument("--evaluation", action="append", dest="evaluations", default=[], metavar="EVALUATION",
                     help="an evaluation discussed (repeatable)")
    add.add_argument("--as", dest="grader", metavar="NAME", help="the coach (default: $QAGRADER_GRADER or your login)")
    due = actions.add_parser("due", help="follow-ups due by the end of this week (overdue ones too)")
    due.add_argument("--until", metavar="YYYY-MM-DD")
    done = actions.add_parser("done", help="mark a note's follow-up done")
    done.add_argument("note", metavar="NOTE")
    done.add_argument("--note", dest="text", default="", help="what came of it")
    done.add_argument("--on", metavar="YYYY-MM-DD")
    check = actions.add_parser("follow-up", help="did it work? the coached skills before and after")
    check.add_argument("note", metavar="NOTE")
    check.add_argument("--weeks", type=int, default=4, choices=range(1, 27), metavar="N",
                       help="weeks before and after (default 4)")
    coaching.set_defaults(run=coaching_command, action="list", agents=None, teams=None)

    report = sub.add_parser("report", help="the monthly quality report: a PDF of A4 pages, PNG pages or CSV")
    report.add_argument("out", type=Path, metavar="OUT", help="the file to write (PNG: OUT-1.png, OUT-2.png, ...)")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--format", choices=("pdf", "png", "csv"),
                        help="default: from OUT's suffix, else pdf")
    report.add_argument("--excel", action="store_true", help="CSV: UTF-8 with BOM, for Excel")
    for name in ("channel", "team", "agent", "brand", "scorecard", "grader"):
        report.add_argument(f"--{name}", action="append", dest=f"{name}s", metavar=name.upper(),
                            help=f"only this {name} (repeatable)")
    report.set_defaults(run=report_command)


def add_export_arguments(export_sub) -> None:
    out = export_sub.add_parser("disputes", help="disputes as CSV")
    out.add_argument("out", type=Path)
    _dispute_filters(out)
    out.add_argument("--excel", action="store_true", help="UTF-8 with BOM, for Excel")
    out.add_argument("--time-zone", metavar="ZONE", default="UTC",
                     help="write times in this zone, e.g. Europe/Berlin, or 'local' (default: UTC); the header names it")
    out.set_defaults(run=export_disputes_command)
    notes = export_sub.add_parser("coaching", help="coaching notes as CSV")
    notes.add_argument("out", type=Path)
    notes.add_argument("--agent", action="append", dest="agents", metavar="AGENT")
    notes.add_argument("--team", action="append", dest="teams", metavar="TEAM")
    notes.add_argument("--excel", action="store_true", help="UTF-8 with BOM, for Excel")
    notes.set_defaults(run=export_coaching_command)


def _dispute_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", action="append", dest="statuses", choices=STATUSES)
    for name in ("agent", "grader", "scorecard"):
        parser.add_argument(f"--{name}", action="append", dest=f"{name}s", metavar=name.upper(),
                            help=f"only this {name} (repeatable)")


def _filters(args: argparse.Namespace) -> DisputeFilters:
    return DisputeFilters(statuses=args.statuses, agents=args.agents, graders=args.graders,
                          scorecards=args.scorecards)


# ------------------------------------------------------------------------------ disputes

def disputes_command(args: argparse.Namespace) -> int:
    with open_existing(args) as ws:
        if args.action == "list":
            found = ws.disputes.list(_filters(args))
            for dispute in found:
                print(_dispute_line(dispute))
            if not found:
                print("No disputes match.")
        elif args.action == "raise":
            dispute = ws.disputes.create(_evaluation_id(ws, args.evaluation), args.reason,
                                         raised_by=current_grader(args.grader), question_key=args.question)
            print(f"Raised dispute {dispute.uuid[:SHORT_UUID]} on {dispute.about} of interaction "
                  f"{dispute.external_id} ({dispute.agent or 'no agent'}, graded by {dispute.grader}).")
        elif args.action == "accept":
            dispute = ws.disputes.accept(_dispute_id(ws, args.dispute), _answers(args.answer),
                                         by=current_grader(args.grader), reason=args.reason)
            score = "" if dispute.score is None else f"; the score is now {dispute.score:.1f}"
            print(f"Accepted dispute {dispute.uuid[:SHORT_UUID]}: interaction {dispute.external_id} re-graded by "
                  f"{dispute.resolved_by}{score}. The answers before are kept in the evaluation's history.")
        elif args.action == "reject":
            dispute = ws.disputes.reject(_dispute_id(ws, args.dispute), by=current_grader(args.grader),
                                         reason=args.reason)
            print(f"Rejected dispute {dispute.uuid[:SHORT_UUID]}: the grade stays as it was.")
        else:
            _print_rates(ws, args.date_from, args.date_to)
    return 0


def _dispute_line(d: Dispute) -> str:
    resolved = f"\t{d.status} {d.resolved_at[:10]} by {d.resolved_by}: {d.resolution}" if not d.is_open else ""
    return (f"{d.uuid[:SHORT_UUID]}\t{d.status}\t{d.raised_at[:10]}\t{d.agent or '-'}\t{d.external_id}\t"
            f"{d.scorecard} v{d.scorecard_version}\t{d.grader}\t{d.question_key or '(whole evaluation)'}\t"
            f"{d.reason}{resolved}")


def _print_rates(ws: Workspace, date_from: str | None, date_to: str | None) -> None:
    from qagrader.analysis.dispute_rates import grader_dispute_rates, question_dispute_rates

    def line(label: str, row) -> str:
        overturned = ("" if row["accepted"] + row["rejected"] == 0 else
                      f", {row['overturned']:.0%} of those resolved overturned")
        flag = "  (more than the others)" if row["above_usual"] else ""
        grades = f"{row['evaluations']:,} grade{'s' if row['evaluations'] != 1 else ''}"
        return (f"  {label}: {row['rate']:.1%} of {grades} disputed (95% CI "
                f"{row['rate_ci_low']:.1%} to {row['rate_ci_high']:.1%}){overturned}{flag}")

    graders = grader_dispute_rates(ws, date_from, date_to)
    print("Disputed grades per grader:")
    for _, row in graders.iterrows():
        print(line(row["grader"], row))
    questions = question_dispute_rates(ws, date_from, date_to)
    questions = questions[questions["disputed"] > 0]
    print("Disputed questions (a question disputed often may need a clearer guideline):")
    for _, row in questions.iterrows():
        print(line(f"{row['scorecard']} / {row['question_text']} ({row['question_key']})", row))
    if questions.empty:
        print("  none")


def _evaluation_id(ws: Workspace, reference: str) -> int:
    try:
        return id_of_uuid(ws.conn, "evaluations", reference, "evaluation")
    except NotFound:
        try:
            interaction = ws.interactions.by_external_id(reference)
        except NotFound:
            raise NotFound(f"No evaluation or interaction with id '{reference}'.") from None
    graded = [e for e in ws.evaluations.for_interaction(interaction.id) if e.submitted and not e.calibration]
    if len(graded) != 1:
        raise QAGraderError(f"Interaction {reference} has {len(graded)} submitted grades: give the evaluation's id "
                            "(see `qagrader export evaluations`).")
    return graded[0].id


def _dispute_id(ws: Workspace, reference: str) -> int:
    return id_of_uuid(ws.conn, "disputes", reference, "dispute")


def _answers(assignments: list[str]) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise QAGraderError(f"'{assignment}' is not KEY=VALUE (e.g. empathy=Yes).")
        value = value.strip()
        answers[key.strip()] = Answer(None, True) if value.upper() == "N/A" else Answer(value)
    return answers


# ------------------------------------------------------------------------------ coaching

def coaching_command(args: argparse.Namespace) -> int:
    with open_existing(args) as ws:
        if args.action == "list":
            notes = ws.coaching.list(NoteFilters(agents=args.agents, teams=args.teams))
            for note in notes:
                print(_note_line(note))
            if not notes:
                print("No coaching notes match.")
        elif args.action == "add":
            note = ws.coaching.add(
                ws.interactions.agent_id(args.agent), coach=current_grader(args.grader), skills=args.skills,
                agreed=args.agreed, coached_on=args.coached_on,
                follow_up_on=None if args.no_follow_up else (args.follow_up_on or ""),
                evaluations=[ws.evaluations.get(_evaluation_id(ws, e)).uuid for e in args.evaluations])
            follow = f"; follow up on {note.follow_up_on}" if note.follow_up_on else ""
            print(f"Coaching note {note.uuid[:SHORT_UUID]} for {note.agent} on {', '.join(note.skills)}{follow}.")
        elif args.action == "due":
            until = parse_day(args.until, "The last day") or end_of_week(date.today())
            notes = ws.coaching.due(until)
            for note in notes:
                late = " (overdue)" if note.overdue(date.today()) else ""
                print(f"{note.follow_up_on}{late}\t{_note_line(note)}")
            if not notes:
                print(f"No follow-ups due by {until}.")
        elif args.action == "done":
            note = ws.coaching.complete_follow_up(id_of_uuid(ws.conn, "coaching_notes", args.note, "coaching note"),
                                                  on=args.on, note=args.text)
            print(f"Followed up {note.agent}'s coaching of {note.coached_on} on {note.followed_up_on}.")
        else:
            _print_follow_up(ws, args.note, args.weeks)
    return 0


def _note_line(note) -> str:
    follow = (f"followed up {note.followed_up_on}" if note.follow_up_done
              else f"follow up {note.follow_up_on}" if note.follow_up_on else "no follow-up")
    return (f"{note.uuid[:SHORT_UUID]}\t{note.coached_on}\t{note.agent}\t{note.team or '-'}\t{note.coach}\t"
            f"{', '.join(note.skills)}\t{follow}\t{note.agreed}")


def _print_follow_up(ws: Workspace, reference: str, weeks: int) -> None:
    from qagrader.analysis.coaching_follow_up import CAVEAT, describe_row, note_follow_up

    note = ws.coaching.get(id_of_uuid(ws.conn, "coaching_notes", reference, "coaching note"))
    print(f"{note.agent}, coached by {note.coach} on {note.coached_on}:")
    for _, row in note_follow_up(ws, note, weeks=weeks).iterrows():
        print(f"  {row['skill']}: {describe_row(row, weeks)}")
    print(CAVEAT)


def export_disputes_command(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.records_export import export_disputes
    from qagrader.core.exporting.times import chosen_zone

    zone = chosen_zone(args.time_zone)  # a clear error for an unknown zone, before opening anything
    with open_existing(args) as ws:
        count = export_disputes(ws, args.out, _filters(args), excel_bom=args.excel, time_zone=zone)
    print(f"Wrote {count} dispute{'s' if count != 1 else ''} to {args.out}")
    return 0


def export_coaching_command(args: argparse.Namespace) -> int:
    from qagrader.core.exporting.records_export import export_coaching_notes

    with open_existing(args) as ws:
        count = export_coaching_notes(ws, args.out, NoteFilters(agents=args.agents, teams=args.teams),
                                      excel_bom=args.excel)
    print(f"Wrote {count} coaching note{'s' if count != 1 else ''} to {args.out}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    from qagrader.analysis.dataset import AnalysisFilters
    from qagrader.analysis.monthly.content import build_monthly_report, parse_month
    from qagrader.analysis.monthly.output import report_format, write_report

    month = parse_month(args.month)  # a clear error before the workspace is opened
    fmt = report_format(args.out, args.format)
    filters = AnalysisFilters(channels=args.channels, teams=args.teams, agents=args.agents, brands=args.brands,
                              scorecards=args.scorecards, graders=args.graders)
    with open_existing(args) as ws:
        report = build_monthly_report(ws, month, filters, parallel=True)  # the QA scores and the tip in a forked process
        written = write_report(report, args.out, fmt, excel_bom=args.excel)  # the workspace stays open: it cannot be overwritten
    if fmt == "png":
        print(f"Wrote the {report.label} report as {len(written)} pages: {', '.join(str(p) for p in written)}")
    elif fmt == "csv":
        print(f"Wrote the {report.label} report as a table to {written[0]}")
    else:
        print(f"Wrote the {report.label} report to {written[0]}")
    return 0
