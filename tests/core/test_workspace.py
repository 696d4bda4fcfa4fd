"""Workspace storage: pragmas, migrations, refusing newer files, backups, transactions."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from qagrader.core.errors import WorkspaceError
from qagrader.core.migrations import SCHEMA_VERSION
from qagrader.core.workspace import Workspace


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
        assert ws.counts() == {"interactions": 0, "submitted": 0, "drafts": 0, "agents": 0, "scorecards": 0}


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
    from qagrader.core import migrations as m

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
