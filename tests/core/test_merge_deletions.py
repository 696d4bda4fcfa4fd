"""Deletions travel by merge (tombstones, core/merging/tombstones.py), on real workspace files:
both orders of a merge end equal, a deletion beats an older copy but not a later edit, a
tombstone travels A -> B -> C through a team folder, merging twice changes nothing, a dry run
counts what a merge deletes, hostile tombstones are refused, and random sequences of grades,
deletions and merges end equal in every workspace."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qagrader.core.errors import WorkspaceError
from qagrader.core.merging.fingerprint import fingerprint
from qagrader.core.merging.merge import merge_folder, merge_workspace
from qagrader.core.merging.team_folder import publish, published_name
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.changes import EVALUATIONS
from qagrader.core.storage.workspace import Workspace
from tests.core.test_merge import ALL_YES, clock_past, copy_of, grade, team_workspace
from tests.core.test_merge import lead  # noqa: F401  (the fixture: the lead's workspace)
from tests.samples import SIMPLE_CARD

# Tables that are local bookkeeping, not work (the merge log, the analysis-ready store).
_LOCAL_TABLES = {"merge_log", "analysis_chunks", "analysis_dirty", "_sqlite_migrations"}
# Tables matched by name across workspaces (their uuids may differ): keyed by name in the dump.
_NAMED = {"graders", "agents", "teams"}


def dump(ws: Workspace) -> dict[str, list]:
    """Every table's rows with local integer ids left out: a row's own `id` dropped, a reference
    to another row replaced by that row's uuid (or its name, for rows matched by name)."""
    conn = ws.conn
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = {}
    for table in tables:
        if table in _LOCAL_TABLES:
            continue
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        references = {r[3]: r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')}
        selected = []
        for column in columns:
            if column == "id" or (table in _NAMED and column in ("uuid", "created_at", "updated_at")):
                continue  # (rows matched by name keep their own uuid and times, as the fingerprint says)
            if column in references:
                target = references[column]
                key = "lower(name)" if target in _NAMED else "uuid"
                selected.append(f'(SELECT {key} FROM "{target}" r WHERE r.id = t."{column}")')
            else:
                selected.append(f't."{column}"')
        rows = conn.execute(f'SELECT {", ".join(selected)} FROM "{table}" t').fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def draft(ws: Workspace, external_id: str, grader: str, answers=None):
    interaction = ws.interactions.by_external_id(external_id)
    evaluation = ws.evaluations.start(interaction.id, ws.scorecards.get("Simple QA").id, grader)
    return ws.evaluations.save(evaluation.id, answers or {"empathy": Answer("Yes")})[0]


def uuids(ws: Workspace) -> set[str]:
    return {r[0] for r in ws.conn.execute("SELECT uuid FROM evaluations")}


def id_of(ws: Workspace, evaluation_uuid: str) -> int:
    return ws.conn.execute("SELECT id FROM evaluations WHERE uuid = ?", (evaluation_uuid,)).fetchone()[0]


def test_a_deleted_draft_stays_deleted_whichever_way_the_workspaces_are_merged(lead, tmp_path):
    a = copy_of(lead, tmp_path / "a.qagrader")
    kept = draft(a, "T1", "Priya Raman")
    gone = draft(a, "T2", "Priya Raman")
    submitted = grade(a, "T3", "Priya Raman")
    a.close()
    b = copy_of(lead, tmp_path / "b.qagrader")
    merge_workspace(b, tmp_path / "a.qagrader")  # b now holds a's drafts too
    b.close()
    a = Workspace.open(tmp_path / "a.qagrader")
    a.evaluations.delete_draft(gone.id)  # then a deletes one of them
    assert a.conn.execute("SELECT record_table, uuid FROM tombstones").fetchall() == [("evaluations", gone.uuid)]
    a.close()
    for name in ("a", "b"):  # keep the files as they are now: merge each order from them
        shutil.copyfile(tmp_path / f"{name}.qagrader", tmp_path / f"{name}-then.qagrader")

    with Workspace.open(tmp_path / "a.qagrader") as a:
        report = merge_workspace(a, tmp_path / "b-then.qagrader")
        assert gone.uuid not in uuids(a) and not report.deleted
        assert not report.changed  # b holds nothing a lacks, and its copy of the draft is older
    with Workspace.open(tmp_path / "b.qagrader") as b:
        assert gone.uuid in uuids(b)
        preview = merge_workspace(b, tmp_path / "a-then.qagrader", dry_run=True)
        assert preview.deleted == {"evaluations": 1} and gone.uuid in uuids(b)
        assert "1 evaluation deleted" in preview.summary()
        assert "  Deleted: 1 evaluation" in preview.lines()
        gone_here = id_of(b, gone.uuid)
        report, changes = b.apply(merge_workspace, tmp_path / "a-then.qagrader")
        assert report.deleted == {"evaluations": 1} and report.added == {"tombstones": 1}
        assert uuids(b) == {kept.uuid, submitted.uuid}
        assert gone_here in changes.ids_of(EVALUATIONS)  # screens showing it hear of the deletion
    with Workspace.open(tmp_path / "a.qagrader") as a, Workspace.open(tmp_path / "b.qagrader") as b:
        assert dump(a) == dump(b)
        assert fingerprint(a.conn) == fingerprint(b.conn)
        # and merging again, either way, changes nothing
        assert not merge_workspace(a, tmp_path / "b.qagrader").changed
        assert not merge_workspace(b, tmp_path / "a.qagrader").changed


def test_an_edit_made_after_the_deletion_wins_and_one_made_before_loses(lead, tmp_path):
    a = copy_of(lead, tmp_path / "a.qagrader")
    early = draft(a, "T1", "Priya Raman")
    late = draft(a, "T2", "Priya Raman")
    a.close()
    b = copy_of(lead, tmp_path / "b.qagrader")
    merge_workspace(b, tmp_path / "a.qagrader")
    # b edits `early` before a deletes it, and `late` after
    b.evaluations.save(id_of(b, early.uuid), {"empathy": Answer("No")}, editor="Priya Raman")
    b.close()
    a = Workspace.open(tmp_path / "a.qagrader")
    stamp = a.evaluations.get(early.id).updated_at
    clock_past(stamp)
    a.evaluations.delete_draft(early.id)
    a.evaluations.delete_draft(late.id)
    deleted_at = a.conn.execute("SELECT max(deleted_at) FROM tombstones").fetchone()[0]
    a.close()
    clock_past(deleted_at)
    with Workspace.open(tmp_path / "b.qagrader") as b:
        b.evaluations.save(id_of(b, late.uuid), {"empathy": Answer("No"), "tone": Answer(3)}, editor="Priya Raman")
    shutil.copyfile(tmp_path / "a.qagrader", tmp_path / "a-then.qagrader")

    with Workspace.open(tmp_path / "a.qagrader") as a:
        report = merge_workspace(a, tmp_path / "b.qagrader")
        assert report.added.get("evaluations") == 1  # the later edit of `late` brings it back
        assert uuids(a) == {late.uuid}
        assert json.loads(a.conn.execute("SELECT answers FROM evaluations").fetchone()[0])["tone"]["value"] == 3
    with Workspace.open(tmp_path / "b.qagrader") as b:
        report = merge_workspace(b, tmp_path / "a-then.qagrader")
        assert report.deleted == {"evaluations": 1}  # `early` was last edited before the deletion
        assert uuids(b) == {late.uuid}
    with Workspace.open(tmp_path / "a.qagrader") as a, Workspace.open(tmp_path / "b.qagrader") as b:
        assert dump(a) == dump(b)
        assert not merge_workspace(a, tmp_path / "b.qagrader").changed
        assert not merge_workspace(b, tmp_path / "a.qagrader").changed


def test_a_draft_submitted_elsewhere_is_not_deleted_by_the_deletion_of_the_draft(lead, tmp_path):
    a = copy_of(lead, tmp_path / "a.qagrader")
    shared = draft(a, "T1", "Priya Raman", ALL_YES)
    a.close()
    b = copy_of(lead, tmp_path / "b.qagrader")
    merge_workspace(b, tmp_path / "a.qagrader")
    b.evaluations.submit(id_of(b, shared.uuid))  # submitted there before a deletes its draft
    b.close()
    with Workspace.open(tmp_path / "a.qagrader") as a:
        a.evaluations.delete_draft(shared.id)
    shutil.copyfile(tmp_path / "a.qagrader", tmp_path / "a-then.qagrader")
    with Workspace.open(tmp_path / "a.qagrader") as a:
        merge_workspace(a, tmp_path / "b.qagrader")
        assert a.conn.execute("SELECT status FROM evaluations WHERE uuid = ?", (shared.uuid,)).fetchone() == \
            ("submitted",)
    with Workspace.open(tmp_path / "b.qagrader") as b:
        assert not merge_workspace(b, tmp_path / "a-then.qagrader").deleted
        assert shared.uuid in uuids(b)
    with Workspace.open(tmp_path / "a.qagrader") as a, Workspace.open(tmp_path / "b.qagrader") as b:
        assert dump(a) == dump(b)


def test_a_deletion_travels_a_to_b_to_c_through_the_team_folder(lead, tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    a = copy_of(lead, tmp_path / "a.qagrader")
    doomed = draft(a, "T1", "Priya Raman")
    publish(a, folder, "Priya Raman")
    c = copy_of(lead, tmp_path / "c.qagrader")
    merge_folder(c, folder)  # c takes the draft from the folder
    assert doomed.uuid in uuids(c)
    c.close()
    a.evaluations.delete_draft(doomed.id)
    b = copy_of(lead, tmp_path / "b.qagrader")
    merge_workspace(b, tmp_path / "a.qagrader")  # b learns of the deletion from a only
    a.close()
    (folder / published_name("Priya Raman")).unlink()  # a's copy is gone from the folder
    publish(b, folder, "Tom Becker")  # and b publishes
    b.close()
    with Workspace.open(tmp_path / "c.qagrader") as c:
        report = merge_folder(c, folder)
        assert doomed.uuid not in uuids(c)
        assert "1 deleted" in report.summary() and report.reports[0].deleted == {"evaluations": 1}
        assert "Deleted: 1 evaluation" in "\n".join(report.lines())
    with Workspace.open(tmp_path / "b.qagrader") as b, Workspace.open(tmp_path / "c.qagrader") as c:
        assert dump(b) == dump(c)


def test_a_deleted_scorecard_stays_deleted_unless_it_was_used_elsewhere(lead, tmp_path):
    second = dict(SIMPLE_CARD, name="Second card")
    unused = dict(SIMPLE_CARD, name="Unused card")
    lead.scorecards.import_json(json.dumps(second))
    lead.scorecards.import_json(json.dumps(unused))
    a = copy_of(lead, tmp_path / "a.qagrader")
    b = copy_of(lead, tmp_path / "b.qagrader")
    interaction = b.interactions.by_external_id("T1")
    used = b.evaluations.start(interaction.id, b.scorecards.get("Second card").id, "Tom Becker")
    b.close()
    clock_past(used.updated_at)
    a.scorecards.delete("Second card")
    a.scorecards.delete("Unused card")
    a.close()
    shutil.copyfile(tmp_path / "a.qagrader", tmp_path / "a-then.qagrader")
    with Workspace.open(tmp_path / "a.qagrader") as a:
        report = merge_workspace(a, tmp_path / "b.qagrader")
        assert report.added.get("scorecards") == 1  # the one b graded on comes back; the unused one not
        assert sorted(c.name for c in a.scorecards.list()) == ["Second card", "Simple QA"]
    with Workspace.open(tmp_path / "b.qagrader") as b:
        report = merge_workspace(b, tmp_path / "a-then.qagrader")
        assert report.deleted == {"scorecards": 1}
        assert sorted(c.name for c in b.scorecards.list()) == ["Second card", "Simple QA"]
    with Workspace.open(tmp_path / "a.qagrader") as a, Workspace.open(tmp_path / "b.qagrader") as b:
        assert dump(a) == dump(b)
        assert not merge_workspace(a, tmp_path / "b.qagrader").changed
        assert not merge_workspace(b, tmp_path / "a.qagrader").changed
        # once the draft on it is deleted too, the scorecard goes with the next merges
        b.evaluations.delete_draft(id_of(b, used.uuid))
        assert merge_workspace(a, tmp_path / "b.qagrader").deleted == {"evaluations": 1, "scorecards": 1}
        assert sorted(c.name for c in a.scorecards.list()) == ["Simple QA"]
        assert merge_workspace(b, tmp_path / "a.qagrader").deleted == {"scorecards": 1}
        assert dump(a) == dump(b)


@pytest.mark.parametrize("column, value, why", [
    ("record_table", "interactions", "not a kind of record that can be deleted"),
    ("deleted_at", "yesterday", "not a time as QA Grader writes it"),
    ("deleted_by", 999, "names no grader of that workspace"),
])
def test_a_hostile_tombstone_is_refused_and_nothing_is_merged(lead, tmp_path, column, value, why):
    a = copy_of(lead, tmp_path / "a.qagrader")
    doomed = draft(a, "T1", "Priya Raman")
    a.evaluations.delete_draft(doomed.id)
    a.close()
    conn = sqlite3.connect(tmp_path / "a.qagrader")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"UPDATE tombstones SET {column} = ?", (value,))
    conn.commit()
    conn.close()
    before = dump(lead)
    with pytest.raises(WorkspaceError) as refused:
        merge_workspace(lead, tmp_path / "a.qagrader")
    assert str(refused.value) == (f"{tmp_path / 'a.qagrader'}: tombstones record {doomed.uuid}, field {column}: "
                                  f"{refused.value.args[0].split(f'field {column}: ')[1]}")
    assert why in str(refused.value) and str(refused.value).endswith("; nothing was merged.")
    assert dump(lead) == before


# ------------------------------------------------------------------------ property test

_GRADERS = ("Priya Raman", "Tom Becker")
_operation = st.one_of(
    st.tuples(st.just("draft"), st.integers(0, 2), st.sampled_from(("T1", "T2", "T3"))),
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 50)),
    st.tuples(st.just("submit"), st.integers(0, 2), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 2), st.integers(0, 50)),
    st.tuples(st.just("merge"), st.integers(0, 2), st.integers(0, 2)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_operation, min_size=3, max_size=14))
def test_random_grades_deletions_and_merges_end_equal_everywhere(tmp_path_factory, operations):
    """Three graders' workspaces go through random drafts, edits, submits, deletions and merges;
    then each merges the others twice over (every order reaches every file): all end with the
    same work, the last round changes nothing, and the analysis-ready store matches the tables."""
    from tests.analysis.test_store import assert_store_matches_tables

    place = tmp_path_factory.mktemp("random")
    with team_workspace(place / "lead.qagrader", ("T1", "T2", "T3")) as lead:
        paths = [place / f"w{n}.qagrader" for n in range(3)]
        for path in paths:
            copy_of(lead, path).close()
    spaces = [Workspace.open(p) for p in paths]
    try:
        for action, who, arg in operations:
            ws = spaces[who]
            evaluations = ws.conn.execute("SELECT id, status FROM evaluations ORDER BY id").fetchall()
            drafts = [e for e, status in evaluations if status == "draft"]
            if action == "draft":
                draft(ws, arg, _GRADERS[who % 2], {"empathy": Answer("Yes")})
            elif action == "edit" and evaluations:
                ws.evaluations.save(evaluations[arg % len(evaluations)][0], {**ALL_YES, "tone": Answer(1 + arg % 5)},
                                    editor=_GRADERS[who % 2])
            elif action == "submit" and drafts:
                ws.evaluations.save(drafts[arg % len(drafts)], ALL_YES)
                ws.evaluations.submit(drafts[arg % len(drafts)])
            elif action == "delete" and drafts:
                ws.evaluations.delete_draft(drafts[arg % len(drafts)])
            elif action == "merge" and arg != who:
                merge_workspace(ws, paths[arg], backup=False)
        for _ in range(2):
            for who, ws in enumerate(spaces):
                for other in range(3):
                    if other != who:
                        merge_workspace(ws, paths[other], backup=False)
        for who, ws in enumerate(spaces):
            for other in range(3):
                if other != who:
                    assert not merge_workspace(ws, paths[other], backup=False).changed
        dumps = [dump(ws) for ws in spaces]
        assert dumps[0] == dumps[1] == dumps[2]
        for ws in spaces:
            assert_store_matches_tables(ws)
    finally:
        for ws in spaces:
            ws.close()
