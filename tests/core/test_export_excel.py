"""Exports that open cleanly in Excel: times in a named zone, columns per scorecard, question
text as headers, the interaction's date/brand/subject, CRLF and BOM in every CSV, and round trips
that stay exact with all of these."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from qagrader.core.errors import CsvImportError, QAGraderError
from qagrader.core.exporting.csv_export import export_evaluations, export_scorecard_csv
from qagrader.core.exporting.csv_files import table_text, write_table
from qagrader.core.exporting.times import LocalTimes, split_zone_header, to_utc, zone_header
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage.workspace import Workspace
from tests.core.test_export import FULL, build_workspace, empty_workspace, grade, read_csv

BERLIN = "Europe/Berlin"


@pytest.fixture
def ws(tmp_path):
    workspace = build_workspace(tmp_path / "source.qagrader")
    with workspace.transaction() as conn:  # dates and subjects the export must carry
        conn.execute("UPDATE interactions SET occurred_at = '2026-03-29T00:30:00', subject = 'Refund, twice'"
                     " WHERE external_id = 'T-1001'")
        conn.execute("UPDATE interactions SET occurred_at = '2026-07-01T23:15:09', subject = '=cmd'"
                     " WHERE external_id = 'CALL-9'")
    yield workspace
    workspace.close()


def records(path: Path) -> list[dict[str, str]]:
    rows = read_csv(path)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# ----------------------------------------------------------------------------------- times

def test_times_in_a_named_zone_match_pandas(ws, tmp_path):
    out = tmp_path / "berlin.csv"
    export_evaluations(ws, out, time_zone=BERLIN, include_calibration=True)
    rows = records(out)
    assert "graded_at (Europe/Berlin)" in rows[0] and "interaction_date (Europe/Berlin)" in rows[0]
    stored = [r[0] for r in ws.conn.execute(
        "SELECT CASE status WHEN 'submitted' THEN submitted_at ELSE updated_at END FROM evaluations ORDER BY id")]
    expected = (pd.to_datetime(pd.Series(stored), utc=True).dt.tz_convert(BERLIN)
                .dt.strftime("%Y-%m-%d %H:%M:%S").tolist())
    assert [r["graded_at (Europe/Berlin)"] for r in rows] == expected
    # 00:30 UTC on the day clocks go forward is 01:30 CET; 23:15:09 UTC in July is 01:15:09 CEST next day
    assert rows[0]["interaction_date (Europe/Berlin)"] == "2026-03-29 01:30:00"
    phone = next(r for r in rows if r["interaction_id"] == "CALL-9")
    assert phone["interaction_date (Europe/Berlin)"] == "2026-07-02 01:15:09"
    assert phone["subject"] == "'=cmd" and rows[0]["subject"] == "Refund, twice"
    assert next(r for r in rows if r["interaction_id"] == "0042")["interaction_date (Europe/Berlin)"] == ""


def test_excel_reads_the_times_as_dates(ws, tmp_path):
    out = tmp_path / "wide.csv"
    export_evaluations(ws, out, excel_bom=True, time_zone=BERLIN)
    frame = pd.read_csv(out, encoding="utf-8-sig", parse_dates=["graded_at (Europe/Berlin)"],
                        date_format="%Y-%m-%d %H:%M:%S")
    assert frame["graded_at (Europe/Berlin)"].dtype.kind == "M"
    assert frame["graded_at (Europe/Berlin)"].notna().all()


def test_unknown_zone_is_one_clear_error(ws, tmp_path):
    with pytest.raises(QAGraderError, match="'Mars/Olympus' is not a time zone"):
        export_evaluations(ws, tmp_path / "x.csv", time_zone="Mars/Olympus")
    assert not (tmp_path / "x.csv").exists()


def test_zone_round_trip_and_reimport_is_unchanged(ws, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    export_evaluations(ws, first, time_zone="America/New_York", include_calibration=True)
    target = empty_workspace(tmp_path / "target.qagrader")
    report = import_evaluations(target, first)
    assert (report.created, report.interactions_created) == (7, 6)
    export_evaluations(target, second, time_zone="America/New_York", include_calibration=True)
    assert second.read_bytes() == first.read_bytes()
    # the same instants in UTC, to the second, and the interaction's date, brand and subject came along
    when = "SELECT e.uuid, substr(coalesce(e.submitted_at, e.updated_at), 1, 19) FROM evaluations e ORDER BY 1"
    assert target.conn.execute(when).fetchall() == ws.conn.execute(when).fetchall()
    fields = "SELECT external_id, occurred_at, brand, subject FROM interactions ORDER BY 1"
    assert target.conn.execute(fields).fetchall() == ws.conn.execute(fields).fetchall()
    # importing its own export back (times to the second, microseconds stored) changes nothing
    again = import_evaluations(ws, first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    # a UTC export of the imported copy equals the source's UTC export
    export_evaluations(ws, tmp_path / "a.csv", include_calibration=True)
    export_evaluations(target, tmp_path / "b.csv", include_calibration=True)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    target.close()


def test_the_hour_clocks_go_back_round_trips_as_text():
    times = LocalTimes(BERLIN)
    # 00:30 and 01:30 UTC on 25 Oct 2026 are both 02:30 in Berlin (summer time, then winter time)
    assert times("2026-10-25T00:30:00.000000Z") == times("2026-10-25T01:30:00.000000Z") == "2026-10-25 02:30:00"
    back = to_utc("2026-10-25 02:30:00", BERLIN)
    assert times(back + ".000000Z") == "2026-10-25 02:30:00"
    assert to_utc("2026-01-15 09:00:00", BERLIN) == "2026-01-15T08:00:00"
    assert to_utc("2026-01-15 09:00:00", "UTC") == "2026-01-15T09:00:00"
    assert split_zone_header(zone_header("graded_at", BERLIN)) == ("graded_at", BERLIN)
    assert split_zone_header("graded_at") is None


def test_import_refuses_an_unknown_zone_in_a_header(ws, tmp_path):
    out = tmp_path / "wide.csv"
    export_evaluations(ws, out)
    out.write_bytes(out.read_bytes().replace(b"graded_at (UTC)", b"graded_at (Atlantis)", 1))
    target = empty_workspace(tmp_path / "t.qagrader")
    with pytest.raises(CsvImportError) as info:
        import_evaluations(target, out)
    assert "row 1, column 'graded_at (Atlantis)': 'Atlantis' is not a time zone" in str(info.value.problems[0])
    target.close()


# ------------------------------------------------------------------------- question columns

def test_question_text_headers_round_trip(ws, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    export_evaluations(ws, first, headers="text", include_calibration=True)
    header = read_csv(first)[0]
    assert "Chat QA: Friendly tone" in header and "Phone QA: Friendly tone" in header
    assert "Phone QA: Greeted by name" in header and "Phone QA: =Accurate answer" in header
    target = empty_workspace(tmp_path / "target.qagrader")
    assert import_evaluations(target, first).created == 7
    export_evaluations(target, second, headers="text", include_calibration=True)
    assert second.read_bytes() == first.read_bytes()
    target.close()


def test_one_scorecard_by_text_without_prefix(ws, tmp_path):
    out = tmp_path / "phone.csv"
    export_evaluations(ws, out, scorecard="Phone QA", headers="text")
    header = read_csv(out)[0]
    assert header[-4:] == ["Greeted by name", "Friendly tone", "Hold etiquette", "'=Accurate answer"]
    target = empty_workspace(tmp_path / "target.qagrader")
    assert import_evaluations(target, out).created == 2
    target.close()


def test_duplicate_question_text_falls_back_to_the_key(tmp_path):
    from tests.samples import EXAMPLE

    card = json.loads(json.dumps(EXAMPLE))
    card["sections"][0]["questions"][1]["text"] = card["sections"][0]["questions"][0]["text"]
    ws = Workspace.open(tmp_path / "w.qagrader")
    ws.scorecards.import_json(json.dumps(card))
    from tests.core.test_export import add_interactions, INTERACTIONS

    add_interactions(ws, INTERACTIONS[:1])
    grade(ws, "T-1001", "Chat QA", "Grace", FULL)
    export_evaluations(ws, tmp_path / "a.csv", headers="text")
    header = read_csv(tmp_path / "a.csv")[0]
    first, second = card["sections"][0]["questions"][0], card["sections"][0]["questions"][1]
    assert first["key"] in header and second["key"] in header and first["text"] not in header
    ws.close()


# ------------------------------------------------------------------------------- every CSV

def test_every_csv_has_crlf_and_the_bom_when_asked(ws, tmp_path):
    card = ws.scorecards.get("Phone QA").card
    export_scorecard_csv(card, tmp_path / "card.csv", excel_bom=True)
    export_scorecard_csv(card, tmp_path / "plain.csv")
    frame = pd.DataFrame({"skill": ["Empathy", "=risky"], "when": pd.to_datetime(["2026-01-02 03:04:05", None]),
                          "day": pd.to_datetime(["2026-01-02", "2026-02-03"]), "rho": [0.25, float("nan")],
                          "n": [31, 40]})
    write_table(tmp_path / "table.csv", frame, excel_bom=True)
    for name, bom in (("card.csv", True), ("plain.csv", False), ("table.csv", True)):
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == bom
        body = raw.replace(b"\r\n", b"")
        assert b"\n" not in body.replace(b'\n- cite it', b"")  # only line breaks inside quoted cells
    assert read_csv(tmp_path / "table.csv", "utf-8-sig") == [
        ["skill", "when", "day", "rho", "n"],
        ["Empathy", "2026-01-02 03:04:05", "2026-01-02", "0.25", "31"],
        ["'=risky", "", "2026-02-03", "", "40"]]
    assert table_text(frame).splitlines()[1] == "Empathy\t2026-01-02 03:04:05\t2026-01-02\t0.25\t31"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                                  "Pacific/Chatham", "UTC"])
def test_local_times_match_pandas_in_every_kind_of_zone(zone):
    """Whole-hour, half-hour and 45-minute offsets, and a 30-minute summer-time shift."""
    instants = pd.date_range("2026-01-01", "2027-01-01", freq="37min", tz="UTC")
    stored = instants.strftime("%Y-%m-%dT%H:%M:%S.123456Z").tolist()
    times = LocalTimes(zone)
    assert [times(s) for s in stored] == instants.tz_convert(zone).strftime("%Y-%m-%d %H:%M:%S").tolist()
