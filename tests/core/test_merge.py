"""Merging workspaces, on real workspace files: idempotence (fingerprint), symmetry, conflicts
with history, scorecard versions from both sides, agent spellings, refused files, a kill
mid-merge, the team folder with three graders' files."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from qagrader.core.errors import CancelledError, QAGraderError, WorkspaceError
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.merging.merge import merge_folder, merge_log, merge_workspace
from qagrader.core.merging.team_folder import publish, published_name
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import EVALUATIONS, MERGES
from qagrader.core.storage.migrations import SCHEMA_VERSION
from qagrader.core.storage.records import new_uuid, utc_now
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import kill_once_marked
from tests.samples import SIMPLE_CARD

ALL_YES = {"empathy": Answer("Yes"), "tone": Answer(5), "accuracy": Answer("Yes")}


def add_interaction(ws: Workspace, external_id: str, agent: str | None = "Maya Patel", team: str | None = "Phone",
                    csat: str | None = "5") -> int:
    agent_id = ws.interactions.ensure_agent(agent, team) if agent else None
    now = utc_now()
    with ws.transaction() as conn:
        return conn.execute(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, csat_raw, csat_scale, csat_norm,
               satisfied, created_at, updated_at) VALUES (?, ?, 'phone', ?, (SELECT team_id FROM agents WHERE id = ?),
               ?, '1-5', ?, ?, ?, ?)""",
            (new_uuid(), external_id, agent_id, agent_id, csat, None if csat is None else (int(csat) - 1) / 4,
             None if csat is None else int(int(csat) >= 4), now, now)).lastrowid


def grade(ws: Workspace, external_id: str, grader: str, answers=None, *, card: str = "Simple QA"):
    interaction = ws.interactions.by_external_id(external_id)
    evaluation = ws.evaluations.start(interaction.id, ws.scorecards.get(card).id, grader)
    ws.evaluations.save(evaluation.id, answers or ALL_YES)
    return ws.evaluations.submit(evaluation.id)


def team_workspace(path: Path, interactions=("T1", "T2", "T3", "T4")) -> Workspace:
    """The lead's workspace: the scorecard and the interactions to grade."""
    ws = Workspace.open(path)
    ws.scorecards.import_json(json.dumps(SIMPLE_CARD))
    for external_id in interactions:
        add_interaction(ws, external_id)
    return ws


def copy_of(ws: Workspace, path: Path) -> Workspace:
    """A grader's laptop: a copy of `ws` taken now (as the team folder hands it out)."""
    ws.backup_to(path)
    return Workspace.open(path)


def clock_past(stamp: str) -> None:
    """Wait until `utc_now()` is later than `stamp` (timestamps have microseconds: at most a
    few microseconds), so that the next change is unambiguously the later one."""
    while utc_now() <= stamp:
        pass


def digests(path: Path) -> dict[str, str | None]:
    out = {}
    for suffix in ("", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        out[suffix] = hashlib.sha256(side.read_bytes()).hexdigest() if side.exists() else None
    return out


def answers_of(ws: Workspace) -> dict[str, tuple]:
    rows = ws.conn.execute("SELECT e.uuid, e.status, e.answers, e.overall_comment, g.name FROM evaluations e "
                           "JOIN graders g ON g.id = e.grader_id").fetchall()
    return {u: (s, json.loads(a), c, g) for u, s, a, c, g in rows}


def history_of(ws: Workspace, evaluation_uuid: str) -> list[dict]:
    evaluation_id = ws.conn.execute("SELECT id FROM evaluations WHERE uuid = ?", (evaluation_uuid,)).fetchone()[0]
    return [snapshot for _, snapshot in ws.evaluations.history(evaluation_id)]


@pytest.fixture
def lead(tmp_path):
    ws = team_workspace(tmp_path / "lead.qagrader")
    yield ws
    ws.close()


def test_merge_brings_in_what_is_missing_and_a_second_merge_changes_nothing(lead, tmp_path):
    priya = copy_of(lead, tmp_path / "priya.qagrader")
    first = grade(priya, "T1", "Priya Raman")
    add_interaction(priya, "T9", agent="Kwame Asante", team="Digital Care", csat="2")
    grade(priya, "T9", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
    priya.close()
    before = digests(tmp_path / "priya.qagrader")

    report = merge_workspace(lead, tmp_path / "priya.qagrader", merged_by="Lee Park")
    assert report.added == {"graders": 1, "teams": 1, "agents": 1, "interactions": 1, "evaluations": 2}
    assert not report.conflicts and report.backup and Path(report.backup).exists()
    assert answers_of(lead)[first.uuid] == ("submitted", {k: a.to_json() for k, a in ALL_YES.items()}, "",
                                            "Priya Raman")
    kwame = lead.interactions.by_external_id("T9")
    assert (kwame.agent, kwame.team, kwame.csat_raw) == ("Kwame Asante", "Digital Care", "2")
    skills = lead.conn.execute("SELECT count(*) FROM evaluation_skills").fetchone()[0]
    assert skills == 6
    assert digests(tmp_path / "priya.qagrader") == before  # the other file is never modified

    print_before = fingerprint(lead.conn)
    again = merge_workspace(lead, tmp_path / "priya.qagrader", merged_by="Lee Park")
    assert not again.changed and again.summary().startswith("Nothing new")
    assert fingerprint(lead.conn) == print_before
    assert len(merge_log(lead)) == 1 and len(list(tmp_path.glob("lead.before-merge-*"))) == 1
    (at, source, by, logged), = merge_log(lead)
    assert by == "Lee Park" and source.endswith("priya.qagrader") and logged.added == report.added


def test_the_other_file_stays_byte_identical_while_it_is_open_elsewhere(lead, tmp_path):
    tom = copy_of(lead, tmp_path / "tom.qagrader")
    tom.conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the grade in the -wal file
    grade(tom, "T2", "Tom Becker")
    before = digests(tmp_path / "tom.qagrader")
    assert before["-wal"] is not None and before["-shm"] is not None
    report = merge_workspace(lead, tmp_path / "tom.qagrader")
    assert report.added["evaluations"] == 1  # read from the -wal too
    assert digests(tmp_path / "tom.qagrader") == before
    tom.close()


def test_dry_run_reports_exactly_and_writes_nothing(lead, tmp_path):
    sam = copy_of(lead, tmp_path / "sam.qagrader")
    grade(sam, "T3", "Sam Whitfield")
    sam.close()
    before = fingerprint(lead.conn)
    lead.take_changes()
    preview = merge_workspace(lead, tmp_path / "sam.qagrader", dry_run=True)
    assert preview.dry_run and preview.added == {"graders": 1, "evaluations": 1}
    assert "  Dry run: nothing was written." in preview.lines()
    assert fingerprint(lead.conn) == before and not merge_log(lead) and not lead.take_changes()
    assert not list(tmp_path.glob("lead.before-merge-*"))
    real = merge_workspace(lead, tmp_path / "sam.qagrader")
    assert (real.added, real.updated) == (preview.added, preview.updated)
    assert lead.take_changes().touches(EVALUATIONS, MERGES)


def test_merging_both_ways_leaves_both_with_the_same_work(lead, tmp_path):
    a = copy_of(lead, tmp_path / "a.qagrader")
    b = copy_of(lead, tmp_path / "b.qagrader")
    shared = grade(a, "T1", "Priya Raman")
    a.close()
    merge_workspace(b, tmp_path / "a.qagrader")  # b has a's grade; now both edit it and grade more
    a = Workspace.open(tmp_path / "a.qagrader")
    a.evaluations.save(shared.id, overall_comment="checked again", editor="Priya Raman")
    grade(a, "T2", "Priya Raman")
    b_shared = b.conn.execute("SELECT id FROM evaluations WHERE uuid = ?", (shared.uuid,)).fetchone()[0]
    b.evaluations.save(b_shared, {**ALL_YES, "tone": Answer(2)}, editor="Lee Park")
    grade(b, "T3", "Tom Becker")
    grade(b, "T2", "Tom Becker", {**ALL_YES, "accuracy": Answer("No")})
    a.close()
    b.close()

    with Workspace.open(tmp_path / "a.qagrader") as a, Workspace.open(tmp_path / "b.qagrader") as b:
        to_a = merge_workspace(a, tmp_path / "b.qagrader")
        merge_workspace(b, tmp_path / "a.qagrader")
        assert fingerprint(a.conn) == fingerprint(b.conn)
        assert answers_of(a) == answers_of(b) and len(answers_of(a)) == 4
        assert history_of(a, shared.uuid) == history_of(b, shared.uuid)
        assert len(to_a.conflicts) == 1  # the shared grade changed on both sides
        # and merging again, either way, changes nothing
        assert not merge_workspace(a, tmp_path / "b.qagrader").changed
        assert not merge_workspace(b, tmp_path / "a.qagrader").changed


def test_an_evaluation_changed_on_both_sides_keeps_the_later_and_files_the_other(lead, tmp_path):
    evaluation = grade(lead, "T1", "Priya Raman")
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    lead.evaluations.save(evaluation.id, {**ALL_YES, "empathy": Answer("No")}, editor="Lee Park")
    clock_past(lead.evaluations.get(evaluation.id).updated_at)  # so that the laptop's edit is the later one
    laptop.evaluations.save(evaluation.id, {**ALL_YES, "tone": Answer(3)}, editor="Priya Raman")
    laptop_version = laptop.evaluations.get(evaluation.id)
    laptop.close()

    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    conflict, = report.conflicts
    assert conflict.kind == "evaluation" and "T1" in conflict.key and "by Lee Park" in conflict.detail
    now = lead.evaluations.get(evaluation.id)
    assert now.answers["tone"] == Answer(3) and now.updated_at == laptop_version.updated_at
    assert now.score == laptop_version.score
    history = lead.evaluations.history(evaluation.id)
    kept = [s for _, s in history if "merge_conflict" in s]
    assert len(kept) == 1 and kept[0]["answers"]["empathy"]["value"] == "No"
    assert kept[0]["edited_by"] == "Lee Park"  # who made the version that lost
    # the edits' own history came along: the original version, replaced by each side's edit
    assert sorted(s["edited_by"] for _, s in history if "merge_conflict" not in s) == ["Lee Park", "Priya Raman"]
    skills = dict(lead.conn.execute("SELECT skill, score FROM evaluation_skills WHERE evaluation_id = ?",
                                    (evaluation.id,)))
    assert skills["Friendly tone"] == pytest.approx(0.5)


def test_an_edit_on_one_side_only_is_an_update_not_a_conflict(lead, tmp_path):
    evaluation = grade(lead, "T1", "Priya Raman")
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    laptop.evaluations.save(evaluation.id, overall_comment="coaching note", editor="Priya Raman")
    laptop.close()
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert report.updated == {"evaluations": 1} and report.added == {"history": 1} and not report.conflicts
    assert lead.evaluations.get(evaluation.id).overall_comment == "coaching note"


def test_a_draft_submitted_elsewhere_comes_in_submitted(lead, tmp_path):
    interaction = lead.interactions.by_external_id("T4")
    draft = lead.evaluations.start(interaction.id, lead.scorecards.get("Simple QA").id, "Sam Whitfield")
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    lead.evaluations.save(draft.id, {"empathy": Answer("No")})  # the lead's copy changes later...
    laptop.evaluations.save(draft.id, ALL_YES)
    laptop.evaluations.submit(draft.id)
    laptop.close()
    lead.evaluations.save(draft.id, {"empathy": Answer("Yes")})  # ...even after the submit
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert lead.evaluations.get(draft.id).submitted and not report.conflicts


def test_an_interaction_imported_differently_takes_the_later_import_and_is_reported(lead, tmp_path):
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    clock_past(utc_now())
    with laptop.transaction() as conn:  # a later import corrected the survey answer
        conn.execute("UPDATE interactions SET csat_raw = '2', csat_norm = 0.25, satisfied = 0, updated_at = ? "
                     "WHERE external_id = 'T2'", (utc_now(),))
    laptop.close()
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    conflict, = report.conflicts
    assert (conflict.kind, conflict.key) == ("interaction", "T2")
    assert "CSAT 2 there, 5 here" in conflict.detail and "kept theirs" in conflict.detail
    assert lead.interactions.by_external_id("T2").csat_raw == "2"
    back = copy_of(lead, tmp_path / "back.qagrader")  # and the other way round: the later one stays
    back.close()
    with Workspace.open(tmp_path / "laptop.qagrader") as laptop:
        assert not merge_workspace(laptop, tmp_path / "back.qagrader").conflicts


def test_agents_teams_and_graders_match_whatever_the_spelling(lead, tmp_path):
    laptop = Workspace.open(tmp_path / "laptop.qagrader")  # created apart, not a copy
    laptop.scorecards.import_json(json.dumps(SIMPLE_CARD))
    add_interaction(laptop, "T7", agent="MAYA PATEL", team="phone")
    grade(laptop, "T7", "priya raman")
    laptop.close()
    grade(lead, "T1", "Priya Raman")
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert report.added.get("agents") is None and report.added.get("teams") is None
    assert report.added.get("graders") is None
    assert [a.name for a in lead.interactions.agents()] == ["Maya Patel"]
    assert lead.interactions.by_external_id("T7").agent == "Maya Patel"
    # the same scorecard created apart is another family of the same name: kept apart, reported
    assert report.added["scorecards"] == 1
    assert any("theirs came in as 'Simple QA (2)'" in note for note in report.notes)
    assert {c.name for c in lead.scorecards.list()} == {"Simple QA", "Simple QA (2)"}


def test_scorecard_versions_from_both_sides_are_all_kept(lead, tmp_path):
    grade(lead, "T1", "Priya Raman")  # graded, so an edit makes a new version
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    card = copy.deepcopy(SIMPLE_CARD)
    card["sections"][1]["questions"].append({"key": "closing", "text": "Closed the call", "type": "yes_no"})
    lead.scorecards.import_json(json.dumps(card))
    other = copy.deepcopy(SIMPLE_CARD)
    other["sections"][0]["questions"][1]["text"] = "Warm, friendly tone"
    laptop.scorecards.import_json(json.dumps(other))
    grade(laptop, "T2", "Tom Becker")  # on the laptop's version 2
    laptop.close()
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert report.added["scorecards"] == 1
    assert any("their version 2 came in as version 3" in note for note in report.notes)
    versions = lead.scorecards.versions("Simple QA")
    assert [v.version for v in versions] == [1, 2, 3] or [v.version for v in versions] == [3, 2, 1]
    t2 = lead.evaluations.for_interaction(lead.interactions.by_external_id("T2").id)[0]
    assert lead.scorecards.get_by_id(t2.scorecard_id).card.questions[1].text == "Warm, friendly tone"


def test_refused_files_are_left_untouched(lead, tmp_path):
    newer = tmp_path / "newer.qagrader"
    Workspace.open(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('qagrader', '9999_x', 'x')")
    conn.commit()
    conn.close()
    notes = tmp_path / "notes.qagrader"
    notes.write_text("not a workspace at all\n" * 50)
    foreign = tmp_path / "other.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = fingerprint(lead.conn)
    for path, message in ((newer, "written by a newer version of QA Grader"),
                          (notes, "not a QA Grader workspace"), (foreign, "not a QA Grader workspace"),
                          (tmp_path / "missing.qagrader", "No workspace at"),
                          (lead.path, "is the workspace that is open")):
        untouched = digests(path) if path.exists() else None
        with pytest.raises((WorkspaceError, QAGraderError), match=message) as raised:
            merge_workspace(lead, path)
        assert str(path) in str(raised.value) and "\n" not in str(raised.value)
        if untouched is not None:
            assert digests(path) == untouched
    assert fingerprint(lead.conn) == before


def test_cancel_leaves_everything_as_it_was(lead, tmp_path):
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    grade(laptop, "T1", "Tom Becker")
    laptop.close()
    before = fingerprint(lead.conn)
    seen: list[float] = []
    with pytest.raises(CancelledError):
        merge_workspace(lead, tmp_path / "laptop.qagrader", progress=seen.append,
                        cancelled=lambda: len(seen) > 4)
    assert fingerprint(lead.conn) == before and not merge_log(lead)
    assert "other" not in {row[1] for row in lead.conn.execute("PRAGMA database_list")}  # detached


_KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qagrader.core.merging import merge as merging
    from qagrader.core.merging.merge import merge_workspace
    from qagrader.core.storage.workspace import Workspace

    target, other, marker = sys.argv[1:4]
    real_log = merging._log

    def stop_before_commit(ws, report, merged_by):
        real_log(ws, report, merged_by)
        Path(marker).write_text("written, not committed")
        time.sleep(600)

    merging._log = stop_before_commit
    merge_workspace(Workspace.open(target), other)
""")


def test_a_kill_mid_merge_leaves_the_workspace_as_it_was(lead, tmp_path):
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    for external_id in ("T1", "T2", "T3"):
        grade(laptop, external_id, "Tom Becker")
    laptop.close()
    before = fingerprint(lead.conn)
    lead.close()
    marker = tmp_path / "marker"
    kill_once_marked(_KILL_SCRIPT, tmp_path / "lead.qagrader", tmp_path / "laptop.qagrader", marker, marker=marker)
    with Workspace.open(tmp_path / "lead.qagrader") as ws:
        assert ws.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert fingerprint(ws.conn) == before and not merge_log(ws)
        report = merge_workspace(ws, tmp_path / "laptop.qagrader")  # and the merge can simply run again
        assert report.added["evaluations"] == 3


def test_the_team_folder_with_three_graders(lead, tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    publish(lead, folder, "Lee Park")  # the lead hands out the scorecard and the interactions
    for grader, external_ids in (("Priya Raman", ("T1", "T2")), ("Tom Becker", ("T3",)),
                                 ("Sam Whitfield", ("T4", "T1"))):
        laptop = Workspace.open(folder / published_name("Lee Park")).reopen()
        laptop.close()
        own = tmp_path / f"{grader}.qagrader"
        with Workspace.open(own) as ws:
            merge_workspace(ws, folder / published_name("Lee Park"))
            for external_id in external_ids:
                grade(ws, external_id, grader)
            published = publish(ws, folder, grader)
        assert published == folder / f"{grader}.qagrader"
    (folder / "notes.txt").write_text("meeting at 10")
    (folder / "broken.qagrader").write_text("half a file")
    assert not list(folder.glob(".*"))  # no temporary files left behind

    preview = merge_folder(lead, folder, dry_run=True)
    assert preview.new_count == 5 + 3  # five evaluations, three graders (the lead's own copy adds nothing)
    assert [name for name, _ in preview.skipped] == ["broken.qagrader"]
    report = merge_folder(lead, folder, merged_by="Lee Park")
    assert report.new_count == preview.new_count and report.conflicts == 0
    assert lead.counts()["submitted"] == 5
    assert lead.graders.names() == ["Lee Park", "Priya Raman", "Sam Whitfield", "Tom Becker"]
    assert len(merge_log(lead)) == 3
    assert len(list(tmp_path.glob("lead.before-merge-*"))) == 1  # one backup, before the first file
    again = merge_folder(lead, folder, dry_run=True)
    assert again.new_count == 0 and "nothing new" in again.summary()


def test_publishing_replaces_the_copy_atomically(lead, tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    first = publish(lead, folder, "Lee/Park: lead")
    assert first.name == "Lee-Park- lead.qagrader"
    grade(lead, "T1", "Lee Park")
    publish(lead, folder, "Lee/Park: lead")
    assert not first.with_name(first.name + "-wal").exists()  # one self-contained file
    with Workspace.open(first) as copy_:
        assert copy_.counts()["submitted"] == 1
    with pytest.raises(QAGraderError, match="does not exist"):
        publish(lead, tmp_path / "nowhere", "Lee Park")


def test_an_older_workspace_file_is_merged_from_a_migrated_copy(lead, tmp_path):
    from sqlite_utils import Database

    from qagrader.core.storage.migrations import migrations
    from qagrader.core.storage.workspace import APPLICATION_ID

    old = tmp_path / "old.qagrader"
    db = Database(old)
    migrations.apply(db, stop_before="0004_graders")  # a workspace from before graders were people
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 3")
    card = lead.scorecards.get("Simple QA")
    db.conn.execute("INSERT INTO scorecards (id, uuid, family_uuid, name, version, definition, created_at, "
                    "updated_at) VALUES (1, ?, ?, ?, 1, ?, 'x', 'x')",
                    (card.uuid, card.family_uuid, card.name, lead.conn.execute(
                        "SELECT definition FROM scorecards WHERE id = ?", (card.id,)).fetchone()[0]))
    db.conn.execute("INSERT INTO interactions (id, uuid, external_id, channel, csat_raw, created_at, updated_at) "
                    "VALUES (1, 'u-old', 'T1', 'phone', '5', 'x', 'x')")
    db.conn.execute("INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader, status, answers, "
                    "created_at, updated_at, submitted_at) VALUES ('e-old', 1, 1, 'Old Grader', 'submitted', ?, "
                    "'2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')",
                    (json.dumps({k: a.to_json() for k, a in ALL_YES.items()}),))
    db.conn.commit()
    db.close()
    before = digests(old)
    report = merge_workspace(lead, old)
    assert report.added == {"graders": 1, "evaluations": 1} and digests(old) == before
    assert answers_of(lead)["e-old"][3] == "Old Grader"
    assert not list(tmp_path.glob("old.before-migration-*"))  # the file itself was not migrated


def test_a_later_rename_of_a_grader_or_team_comes_along(lead, tmp_path):
    grade(lead, "T1", "Priya Ramen")
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    clock_past(utc_now())
    laptop.graders.rename(laptop.graders.find("Priya Ramen"), "Priya Raman")
    laptop.interactions.rename_team("Phone", "Phone Support")
    laptop.close()
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert report.updated == {"graders": 1, "teams": 1}
    assert lead.graders.names() == ["Priya Raman"] and lead.interactions.teams() == ["Phone Support"]


def test_whether_csat_was_hidden_travels_with_the_evaluation(lead, tmp_path):
    priya = copy_of(lead, tmp_path / "priya.qagrader")
    interaction = priya.interactions.by_external_id("T1")
    seen = priya.evaluations.start(interaction.id, priya.scorecards.get("Simple QA").id, "Priya Raman", blind=True)
    priya.evaluations.save(seen.id, ALL_YES, blind=False)  # answered with CSAT in view
    priya.evaluations.submit(seen.id, blind=True)
    blind = grade(priya, "T2", "Priya Raman")  # unknown: graded without saying
    priya.close()
    merge_workspace(lead, tmp_path / "priya.qagrader", merged_by="Lee Park")
    stored = dict(lead.conn.execute("SELECT uuid, blind FROM evaluations"))
    assert stored[seen.uuid] == 0 and stored[blind.uuid] is None


def test_disputes_and_coaching_notes_travel_both_ways(lead, tmp_path):
    graded = grade(lead, "T1", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
    other = grade(lead, "T2", "Priya Raman", {**ALL_YES, "accuracy": Answer("No")})
    maya = lead.interactions.ensure_agent("Maya Patel")
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    # the lead raises a dispute and coaches; the grader's laptop raises and rejects another
    dispute = lead.disputes.create(graded.id, "She acknowledged it at 2:30", raised_by="Lee Park",
                                   question_key="empathy")
    note = lead.coaching.add(maya, coach="Lee Park", skills=["Empathy"], agreed="Name the feeling",
                             coached_on="2026-03-16", evaluations=[graded.uuid])
    laptop_dispute = laptop.disputes.create(other.id, "The order number was right", raised_by="Priya Raman",
                                            question_key="accuracy")
    laptop.disputes.reject(laptop_dispute.id, by="Priya Raman", reason="It was not: see the CRM")
    laptop.close()

    to_lead = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert to_lead.added == {"disputes": 1}
    with Workspace.open(tmp_path / "laptop.qagrader") as laptop:
        to_laptop = merge_workspace(laptop, lead.path)
        assert to_laptop.added == {"graders": 1, "disputes": 1, "coaching_notes": 1}  # Lee Park too
        assert "1 coaching note" in to_laptop.summary()
        assert fingerprint(laptop.conn) == fingerprint(lead.conn)
        came = laptop.disputes.by_uuid(dispute.uuid)
        assert (came.agent, came.raised_by, came.question_key, came.reason) == (
            "Maya Patel", "Lee Park", "empathy", "She acknowledged it at 2:30")
        (theirs,) = laptop.coaching.list()
        assert (theirs.uuid, theirs.agent, theirs.coach, theirs.evaluations) == (
            note.uuid, "Maya Patel", "Lee Park", (graded.uuid,))
        # the laptop accepts the lead's dispute (a re-grade) and follows the note up
        clock_past(utc_now())
        laptop.disputes.accept(came.id, {"empathy": Answer("Yes")}, by="Priya Raman", reason="Heard it")
        laptop.coaching.complete_follow_up(theirs.id, on="2026-04-13", note="Better")
    back = merge_workspace(lead, tmp_path / "laptop.qagrader")
    assert back.updated == {"evaluations": 1, "disputes": 1, "coaching_notes": 1} and back.added == {"history": 1}
    resolved = lead.disputes.by_uuid(dispute.uuid)
    assert (resolved.status, resolved.resolved_by, resolved.resolution) == ("accepted", "Priya Raman", "Heard it")
    assert lead.disputes.answer_before(resolved) == Answer("No")  # the re-grade's history came along
    assert lead.evaluations.get(graded.id).answers["empathy"] == Answer("Yes")
    assert lead.coaching.get(note.id).followed_up_on == "2026-04-13"
    with Workspace.open(tmp_path / "laptop.qagrader") as laptop:
        assert fingerprint(laptop.conn) == fingerprint(lead.conn)
        assert not merge_workspace(laptop, lead.path).changed
    assert not merge_workspace(lead, tmp_path / "laptop.qagrader").changed


def test_a_dispute_resolved_differently_on_both_sides_keeps_the_later_and_reports_it(lead, tmp_path):
    graded = grade(lead, "T1", "Priya Raman", {**ALL_YES, "empathy": Answer("No")})
    dispute = lead.disputes.create(graded.id, "Unfair", raised_by="Lee Park", question_key="empathy")
    note = lead.coaching.add(lead.interactions.ensure_agent("Maya Patel"), coach="Lee Park", skills=["Empathy"])
    laptop = copy_of(lead, tmp_path / "laptop.qagrader")
    lead.disputes.reject(dispute.id, by="Lee Park", reason="No acknowledgement")
    clock_past(utc_now())
    local_id = laptop.disputes.by_uuid(dispute.uuid).id
    laptop.disputes.accept(local_id, {"empathy": Answer("Yes")}, by="Sam Whitfield", reason="There was one")
    laptop.coaching.delete(laptop.coaching.list()[0].id)  # a deletion travels as a later change
    laptop.close()
    report = merge_workspace(lead, tmp_path / "laptop.qagrader")
    (conflict,) = [c for c in report.conflicts if c.kind == "dispute"]
    assert conflict.key == "of interaction T1, question 'empathy'"
    assert "rejected here, accepted in the other workspace; kept the later decision (accepted" in conflict.detail
    assert lead.disputes.get(dispute.id).status == "accepted"
    assert lead.coaching.list() == [] and not lead.coaching.for_agent(note.agent_id)
    with Workspace.open(tmp_path / "laptop.qagrader") as laptop:
        merge_workspace(laptop, lead.path)
        assert fingerprint(laptop.conn) == fingerprint(lead.conn)
