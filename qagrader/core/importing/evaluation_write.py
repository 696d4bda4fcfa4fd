"""The write step of the evaluation import (`evaluations`): checked, scored rows written through
the row writers, chunk after chunk, inside the import's one transaction.

New interactions are inserted, with their agents and teams created by name (a new agent joins
the first team named with it; existing agents stay where they are); new evaluations are
inserted and changed ones updated, keeping a submitted one's previous state in its history
(edited by the `editor` given to the import, or else the grader named on the row);
``evaluation_skills`` follow the recomputed scores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..grading.graders import ensure_graders, grader_key
from ..storage import writers
from ..storage.records import new_uuid, utc_now

if TYPE_CHECKING:
    from ..storage.workspace import Workspace
    from .evaluation_rows import EvaluationRow

_CHUNK = 5_000
_INTERACTION_COLUMNS = ("id", "uuid", "external_id", "channel", "agent_id", "team_id", "brand", "occurred_at",
                        "subject", "csat_raw", "csat_scale", "csat_norm", "satisfied", "fields", "created_at",
                        "updated_at")


class EvaluationWriter:
    """Writes an evaluation import's chunks inside its open transaction (rolled back on error or
    cancel). Opening one registers the custom interaction fields `field_names` and the `editor`
    (named in the history of the submitted evaluations the import changes; default: the row's
    grader), whose name wins over a grader spelled otherwise in the file; `source` is the file's
    name, kept in that history."""

    def __init__(self, ws: "Workspace", *, editor: str | None = None, source: str = "",
                 field_names: Sequence[str] = ()):
        self.ws, self.source = ws, source
        self.now = utc_now()
        self.editor = editor if editor and editor.strip() else None
        if field_names:
            writers.add_interaction_fields(ws, field_names, now=self.now)
        if self.editor:
            ensure_graders(ws, [self.editor], now=self.now)
        # new agents created without a team: they join the first team named with them later
        self.teamless: set[str] = set()

    def write(self, created: list["EvaluationRow"], changed: list["EvaluationRow"],
              interactions: dict[str, tuple], graders: Sequence[str], check: Callable[[], None]) -> None:
        """Insert `created`, update `changed` and create the new `interactions` (``{external_id:
        values}``, in order) with their agents and teams; `graders` are the rows' graders in
        file order (new ones are created in that order). New rows get their integer ids up
        front (the transaction holds the write lock), so that rows pointing at them need no
        look-ups. `check` is called between batches (it may raise to cancel)."""
        ws, now = self.ws, self.now
        conn = ws.conn
        interaction_ids = self._insert_interactions(interactions)
        known = {r.external_id for r in created} - interaction_ids.keys()
        interaction_ids.update(writers.select_in(conn, "SELECT external_id, id FROM interactions WHERE "
                                                 "external_id IN (SELECT value FROM json_each(?))", known))
        check()
        grader_ids = ensure_graders(ws, [*graders, *([self.editor] if self.editor else [])], now=now)
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluations").fetchone()[0]
        for start in range(0, len(created), _CHUNK):
            chunk = list(enumerate(created[start:start + _CHUNK], first + start))
            writers.insert_evaluations(ws, [_insert_values(i, r, interaction_ids[r.external_id],
                                                           grader_ids[grader_key(r.grader)], now)
                                            for i, r in chunk], _skills(chunk))
            check()
        for start in range(0, len(changed), _CHUNK):
            rows = changed[start:start + _CHUNK]
            writers.add_history(ws, [(new_uuid(), r.existing[1], now, _snapshot(r, self.source),  # type: ignore[index]
                                      grader_ids[grader_key(self.editor or r.grader)])
                                     for r in rows if r.existing[5] == "submitted"])  # type: ignore[index]
            writers.update_evaluations(ws, [_update_values(r, grader_ids[grader_key(r.grader)], now) for r in rows],
                                       _skills([(r.existing[1], r) for r in rows]))  # type: ignore[index]
            check()

    def _insert_interactions(self, interactions: dict[str, tuple]) -> dict[str, int]:
        """Create `interactions` with their teams and agents; ``{external_id: id}``."""
        if not interactions:
            return {}
        ws, now, nocase = self.ws, self.now, writers.nocase
        team_ids = writers.ensure_teams(ws, [v[2] for v in interactions.values()], now=now)
        agent_team: dict[str, int] = {}  # a new agent joins the first team named with it
        for v in interactions.values():
            if v[1] and v[2]:
                agent_team.setdefault(nocase(v[1]), team_ids[nocase(v[2])])
        names = [v[1] for v in interactions.values() if v[1]]
        stored = {nocase(name) for (name,) in writers.select_in(
            ws.conn, "SELECT name FROM agents WHERE name IN (SELECT value FROM json_each(?))", names)}
        agent_ids = writers.ensure_agents(ws, names, teams=agent_team, now=now)
        joining = {key: team for key, team in agent_team.items() if key in self.teamless}
        if joining:  # created by an earlier chunk without a team
            writers.ensure_agents(ws, [n for n in names if nocase(n) in joining], teams=joining, move=True, now=now)
            self.teamless -= joining.keys()
        self.teamless |= {nocase(n) for n in names if nocase(n) not in stored and nocase(n) not in agent_team}
        first = ws.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM interactions").fetchone()[0]
        interaction_ids = {ext: first + k for k, ext in enumerate(interactions)}
        writers.insert_interactions(ws, _INTERACTION_COLUMNS, [
            (interaction_ids[ext], new_uuid(), ext, ch, agent_ids[nocase(a)] if a else None,
             team_ids[nocase(t)] if t else None, b, *rest, now, now)
            for ext, (ch, a, t, b, *rest) in interactions.items()])
        return interaction_ids


def _scored(r: EvaluationRow) -> tuple:
    result = r.result
    assert result is not None
    return (r.answers.json, r.comment, result.total, int(result.auto_failed), r.reasons)


def _insert_values(id_: int, r: EvaluationRow, interaction_id: int, grader_id: int, now: str) -> tuple:
    when = r.graded_at or now
    return (id_, r.uuid, interaction_id, r.card.id, grader_id, r.status, *_scored(r), r.calibration,
            when, when, when if r.status == "submitted" else None, r.blind)


def _update_values(r: EvaluationRow, grader_id: int, now: str) -> tuple:
    old_submitted_at = r.existing[12]  # type: ignore[index]
    if r.status == "submitted":
        updated_at, submitted_at = now, r.graded_at or old_submitted_at or now
    else:
        updated_at, submitted_at = r.graded_at or now, None
    return (r.card.id, grader_id, r.status, *_scored(r), r.calibration, updated_at, submitted_at,
            r.blind, r.existing[1])  # type: ignore[index]


def _snapshot(r: EvaluationRow, source: str) -> str:
    """The stored state of a submitted evaluation the import changes, for its history."""
    existing = r.existing
    assert existing is not None
    more = {"imported_from": source} if source else {}
    return writers.history_snapshot(answers=json.loads(existing[6]), overall_comment=existing[7],
                                    score=existing[9], auto_failed=bool(existing[10]), updated_at=existing[11],
                                    **more)


def _skills(rows: list[tuple[int, EvaluationRow]]) -> list[tuple[int, str, float]]:
    return [(i, skill, value) for i, r in rows for skill, value in r.result.skills.items()]  # type: ignore[union-attr]
