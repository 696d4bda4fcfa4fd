"""Schema of a workspace, as named, ordered migrations (sqlite-utils `Migrations`).

Each migration runs in its own transaction. Never edit a released migration: add a new one.
`SCHEMA_VERSION` is the number of migrations; it is written to `PRAGMA user_version` so that an
older QA Grader can refuse a file written by a newer one without touching it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("qagrader")


def _run_script(db: Database, script: str) -> None:
    """Run `;`-separated DDL inside the migration's transaction (executescript would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE teams (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE agents (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            team_id INTEGER REFERENCES teams(id),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX agents_team ON agents(team_id);
        CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            external_id TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            agent_id INTEGER REFERENCES agents(id),
            team_id INTEGER REFERENCES teams(id),
            brand TEXT,
            occurred_at TEXT,
            csat_raw TEXT,
            csat_scale TEXT,
            csat_norm REAL CHECK (csat_norm IS NULL OR (csat_norm >= 0 AND csat_norm <= 1)),
            satisfied INTEGER CHECK (satisfied IS NULL OR satisfied IN (0, 1)),
            subject TEXT,
            transcript TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX interactions_agent ON interactions(agent_id);
        CREATE INDEX interactions_team ON interactions(team_id);
        CREATE INDEX interactions_channel ON interactions(channel);
        CREATE INDEX interactions_occurred ON interactions(occurred_at);
        CREATE TABLE scorecards (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            family_uuid TEXT NOT NULL,
            name TEXT NOT NULL COLLATE NOCASE,
            version INTEGER NOT NULL,
            definition TEXT NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (name, version)
        );
        CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            interaction_id INTEGER NOT NULL REFERENCES interactions(id),
            scorecard_id INTEGER NOT NULL REFERENCES scorecards(id),
            grader TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
            answers TEXT NOT NULL,
            overall_comment TEXT NOT NULL DEFAULT '',
            score REAL,
            auto_failed INTEGER NOT NULL DEFAULT 0,
            auto_fail_reasons TEXT NOT NULL DEFAULT '[]',
            calibration INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            submitted_at TEXT
        );
        CREATE INDEX evaluations_interaction ON evaluations(interaction_id);
        CREATE INDEX evaluations_scorecard ON evaluations(scorecard_id);
        CREATE INDEX evaluations_status ON evaluations(status, calibration);
        CREATE TABLE evaluation_skills (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            skill TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (evaluation_id, skill)
        ) WITHOUT ROWID;
        CREATE TABLE evaluation_history (
            id INTEGER PRIMARY KEY,
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            saved_at TEXT NOT NULL,
            snapshot TEXT NOT NULL
        );
        CREATE INDEX evaluation_history_evaluation ON evaluation_history(evaluation_id);
        """
    )


@migrations(name="0002_browse_indexes")
def _browse_indexes(db: Database) -> None:
    """Covering indexes for the interactions browser and the grading queue (see core/browsing/).

    Each new index starts with the columns of the one it replaces, so every query that used the
    old one can use the new one; writes keep the same number of indexes to maintain.
    """
    _run_script(
        db,
        """
        DROP INDEX IF EXISTS interactions_occurred;
        CREATE INDEX interactions_browse
            ON interactions(occurred_at, id, channel, agent_id, team_id, brand, csat_norm);
        DROP INDEX IF EXISTS evaluations_interaction;
        CREATE INDEX evaluations_interaction_state
            ON evaluations(interaction_id, status, calibration, scorecard_id);
        DROP INDEX IF EXISTS evaluations_status;
        CREATE INDEX evaluations_state_interaction
            ON evaluations(status, calibration, interaction_id, scorecard_id);
        """
    )


@migrations(name="0003_score_index")
def _score_index(db: Database) -> None:
    """Submitted scores in order, for the first page of the browser sorted by score (see
    core/browsing/first_page.py). Partial: drafts, rewritten on every keystroke while grading,
    and calibration evaluations are not in it."""
    _run_script(
        db,
        """
        CREATE INDEX evaluations_submitted_score
            ON evaluations(score, interaction_id) WHERE status = 'submitted' AND calibration = 0;
        """
    )


KNOWN_MIGRATIONS: tuple[str, ...] = tuple(m.name for m in migrations.pending(Database(memory=True)))
SCHEMA_VERSION = len(KNOWN_MIGRATIONS)
