"""What a write changed, so that screens refresh only that (Anki's `OpChanges`).

Every transaction records, per kind of record, the ids it wrote (`Workspace.record`); the
workspace keeps the changes of committed transactions until someone takes them
(`Workspace.take_changes`, or `Workspace.apply(operation)` which returns them with the
operation's value). A rolled-back transaction (or savepoint) changes nothing and reports nothing.

The row writers (`writers`) record, and nothing else does. What each kind's ids mean:

- TEAMS, AGENTS, SCORECARDS: the rows inserted, updated or deleted (a scorecard rename or
  archive writes every version of it). Renaming an agent or team records only that row:
  a screen that shows agent or team names elsewhere (the browser's rows) refreshes them on
  these kinds.
- EVALUATIONS: the evaluations inserted, updated or deleted, with their skill scores and
  history (which belong to them).
- INTERACTIONS: the interactions inserted, updated or moved to another agent, *and* those
  whose evaluations were written: an interaction's graded state, score and grader derive from
  its evaluations, so saving one evaluation records EVALUATIONS {its id} and INTERACTIONS {its
  interaction's id}, and the browser refreshes just that row.
- DISPUTES, COACHING_NOTES: the disputes and coaching notes written. Accepting a dispute
  re-grades its evaluation in the same transaction, so it records EVALUATIONS (and
  INTERACTIONS) too.
- `None` instead of ids: the interaction import's upserts (a bulk write) and any transaction
  that writes more than `MANY` records of a kind (however many writes it takes: an import
  writes chunk by chunk): treat every record of the kind as changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

TEAMS = "teams"
AGENTS = "agents"
INTERACTIONS = "interactions"
SCORECARDS = "scorecards"
EVALUATIONS = "evaluations"
GRADERS = "graders"
MERGES = "merges"  # the merge log
CALIBRATION_SESSIONS = "calibration_sessions"  # a session, its items, members or grade links
DISPUTES = "disputes"
COACHING_NOTES = "coaching_notes"
MANY = 10_000
"""More ids than this are recorded as "any record of the kind" (`None`), not listed."""
KINDS: tuple[str, ...] = (TEAMS, AGENTS, INTERACTIONS, SCORECARDS, EVALUATIONS, GRADERS, MERGES,
                          CALIBRATION_SESSIONS, DISPUTES, COACHING_NOTES)
"""The kinds known today; features add theirs (graders, sessions, disputes, ...) here."""


@dataclass(frozen=True)
class Changes:
    """Kinds of record that changed and, per kind, which ids (`None`: too many or unknown to
    list, so treat every record of that kind as changed). Empty means nothing changed."""

    ids: Mapping[str, frozenset[int] | None] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, kind: str, ids: Iterable[int] | None = None) -> "Changes":
        """`kind` changed: the given ids, or (without ids) any record of it."""
        return cls(MappingProxyType({kind: None if ids is None else frozenset(ids)}))

    @classmethod
    def everything(cls) -> "Changes":
        """Every kind changed (e.g. another workspace was opened)."""
        return cls(MappingProxyType({kind: None for kind in KINDS}))

    def touches(self, *kinds: str) -> bool:
        """True when any of `kinds` changed."""
        return any(kind in self.ids for kind in kinds)

    def ids_of(self, kind: str) -> frozenset[int] | None:
        """The changed ids of `kind`: empty when it did not change, None when any may have."""
        if kind not in self.ids:
            return frozenset()
        return self.ids[kind]

    def __or__(self, other: "Changes") -> "Changes":
        merged: dict[str, frozenset[int] | None] = dict(self.ids)
        for kind, ids in other.ids.items():
            if kind not in merged:
                merged[kind] = ids
            elif merged[kind] is None or ids is None:
                merged[kind] = None
            else:
                merged[kind] = merged[kind] | ids  # type: ignore[operator]
        return Changes(MappingProxyType(merged))

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __repr__(self) -> str:
        parts = [f"{k}={'all' if v is None else sorted(v)}" for k, v in self.ids.items()]
        return f"Changes({', '.join(parts)})"
