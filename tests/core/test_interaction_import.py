"""Importing interactions from helpdesk CSV exports (issue 2, sections 4, 8 and 9).

Real SQLite workspaces in tmp_path. Every bad-input case checks the exact message and that the
workspace is unchanged (rows, schema and the main file's bytes).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qagrader.core.importing.csv_source import CsvSourceError, read_table
from qagrader.core.errors import CancelledError, CsvImportError, QAGraderError
from qagrader.core.importing.interaction_fields import guess_mapping
from qagrader.core.importing.interactions import (
    ImportCancelled,
    ImportFailed,
    ImportOptions,
    ImportProblem,
    MappingError,
    import_interactions,
    preview,
)
from qagrader.core.storage.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["Ticket ID", "Channel", "Agent", "Team", "Created at", "CSAT", "Subject", "Transcript"]
DATE_EXAMPLES = "2023-08-31, 2023-08-31 14:05, 31-08-2023, 31/08/2023 14:05 or 31-Aug-23"


def rec(id: str = "T1", channel: str = "Email", agent: str = "Ana", team: str = "Blue",
        created: str = "2023-08-31 14:05", csat: str = "5", subject: str = "Refund",
        transcript: str = "Hello") -> list[str]:
    return [id, channel, agent, team, created, csat, subject, transcript]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, *,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        out = csv.writer(f, delimiter=delimiter)
        out.writerow(header)
        out.writerows(rows)
    return path


def snapshot(ws: Workspace) -> tuple:
    """Every row of every table, the schema, and the main file's bytes."""
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    schema = ws.conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    tables = [r[1] for r in schema if r[0] == "table"]
    rows = {t: sorted(ws.conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables}
    return schema, rows, Path(ws.path).read_bytes()


def interactions(ws: Workspace) -> dict[str, dict]:
    cur = ws.conn.execute(
        "SELECT i.*, a.name AS agent, t.name AS team FROM interactions i "
        "LEFT JOIN agents a ON a.id = i.agent_id LEFT JOIN teams t ON t.id = i.team_id")
    names = [d[0] for d in cur.description]
    return {r[names.index("external_id")]: dict(zip(names, r)) for r in cur}


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "ws.db")
    yield workspace
    workspace.close()


@pytest.fixture
def populated(ws: Workspace, tmp_path: Path) -> Workspace:
    base = write_csv(tmp_path / "base.csv", [
        rec("B1"), rec("B2", channel="Phone", agent="Bo", csat=""),
        rec("B3", channel="Chat", agent="Cy", team="Red", csat="2")])
    import_interactions(ws, base)
    return ws


def run(ws: Workspace, tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER,
        **options):
    return import_interactions(ws, write_csv(tmp_path / "in.csv", rows, header),
                               ImportOptions(**options))


# ------------------------------------------------------------------------ the real export

def test_call_center_export_imports_with_default_channel(ws: Workspace, call_centre_csv: Path) -> None:
    report = import_interactions(ws, call_centre_csv, ImportOptions(default_channel="phone"))
    assert (report.rows_read, report.inserted, report.updated, report.skipped) == (5000, 5000, 0, 0)
    assert report.problems == ()
    assert report.format.encoding == "utf-8-sig"
    assert report.mapping == {"external_id": "Call Id", "agent": "Agent", "occurred_at": "Date",
                              "csat": "Satisfaction rating", "subject": "Topic",
                              "occurred_time": "Time"}
    q = ws.conn.execute
    assert q("SELECT count(*), count(DISTINCT channel), min(channel) FROM interactions"
             ).fetchone() == (5000, 1, "phone")
    assert q("SELECT count(*) FROM interactions WHERE csat_raw IS NULL AND csat_norm IS NULL "
             "AND satisfied IS NULL AND csat_scale IS NULL").fetchone()[0] == 946
    assert q("SELECT count(*) FROM interactions WHERE csat_norm = 0").fetchone()[0] == \
        q("SELECT count(*) FROM interactions WHERE csat_raw = '1'").fetchone()[0]
    assert q("SELECT count(*) FROM agents").fetchone()[0] == 8
    first = interactions(ws)["ID0001"]
    assert (first["occurred_at"], first["agent"], first["csat_raw"], first["csat_norm"],
            first["satisfied"], first["subject"]) == (
        "2021-01-01T09:12:58", "Diane", "3", 0.5, 0, "Contract related")
    assert q("PRAGMA integrity_check").fetchone() == ("ok",)


def test_reimport_updates_without_duplicates(ws: Workspace, call_centre_csv: Path) -> None:
    import_interactions(ws, call_centre_csv, ImportOptions(default_channel="phone"))
    before = interactions(ws)
    report = import_interactions(ws, call_centre_csv, ImportOptions(default_channel="phone"))
    after = interactions(ws)
    assert (report.inserted, report.updated) == (0, 5000)
    assert len(after) == 5000
    assert ws.conn.execute("SELECT count(*) FROM agents").fetchone()[0] == 8
    for key in ("ID0001", "ID4999"):
        assert after[key]["uuid"] == before[key]["uuid"]
        assert after[key]["created_at"] == before[key]["created_at"]
        assert after[key]["updated_at"] > before[key]["updated_at"]


def test_reimport_changes_mapped_fields_and_adds_new_rows(populated: Workspace,
                                                           tmp_path: Path) -> None:
    before = interactions(populated)
    report = run(populated, tmp_path, [rec("B1", csat="1", subject="Changed"), rec("N1")])
    after = interactions(populated)
    assert (report.inserted, report.updated) == (1, 1)
    assert len(after) == 4
    assert after["B1"]["uuid"] == before["B1"]["uuid"]
    assert (after["B1"]["csat_raw"], after["B1"]["subject"]) == ("1", "Changed")
    assert after["B2"] == before["B2"]
    # a file without a transcript column leaves transcripts alone
    run(populated, tmp_path, [["B1", "Email", "x"]], ["Ticket ID", "Channel", "Subject"])
    assert interactions(populated)["B1"]["transcript"] == "Hello"


# -------------------------------------------------------------------- encodings, delimiters

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(ws: Workspace, tmp_path: Path, encoding: str,
                                  delimiter: str) -> None:
    rows = [rec("T1", agent="José Núñez", subject="Réclamation; colis, abîmé – 20 €, l’offre"),
            rec("T2", agent="Zoë Müller", transcript="Grüße, Frédéric;\tà bientôt")]
    path = write_csv(tmp_path / "in.csv", rows, encoding=encoding, delimiter=delimiter)
    report = import_interactions(ws, path)
    assert report.format.delimiter == delimiter
    assert report.format.encoding == encoding
    got = interactions(ws)
    assert got["T1"]["agent"] == "José Núñez"
    assert got["T1"]["subject"] == "Réclamation; colis, abîmé – 20 €, l’offre"
    assert got["T2"]["agent"] == "Zoë Müller"
    assert got["T2"]["transcript"] == "Grüße, Frédéric;\tà bientôt"


def test_embedded_newlines_and_quotes_in_transcripts(ws: Workspace, tmp_path: Path) -> None:
    text = 'Customer: "Where is it?"\nAgent: on its way, sorry;\n\nCustomer: thanks'
    with pytest.raises(ImportFailed) as failed:
        run(ws, tmp_path, [rec("T1", transcript=text), rec("T2", csat="x")])
    assert [str(p) for p in failed.value.problems] == [
        "row 3, column 'CSAT': 'x' is not a number from 1 to 5"]
    run(ws, tmp_path, [rec("T1", transcript=text), rec("T2")])
    assert interactions(ws)["T1"]["transcript"] == text


def test_preview_reports_format_rows_and_guess(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [rec(f"T{i}") for i in range(30)],
                     encoding="utf-8-sig", delimiter=";")
    p = preview(path, n=5)
    assert p.headers == tuple(HEADER)
    assert len(p.rows) == 5 and p.rows[0][0] == "T0"
    assert (p.encoding, p.delimiter) == ("utf-8-sig", ";")
    assert p.mapping == {"external_id": "Ticket ID", "channel": "Channel", "agent": "Agent",
                         "team": "Team", "occurred_at": "Created at", "csat": "CSAT",
                         "subject": "Subject", "transcript": "Transcript"}


def test_blank_cells_stay_blank_and_blank_lines_are_ignored(ws: Workspace,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(",".join(HEADER) + "\nT1,Email,,,,,,\n\n,,,,,,,\n T2 ,chat,Ana,,,,,\n")
    report = import_interactions(ws, path)
    assert (report.rows_read, report.inserted, report.problems) == (2, 2, ())
    t1, t2 = interactions(ws)["T1"], interactions(ws)["T2"]
    assert [t1[k] for k in ("agent", "team", "occurred_at", "csat_raw", "subject",
                            "transcript")] == [None] * 6
    assert (t2["channel"], t2["agent"]) == ("chat", "Ana")
    assert read_table(path).frame.iloc[0].tolist() == ["T1", "Email", "", "", "", "", "", ""]
    # row numbers count blank lines, as a spreadsheet shows them
    path.write_text(",".join(HEADER) + "\nT1,Email,,,,,,\n\n,,,,,,,\nT2,Fax,,,,,,\n")
    with pytest.raises(ImportFailed) as failed:
        import_interactions(ws, path)
    assert failed.value.problems[0].row == 5


# ---------------------------------------------------------------------------------- mapping

@pytest.mark.parametrize("headers, expected", [
    (["Ticket ID", "Source", "Assignee", "Group", "Brand", "Created at", "Satisfaction rating",
      "Subject", "Description"],
     {"external_id": "Ticket ID", "channel": "Source", "agent": "Assignee", "team": "Group",
      "brand": "Brand", "occurred_at": "Created at", "csat": "Satisfaction rating",
      "subject": "Subject", "transcript": "Description"}),
    (["conversation_id", "MEDIUM", "agent name", "timestamp", "Rating", "Title", "Conversation"],
     {"external_id": "conversation_id", "channel": "MEDIUM", "agent": "agent name",
      "occurred_at": "timestamp", "csat": "Rating", "subject": "Title",
      "transcript": "Conversation"}),
    (["id", "Opened", "Score", "Body", "Time"],
     {"external_id": "id", "occurred_at": "Opened", "csat": "Score", "transcript": "Body",
      "occurred_time": "Time"}),
    (["Call Id", "Time", "Notes"], {"external_id": "Call Id"}),
])
def test_guess_mapping(headers: list[str], expected: dict[str, str]) -> None:
    assert guess_mapping(headers) == expected


def test_mapping_override(ws: Workspace, tmp_path: Path) -> None:
    header = ["Ref", "Kind", "Person", "When", "Stars", "Subject"]
    rows = [["R1", "Inbound", "Ana", "2023-08-31", "4", "Hi"]]
    mapping = {"external_id": "Ref", "channel": "kind", "agent": "Person",
               "occurred_at": "WHEN", "csat": "Stars", "subject": ""}
    report = run(ws, tmp_path, rows, header, mapping=mapping, channel_map={"inbound": "Phone"})
    assert report.mapping == {"external_id": "Ref", "channel": "Kind", "agent": "Person",
                              "occurred_at": "When", "csat": "Stars"}
    r1 = interactions(ws)["R1"]
    assert (r1["channel"], r1["agent"], r1["occurred_at"], r1["csat_norm"], r1["subject"]) == (
        "phone", "Ana", "2023-08-31T00:00:00", 0.75, None)


# ------------------------------------------------------------------------------------ dates

@pytest.mark.parametrize("values, order, expected", [
    (["2023-08-31"], "auto", "2023-08-31T00:00:00"),
    (["2023-08-31T14:05:09"], "auto", "2023-08-31T14:05:09"),
    (["2023-08-31 14:05"], "auto", "2023-08-31T14:05:00"),
    (["2023-08-31T14:05"], "monthfirst", "2023-08-31T14:05:00"),
    (["2023-08-31T16:05:00+02:00"], "auto", "2023-08-31T14:05:00"),
    (["2023-08-31T14:05:00Z"], "auto", "2023-08-31T14:05:00"),
    (["31-08-2023"], "auto", "2023-08-31T00:00:00"),
    (["31-08-2023"], "dayfirst", "2023-08-31T00:00:00"),
    (["31/08/2023 14:05"], "auto", "2023-08-31T14:05:00"),
    (["31-Aug-23"], "auto", "2023-08-31T00:00:00"),
    (["31-Aug-23"], "monthfirst", "2023-08-31T00:00:00"),
    (["08/31/2023"], "monthfirst", "2023-08-31T00:00:00"),
    (["08/31/2023 2:05 PM"], "auto", "2023-08-31T14:05:00"),
    (["03/04/2023"], "dayfirst", "2023-04-03T00:00:00"),
    (["03/04/2023"], "monthfirst", "2023-03-04T00:00:00"),
    (["03/04/2023", "25/04/2023"], "auto", "2023-04-03T00:00:00"),
    (["03/04/2023", "04/25/2023"], "auto", "2023-03-04T00:00:00"),
    (["04/04/2023 10:00"], "auto", "2023-04-04T10:00:00"),
])
def test_date_formats(ws: Workspace, tmp_path: Path, values: list[str], order: str,
                      expected: str) -> None:
    run(ws, tmp_path, [rec(f"T{i}", created=v) for i, v in enumerate(values)], date_order=order)
    assert interactions(ws)["T0"]["occurred_at"] == expected


# ------------------------------------------------------------------------------------- CSAT

@pytest.mark.parametrize("scale, raw, norm, satisfied", [
    ("1-5", "1", 0.0, 0), ("1-5", "3", 0.5, 0), ("1-5", "4", 0.75, 1), ("1-5", "5", 1.0, 1),
    ("1-5", " 4.0 ", 0.75, 1),
    ("1-10", "1", 0.0, 0), ("1-10", "8", 7 / 9, 0), ("1-10", "9", 8 / 9, 1), ("1-10", "10", 1.0, 1),
    ("0-10", "0", 0.0, 0), ("0-10", "8", 0.8, 0), ("0-10", "9", 0.9, 1), ("0-10", "10", 1.0, 1),
    ("0-100", "0", 0.0, 0), ("0-100", "79.5", 0.795, 0), ("0-100", "80", 0.8, 1),
    ("0-100", "95%", 0.95, 1),
    *[("binary", v, 1.0, 1) for v in ("Yes", "y", "Thumbs up", "thumbs-up", "👍", "👍🏽",
                                      "Positive", "good", "Satisfied", "1", "TRUE")],
    *[("binary", v, 0.0, 0) for v in ("no", "N", "thumbs down", "👎", "negative", "Bad",
                                      "unsatisfied", "Dissatisfied", "0", "false")],
])
def test_csat_scales(ws: Workspace, tmp_path: Path, scale: str, raw: str, norm: float,
                     satisfied: int) -> None:
    run(ws, tmp_path, [rec("T1", csat=raw), rec("T2", csat="")], csat_scale=scale)
    got = interactions(ws)
    assert (got["T1"]["csat_raw"], got["T1"]["csat_scale"], got["T1"]["satisfied"]) == (
        raw, scale, satisfied)
    assert got["T1"]["csat_norm"] == pytest.approx(norm)
    assert [got["T2"][k] for k in ("csat_raw", "csat_scale", "csat_norm", "satisfied")] == [
        None] * 4


# --------------------------------------------------------------------------------- channels

@pytest.mark.parametrize("raw, channel", [
    ("Phone", "phone"), ("call", "phone"), ("Voice", "phone"), ("Telephone", "phone"),
    ("Inbound call", "phone"), ("E-mail", "email"), ("EMAIL", "email"), ("Mail", "email"),
    ("Chat", "chat"), ("Live chat", "chat"), ("Web Chat", "chat"), ("Messaging", "chat"),
    ("Facebook", "social"), ("Social media", "social"), ("SMS", "sms"),
    ("Text message", "sms"),
])
def test_channel_synonyms(ws: Workspace, tmp_path: Path, raw: str, channel: str) -> None:
    run(ws, tmp_path, [rec(channel=raw)])
    assert interactions(ws)["T1"]["channel"] == channel


def test_channel_map_and_default(ws: Workspace, tmp_path: Path) -> None:
    rows = [rec("T1", channel="INBOUND"), rec("T2", channel="Web form"), rec("T3", channel=""),
            rec("T4", channel="Chat")]
    run(ws, tmp_path, rows, channel_map={"Inbound": "phone", "web form": "E-mail"},
        default_channel="Live chat")
    assert {k: v["channel"] for k, v in interactions(ws).items()} == {
        "T1": "phone", "T2": "email", "T3": "chat", "T4": "chat"}


# ---------------------------------------------------------------------- agents and teams

def test_agents_and_teams_are_created_and_linked(ws: Workspace, tmp_path: Path) -> None:
    run(ws, tmp_path, [rec("T1", agent="Ana", team="Blue"), rec("T2", agent="ana", team="Red"),
                       rec("T3", agent="Bo", team=""), rec("T4", agent="", team="Blue")])
    q = ws.conn.execute
    assert q("SELECT a.name, t.name FROM agents a LEFT JOIN teams t ON t.id = a.team_id "
             "ORDER BY a.name").fetchall() == [("Ana", "Red"), ("Bo", None)]
    assert q("SELECT name FROM teams ORDER BY name").fetchall() == [("Blue",), ("Red",)]
    got = interactions(ws)
    assert [(got[k]["agent"], got[k]["team"]) for k in ("T1", "T2", "T3", "T4")] == [
        ("Ana", "Blue"), ("Ana", "Red"), ("Bo", None), (None, "Blue")]
    # without a team column, an interaction takes its agent's team
    run(ws, tmp_path, [["T9", "chat", "ANA"]], ["Ticket ID", "Channel", "Agent"])
    assert interactions(ws)["T9"]["team"] == "Red"


# ------------------------------------------------------------------------- bad input cases

BAD_ROWS = [
    ([rec("T1"), rec("T2", csat="abc")], {},
     ["row 3, column 'CSAT': 'abc' is not a number from 1 to 5"]),
    ([rec("T1", csat="6")], {}, ["row 2, column 'CSAT': '6' is not a number from 1 to 5"]),
    ([rec("T1", csat="4.5")], {},
     ["row 2, column 'CSAT': '4.5' is not a whole number from 1 to 5"]),
    ([rec("T1", csat="0")], {"csat_scale": "1-10"},
     ["row 2, column 'CSAT': '0' is not a number from 1 to 10"]),
    ([rec("T1", csat="101")], {"csat_scale": "0-100"},
     ["row 2, column 'CSAT': '101' is not a number from 0 to 100"]),
    ([rec("T1", csat="maybe")], {"csat_scale": "binary"},
     ["row 2, column 'CSAT': 'maybe' is not a yes/no rating (e.g. yes/no, y/n, thumbs up/down, "
      "👍/👎, positive/negative, good/bad, 1/0, true/false)"]),
    ([rec("T1", created="2023-02-30")], {},
     [f"row 2, column 'Created at': '2023-02-30' is not a date (e.g. {DATE_EXAMPLES})"]),
    ([rec("T1", created="31/08/2023")], {"date_order": "monthfirst"},
     ["row 2, column 'Created at': '31/08/2023' is not a date (e.g. 2023-08-31, 08/31/2023, "
      "08/31/2023 2:05 PM or 31-Aug-23)"]),
    ([rec("T1", channel="Fax")], {},
     ["row 2, column 'Channel': 'Fax' is not a known channel: add a channel mapping "
      "Fax=CHANNEL (channels: phone, email, chat, social, sms)"]),
    ([rec("T1", channel="")], {},
     ["row 2, column 'Channel': the channel is blank (set a default channel)"]),
    ([rec("T1"), rec("T2"), rec("T1"), rec("T1")], {},
     ["row 4, column 'Ticket ID': 'T1' is already on row 2",
      "row 5, column 'Ticket ID': 'T1' is already on row 2"]),
    ([rec("T1"), rec(" ")], {}, ["row 3, column 'Ticket ID': the interaction id is blank"]),
    ([rec("T1", created="03/04/2023"), rec("T2", created="04/05/2023")], {},
     ["column 'Created at': dates such as '03/04/2023' (row 2) could be day-first or "
      "month-first: choose the date order (day-first or month-first)"]),
    ([rec("T1", created="03/04/2023"), rec("T2", created="25/04/2023"),
      rec("T3", created="04/25/2023")], {},
     ["column 'Created at': the dates mix day-first ('25/04/2023', row 3) and month-first "
      "('04/25/2023', row 4) orders: fix the file or choose the date order"]),
    ([rec("T1", csat="x", channel="Fax", created="never"), rec("T1", csat="9")], {},
     ["row 2, column 'Channel': 'Fax' is not a known channel: add a channel mapping "
      "Fax=CHANNEL (channels: phone, email, chat, social, sms)",
      f"row 2, column 'Created at': 'never' is not a date (e.g. {DATE_EXAMPLES})",
      "row 2, column 'CSAT': 'x' is not a number from 1 to 5",
      "row 3, column 'Ticket ID': 'T1' is already on row 2",
      "row 3, column 'CSAT': '9' is not a number from 1 to 5"]),
]


@pytest.mark.parametrize("rows, options, messages", BAD_ROWS)
def test_bad_rows_fail_whole_import(populated: Workspace, tmp_path: Path, rows, options,
                                    messages: list[str]) -> None:
    before = snapshot(populated)
    with pytest.raises(ImportFailed) as failed:
        run(populated, tmp_path, rows, **options)
    assert [str(p) for p in failed.value.problems] == messages
    more = f" (and {len(messages) - 1} more problems)" if len(messages) > 1 else ""
    assert str(failed.value) == f"{messages[0]}{more}; nothing was imported."
    assert isinstance(failed.value, CsvImportError)
    assert snapshot(populated) == before


def test_problem_carries_row_column_value(populated: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        run(populated, tmp_path, [rec("T1"), rec("T2", csat=" abc ")])
    problem = failed.value.problems[0]
    assert problem == ImportProblem(3, "CSAT", " abc ", "'abc' is not a number from 1 to 5")
    assert (problem.row, problem.column, problem.value) == (3, "CSAT", " abc ")


BAD_SETUP = [
    ({"mapping": {"agnet": "Agent"}}, MappingError,
     "unknown field 'agnet' in the mapping (fields: external_id, channel, agent, team, brand, "
     "occurred_at, csat, subject, transcript, occurred_time)"),
    ({"mapping": {"agent": "Agent name"}}, MappingError,
     "column 'Agent name' (mapped to agent) is not in the file (columns: Ticket ID, Channel, "
     "Agent, Team, Created at, CSAT, Subject, Transcript)"),
    ({"mapping": {"channel": ""}}, MappingError,
     "the file has no channel column: choose a default channel (phone, email, chat, ...) or "
     "map one with channel=COLUMN"),
    ({"mapping": {"external_id": None}}, MappingError,
     "no column holds the interaction id: map one with external_id=COLUMN (columns: Ticket ID, "
     "Channel, Agent, Team, Created at, CSAT, Subject, Transcript)"),
    ({"default_channel": "fax"}, MappingError,
     "default channel 'fax' is not a channel (channels: phone, email, chat, social, sms)"),
    ({"channel_map": {"Inbound": "pigeon"}}, MappingError,
     "channel mapping 'Inbound=pigeon': 'pigeon' is not a channel (channels: phone, email, "
     "chat, social, sms)"),
    ({"csat_scale": "1-7"}, MappingError,
     "unknown CSAT scale '1-7' (scales: 1-5, 1-10, 0-10, 0-100, binary)"),
    ({"date_order": "yearfirst"}, MappingError,
     "unknown date order 'yearfirst' (orders: auto, dayfirst, monthfirst)"),
]


@pytest.mark.parametrize("options, error, message", BAD_SETUP)
def test_bad_options_and_mapping(populated: Workspace, tmp_path: Path, options, error,
                                 message: str) -> None:
    before = snapshot(populated)
    with pytest.raises(error) as raised:
        run(populated, tmp_path, [rec("T1")], **options)
    assert str(raised.value) == message
    assert isinstance(raised.value, QAGraderError)
    assert snapshot(populated) == before


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,\"x\ny\"\n2,3,4\n",
     "bad.csv, row 3: 3 cells where the header has 2 (read as UTF-8, comma-separated; is a "
     "quote missing?)"),
    ("", "bad.csv is empty"),
    ("\n\n", "bad.csv is empty"),
])
def test_unreadable_files(populated: Workspace, tmp_path: Path, content: str,
                          message: str) -> None:
    before = snapshot(populated)
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CsvSourceError) as raised:
        import_interactions(populated, path)
    assert str(raised.value) == message
    with pytest.raises(CsvSourceError) as raised:
        import_interactions(populated, tmp_path / "missing.csv")
    assert str(raised.value) == f"no such file: {tmp_path / 'missing.csv'}"
    assert snapshot(populated) == before


# --------------------------------------------------------------- dry run, skip, cancel

def test_dry_run_reports_every_problem_and_writes_nothing(populated: Workspace,
                                                          tmp_path: Path) -> None:
    before = snapshot(populated)
    report = run(populated, tmp_path, [rec("B1"), rec("N1", csat="abc"), rec("N2"),
                                       rec("N3", channel="Fax")], dry_run=True)
    assert [str(p) for p in report.problems] == [
        "row 3, column 'CSAT': 'abc' is not a number from 1 to 5",
        "row 5, column 'Channel': 'Fax' is not a known channel: add a channel mapping "
        "Fax=CHANNEL (channels: phone, email, chat, social, sms)"]
    assert (report.dry_run, report.ok, report.rows_read, report.inserted, report.updated,
            report.skipped, report.rejects_path) == (True, False, 4, 1, 1, 2, None)
    assert not (tmp_path / "in.rejects.csv").exists()
    clean = run(populated, tmp_path, [rec("N1"), rec("N2")], dry_run=True)
    assert (clean.ok, clean.inserted, clean.updated) == (True, 2, 0)
    assert snapshot(populated) == before


def test_skip_bad_rows_imports_good_rows_and_writes_rejects(populated: Workspace,
                                                            tmp_path: Path) -> None:
    rows = [rec("N1"), rec("N2", csat="abc", transcript="line 1\nline 2"), rec("N3"),
            rec("N1", channel="Fax")]
    report = run(populated, tmp_path, rows, skip_bad_rows=True)
    assert (report.inserted, report.updated, report.skipped) == (2, 0, 2)
    assert report.rejects_path == tmp_path / "in.rejects.csv"
    assert set(interactions(populated)) == {"B1", "B2", "B3", "N1", "N3"}
    with open(report.rejects_path, newline="", encoding="utf-8-sig") as f:
        rejects = list(csv.reader(f))
    assert rejects == [
        HEADER + ["problem"],
        rows[1] + ["row 3, column 'CSAT': 'abc' is not a number from 1 to 5"],
        rows[3] + ["row 5, column 'Ticket ID': 'N1' is already on row 2; row 5, column "
                   "'Channel': 'Fax' is not a known channel: add a channel mapping Fax=CHANNEL "
                   "(channels: phone, email, chat, social, sms)"],
    ]
    target = tmp_path / "out" / "rejected.csv"
    target.parent.mkdir()
    report = run(populated, tmp_path, [rec("N4", csat="0")], skip_bad_rows=True,
                 rejects_path=target)
    assert report.rejects_path == target and target.exists()


def test_skip_bad_rows_never_skips_file_problems(populated: Workspace, tmp_path: Path) -> None:
    before = snapshot(populated)
    with pytest.raises(ImportFailed):
        run(populated, tmp_path, [rec("T1", created="03/04/2023")], skip_bad_rows=True)
    assert snapshot(populated) == before


def _big_csv(path: Path, rows: int, prefix: str = "X") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow([f"{prefix}{i}", "chat", f"Agent {i % 30}", f"Team {i % 4}",
                          f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}",
                          str(1 + i % 5), "Subject", "Hello,\nhow can I help?"])
    return path


def test_cancel_during_write_rolls_back(populated: Workspace, tmp_path: Path) -> None:
    path = _big_csv(tmp_path / "big.csv", 60_000)
    before = snapshot(populated)
    seen: list[float] = []
    with pytest.raises(ImportCancelled) as raised:
        import_interactions(populated, path, progress=seen.append,
                            cancelled=lambda: bool(seen) and seen[-1] > 0.55)
    assert isinstance(raised.value, CancelledError)
    assert str(raised.value) == "Cancelled; nothing was written."
    assert 0.55 < seen[-1] < 1
    assert snapshot(populated) == before
    seen.clear()
    report = import_interactions(populated, path, progress=seen.append, cancelled=lambda: False)
    assert report.inserted == 60_000 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert populated.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_cancel_while_reading(populated: Workspace, tmp_path: Path) -> None:
    before = snapshot(populated)
    path = write_csv(tmp_path / "in.csv", [rec("T1")])
    with pytest.raises(ImportCancelled):
        import_interactions(populated, path, cancelled=lambda: True)
    assert snapshot(populated) == before


# ------------------------------------------------------------------------------ reliability

KILLED_IMPORT = """
import sys
sys.path.insert(0, sys.argv[3])
from qagrader.core.importing.interactions import import_interactions
from qagrader.core.storage.workspace import Workspace

ws = Workspace.open(sys.argv[1])
def progress(fraction):
    if fraction > 0.55:
        print("WRITING", flush=True)
import_interactions(ws, sys.argv[2], progress=progress)
print("DONE", flush=True)
"""


def test_sigkill_during_import_leaves_all_or_nothing(populated: Workspace,
                                                     tmp_path: Path) -> None:
    rows = 120_000
    path = _big_csv(tmp_path / "big.csv", rows, prefix="K")
    schema = snapshot(populated)[0]
    populated.close()
    script = tmp_path / "killed_import.py"
    script.write_text(KILLED_IMPORT)
    with subprocess.Popen([sys.executable, str(script), str(tmp_path / "ws.db"), str(path), str(ROOT)],
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        os.kill(child.pid, signal.SIGKILL)
    assert first == "WRITING"
    ws = Workspace.open(tmp_path / "ws.db")
    try:
        assert ws.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count = ws.conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
        assert count in (3, 3 + rows)
        assert snapshot(ws)[0] == schema
    finally:
        ws.close()


# -------------------------------------------------------------------------- property test

# Non-ASCII letters of cp1252 from 0xC0 up only: no byte sequence of them is valid UTF-8, so
# the encoding detection is decidable (a real limit of guessing encodings, not of the import).
LETTERS = "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(
    bytes([b]).decode("cp1252") for b in range(0xC0, 0x100))
names = st.text(alphabet=LETTERS, min_size=1, max_size=12).map(str.strip).filter(bool)
texts = st.text(alphabet=LETTERS + "\n\t", max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(st.tuples(names, st.sampled_from(["Ana", "José", "Zoë Ünal", "Øyvind"]),
                               texts, texts, st.sampled_from(["", "1", "3", "5"])),
                     min_size=1, max_size=6, unique_by=lambda r: r[0]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_round_trip_through_csv(records, encoding: str, delimiter: str) -> None:
    header = ["Ticket ID", "Agent", "Subject", "Transcript", "CSAT"]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "in.csv", [list(r) for r in records], header,
                         encoding=encoding, delimiter=delimiter)
        with Workspace.open(Path(folder) / "ws.db") as ws:
            report = import_interactions(ws, path, ImportOptions(default_channel="email"))
            got = interactions(ws)
    assert report.format.delimiter == delimiter
    assert report.inserted == len(records)
    for id_, agent, subject, transcript, score in records:
        row = got[id_]
        assert (row["agent"], row["subject"], row["transcript"], row["csat_raw"]) == (
            agent, subject.strip() or None, transcript if transcript.strip() else None,
            score or None)


def test_parse_assignments_for_command_lines() -> None:
    from qagrader.core.importing.interactions import parse_assignments
    assert parse_assignments(["Inbound=phone", " Web form = email ", "subject="]) == {
        "Inbound": "phone", "Web form": "email", "subject": ""}
    with pytest.raises(MappingError) as raised:
        parse_assignments(["agent"], "FIELD=COLUMN")
    assert str(raised.value) == "'agent' is not FIELD=COLUMN"
