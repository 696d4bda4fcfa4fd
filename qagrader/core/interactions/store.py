"""Interactions, agents and teams: lookups and the agent/team housekeeping a team lead does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound, QAGraderError
from ..storage.records import new_uuid, utc_now

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


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    team: str | None
    active: bool
    interactions: int
    evaluations: int


_INTERACTION_SQL = """SELECT i.id, i.uuid, i.external_id, i.channel, a.name, t.name, i.brand, i.occurred_at,
    i.csat_raw, i.csat_scale, i.csat_norm, i.satisfied, i.subject, i.transcript
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
        now = utc_now()
        with self._ws.transaction() as conn:
            return conn.execute(
                "INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (new_uuid(), name, now, now),
            ).lastrowid

    def ensure_agent(self, name: str, team: str | None = None) -> int:
        """The id of agent `name`, created if new (in `team` when given)."""
        name = _clean_name(name, "agent")
        row = self._ws.conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        now = utc_now()
        with self._ws.transaction() as conn:
            team_id = self.ensure_team(team) if team else None
            return conn.execute(
                "INSERT INTO agents (uuid, name, team_id, active, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                (new_uuid(), name, team_id, now, now),
            ).lastrowid

    def rename_agent(self, old: str, new: str) -> None:
        new = _clean_name(new, "agent")
        agent_id = self._agent_id(old)
        with self._ws.transaction() as conn:
            clash = conn.execute("SELECT id FROM agents WHERE name = ? AND id != ?", (new, agent_id)).fetchone()
            if clash:
                raise QAGraderError(f"An agent named '{new}' already exists; merge the two instead.")
            conn.execute("UPDATE agents SET name = ?, updated_at = ? WHERE id = ?", (new, utc_now(), agent_id))

    def move_agent(self, name: str, team: str | None) -> None:
        """Put an agent in `team` (created if new), or in no team. Past interactions keep the
        team they were handled in."""
        agent_id = self._agent_id(name)
        with self._ws.transaction() as conn:
            team_id = self.ensure_team(team) if team else None
            conn.execute("UPDATE agents SET team_id = ?, updated_at = ? WHERE id = ?", (team_id, utc_now(), agent_id))

    def set_agent_active(self, name: str, active: bool) -> None:
        agent_id = self._agent_id(name)
        with self._ws.transaction() as conn:
            conn.execute("UPDATE agents SET active = ?, updated_at = ? WHERE id = ?", (int(active), utc_now(), agent_id))

    def merge_agents(self, keep: str, duplicate: str) -> int:
        """Merge two spellings of one agent: `duplicate`'s interactions move to `keep` and the
        duplicate is removed. Returns the number of interactions moved."""
        keep_id, dup_id = self._agent_id(keep), self._agent_id(duplicate)
        if keep_id == dup_id:
            raise QAGraderError("Choose two different agents to merge.")
        with self._ws.transaction() as conn:
            moved = conn.execute("UPDATE interactions SET agent_id = ?, updated_at = ? WHERE agent_id = ?",
                                 (keep_id, utc_now(), dup_id)).rowcount
            conn.execute("DELETE FROM agents WHERE id = ?", (dup_id,))
        return moved

    def rename_team(self, old: str, new: str) -> None:
        new = _clean_name(new, "team")
        row = self._ws.conn.execute("SELECT id FROM teams WHERE name = ?", (old,)).fetchone()
        if row is None:
            raise NotFound(f"No team named '{old}'.")
        with self._ws.transaction() as conn:
            if conn.execute("SELECT 1 FROM teams WHERE name = ? AND id != ?", (new, row[0])).fetchone():
                raise QAGraderError(f"A team named '{new}' already exists.")
            conn.execute("UPDATE teams SET name = ?, updated_at = ? WHERE id = ?", (new, utc_now(), row[0]))

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
    return Interaction(*values)
