"""Operations report what they changed: every write goes through the row writers, which record
the ids of the rows written (and, for evaluations, the interaction they grade), taken from the
workspace once the transaction commits (`Workspace.apply`)."""

from __future__ import annotations

import json

import pytest

from qagrader.core.demo.build import build_demo
from qagrader.core.errors import EvaluationError, QAGraderError
from qagrader.core.importing.interactions import ImportOptions, import_interactions
from qagrader.core.scorecards.model import scorecard_from_dict
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage import writers
from qagrader.core.storage.changes import (AGENTS, EVALUATIONS, GRADERS, INTERACTIONS, KINDS, MERGES, SCORECARDS,
                                           TEAMS, Changes)
from qagrader.core.storage.workspace import Workspace
from tests.samples import EXAMPLE

FULL = {"empathy": Answer("yes"), "tone": Answer(4), "wrong_name": Answer("Yes"), "data_leak": Answer("No"),
        "resolution": Answer("partial"), "wow": Answer(na=True)}
CSV = ("id,channel,agent,team,csat\n"
       "A1,chat,Ana,Blue,5\nA2,chat,Bo,Blue,4\nA3,email,Cy,Red,\n")


def exactly(**kinds) -> dict:
    """The Changes a test expects, as {kind: ids or None}."""
    return {kind: (None if ids is None else frozenset(ids)) for kind, ids in kinds.items()}


def as_dict(changes: Changes) -> dict:
    return dict(changes.ids)


@pytest.fixture
def ws(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    workspace = Workspace.open(tmp_path / "w.qagrader")
    workspace.scorecards.import_json(json.dumps(EXAMPLE))
    import_interactions(workspace, tmp_path / "in.csv")
    workspace.take_changes()
    yield workspace
    workspace.close()


def ids(ws: Workspace, table: str, column: str = "name") -> dict[str, int]:
    return {key: id_ for id_, key in ws.conn.execute(f"SELECT id, {column} FROM {table}")}


def test_grading_records_the_evaluation_and_its_interaction(ws):
    card = ws.scorecards.get("Chat QA")
    interaction = ids(ws, "interactions", "external_id")["A1"]
    draft, changes = ws.apply(lambda w: w.evaluations.start(interaction, card.id, "Grace"))
    grace = ws.graders.find("Grace")
    assert as_dict(changes) == exactly(evaluations=[draft.id], interactions=[interaction], graders=[grace])
    _, changes = ws.apply(lambda w: w.evaluations.start(interaction, card.id, "Grace"))  # the same draft
    assert not changes
    _, changes = ws.apply(lambda w: w.evaluations.save(draft.id, FULL))
    assert as_dict(changes) == exactly(evaluations=[draft.id], interactions=[interaction])
    _, changes = ws.apply(lambda w: w.evaluations.save(draft.id, FULL))  # nothing new: nothing written
    assert not changes
    _, changes = ws.apply(lambda w: w.evaluations.submit(draft.id))
    assert as_dict(changes) == exactly(evaluations=[draft.id], interactions=[interaction])
    _, changes = ws.apply(lambda w: w.evaluations.set_answer(draft.id, "tone", Answer(2), editor="Lee"))
    lee = ws.graders.find("Lee")  # a new grader, as the editor
    assert as_dict(changes) == exactly(evaluations=[draft.id], interactions=[interaction], graders=[lee])
    assert ws.evaluations.history(draft.id)[0][1]["edited_by"] == "Lee"


def test_refused_writes_report_nothing(ws):
    card = ws.scorecards.get("Chat QA")
    draft = ws.evaluations.start(ids(ws, "interactions", "external_id")["A2"], card.id, "Grace")
    ws.take_changes()
    with pytest.raises(EvaluationError):
        ws.evaluations.submit(draft.id)  # unanswered questions
    with pytest.raises(QAGraderError):
        ws.interactions.rename_agent("Ana", "bo")  # clashes with Bo (names ignore case)
    with pytest.raises(QAGraderError):
        ws.scorecards.save(scorecard_from_dict({**EXAMPLE, "name": "chat qa"}), family_uuid="another")
    assert not ws.take_changes()
    _, changes = ws.apply(lambda w: w.evaluations.delete_draft(draft.id))
    assert as_dict(changes) == exactly(evaluations=[draft.id], interactions=[draft.interaction_id])


def test_agent_and_team_housekeeping_records_the_rows_written(ws):
    agents, teams = ids(ws, "agents"), ids(ws, "teams")
    _, changes = ws.apply(lambda w: w.interactions.rename_agent("Ana", "Anna"))
    assert as_dict(changes) == exactly(agents=[agents["Ana"]])
    _, changes = ws.apply(lambda w: w.interactions.move_agents(["Anna", "Bo"], "Green"))
    green = ids(ws, "teams")["Green"]
    assert as_dict(changes) == exactly(agents=[agents["Ana"], agents["Bo"]], teams=[green])
    _, changes = ws.apply(lambda w: w.interactions.set_agents_active(["Cy"], False))
    assert as_dict(changes) == exactly(agents=[agents["Cy"]])
    _, changes = ws.apply(lambda w: w.interactions.rename_team("Red", "Crimson"))
    assert as_dict(changes) == exactly(teams=[teams["Red"]])
    moved, changes = ws.apply(lambda w: w.interactions.merge_agents("Anna", "Bo"))
    interactions = ids(ws, "interactions", "external_id")
    assert moved == 1
    assert as_dict(changes) == exactly(agents=[agents["Ana"], agents["Bo"]], interactions=[interactions["A2"]])
    _, changes = ws.apply(lambda w: w.interactions.ensure_agent("Anna"))  # exists: nothing written
    assert not changes


def test_scorecard_operations_record_every_version_written(ws):
    card = ws.scorecards.get("Chat QA")
    edited = scorecard_from_dict({**EXAMPLE, "name": "Chat QA v2"})
    result, changes = ws.apply(lambda w: w.scorecards.save(edited, family_uuid=card.family_uuid))
    assert result.changed and as_dict(changes) == exactly(scorecards=[card.id])
    draft = ws.evaluations.start(ids(ws, "interactions", "external_id")["A1"], card.id, "Grace")
    ws.evaluations.save(draft.id, FULL)
    changed = scorecard_from_dict({**EXAMPLE, "name": "Chat QA v2", "na_policy": "pass"})
    result, changes = ws.apply(lambda w: w.scorecards.save(changed))
    assert result.new_version and as_dict(changes) == exactly(scorecards=[result.scorecard.id])
    _, changes = ws.apply(lambda w: w.scorecards.set_archived("Chat QA v2"))
    assert as_dict(changes) == exactly(scorecards=[card.id, result.scorecard.id])
    other = ws.scorecards.import_json(json.dumps({**EXAMPLE, "name": "Unused"})).scorecard
    _, changes = ws.apply(lambda w: w.scorecards.delete("Unused"))
    assert as_dict(changes) == exactly(scorecards=[other.id])


def test_interaction_import_records_a_bulk_write_and_the_people_it_created(ws, tmp_path):
    before = ids(ws, "agents")
    (tmp_path / "more.csv").write_text("id,channel,agent,team\nA1,chat,Ana,Red\nB1,chat,Dee,Blue\n",
                                       encoding="utf-8")
    _, changes = ws.apply(import_interactions, tmp_path / "more.csv", ImportOptions())
    after = ids(ws, "agents")
    # Ana moved to Red (the file's team for her), Dee is new; no team was created
    assert as_dict(changes) == exactly(interactions=None, agents=[before["Ana"], after["Dee"]])
    _, changes = ws.apply(import_interactions, tmp_path / "more.csv", ImportOptions())
    assert as_dict(changes) == exactly(interactions=None)  # the same file again: nobody moves


def test_a_rolled_back_savepoint_takes_its_changes_with_it(ws):
    agents = ids(ws, "agents")
    with ws.transaction():
        ws.interactions.rename_agent("Ana", "Anna")
        with pytest.raises(QAGraderError):
            with ws.transaction():
                ws.interactions.set_agents_active(["Bo"], False)
                raise QAGraderError("changed my mind")
    assert as_dict(ws.take_changes()) == exactly(agents=[agents["Ana"]])
    assert [a.active for a in ws.interactions.agents() if a.name == "Bo"] == [True]


def test_writers_refuse_to_write_outside_a_transaction(ws):
    with pytest.raises(RuntimeError, match="outside a transaction"):
        writers.insert_team(ws, "Loose")
    assert ws.conn.in_transaction is False
    assert "Loose" not in ws.interactions.teams()


def test_many_ids_are_recorded_as_any(ws):
    with ws.transaction():
        writers.record(ws, TEAMS, range(writers.MANY))
        writers.record(ws, AGENTS, range(writers.MANY + 1))
    changes = ws.take_changes()
    assert len(changes.ids_of(TEAMS)) == writers.MANY and changes.ids_of(AGENTS) is None


def test_many_ids_written_in_several_writes_are_recorded_as_any(ws):
    """A streaming import writes chunk by chunk: what one transaction records does not depend
    on how many writes it took."""
    half = writers.MANY // 2 + 1
    with ws.transaction():
        writers.record(ws, TEAMS, range(half))
        writers.record(ws, TEAMS, range(half, 2 * half))
        writers.record(ws, AGENTS, range(half))
        writers.record(ws, AGENTS, range(half))  # the same ids again: still listed
    changes = ws.take_changes()
    assert changes.ids_of(TEAMS) is None and changes.ids_of(AGENTS) == frozenset(range(half))


def test_the_demo_records_every_kind(tmp_path):
    with Workspace.open(tmp_path / "demo.qagrader") as ws:
        summary, changes = ws.apply(lambda w: build_demo(w, interactions=60, seed=2))
        assert set(changes.ids) == set(KINDS) - {MERGES}
        assert len(changes.ids_of(INTERACTIONS)) == summary.interactions
        assert len(changes.ids_of(AGENTS)) == summary.agents and len(changes.ids_of(TEAMS)) == summary.teams
        assert len(changes.ids_of(SCORECARDS)) == summary.scorecards
        assert len(changes.ids_of(GRADERS)) == summary.graders
        stored = {r[0] for r in ws.conn.execute("SELECT id FROM evaluations")}
        assert changes.ids_of(EVALUATIONS) == stored


def test_grader_operations_record_the_graders_and_the_evaluations_they_move(ws):
    card = ws.scorecards.get("Chat QA")
    interactions = ids(ws, "interactions", "external_id")
    first = ws.evaluations.start(interactions["A1"], card.id, "Grace")
    second = ws.evaluations.start(interactions["A2"], card.id, "grace h.")
    grace, other = ws.graders.find("Grace"), ws.graders.find("grace h.")
    ws.take_changes()
    _, changes = ws.apply(lambda w: w.graders.rename(grace, "Grace Hopper"))
    assert as_dict(changes) == exactly(graders=[grace])
    _, changes = ws.apply(lambda w: w.graders.set_email(grace, "grace@example.com"))
    assert as_dict(changes) == exactly(graders=[grace])
    moved, changes = ws.apply(lambda w: w.graders.merge(grace, other))
    assert moved == 1
    assert as_dict(changes) == exactly(graders=[grace, other], evaluations=[second.id],
                                       interactions=[interactions["A2"]])
    assert {e.grader for e in (ws.evaluations.get(first.id), ws.evaluations.get(second.id))} == {"Grace Hopper"}
