"""The analysis-ready store against the normalized tables it is built from.

The store (core/storage/analysis_store.py) is kept current by triggers and the transaction's
commit; the frame the app analyses (`frames.load_skill_frame`) must equal, table for table, the
one read from the normalized tables by independent code (`dataset.load_skill_frame_from_tables`):
on the demo, on random workspaces after random operations through the public operations, for
random filters, and after the store went missing or stale.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from qagrader.analysis.dataset import (AnalysisFilters, filter_options_from_tables, load_question_scores,
                                       load_score_frame, load_skill_frame_from_tables)
from qagrader.analysis.frames import load_grades, load_skill_frame, score_frame
from qagrader.analysis.report import AnalysisResult, run_analysis
from qagrader.core.demo.build import build_demo
from qagrader.core.errors import QAGraderError
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage import analysis_store
from qagrader.core.storage.workspace import Workspace


def assert_same_frame(store: pd.DataFrame, tables: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(store, tables, check_exact=False, rtol=1e-12, atol=1e-12)
    assert store.attrs.get("polarity") == tables.attrs.get("polarity")


def assert_same_scores(ws: Workspace, grades, filters: AnalysisFilters | None) -> None:
    """The QA scores per evaluation from the loaded grades equal the SQL reader's (less the
    external ids, which the store does not hold)."""
    reference = load_score_frame(ws, filters).drop(columns="external_id")
    pd.testing.assert_frame_equal(score_frame(grades, filters), reference)


def assert_same_question_scores(ws: Workspace, grades, filters: AnalysisFilters | None) -> None:
    """Every question scored from the stored answers equals SQLite scoring the answers' JSON
    (`dataset.load_question_scores`, whose rows come in no particular order)."""
    from qagrader.analysis.monthly.questions import question_scoring

    _, scoring = question_scoring(ws)
    assert scoring
    reference = load_question_scores(ws, scoring, filters)
    mine = grades.question_scores(scoring, filters)
    assert list(mine.columns) == list(reference.columns)
    order = list(reference.columns)
    pd.testing.assert_frame_equal(mine.sort_values(order).reset_index(drop=True),
                                  reference.sort_values(order).reset_index(drop=True), check_exact=True)


def assert_same_tables(a: AnalysisResult, b: AnalysisResult) -> None:
    for field in fields(AnalysisResult):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=1e-12,
                                          obj=field.name)
        else:
            assert left == right, field.name


def assert_store_matches_tables(ws: Workspace) -> None:
    """The stored chunks hold exactly what a rebuild from the normalized tables would."""
    conn = ws.conn
    assert analysis_store.dirty_chunks(conn) == []
    last = conn.execute("SELECT coalesce(max(id), 0) FROM evaluations").fetchone()[0]
    expected = analysis_store.columns_from_tables(conn, 0, last)
    stored = analysis_store.stored_columns(conn)
    assert len(stored) == len(expected)
    for name, values in expected.arrays.items():
        if name in analysis_store.TEXT_COLUMNS:
            assert list(stored.text(name)) == list(expected.text(name)), name
        else:
            np.testing.assert_array_equal(stored.arrays[name], values, err_msg=name)
    assert stored.skills == expected.skills
    np.testing.assert_array_equal(stored.scores, expected.scores)
    stored = analysis_store.stored_columns(conn, answers=True)
    assert stored.answers.keys == expected.answers.keys
    for key in expected.answers.keys:  # each value with its type: 3, 3.0 and "3" are three answers
        assert ([(type(v), v) for v in stored.answers.value_of(key)]
                == [(type(v), v) for v in expected.answers.value_of(key)]), key


def random_filters(rng: random.Random, ws: Workspace) -> AnalysisFilters:
    options = filter_options_from_tables(ws)
    pick = lambda values: tuple(rng.sample(list(values), k=min(len(values), rng.randint(1, 2))))  # noqa: E731
    chosen: dict[str, object] = {}
    if rng.random() < 0.4 and options.channels:
        chosen["channels"] = tuple(c.upper() if rng.random() < 0.5 else c for c in pick(options.channels))
    if rng.random() < 0.3 and options.teams:
        chosen["teams"] = pick(options.teams)
    if rng.random() < 0.3 and options.agents:
        chosen["agents"] = pick([a for a, _ in options.agents])
    if rng.random() < 0.3 and options.brands:
        chosen["brands"] = pick(options.brands)
    if rng.random() < 0.3 and options.graders:
        chosen["graders"] = tuple(g.lower() for g in pick(options.graders))
    if rng.random() < 0.3:
        cards = ws.conn.execute("SELECT name, uuid, family_uuid FROM scorecards").fetchall()
        chosen["scorecards"] = (rng.choice(rng.choice(cards)),)
    if rng.random() < 0.4 and options.first_day:
        days = pd.date_range(options.first_day, options.last_day, freq="D")
        start = rng.randrange(len(days))
        chosen["date_from"] = days[start].date().isoformat()
        if rng.random() < 0.5:
            chosen["date_to"] = days[rng.randrange(start, len(days))].date().isoformat()
    return AnalysisFilters(**chosen)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    build_demo(path)
    with Workspace.open(path) as ws:
        yield ws


def test_the_demo_gives_the_same_tables_from_the_store(demo):
    store, tables = load_skill_frame(demo), load_skill_frame_from_tables(demo)
    assert len(store) > 1000 and len(store.columns) > 20
    assert_same_frame(store, tables)
    assert_same_tables(run_analysis(store), run_analysis(tables))
    assert_store_matches_tables(demo)


def test_the_demo_filtered_in_memory_equals_the_filters_in_sql(demo):
    grades = load_grades(demo)
    rng = random.Random(12)
    for _ in range(25):
        filters = random_filters(rng, demo)
        assert_same_frame(grades.frame(filters), load_skill_frame_from_tables(demo, filters))
        assert_same_scores(demo, grades, filters)
    assert_same_scores(demo, grades, None)
    answered = load_grades(demo, answers=True)
    for _ in range(15):
        assert_same_question_scores(demo, answered, random_filters(rng, demo))
    assert_same_question_scores(demo, answered, None)
    phone = AnalysisFilters(channels=("Phone",))
    assert_same_tables(run_analysis(grades.frame(phone)), run_analysis(load_skill_frame_from_tables(demo, phone)))
    assert grades.options() == filter_options_from_tables(demo)


def test_bad_filters_are_refused_alike(demo):
    grades = load_grades(demo)
    for filters in (AnalysisFilters(date_from="March"), AnalysisFilters(date_from="2026-03-05", date_to="2026-03-01")):
        with pytest.raises(QAGraderError) as from_store:
            grades.frame(filters)
        with pytest.raises(QAGraderError) as from_tables:
            load_skill_frame_from_tables(demo, filters)
        assert str(from_store.value) == str(from_tables.value)


# ------------------------------------------------------------------ random operations

def _answers(card, rng: random.Random) -> dict[str, Answer]:
    answers = {}
    for question in card.questions:
        if question.allow_na and rng.random() < 0.15:
            answers[question.key] = Answer(na=True)
            continue
        label = rng.choice(question.labels)
        answers[question.key] = Answer(value=int(label) if question.type == "scale" else label)
    return answers


def _grade(ws: Workspace, rng: random.Random, *, calibration: bool = False) -> None:
    interaction = rng.choice(ws.conn.execute("SELECT id FROM interactions").fetchall())[0]
    card_id = rng.choice(ws.conn.execute("SELECT id FROM scorecards WHERE archived = 0").fetchall())[0]
    card = ws.scorecards.get_by_id(card_id).card
    draft = ws.evaluations.start(interaction, card_id, rng.choice(["Ana Lead", "Tom Becker", "new grader"]),
                                 calibration=calibration, blind=rng.choice([True, False, None]))
    ws.evaluations.save(draft.id, _answers(card, rng))
    if rng.random() < 0.8:
        ws.evaluations.submit(draft.id)


def _edit(ws: Workspace, rng: random.Random) -> None:
    evaluation_id = rng.choice(ws.conn.execute("SELECT id FROM evaluations WHERE status = 'submitted'").fetchall())[0]
    current = ws.evaluations.get(evaluation_id)
    card = ws.scorecards.get_by_id(current.scorecard_id).card
    ws.evaluations.save(evaluation_id, _answers(card, rng), editor="Ana Lead")


def _delete_draft(ws: Workspace, rng: random.Random) -> None:
    """Delete a draft (a calibration one too), leaving its tombstone."""
    drafts = ws.conn.execute("SELECT id FROM evaluations WHERE status = 'draft'").fetchall()
    if not drafts:
        _grade(ws, rng)
        drafts = ws.conn.execute("SELECT id FROM evaluations WHERE status = 'draft'").fetchall() or [(None,)]
    if drafts[0][0] is not None:
        ws.evaluations.delete_draft(rng.choice(drafts)[0])


def _agents(ws: Workspace, rng: random.Random) -> None:
    agents = [a.name for a in ws.interactions.agents()]
    action = rng.choice(["move", "rename", "merge", "rename_team"])
    if action == "move":
        ws.interactions.move_agents(rng.sample(agents, 2), rng.choice([*ws.interactions.teams(), None]))
    elif action == "rename":
        name = rng.choice(agents)
        ws.interactions.rename_agent(name, name + " R")
    elif action == "merge":
        keep, duplicate = rng.sample(agents, 2)
        ws.interactions.merge_agents(keep, duplicate)
    else:
        team = rng.choice(ws.interactions.teams())
        ws.interactions.rename_team(team, team + " T")


def _reimport(ws: Workspace, rng: random.Random, tmp_path) -> None:
    """Re-import some interactions with another channel, CSAT and date (upserts)."""
    from qagrader.core.importing.interactions import import_interactions

    rows = ws.conn.execute("SELECT external_id, agent_id FROM interactions ORDER BY id").fetchall()
    rows = rng.sample(rows, min(40, len(rows)))
    names = dict(ws.conn.execute("SELECT id, name FROM agents").fetchall())
    lines = ["ticket_id,channel,agent,csat,created_at"]
    for external_id, agent_id in rows:
        lines.append(f"{external_id},{rng.choice(['phone', 'email', 'chat'])},{names.get(agent_id, '')},"
                     f"{rng.choice(['', '1', '3', '5'])},2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00")
    path = tmp_path / f"again-{rng.random()}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_interactions(ws, path)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_random_operations_keep_the_store_equal_to_the_tables(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "random.qagrader"
    build_demo(path, interactions=rng.randint(150, 400), seed=seed)
    with Workspace.open(path) as ws:
        for round_ in range(6):
            for _ in range(rng.randint(2, 5)):
                operation = rng.choice(["grade", "grade", "calibration", "edit", "agents", "reimport", "delete"])
                if operation == "grade":
                    _grade(ws, rng)
                elif operation == "delete":
                    _delete_draft(ws, rng)
                elif operation == "calibration":
                    _grade(ws, rng, calibration=True)
                elif operation == "edit":
                    _edit(ws, rng)
                elif operation == "agents":
                    _agents(ws, rng)
                else:
                    _reimport(ws, rng, tmp_path)
            assert_store_matches_tables(ws)
            grades = load_grades(ws, answers=True)
            for _ in range(3):
                filters = random_filters(rng, ws)
                assert_same_frame(grades.frame(filters), load_skill_frame_from_tables(ws, filters))
                assert_same_scores(ws, grades, filters)
                assert_same_question_scores(ws, grades, filters)
        assert_same_tables(run_analysis(load_skill_frame(ws)), run_analysis(load_skill_frame_from_tables(ws)))


def test_a_merge_of_another_workspace_keeps_the_store_current(tmp_path):
    from qagrader.core.merging.merge import merge_workspace

    build_demo(tmp_path / "a.qagrader", interactions=200, seed=5)
    build_demo(tmp_path / "b.qagrader", interactions=260, seed=6)
    with Workspace.open(tmp_path / "b.qagrader") as other:
        _edit(other, random.Random(1))
    with Workspace.open(tmp_path / "a.qagrader") as ws:
        merge_workspace(ws, tmp_path / "b.qagrader", backup=False)
        assert_store_matches_tables(ws)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))


def test_a_merge_that_deletes_keeps_the_store_current(tmp_path):
    """b takes a's work, grades more (drafts and submitted) and deletes drafts of both; merging
    b back into a deletes a's copies of those drafts and brings b's grades, store current."""
    from qagrader.core.merging.merge import merge_workspace

    build_demo(tmp_path / "a.qagrader", interactions=200, seed=5)
    with Workspace.open(tmp_path / "a.qagrader") as ws:
        rng = random.Random(3)
        for _ in range(12):
            _grade(ws, rng)
        ws.backup_to(tmp_path / "b.qagrader")
    with Workspace.open(tmp_path / "b.qagrader") as other:
        rng = random.Random(4)
        for _ in range(12):
            _grade(other, rng)
        for _ in range(6):
            _delete_draft(other, rng)
        _edit(other, rng)
    with Workspace.open(tmp_path / "a.qagrader") as ws:
        report = merge_workspace(ws, tmp_path / "b.qagrader", backup=False)
        assert report.deleted.get("evaluations", 0) >= 1
        assert_store_matches_tables(ws)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))


def _calibration_session(ws: Workspace, rng: random.Random) -> int:
    """A calibration session on a few interactions, graded by two graders through the session
    (calibration grades, submitted), then closed: nothing of it is analysed."""
    from qagrader.core.calibration.grading import save_calibration_grade

    card_id = rng.choice(ws.conn.execute("SELECT id FROM scorecards WHERE archived = 0").fetchall())[0]
    card = ws.scorecards.get_by_id(card_id).card
    fitting = [i for i, channel in ws.conn.execute("SELECT id, channel FROM interactions ORDER BY id")
               if not card.channels or channel in card.channels]
    interactions = rng.sample(fitting, 3)
    graders = ["Ana Lead", "Tom Becker"]
    session = ws.calibration.create(f"Session {rng.random():.6f}", card_id, interaction_ids=interactions,
                                    graders=graders)
    for interaction in interactions:
        for grader in graders:
            save_calibration_grade(ws, session, interaction, grader, _answers(card, rng), submit=True)
    ws.calibration.close(session)
    return session


def test_calibration_sessions_are_left_out_of_the_store(tmp_path):
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=200, seed=8)
    with Workspace.open(path) as ws:
        before = load_skill_frame(ws)
        counted = analysis_store.stored_columns(ws.conn)
        rng = random.Random(8)
        for _ in range(3):
            _calibration_session(ws, rng)
        assert analysis_store.dirty_chunks(ws.conn) == []
        assert len(analysis_store.stored_columns(ws.conn)) == len(counted)
        assert_store_matches_tables(ws)
        assert_same_frame(load_skill_frame(ws), before)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))
        # a calibration grade turned into a regular one (by any program) is analysed from then on
        calibration_grade = ws.conn.execute("SELECT max(evaluation_id) FROM calibration_grades").fetchone()[0]
        with ws.transaction():
            ws.conn.execute("UPDATE evaluations SET calibration = 0 WHERE id = ?", (calibration_grade,))
        assert len(analysis_store.stored_columns(ws.conn)) == len(counted) + 1
        assert_store_matches_tables(ws)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))


def test_a_team_folder_merge_keeps_the_store_current(tmp_path):
    """Graders' copies in a team folder, with their own grades, edits and calibration sessions,
    merged one file at a time (and a dry run, which changes nothing)."""
    from qagrader.core.merging.merge import merge_folder
    from qagrader.core.merging.team_folder import publish

    folder = tmp_path / "team"
    folder.mkdir()
    build_demo(tmp_path / "lead.qagrader", interactions=220, seed=11)
    for number, seed in enumerate((12, 13)):
        rng = random.Random(seed)
        build_demo(tmp_path / f"g{number}.qagrader", interactions=200 + 20 * number, seed=seed)
        with Workspace.open(tmp_path / f"g{number}.qagrader") as grader:
            for _ in range(4):
                _grade(grader, rng)
            _edit(grader, rng)
            _calibration_session(grader, rng)
            publish(grader, folder, f"Grader {number}")
    with Workspace.open(tmp_path / "lead.qagrader") as ws:
        stored = analysis_store.stored_columns(ws.conn)
        merge_folder(ws, folder, dry_run=True)
        assert analysis_store.dirty_chunks(ws.conn) == []
        assert len(analysis_store.stored_columns(ws.conn)) == len(stored)
        report = merge_folder(ws, folder)
        assert not report.skipped and report.reports
        assert len(analysis_store.stored_columns(ws.conn)) > len(stored)
        assert_store_matches_tables(ws)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))
        assert_same_tables(run_analysis(load_skill_frame(ws)), run_analysis(load_skill_frame_from_tables(ws)))


# ------------------------------------------------------------------ missing or stale

def test_a_draft_autosave_marks_nothing(demo):
    interaction = demo.conn.execute("SELECT min(id) FROM interactions").fetchone()[0]
    card_id = demo.conn.execute("SELECT min(id) FROM scorecards").fetchone()[0]
    draft = demo.evaluations.start(interaction, card_id, "Autosaver")
    with demo.transaction():
        demo.evaluations.save(draft.id, _answers(demo.scorecards.get_by_id(card_id).card, random.Random(3)))
        assert analysis_store.dirty_chunks(demo.conn) == []
    demo.evaluations.delete_draft(draft.id)


def test_writes_by_another_program_are_picked_up(tmp_path):
    """A plain SQLite connection (no QA Grader) changes a skill score and a CSAT: the triggers
    mark the chunks and the next load rebuilds them."""
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=120)
    with sqlite3.connect(path) as other:
        other.execute("UPDATE evaluation_skills SET score = 1 - score WHERE evaluation_id IN "
                      "(SELECT id FROM evaluations WHERE status = 'submitted' LIMIT 5)")
        other.execute("UPDATE interactions SET csat_norm = 0.0, satisfied = 0 WHERE id IN "
                      "(SELECT interaction_id FROM evaluations LIMIT 7)")
    with Workspace.open(path) as ws:
        assert analysis_store.dirty_chunks(ws.conn)
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))
        assert_store_matches_tables(ws)  # the load saved the rebuild


def test_answers_scores_and_scorecards_changed_by_another_program_are_picked_up(tmp_path):
    """Answers and a QA score changed with plain SQL (values of other types too: a number as
    text, a real, true, an object, JSON that is not JSON), and a scorecard version's question
    renamed: the triggers mark the chunks, the store holds what SQLite reads from the answers,
    and every question scores as SQLite scores it."""
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=160, seed=4)
    with sqlite3.connect(path) as other:
        ids = [row[0] for row in other.execute("SELECT id FROM evaluations WHERE status = 'submitted' "
                                               "AND calibration = 0 ORDER BY id LIMIT 8")]
        odd = ['"4"', "4.0", "true", '{"a": 1}', '"Yes"', "null"]
        for evaluation_id, value in zip(ids, odd):
            answers = json.loads(other.execute("SELECT answers FROM evaluations WHERE id = ?",
                                               (evaluation_id,)).fetchone()[0])
            for key in list(answers)[:3]:
                answers[key]["value"] = json.loads(value)
            other.execute("UPDATE evaluations SET answers = ?, score = 12.5 WHERE id = ?",
                          (json.dumps(answers), evaluation_id))
        other.execute("UPDATE evaluations SET answers = '{not json' WHERE id = ?", (ids[-2],))
        other.execute("UPDATE evaluations SET score = NULL WHERE id = ?", (ids[-1],))
    with Workspace.open(path) as ws:
        assert analysis_store.dirty_chunks(ws.conn)
        grades = load_grades(ws, answers=True)
        assert_store_matches_tables(ws)  # the load saved the rebuild
        assert_same_scores(ws, grades, None)
        with ws.transaction():  # the reference cannot read '{not json' at all
            ws.conn.execute("UPDATE evaluations SET answers = '{}' WHERE id = ?", (ids[-2],))
        assert_same_question_scores(ws, load_grades(ws, answers=True), None)
        card_id, definition = ws.conn.execute(
            "SELECT scorecard_id, definition FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id "
            "WHERE e.id = ?", (ids[0],)).fetchone()
    renamed = json.loads(definition)
    question = renamed["sections"][0]["questions"][0]
    with sqlite3.connect(path) as other:  # the version's first question now reads another answer
        other.execute("UPDATE scorecards SET definition = ? WHERE id = ?",
                      (definition.replace(f'"key": "{question["key"]}"', '"key": "renamed"', 1), card_id))
    with Workspace.open(path) as ws:
        assert analysis_store.dirty_chunks(ws.conn)
        load_grades(ws, answers=True)
        assert_store_matches_tables(ws)


def test_answers_read_a_few_keys_at_a_time_are_the_same(tmp_path, monkeypatch):
    """The answers of many question keys are read in several queries (`KEYS_PER_QUERY` each)."""
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=120, seed=9)
    monkeypatch.setattr(analysis_store, "KEYS_PER_QUERY", 2)
    with Workspace.open(path) as ws:
        with ws.transaction():
            analysis_store.refresh(ws, [analysis_store.ALL])
        assert_store_matches_tables(ws)
        grades = load_grades(ws, answers=True)
        assert len(grades.answers.keys) > 2 * analysis_store.KEYS_PER_QUERY
        assert_same_question_scores(ws, grades, None)


def test_a_missing_or_stale_store_is_rebuilt(tmp_path):
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=150)
    with Workspace.open(path) as ws:
        reference = load_skill_frame_from_tables(ws)
        with sqlite3.connect(path) as other:  # chunks lost behind its back
            other.execute("DELETE FROM analysis_chunks WHERE chunk = (SELECT min(chunk) FROM analysis_chunks)")
        assert_same_frame(load_skill_frame(ws), reference)
        assert_store_matches_tables(ws)
        with sqlite3.connect(path) as other:  # a chunk in a format this version does not read
            blob = other.execute("SELECT data FROM analysis_chunks LIMIT 1").fetchone()[0]
            other.execute("UPDATE analysis_chunks SET data = ? WHERE chunk = (SELECT min(chunk) FROM analysis_chunks)",
                          (blob.replace(f'"format": {analysis_store.FORMAT}'.encode(), b'"format": 0'),))
        assert_same_frame(load_skill_frame(ws), reference)
        assert_store_matches_tables(ws)


def test_a_workspace_from_before_the_store_is_built_when_migrated(tmp_path):
    path = tmp_path / "old.qagrader"
    build_demo(path, interactions=150)
    with sqlite3.connect(path) as old:  # as the previous version left it
        for (name,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analysis_%'"
                                   ).fetchall():
            old.execute(f"DROP TRIGGER {name}")
        old.execute("DROP TABLE analysis_chunks")
        old.execute("DROP TABLE analysis_dirty")
        old.execute("DELETE FROM _sqlite_migrations WHERE name = '0009_analysis_store'")
        old.execute("PRAGMA user_version = 8")
    with Workspace.open(path) as ws:
        assert_store_matches_tables(ws)  # built right after migrating
        assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))


def test_a_store_of_the_previous_format_is_rebuilt_when_migrated(tmp_path):
    """A workspace of schema 0011, whose store holds no QA scores or answers (format 1) and whose
    trigger does not watch them: migrating rebuilds it, and later edits of answers mark it."""
    path = tmp_path / "previous.qagrader"
    build_demo(path, interactions=150)
    with sqlite3.connect(path) as old:
        old.execute("DROP TRIGGER analysis_scorecard_changed")
        old.execute("UPDATE analysis_chunks SET data = CAST(replace(CAST(data AS TEXT), "
                    f"'\"format\": {analysis_store.FORMAT}', '\"format\": 1') AS BLOB)")
        old.execute("DELETE FROM _sqlite_migrations WHERE name = '0012_analysis_answers'")
        old.execute("PRAGMA user_version = 11")
        assert old.execute("SELECT count(*) FROM analysis_chunks WHERE instr(data, '\"format\": 1')"
                           ).fetchone()[0] == old.execute("SELECT count(*) FROM analysis_chunks").fetchone()[0]
    with Workspace.open(path) as ws:
        assert_store_matches_tables(ws)  # built right after migrating
        assert_same_question_scores(ws, load_grades(ws, answers=True), None)
        evaluation_id = ws.conn.execute("SELECT max(id) FROM evaluations WHERE status = 'submitted' "
                                        "AND calibration = 0").fetchone()[0]
    with sqlite3.connect(path) as other:
        answers = json.loads(other.execute("SELECT answers FROM evaluations WHERE id = ?",
                                           (evaluation_id,)).fetchone()[0])
        answers[next(iter(answers))]["value"] = "changed"
        other.execute("UPDATE evaluations SET answers = ? WHERE id = ?", (json.dumps(answers), evaluation_id))
        assert analysis_store.dirty_chunks(other) == [evaluation_id >> analysis_store.CHUNK_BITS]


def test_a_locked_workspace_loads_from_memory_and_saves_nothing(tmp_path):
    """Dirty chunks while another program holds the write lock: the load builds them in memory."""
    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=120)
    with sqlite3.connect(path) as other:
        other.execute("UPDATE interactions SET channel = 'email' WHERE id IN (SELECT interaction_id FROM evaluations "
                      "LIMIT 9)")
    with Workspace.open(path, busy_timeout_s=0.05) as ws:
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            dirty = analysis_store.dirty_chunks(ws.conn)
            assert dirty
            assert_same_frame(load_skill_frame(ws), load_skill_frame_from_tables(ws))
            assert analysis_store.dirty_chunks(ws.conn) == dirty
        finally:
            locker.execute("ROLLBACK")
            locker.close()
