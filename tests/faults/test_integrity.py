"""Issue 8, damaged workspaces: `qagrader check` finds damage of every kind (pages, links between
records, schema, the analysis-ready store), names it and the latest backup, and changes nothing;
`--repair` rebuilds a store that disagrees with the evaluations; a damaged workspace is never
published to the team folder or merged into another."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import cli, snapshot

BACKUP = "w.before-migration-20260101-000000.qagrader"


@pytest.fixture()
def db(demo_copy):
    return demo_copy


def damage(db, case: str) -> None:
    if case == "pages":
        data = bytearray(db.read_bytes())
        page = 4096
        for start in range(len(data) // 2 // page * page, len(data), 3 * page):
            data[start:start + page] = os.urandom(page)
        db.write_bytes(bytes(data))
        return
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    if case == "links":  # an evaluation's scorecard gone
        conn.execute("DELETE FROM scorecards WHERE id = (SELECT min(scorecard_id) FROM evaluations)")
    elif case == "store":  # another program changed CSAT with the store's trigger off
        trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'analysis_interaction_changed'").fetchone()[0]
        conn.execute("DROP TRIGGER analysis_interaction_changed")
        conn.execute("UPDATE interactions SET csat_norm = 1 - csat_norm WHERE csat_norm IS NOT NULL AND id % 3 = 0")
        conn.execute(trigger)
    elif case == "trigger":
        conn.execute("DROP TRIGGER analysis_skill_changed")
    conn.commit()
    conn.close()


def test_a_whole_workspace_passes_the_check(db, capsys):
    with Workspace.open(db, create=False) as ws:
        evaluations = ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0]
    before = snapshot(db.parent)
    code, out, err = cli(capsys, "--db", db, "check")
    assert (code, err) == (0, "")
    assert out == (f"{db}: no problems found (pages, foreign keys, schema and the analysis-ready store "
                   f"checked; {evaluations:,} evaluations).\n")
    assert snapshot(db.parent) == before


@pytest.mark.parametrize("case, found", [
    ("pages", "  pages: "),
    ("links", "  foreign keys: "),
    ("trigger", None),
])
def test_damage_is_named_with_the_latest_backup_and_nothing_changes(db, capsys, case, found):
    shutil.copy(db, db.with_name(BACKUP))
    damage(db, case)
    before = snapshot(db.parent)
    code, out, err = cli(capsys, "--db", db, "check")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {db} is damaged (") and err.endswith(
        f"). Open its latest backup, {db.with_name(BACKUP)}, or a copy you saved; the damaged file was not changed.\n")
    if found:
        assert out.startswith(found) and "problem" in err
    else:
        assert err == (f"error: {db} is damaged (trigger analysis_skill_changed is missing). Open its latest "
                       f"backup, {db.with_name(BACKUP)}, or a copy you saved; the damaged file was not changed.\n")
    code, _, _ = cli(capsys, "--db", db, "check", "--repair")  # repairs only the derived store
    assert code == 1
    assert snapshot(db.parent) == before


def test_a_store_that_disagrees_is_found_and_rebuilt_by_repair(db, capsys):
    damage(db, "store")
    before = snapshot(db.parent)
    code, out, err = cli(capsys, "--db", db, "check")
    assert code == 1 and out.startswith("  analysis-ready store: ") and "disagree" in out
    assert err == (f"error: {db}: the analysis-ready store disagrees with the evaluations (the evaluations "
                   f"themselves are whole). Rebuild it with `qagrader check --repair`; nothing was changed.\n")
    assert snapshot(db.parent) == before
    with sqlite3.connect(db) as conn:
        tables = [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("evaluations", "interactions")]
    code, out, err = cli(capsys, "--db", db, "check", "--repair")
    assert (code, err) == (0, "") and out.startswith(f"Rebuilt the analysis-ready store of {db} from its ")
    assert cli(capsys, "--db", db, "check")[0] == 0
    with sqlite3.connect(db) as conn:
        assert [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("evaluations", "interactions")] == tables
    # the rebuilt store is what the analysis reads from the tables themselves
    from qagrader.core.storage.analysis_store import all_chunks, build, current_columns, unpack

    with Workspace.open(db, create=False) as ws:
        rebuilt = current_columns(ws)
        expected = [unpack(blob) for blob in build(ws.conn, all_chunks(ws.conn)).values() if blob]
    assert list(rebuilt.arrays["csat"]) == pytest.approx([v for part in expected for v in part.arrays["csat"]],
                                                         nan_ok=True)


@pytest.mark.parametrize("case", ["not a workspace", "missing", "folder"])
def test_check_of_what_is_no_workspace_is_one_line(tmp_path, capsys, case):
    db = tmp_path / "w.qagrader"
    if case == "not a workspace":
        db.write_text("id,csat\n1,5\n")
    elif case == "folder":
        db.mkdir()
    before = snapshot(tmp_path)
    code, out, err = cli(capsys, "--db", db, "check")
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert str(db) in err
    assert snapshot(tmp_path) == before


def test_a_damaged_workspace_is_not_published(db, capsys):
    team = db.parent / "team"
    team.mkdir()
    damage(db, "pages")
    before = snapshot(db.parent)
    code, out, err = cli(capsys, "--db", db, "publish", team, "--as", "Ana")
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"error: {db} is damaged (") and err.endswith("Nothing was published.\n")
    assert snapshot(db.parent) == before and list(team.iterdir()) == []


def test_a_damaged_other_workspace_is_not_merged(db, capsys, demo_source):
    other = db.with_name("other.qagrader")
    shutil.copy(demo_source, other)
    damage(other, "pages")
    before = snapshot(db.parent)
    code, out, err = cli(capsys, "--db", db, "merge", other)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"error: {other} is damaged (") and err.endswith("Nothing was merged.\n")
    assert snapshot(db.parent) == before


@pytest.mark.parametrize("command", ["import scorecard", "merge"])
def test_nothing_is_imported_or_merged_into_damaged_pages(db, capsys, demo_source, command):
    import json

    from tests.samples import EXAMPLE

    (db.parent / "card.json").write_text(json.dumps(EXAMPLE))
    shutil.copy(demo_source, db.with_name("other.qagrader"))
    damage(db, "pages")
    before = snapshot(db.parent)
    args = ["import", "scorecard", db.parent / "card.json"] if command == "import scorecard" else \
        ["merge", db.with_name("other.qagrader")]
    code, out, err = cli(capsys, "--db", db, *args)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"error: {db} is damaged (") and err.endswith("Nothing was imported or merged.\n")
    assert snapshot(db.parent) == before


def test_a_workspace_changed_while_checked_is_said_to_be_checked_again(db, capsys, monkeypatch):
    from qagrader.core.storage import integrity

    checked = integrity._check_foreign_keys

    def another_program_writes_meanwhile(conn, report):
        writer = sqlite3.connect(db)
        writer.execute("UPDATE teams SET updated_at = 'later'")
        writer.commit()
        writer.close()
        checked(conn, report)

    monkeypatch.setattr(integrity, "_check_foreign_keys", another_program_writes_meanwhile)
    code, out, err = cli(capsys, "--db", db, "check")
    assert (code, out) == (1, "")
    assert err == f"error: {db} was changed by another program while it was being checked: run the check again.\n"
