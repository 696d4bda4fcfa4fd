"""What a merge brought in, updated and had to decide: printed by the CLI, shown by the GUI and
kept in the workspace's merge log."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# The kinds of record a merge counts, in the order a report lists them; steps may add theirs.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "graders": ("grader", "graders"),
    "teams": ("team", "teams"),
    "agents": ("agent", "agents"),
    "scorecards": ("scorecard version", "scorecard versions"),
    "interactions": ("interaction", "interactions"),
    "evaluations": ("evaluation", "evaluations"),
    "history": ("history entry", "history entries"),
}

BOOKKEEPING = frozenset({"tombstones"})
"""Kinds the report lists but the one-line summary leaves out (unless nothing else changed)."""


@dataclass
class Conflict:
    """One record both workspaces changed differently, and what the merge kept."""

    kind: str  # "evaluation", "interaction", "scorecard", ...
    key: str  # what the user knows it by: an interaction's id, an evaluation's interaction + scorecard
    detail: str  # one sentence: what differed and which side won


@dataclass
class MergeReport:
    source: str  # the file merged (its path as given)
    dry_run: bool = False
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)  # records here deleted by their tombstones
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # decisions that are not conflicts (renames)
    source_fingerprint: str = ""  # SHA-256 of the file merged (after migration)
    backup: str | None = None  # the copy of this workspace taken before the merge

    def add(self, kind: str, count: int = 1) -> None:
        if count:
            self.added[kind] = self.added.get(kind, 0) + count

    def update(self, kind: str, count: int = 1) -> None:
        if count:
            self.updated[kind] = self.updated.get(kind, 0) + count

    def delete(self, kind: str, count: int = 1) -> None:
        if count:
            self.deleted[kind] = self.deleted.get(kind, 0) + count

    @property
    def changed(self) -> bool:
        """Whether the merge changes (or, in a dry run, would change) anything."""
        return bool(self.added or self.updated or self.deleted or self.conflicts)

    @property
    def new_count(self) -> int:
        """How many records are new, updated or deleted (what "Bring in the team's work" shows)."""
        return sum(self.added.values()) + sum(self.updated.values()) + sum(self.deleted.values())

    @property
    def deleted_count(self) -> int:
        """How many records of this workspace the merge deletes (their deletion came with it)."""
        return sum(self.deleted.values())

    def summary(self) -> str:
        """One line, e.g. "12 evaluations and 3 interactions new, 1 evaluation updated, 2 evaluations
        deleted, 1 conflict"."""
        if not self.changed:
            return "Nothing new: this workspace already holds everything in it."
        parts = []
        added = {k: n for k, n in self.added.items() if k not in BOOKKEEPING}
        if added:
            parts.append(_counted(added) + " new")
        if self.updated:
            parts.append(_counted(self.updated) + " updated")
        if self.deleted:
            parts.append(_counted(self.deleted) + " deleted")
        if self.conflicts:
            n = len(self.conflicts)
            parts.append(f"{n} conflict{'s' if n != 1 else ''}")
        if not parts:  # only bookkeeping came in, e.g. deletions of records this workspace never had
            return _counted(self.added) + " recorded (nothing here changes)"
        return ", ".join(parts)

    def lines(self) -> list[str]:
        """The whole report as text lines (the CLI prints them)."""
        verb = "Would bring in" if self.dry_run else "Brought in"
        out = [f"{verb} from {self.source}: {self.summary()}"]
        for title, counts in (("New", self.added), ("Updated", self.updated),
                              ("Deleted", self.deleted)):
            if counts:
                out.append(f"  {title}: {_counted(counts)}")
        for note in self.notes:
            out.append(f"  Note: {note}")
        for conflict in self.conflicts:
            out.append(f"  Conflict, {conflict.kind} {conflict.key}: {conflict.detail}")
        if self.backup:
            out.append(f"  Backup taken before the merge: {self.backup}")
        if self.dry_run:
            out.append("  Dry run: nothing was written.")
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "MergeReport":
        data = json.loads(text)
        data["conflicts"] = [Conflict(**c) for c in data.get("conflicts", [])]
        return cls(**data)


def _counted(counts: dict[str, int]) -> str:
    order = list(KIND_LABELS)
    items = sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return ", ".join(f"{n:,} {KIND_LABELS.get(k, (k, k))[0 if n == 1 else 1]}" for k, n in items)
