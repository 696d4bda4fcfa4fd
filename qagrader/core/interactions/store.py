"""Interactions, agents and teams: lookups and the agent/team housekeeping a team lead does."""

from __future__ import annotations

from collections.abc import Sequence
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotFound, QAGraderError
from ..storage import writers

if TYPE_CHECKING:
    from ..storage.workspace import Workspace



@dataclass(frozen=True)
class Interaction:
    id: int
    uuid: str
    external_id: str
    channel: str
    agent: str | None
    team: str | None
    brand: str | None
    occurred_at: str | None
    csat_raw: str | None
    csat_scale: str | None
    csat_norm: float | None
    satisfied: bool | None
    subject: str | None
    transcript: str | None
    fields: dict[str, str] = field(default_factory=dict)  # custom fields kept at import: {name: text}


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    team: str | None
    active: bool
    interactions: int
    evaluations: int


_INTERACTION_SQL = """SELECT i.id, i.uuid, i.external_id, i.channel, a.name, t.name, i.brand, i.occurred_at,
    i.csat_raw, i.csat_scale, i.csat_norm, i.satisfied, i.subject, i.transcript, i.fields
    FROM interactions i LEFT JOIN agents a ON a.id = i.agent_id LEFT JOIN teams t ON t.id = i.team_id"""


class Interactions:
    """Read interactions; manage the agents and teams they belong to."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    def get(self, interaction_id: int) -> Interaction:
        row = self._ws.conn.execute(_INTERACTION_SQL + " WHERE i.id = ?", (interaction_id,)).fetchone()
        if row is None:
            raise NotFound(f"No interaction with id {interaction_id}.")
        return _interaction(row)

    def by_external_id(self, external_id: str) -> Interaction:
        row = self._ws.conn.execute(_INTERACTION_SQL + " WHERE i.external_id = ?", (external_id,)).fetchone()
        if row is None:
            raise NotFound(f"No interaction with id '{external_id}'.")
        return _interaction(row)

    def count(self) -> int:
        return self._ws.conn.execute("SELECT count(*) FROM interactions").fetchone()[0]

    def channels(self) -> list[str]:
        return [r[0] for r in self._ws.conn.execute("SELECT DISTINCT channel FROM interactions ORDER BY 1")]

    def custom_fields(self) -> list[str]:
        """Names of the custom interaction fields (kept at import), in the order they were added."""
        return custom_fields(self._ws.conn)

    def brands(self) -> list[str]:
        return [r[0] for r in self._ws.conn.execute(
            "SELECT DISTINCT brand FROM interactions WHERE brand IS NOT NULL AND brand != '' ORDER BY 1")]

    # ------------------------------------------------------------ agents and teams

    def agents(self, include_inactive: bool = True) -> list[Agent]:
        sql = """SELECT a.id, a.name, t.name, a.active,
                   (SELECT count(*) FROM interactions i WHERE i.agent_id = a.id),
                   (SELECT count(*) FROM evaluations e JOIN interactions i ON i.id = e.interaction_id
                     WHERE i.agent_id = a.id AND e.status = 'submitted')
                 FROM agents a LEFT JOIN teams t ON t.id = a.team_id"""
        if not include_inactive:
            sql += " WHERE a.active = 1"
        rows = self._ws.conn.execute(sql + " ORDER BY a.name COLLATE NOCASE").fetchall()
        return [Agent(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    def teams(self) -> list[str]:
        return [r[0] for r in self._ws.conn.execute("SELECT name FROM teams ORDER BY name COLLATE NOCASE")]

    def ensure_team(self, name: str) -> int:
        """The id of team `name`, created if new."""
        name = _clean_name(name, "team")
        row = self._ws.conn.execute("SELECT id FROM teams WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        with self._ws.transaction():
            return writers.insert_team(self._ws, name)

    def ensure_agent(self, name: str, team: str | None = None) -> int:
        """The id of agent `name`, created if new (in `team` when given)."""
        name = _clean_name(name, "agent")
        row = self._ws.conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        with self._ws.transaction():
            team_id = self.ensure_team(team) if team else None
            return writers.insert_agent(self._ws, name, team_id)

    def rename_agent(self, old: str, new: str) -> None:
        new = _clean_name(new, "agent")
        agent_id = self._agent_id(old)
        with self._ws.transaction() as conn:
            clash = conn.execute("SELECT id FROM agents WHERE name = ? AND id != ?", (new, agent_id)).fetchone()
            if clash:
                raise QAGraderError(f"An agent named '{new}' already exists; merge the two instead.")
            writers.update_agents(self._ws, [agent_id], name=new)

    def move_agents(self, names: Sequence[str], team: str | None) -> None:
        """Put agents in `team` (created if new), or in no team, in one transaction. Past
        interactions keep the team they were handled in."""
        agent_ids = [self._agent_id(name) for name in names]
        with self._ws.transaction():
            team_id = self.ensure_team(team) if team else None
            writers.update_agents(self._ws, agent_ids, team_id=team_id)

    def set_agents_active(self, names: Sequence[str], active: bool) -> None:
        """Activate or deactivate agents, in one transaction."""
        agent_ids = [self._agent_id(name) for name in names]
        with self._ws.transaction():
            writers.update_agents(self._ws, agent_ids, active=int(active))

    def merge_agents(self, keep: str, duplicate: str) -> int:
        """Merge two spellings of one agent: `duplicate`'s interactions move to `keep` and the
        duplicate is removed. Returns the number of interactions moved."""
        keep_id, dup_id = self._agent_id(keep), self._agent_id(duplicate)
        if keep_id == dup_id:
            raise QAGraderError("Choose two different agents to merge.")
        with self._ws.transaction():
            return writers.merge_agent_into(self._ws, dup_id, keep_id)

    def rename_team(self, old: str, new: str) -> None:
        new = _clean_name(new, "team")
        row = self._ws.conn.execute("SELECT id FROM teams WHERE name = ?", (old,)).fetchone()
        if row is None:
            raise NotFound(f"No team named '{old}'.")
        with self._ws.transaction() as conn:
            if conn.execute("SELECT 1 FROM teams WHERE name = ? AND id != ?", (new, row[0])).fetchone():
                raise QAGraderError(f"A team named '{new}' already exists.")
            writers.update_team(self._ws, row[0], name=new)

    def agent_id(self, name: str) -> int:
        """The id of the agent called `name` (any case), or `NotFound`."""
        return self._agent_id(name)

    def _agent_id(self, name: str) -> int:
        row = self._ws.conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"No agent named '{name}'.")
        return row[0]


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise QAGraderError(f"The {what} name cannot be empty.")
    return name


def _interaction(row: tuple) -> Interaction:
    values = list(row)
    values[11] = None if values[11] is None else bool(values[11])
    values[14] = json.loads(values[14]) if values[14] else {}
    return Interaction(*values)


def custom_fields(conn) -> list[str]:
    """Names of the custom interaction fields of the workspace on `conn`, in their order."""
    return [name for (name,) in conn.execute("SELECT name FROM interaction_fields ORDER BY position")]
