"""Workspace storage: pragmas, migrations, refusing newer files, backups, transactions."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from qagrader.core.errors import WorkspaceError
from qagrader.core.storage.migrations import SCHEMA_VERSION
from qagrader.core.storage.workspace import Workspace


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_workspace_has_schema_and_pragmas(tmp_path):
    with Workspace.open(tmp_path / "w.qagrader") as ws:
        assert ws.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert ws.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ws.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert ws.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert {"teams", "agents", "interactions", "scorecards", "evaluations", "evaluation_skills"} <= set(
            ws.db.table_names())
        assert ws.counts() == {"interactions": 0, "submitted": 0, "drafts": 0, "calibration": 0, "agents": 0,
                               "scorecards": 0}


def test_newer_workspace_is_refused_and_untouched(tmp_path):
    path = tmp_path / "w.qagrader"
    Workspace.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('qagrader', '9999_future', 'x')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = digest(path)
    with pytest.raises(WorkspaceError, match="written by a newer version of QA Grader"):
        Workspace.open(path)
    assert digest(path) == before
    assert not list(tmp_path.glob("*before-migration*"))


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(WorkspaceError, match="not a QA Grader workspace"):
        Workspace.open(path)
    assert digest(path) == before


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="not a QA Grader workspace"):
        Workspace.open(path)


def test_backup_is_written_before_a_pending_migration(tmp_path, monkeypatch):
    from qagrader.core.storage import migrations as m

    path = tmp_path / "w.qagrader"
    Workspace.open(path).close()

    @m.migrations(name="9000_test_extra")
    def _extra(db):
        db.execute("CREATE TABLE extra (x)")

    monkeypatch.setattr(m, "KNOWN_MIGRATIONS", m.KNOWN_MIGRATIONS + ("9000_test_extra",))
    try:
        with Workspace.open(path) as ws:
            assert "extra" in ws.db.table_names()
        backups = list(tmp_path.glob("w.before-migration-*.qagrader"))
        assert len(backups) == 1
        with sqlite3.connect(backups[0]) as conn:
            assert "extra" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        m.migrations._migrations.pop()


def test_transaction_rolls_back_everything_on_error(tmp_path):
    with Workspace.open(tmp_path / "w.qagrader") as ws:
        with pytest.raises(RuntimeError):
            with ws.transaction():
                ws.interactions.ensure_agent("Ana", team="Blue")
                raise RuntimeError("boom")
        assert ws.interactions.agents() == []
        assert ws.interactions.teams() == []


def test_schema_list_matches_the_migrations():
    from qagrader.core.storage import migrations as m
    from qagrader.core.storage.workspace import SCHEMA_MIGRATIONS

    assert SCHEMA_MIGRATIONS == m.KNOWN_MIGRATIONS and len(SCHEMA_MIGRATIONS) == SCHEMA_VERSION


def test_the_schema_checked_on_open_is_the_schema_of_a_new_workspace(tmp_path):
    from qagrader.core.storage.workspace import SCHEMA_TABLES, SCHEMA_TRIGGERS

    with Workspace.open(tmp_path / "w.qagrader") as ws:
        found = ws.conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    assert {name for kind, name in found if kind == "table"} == SCHEMA_TABLES
    assert {name for kind, name in found if kind == "trigger"} == SCHEMA_TRIGGERS


def _in_fresh_python(code: str) -> str:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_an_up_to_date_workspace_opens_without_loading_sqlite_utils(tmp_path):
    path = tmp_path / "w.qagrader"
    with Workspace.open(path) as ws:
        ws.interactions.ensure_agent("Ana", team="Blue")
    out = _in_fresh_python(
        "import sys\n"
        "from qagrader.core.storage.workspace import Workspace\n"
        f"ws = Workspace.open({str(path)!r}, create=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlite_utils', 'qagrader.core.storage.migrations'))))\n"
        "print(ws.conn.execute('PRAGMA recursive_triggers').fetchone()[0], ws.counts()['agents'])\n"
        "with ws.transaction():\n"  # a nested transaction: a plain savepoint, no sqlite-utils
        "    ws.interactions.ensure_agent('Bo', team='Blue')\n"
        "print('sqlite_utils' in sys.modules, ws.counts()['agents'])\n"
        "print(ws.db.conn is ws.conn, 'teams' in ws.db.table_names())\n")  # loaded when asked for
    assert out.splitlines() == ["[]", "1 1", "False 2", "True True"]


def test_an_older_workspace_is_migrated_in_a_fresh_process(tmp_path):
    from qagrader.core.storage.workspace import SCHEMA_MIGRATIONS

    from sqlite_utils import Database

    from qagrader.core.storage.migrations import migrations
    from qagrader.core.storage.workspace import APPLICATION_ID

    path = tmp_path / "w.qagrader"
    db = Database(path)  # the previous version's schema
    migrations.apply(db, stop_before=SCHEMA_MIGRATIONS[-1])
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.close()
    out = _in_fresh_python(
        "from qagrader.core.storage.workspace import Workspace\n"
        f"ws = Workspace.open({str(path)!r}, create=False)\n"
        "print(ws.conn.execute('PRAGMA user_version').fetchone()[0])\n"
        "print(sorted(r[0] for r in ws.conn.execute(\"SELECT name FROM sqlite_master WHERE type = 'index'\")))\n"
        "print([r[1] for r in ws.conn.execute('PRAGMA table_info(evaluations)')])\n")
    version, indexes, columns = out.splitlines()
    assert int(version) == SCHEMA_VERSION and "evaluations_submitted_score" in indexes
    assert "'blind'" in columns
    assert len(list(tmp_path.glob("w.before-migration-*.qagrader"))) == 1


def test_a_failed_nested_transaction_rolls_back_alone(tmp_path):
    from qagrader.core.storage.changes import AGENTS, TEAMS

    with Workspace.open(tmp_path / "w.qagrader") as ws:
        with ws.transaction():
            ws.interactions.ensure_team("Kept")
            ws.record(TEAMS, [1])
            with pytest.raises(ValueError), ws.transaction():
                ws.interactions.ensure_agent("Dropped")
                ws.record(AGENTS, [99])
                raise ValueError("the inner block fails")
        assert [a.name for a in ws.interactions.agents()] == []
        assert ws.interactions.teams() == ["Kept"]
        changes = ws.take_changes()
        assert changes.touches(TEAMS) and not changes.touches(AGENTS)
