"""Schema of a workspace, as named, ordered migrations (sqlite-utils `Migrations`).

Each migration runs in its own transaction. Never edit a released migration: add a new one.
`SCHEMA_VERSION` is the number of migrations; it is written to `PRAGMA user_version` so that an
older QA Grader can refuse a file written by a newer one without touching it.
"""

from __future__ import annotations

import uuid

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


@migrations(name="0004_graders")
def _graders(db: Database) -> None:
    """Graders become people: a `graders` row each (uuid, name unique case-insensitively,
    optional email), referenced by evaluations (`grader_id`) and by history entries (`editor_id`,
    who made the edit). The distinct grader names of an existing workspace become rows (the
    first spelling of a name wins); history entries get a uuid so that merging workspaces can
    match them."""
    from .records import new_uuid, utc_now

    _run_script(
        db,
        """
        CREATE TABLE graders (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            email TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        ALTER TABLE evaluations ADD COLUMN grader_id INTEGER REFERENCES graders(id);
        ALTER TABLE evaluation_history ADD COLUMN uuid TEXT;
        ALTER TABLE evaluation_history ADD COLUMN editor_id INTEGER REFERENCES graders(id)
        """
    )
    names = [row[0] for row in db.execute(
        """SELECT name FROM (
               SELECT grader AS name, min(id) AS first FROM evaluations GROUP BY grader
               UNION ALL
               SELECT json_extract(snapshot, '$.edited_by'), min(id) + 1e12 FROM evaluation_history
                WHERE json_extract(snapshot, '$.edited_by') IS NOT NULL GROUP BY 1)
           WHERE trim(name) != '' ORDER BY first""")]
    now = utc_now()
    seen: set[str] = set()
    for name in names:
        name = name.strip()
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            db.execute("INSERT OR IGNORE INTO graders (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                       (new_uuid(), name, now, now))
    history = [(new_uuid(), row[0]) for row in db.execute("SELECT id FROM evaluation_history")]
    _run_script(
        db,
        """
        UPDATE evaluations SET grader_id = (SELECT g.id FROM graders g WHERE g.name = trim(evaluations.grader));
        UPDATE evaluation_history SET editor_id = coalesce(
            (SELECT g.id FROM graders g WHERE g.name = trim(json_extract(evaluation_history.snapshot, '$.edited_by'))),
            (SELECT e.grader_id FROM evaluations e WHERE e.id = evaluation_history.evaluation_id)),
            snapshot = json_remove(snapshot, '$.edited_by');
        ALTER TABLE evaluations DROP COLUMN grader;
        CREATE INDEX evaluations_grader ON evaluations(grader_id, status)
        """
    )
    # ALTER TABLE cannot add a NOT NULL reference: triggers keep it required instead.
    db.execute("""CREATE TRIGGER evaluations_need_grader BEFORE INSERT ON evaluations
                  WHEN NEW.grader_id IS NULL BEGIN SELECT RAISE(ABORT, 'an evaluation needs a grader'); END""")
    db.execute("""CREATE TRIGGER evaluations_keep_grader BEFORE UPDATE OF grader_id ON evaluations
                  WHEN NEW.grader_id IS NULL BEGIN SELECT RAISE(ABORT, 'an evaluation needs a grader'); END""")
    db.conn.executemany("UPDATE evaluation_history SET uuid = ? WHERE id = ?", history)
    _run_script(
        db,
        """
        CREATE UNIQUE INDEX evaluation_history_uuid ON evaluation_history(uuid)
        """
    )
    db.execute("""CREATE TRIGGER evaluation_history_need_uuid BEFORE INSERT ON evaluation_history
                  WHEN NEW.uuid IS NULL OR NEW.editor_id IS NULL
                  BEGIN SELECT RAISE(ABORT, 'a history entry needs a uuid and an editor'); END""")


@migrations(name="0005_merge_log")
def _merge_log(db: Database) -> None:
    """What each merge of another workspace brought in (see core/merging/)."""
    _run_script(
        db,
        """
        CREATE TABLE merge_log (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            merged_at TEXT NOT NULL,
            source TEXT NOT NULL,
            source_fingerprint TEXT NOT NULL,
            merged_by INTEGER REFERENCES graders(id),
            summary TEXT NOT NULL,
            report TEXT NOT NULL
        )
        """
    )


@migrations(name="0006_blind_grading")
def _blind_grading(db: Database) -> None:
    """Whether each evaluation was graded blind to the customer's CSAT: 1 = CSAT hidden from the
    grader, 0 = visible, NULL = unknown (every evaluation made before this column existed). The
    analysis warns from it that knowing CSAT may have inflated the correlations."""
    _run_script(db, "ALTER TABLE evaluations ADD COLUMN blind INTEGER CHECK (blind IS NULL OR blind IN (0, 1))")


EARLIER_CALIBRATION_NAMESPACE = uuid.UUID("0c4b9d5e-3f7a-4e61-9a2b-7d8e1c6f5a30")
"""uuid5 namespace of the "Earlier calibration" sessions (their name: the scorecard version's uuid)."""


@migrations(name="0007_calibration")
def _calibration(db: Database) -> None:
    """Calibration sessions (see core/calibration/): a session grades a set of interactions
    (`calibration_items`) on one scorecard version by a set of graders (`calibration_members`),
    optionally against a benchmark grader; `calibration_grades` ties each calibration evaluation
    to its session. Items and members are removed with a flag, and sessions deleted with one, so
    that a removal travels by merge like any other change.

    Calibration evaluations made before sessions existed become one closed session per scorecard
    version, named "Earlier calibration", with a uuid derived from the scorecard version's, so
    that two workspaces migrating the same version's grades make the same session."""
    _run_script(
        db,
        """
        CREATE TABLE calibration_sessions (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            held_on TEXT NOT NULL,
            scorecard_id INTEGER NOT NULL REFERENCES scorecards(id),
            benchmark_grader_id INTEGER REFERENCES graders(id),
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            closed_at TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX calibration_sessions_held ON calibration_sessions(held_on);
        CREATE TABLE calibration_items (
            session_id INTEGER NOT NULL REFERENCES calibration_sessions(id) ON DELETE CASCADE,
            interaction_id INTEGER NOT NULL REFERENCES interactions(id),
            position INTEGER NOT NULL,
            removed INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, interaction_id)
        ) WITHOUT ROWID;
        CREATE INDEX calibration_items_interaction ON calibration_items(interaction_id);
        CREATE TABLE calibration_members (
            session_id INTEGER NOT NULL REFERENCES calibration_sessions(id) ON DELETE CASCADE,
            grader_id INTEGER NOT NULL REFERENCES graders(id),
            removed INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, grader_id)
        ) WITHOUT ROWID;
        CREATE INDEX calibration_members_grader ON calibration_members(grader_id);
        CREATE TABLE calibration_grades (
            evaluation_id INTEGER PRIMARY KEY REFERENCES evaluations(id) ON DELETE CASCADE,
            session_id INTEGER NOT NULL REFERENCES calibration_sessions(id) ON DELETE CASCADE
        );
        CREATE INDEX calibration_grades_session ON calibration_grades(session_id)
        """
    )
    earlier = db.execute(
        """SELECT s.id, s.uuid, min(e.created_at), max(e.updated_at) FROM evaluations e
           JOIN scorecards s ON s.id = e.scorecard_id WHERE e.calibration = 1
           GROUP BY s.id ORDER BY s.id""").fetchall()
    for scorecard_id, scorecard_uuid, first, last in earlier:
        session_uuid = str(uuid.uuid5(EARLIER_CALIBRATION_NAMESPACE, scorecard_uuid))
        session_id = db.execute(
            """INSERT INTO calibration_sessions (uuid, name, held_on, scorecard_id, status, closed_at,
               created_at, updated_at) VALUES (?, 'Earlier calibration', ?, ?, 'closed', ?, ?, ?)""",
            (session_uuid, first[:10], scorecard_id, last, first, first)).lastrowid
        where = "FROM evaluations WHERE calibration = 1 AND scorecard_id = ?"
        db.execute(f"INSERT INTO calibration_grades (evaluation_id, session_id) SELECT id, ? {where}",
                   (session_id, scorecard_id))
        db.execute(f"""INSERT INTO calibration_items (session_id, interaction_id, position, updated_at)
                       SELECT ?, interaction_id, row_number() OVER (ORDER BY min(id)), ?
                       {where} GROUP BY interaction_id""", (session_id, first, scorecard_id))
        db.execute(f"""INSERT INTO calibration_members (session_id, grader_id, updated_at)
                       SELECT DISTINCT ?, grader_id, ? {where}""", (session_id, first, scorecard_id))


@migrations(name="0008_disputes_coaching")
def _disputes_coaching(db: Database) -> None:
    """Disputes of submitted grades and coaching notes (see core/disputes, core/coaching).

    A dispute is raised on an evaluation (optionally one question) with the agent's reason,
    entered by a lead or grader (`raised_by`); it is open until accepted (the answers re-graded:
    `regrade_uuid` names the evaluation's history entry that keeps the answers before) or
    rejected, by `resolved_by` with `resolution` (why). A coaching note belongs to an agent: who
    coached (`coach_id`), when, the skills (JSON list) and evaluations (JSON list of uuids) it is
    about, what was agreed, and a follow-up date; `deleted_at` hides a note (a deletion that
    travels by merge, like any later change)."""
    _run_script(
        db,
        """
        CREATE TABLE disputes (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
            question_key TEXT,
            reason TEXT NOT NULL,
            raised_by INTEGER NOT NULL REFERENCES graders(id),
            raised_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
            resolved_by INTEGER REFERENCES graders(id),
            resolved_at TEXT,
            resolution TEXT NOT NULL DEFAULT '',
            regrade_uuid TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK ((status = 'open') = (resolved_at IS NULL))
        );
        CREATE INDEX disputes_evaluation ON disputes(evaluation_id, status);
        CREATE INDEX disputes_status ON disputes(status, raised_at);
        CREATE TABLE coaching_notes (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            agent_id INTEGER NOT NULL REFERENCES agents(id),
            coach_id INTEGER NOT NULL REFERENCES graders(id),
            coached_on TEXT NOT NULL,
            skills TEXT NOT NULL,
            evaluations TEXT NOT NULL DEFAULT '[]',
            agreed TEXT NOT NULL DEFAULT '',
            follow_up_on TEXT,
            followed_up_on TEXT,
            follow_up_note TEXT NOT NULL DEFAULT '',
            deleted_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX coaching_notes_agent ON coaching_notes(agent_id, coached_on);
        CREATE INDEX coaching_notes_follow_up ON coaching_notes(follow_up_on)
            WHERE followed_up_on IS NULL AND deleted_at IS NULL
        """
    )


def _evaluation_changed(columns: str) -> str:
    """The trigger marking an analysed evaluation's chunk (its old and new id) when one of
    `columns` is updated."""
    from .analysis_store import CHUNK_BITS

    return f"""CREATE TRIGGER analysis_evaluation_changed
    AFTER UPDATE OF {columns}
    ON evaluations
    WHEN (OLD.status = 'submitted' AND OLD.calibration = 0) OR (NEW.status = 'submitted' AND NEW.calibration = 0)
    BEGIN
        INSERT INTO analysis_dirty SELECT OLD.id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = OLD.id >> {CHUNK_BITS});
        INSERT INTO analysis_dirty SELECT NEW.id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = NEW.id >> {CHUNK_BITS});
    END"""


def _mark_analysed_evaluations(column: str) -> str:
    """A trigger's statement marking the store's chunks of the analysed evaluations whose
    `column` is the changed row's old or new id."""
    from .analysis_store import CHUNK_BITS

    return (f"INSERT INTO analysis_dirty SELECT DISTINCT id >> {CHUNK_BITS} FROM evaluations "
            f"WHERE {column} IN (OLD.id, NEW.id) AND status = 'submitted' AND calibration = 0 "
            f"AND id >> {CHUNK_BITS} NOT IN (SELECT chunk FROM analysis_dirty);")


@migrations(name="0009_analysis_store")
def _analysis_store(db: Database) -> None:
    """The analysis-ready store (see `analysis_store`): packed chunks of what the analysis
    reads, the marks of chunks to rebuild and the triggers that set them on every write the
    analysis sees. Marked for a full build, which the workspace runs right after migrating.
    (The triggers check before they mark: an `INSERT OR IGNORE` in a trigger takes the conflict
    rule of the statement that fired it, and the interaction import's upsert has none.)"""
    from .analysis_store import ALL, CHUNK_BITS

    for statement in (
        f"""CREATE TABLE analysis_chunks (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL)""",
        f"""CREATE TABLE analysis_dirty (chunk INTEGER PRIMARY KEY)""",
        f"""CREATE TRIGGER analysis_evaluation_added AFTER INSERT ON evaluations
    WHEN NEW.status = 'submitted' AND NEW.calibration = 0
    BEGIN INSERT INTO analysis_dirty SELECT NEW.id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = NEW.id >> {CHUNK_BITS}); END""",
        _evaluation_changed("id, interaction_id, scorecard_id, grader_id, status, calibration, submitted_at, blind"),
        f"""CREATE TRIGGER analysis_evaluation_deleted AFTER DELETE ON evaluations
    WHEN OLD.status = 'submitted' AND OLD.calibration = 0
    BEGIN INSERT INTO analysis_dirty SELECT OLD.id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = OLD.id >> {CHUNK_BITS}); END""",
        f"""CREATE TRIGGER analysis_skill_added AFTER INSERT ON evaluation_skills
    WHEN EXISTS (SELECT 1 FROM evaluations WHERE id = NEW.evaluation_id AND status = 'submitted'
                 AND calibration = 0)
    BEGIN INSERT INTO analysis_dirty SELECT NEW.evaluation_id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = NEW.evaluation_id >> {CHUNK_BITS}); END""",
        f"""CREATE TRIGGER analysis_skill_changed AFTER UPDATE ON evaluation_skills
    BEGIN
        INSERT INTO analysis_dirty SELECT OLD.evaluation_id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = OLD.evaluation_id >> {CHUNK_BITS});
        INSERT INTO analysis_dirty SELECT NEW.evaluation_id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = NEW.evaluation_id >> {CHUNK_BITS});
    END""",
        f"""CREATE TRIGGER analysis_skill_deleted AFTER DELETE ON evaluation_skills
    WHEN EXISTS (SELECT 1 FROM evaluations WHERE id = OLD.evaluation_id AND status = 'submitted'
                 AND calibration = 0)
    BEGIN INSERT INTO analysis_dirty SELECT OLD.evaluation_id >> {CHUNK_BITS} WHERE NOT EXISTS
            (SELECT 1 FROM analysis_dirty WHERE chunk = OLD.evaluation_id >> {CHUNK_BITS}); END""",
        f"""CREATE TRIGGER analysis_interaction_changed
    AFTER UPDATE OF id, channel, brand, agent_id, team_id, occurred_at, csat_norm, satisfied, csat_scale
    ON interactions
    WHEN OLD.id IS NOT NEW.id OR OLD.channel IS NOT NEW.channel OR OLD.brand IS NOT NEW.brand
      OR OLD.agent_id IS NOT NEW.agent_id OR OLD.team_id IS NOT NEW.team_id
      OR OLD.occurred_at IS NOT NEW.occurred_at OR OLD.csat_norm IS NOT NEW.csat_norm
      OR OLD.satisfied IS NOT NEW.satisfied OR OLD.csat_scale IS NOT NEW.csat_scale
    BEGIN {_mark_analysed_evaluations("interaction_id")} END""",
        f"""INSERT INTO analysis_dirty VALUES ({ALL})""",
    ):
        db.execute(statement)


@migrations(name="0010_custom_fields")
def _custom_fields(db: Database) -> None:
    """Custom interaction fields (columns of a helpdesk export kept at import, e.g. handle time,
    resolved): `interactions.fields` holds each interaction's values as a JSON object of text
    (NULL: none); `interaction_fields` lists the fields' names in the order they were added, so
    the browser and the export know their columns without reading every interaction."""
    _run_script(
        db,
        """
        ALTER TABLE interactions ADD COLUMN fields TEXT CHECK (fields IS NULL OR json_type(fields) = 'object');
        CREATE TABLE interaction_fields (
            name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            position INTEGER NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )
        """
    )


@migrations(name="0011_tombstones")
def _tombstones(db: Database) -> None:
    """Tombstones: what was deleted (the table and uuid of the record, when, by whom), so that a
    deletion travels by merge like an edit (see core/merging/tombstones.py for the rule). One
    row per deleted record; a record deleted again (in another workspace) keeps the later
    deletion. Only records the app lets a user delete outright get one: draft evaluations and
    unused scorecard versions (the rest is hidden with a flag that travels with its row)."""
    _run_script(
        db,
        """
        CREATE TABLE tombstones (
            id INTEGER PRIMARY KEY,
            record_table TEXT NOT NULL,
            uuid TEXT NOT NULL,
            deleted_at TEXT NOT NULL,
            deleted_by INTEGER REFERENCES graders(id),
            UNIQUE (record_table, uuid)
        )
        """
    )


@migrations(name="0012_analysis_answers")
def _analysis_answers(db: Database) -> None:
    """The analysis-ready store also holds each analysed evaluation's QA score and answer
    values (`analysis_store.FORMAT` 2), so the monthly report scores single questions from
    typed arrays instead of parsing every answers document: a submitted evaluation's score or
    answers changed by anyone marks its chunk, and so does a scorecard version's definition
    (its question keys say which answers are stored). Marked for a full build."""
    from .analysis_store import ALL

    for statement in (
        "DROP TRIGGER analysis_evaluation_changed",
        _evaluation_changed("id, interaction_id, scorecard_id, grader_id, status, calibration, submitted_at, blind, "
                            "score, answers"),
        f"""CREATE TRIGGER analysis_scorecard_changed AFTER UPDATE OF id, definition ON scorecards
    WHEN OLD.id IS NOT NEW.id OR OLD.definition IS NOT NEW.definition
    BEGIN {_mark_analysed_evaluations("scorecard_id")} END""",
        f"""INSERT INTO analysis_dirty SELECT {ALL} WHERE NOT EXISTS (SELECT 1 FROM analysis_dirty WHERE chunk = {ALL})""",
    ):
        db.execute(statement)


KNOWN_MIGRATIONS: tuple[str, ...] = tuple(m.name for m in migrations.pending(Database(memory=True)))
SCHEMA_VERSION = len(KNOWN_MIGRATIONS)
