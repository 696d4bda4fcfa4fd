"""Stored scorecards: versions, archive, JSON/CSV import and export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFound, QAGraderError, ScorecardError
from ..storage import writers
from ..storage.records import new_uuid
from .model import (
    Scorecard,
    read_scorecard_file,
    scorecard_from_dict,
    scorecard_from_json,
    scorecard_to_dict,
    scorecard_to_json,
)

if TYPE_CHECKING:
    from ..storage.workspace import Workspace


@dataclass(frozen=True)
class StoredScorecard:
    """One version of a scorecard as stored in the workspace."""

    id: int
    uuid: str
    family_uuid: str
    name: str
    version: int
    card: Scorecard
    archived: bool
    created_at: str
    updated_at: str

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class SaveResult:
    scorecard: StoredScorecard
    new_version: bool  # True when the save created a version because the old one has grades
    changed: bool  # False when the definition was identical to the latest version


class Scorecards:
    """Versioned scorecards. Editing a scorecard that has evaluations creates a new version;
    old evaluations keep theirs. Scorecards with grades can be archived, not deleted."""

    def __init__(self, ws: "Workspace"):
        self._ws = ws

    def list(self, include_archived: bool = False) -> list[StoredScorecard]:
        """The latest version of each scorecard, by name."""
        sql = """SELECT s.* FROM scorecards s
                 WHERE s.version = (SELECT max(version) FROM scorecards WHERE family_uuid = s.family_uuid)"""
        if not include_archived:
            sql += " AND s.archived = 0"
        rows = self._ws.conn.execute(sql + " ORDER BY s.name COLLATE NOCASE").fetchall()
        return [self._row(r) for r in rows]

    def versions(self, name: str) -> list[StoredScorecard]:
        rows = self._ws.conn.execute(
            "SELECT * FROM scorecards WHERE family_uuid = ? ORDER BY version",
            (self.get(name).family_uuid,),
        ).fetchall()
        return [self._row(r) for r in rows]

    def get(self, name: str, version: int | None = None) -> StoredScorecard:
        """A scorecard by name (case-insensitive): the latest version unless `version` is given."""
        sql = "SELECT * FROM scorecards WHERE name = ?"
        args: list = [name]
        if version is not None:
            sql += " AND version = ?"
            args.append(version)
        row = self._ws.conn.execute(sql + " ORDER BY version DESC LIMIT 1", args).fetchone()
        if row is None:
            what = f"'{name}' version {version}" if version is not None else f"'{name}'"
            raise NotFound(f"No scorecard named {what}.")
        return self._row(row)

    def get_by_id(self, scorecard_id: int) -> StoredScorecard:
        row = self._ws.conn.execute("SELECT * FROM scorecards WHERE id = ?", (scorecard_id,)).fetchone()
        if row is None:
            raise NotFound(f"No scorecard with id {scorecard_id}.")
        return self._row(row)

    def all_skills(self) -> list[str]:
        """Every skill some version of some scorecard names (the newest spelling of each,
        compared case-insensitively), sorted by name."""
        found: dict[str, str] = {}
        for (definition,) in self._ws.conn.execute("SELECT definition FROM scorecards ORDER BY id DESC"):
            for skill in _card_cached(definition).skills:
                found.setdefault(skill.casefold(), skill)
        return sorted(found.values(), key=str.casefold)

    def evaluation_count(self, scorecard_id: int) -> int:
        return self._ws.conn.execute(
            "SELECT count(*) FROM evaluations WHERE scorecard_id = ?", (scorecard_id,)
        ).fetchone()[0]

    def evaluation_counts(self) -> dict[str, int]:
        """Evaluations (any status) per scorecard, every version counted: ``{family_uuid: n}``."""
        return dict(self._ws.conn.execute(
            """SELECT s.family_uuid, count(e.id) FROM scorecards s
               LEFT JOIN evaluations e ON e.scorecard_id = s.id GROUP BY s.family_uuid""").fetchall())

    def grade_counts(self) -> dict[str, tuple[int, int, int]]:
        """Per scorecard (every version): ``{family_uuid: (submitted, drafts, calibration)}``,
        team grades apart from calibration grades, as the status bar and analysis count them."""
        return {family: (submitted, drafts, calibration) for family, submitted, drafts, calibration in
                self._ws.conn.execute(
                    """SELECT s.family_uuid,
                              count(e.id) FILTER (WHERE e.status = 'submitted' AND e.calibration = 0),
                              count(e.id) FILTER (WHERE e.status = 'draft' AND e.calibration = 0),
                              count(e.id) FILTER (WHERE e.calibration = 1)
                       FROM scorecards s LEFT JOIN evaluations e ON e.scorecard_id = s.id
                       GROUP BY s.family_uuid""")}

    def save(self, card: Scorecard, family_uuid: str | None = None) -> SaveResult:
        """Save `card`. With `family_uuid` (editing an existing scorecard, possibly renamed) or a
        known name, updates the latest version in place if it has no evaluations, otherwise adds
        a version. Saving an identical definition changes nothing."""
        definition = definition_json(card)
        ws = self._ws
        with ws.transaction() as conn:
            latest = self._latest(family_uuid) if family_uuid else self._latest_by_name(card.name)
            self.check_polarity(card, latest.family_uuid if latest else None)
            clash = conn.execute(
                "SELECT family_uuid FROM scorecards WHERE name = ? LIMIT 1", (card.name,)
            ).fetchone()
            if clash and (latest is None or clash[0] != latest.family_uuid):
                raise QAGraderError(f"A scorecard named '{card.name}' already exists; choose another name.")
            if latest is None:
                writers.insert_scorecard(ws, family_uuid=new_uuid(), name=card.name, version=1,
                                         definition=definition)
                return SaveResult(self.get(card.name), new_version=False, changed=True)
            if latest.name != card.name:
                writers.update_scorecard_family(ws, latest.family_uuid, name=card.name)
            if definition_json(latest.card) == definition:
                return SaveResult(self.get(card.name), new_version=False, changed=latest.name != card.name)
            if self.evaluation_count(latest.id):
                writers.insert_scorecard(ws, family_uuid=latest.family_uuid, name=card.name,
                                         version=latest.version + 1, definition=definition,
                                         archived=latest.archived)
                return SaveResult(self.get(card.name), new_version=True, changed=True)
            writers.update_scorecard_version(ws, latest.id, definition=definition)
            return SaveResult(self.get(card.name), new_version=False, changed=True)

    def skill_polarity(self, exclude_family: str | None = None) -> dict[str, tuple[str, str]]:
        """Each skill's polarity on the latest version of every scorecard (archived ones
        too: their grades are still analysed), with the scorecard's name; `exclude_family`
        leaves one scorecard out."""
        found: dict[str, tuple[str, str]] = {}
        for stored in self.list(include_archived=True):
            if stored.family_uuid != exclude_family:
                for skill, polarity in stored.card.skill_polarity.items():
                    found.setdefault(skill, (polarity, stored.name))
        return found

    def check_polarity(self, card: Scorecard, family_uuid: str | None = None) -> None:
        """Refuse `card` (`ScorecardError` naming the question's field) when one of its skills
        has the other polarity on another scorecard: the analysis reports a skill one way."""
        others = self.skill_polarity(exclude_family=family_uuid)
        for skill, (polarity, path) in card.skill_paths().items():
            if skill in others and others[skill][0] != polarity:
                other, name = others[skill]
                raise ScorecardError(path, (
                    f"skill {skill!r} is {polarity} here but {other} on scorecard '{name}'; a "
                    "skill has one polarity on every scorecard (change one of them, or name "
                    "the skill differently)"))

    def import_json(self, text: str) -> SaveResult:
        """Validate a scorecard JSON document and save it (see `save`)."""
        return self.save(scorecard_from_json(text))

    def import_file(self, path: str | Path) -> SaveResult:
        return self.save(read_scorecard_file(path))

    def export_json(self, name: str, version: int | None = None) -> str:
        return scorecard_to_json(self.get(name, version).card)

    def set_archived(self, name: str, archived: bool = True) -> None:
        """Archive (hide from grading) or restore every version of a scorecard."""
        family = self.get(name).family_uuid
        with self._ws.transaction():
            writers.update_scorecard_family(self._ws, family, archived=int(archived))

    def delete(self, name: str) -> None:
        """Delete a scorecard that has never been used; one with grades must be archived instead."""
        family = self.get(name).family_uuid
        with self._ws.transaction() as conn:
            used = conn.execute(
                """SELECT count(*) FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
                   WHERE s.family_uuid = ?""", (family,)).fetchone()[0]
            if used:
                raise QAGraderError(
                    f"Scorecard '{name}' has {used} evaluations and cannot be deleted; archive it instead."
                )
            sessions = conn.execute(
                """SELECT count(*) FROM calibration_sessions c JOIN scorecards s ON s.id = c.scorecard_id
                   WHERE s.family_uuid = ?""", (family,)).fetchone()[0]
            if sessions:
                raise QAGraderError(f"Scorecard '{name}' is used by {sessions} calibration session"
                                    f"{'s' if sessions > 1 else ''} and cannot be deleted; archive it instead.")
            writers.delete_scorecard_family(self._ws, family)

    def _latest(self, family_uuid: str) -> StoredScorecard | None:
        row = self._ws.conn.execute(
            "SELECT * FROM scorecards WHERE family_uuid = ? ORDER BY version DESC LIMIT 1", (family_uuid,)
        ).fetchone()
        return self._row(row) if row else None

    def _latest_by_name(self, name: str) -> StoredScorecard | None:
        try:
            return self.get(name)
        except NotFound:
            return None

    def _row(self, row: tuple) -> StoredScorecard:
        cursor_columns = ("id", "uuid", "family_uuid", "name", "version", "definition", "archived",
                          "created_at", "updated_at")
        data = dict(zip(cursor_columns, row))
        return StoredScorecard(
            id=data["id"], uuid=data["uuid"], family_uuid=data["family_uuid"], name=data["name"],
            version=data["version"], card=_card_cached(data["definition"]),
            archived=bool(data["archived"]), created_at=data["created_at"], updated_at=data["updated_at"],
        )


def definition_json(card: Scorecard) -> str:
    """A scorecard's definition as stored: canonical JSON (sorted keys), so that equal
    definitions have equal text."""
    return json.dumps(scorecard_to_dict(card), ensure_ascii=False, sort_keys=True)


_CARD_CACHE: dict[str, Scorecard] = {}


def _card_cached(definition: str) -> Scorecard:
    """Parsed scorecards by definition text: stored definitions never change in place
    without changing their text, so the text is a safe key."""
    card = _CARD_CACHE.get(definition)
    if card is None:
        card = scorecard_from_dict(json.loads(definition))
        if len(_CARD_CACHE) > 256:
            _CARD_CACHE.clear()
        _CARD_CACHE[definition] = card
    return card


def scorecard_for_channel(cards: Sequence[StoredScorecard], channel: str,
                          preferred: str | None = None) -> StoredScorecard | None:
    """The scorecard to grade an interaction of `channel` on: the `preferred` one (a family uuid,
    the user's default for that channel) when it is among `cards` and meant for the channel,
    else the first meant for the channel, else the first meant for every channel, else the first."""
    meant = [c for c in cards if channel in c.card.channels]
    chosen = next((c for c in meant if c.family_uuid == preferred), None) if preferred else None
    general = [c for c in cards if not c.card.channels]
    return chosen or (meant or general or list(cards) or [None])[0]
