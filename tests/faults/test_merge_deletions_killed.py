"""A merge that applies tombstones (deletes drafts and a scorecard that were deleted in the
other workspace) killed with SIGKILL before it commits leaves this workspace byte-identical,
and the same merge run again then deletes them."""

from __future__ import annotations

import json
import textwrap

from qagrader.core.merging.merge import merge_workspace
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace
from tests.faults.tools import kill_once_marked, settled, snapshot
from tests.samples import SIMPLE_CARD

_KILLED_AFTER_DELETING = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qagrader.core.merging import tombstones
    from qagrader.core.merging.merge import merge_workspace
    from qagrader.core.storage.workspace import Workspace

    from qagrader.core.merging.steps import MERGE_STEPS, MergeStep

    target, other, marker = sys.argv[1:4]

    def stop_after_deleting(ctx):  # the last step: the drafts are deleted by now
        tombstones.delete_beaten_scorecards(ctx)  # and the scorecard with this
        assert ctx.report.deleted == {"evaluations": 2, "scorecards": 1}, ctx.report.deleted
        Path(marker).write_text("deleted, not committed")
        time.sleep(600)

    MERGE_STEPS[-1] = MergeStep(MERGE_STEPS[-1].table, stop_after_deleting, "")
    merge_workspace(Workspace.open(target), other)
""")


def _with_drafts(path, other_path):
    """`path` with two drafts and an unused scorecard; `other_path` a copy where they were
    deleted since."""
    with Workspace.open(path) as ws:
        ws.scorecards.import_json(json.dumps(SIMPLE_CARD))
        ws.scorecards.import_json(json.dumps(dict(SIMPLE_CARD, name="Unused card")))
        with ws.transaction() as conn:
            for external_id in ("K1", "K2"):
                conn.execute("INSERT INTO interactions (uuid, external_id, channel, created_at, updated_at) "
                             "VALUES (?, ?, 'phone', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                             (f"uuid-{external_id}", external_id))
        card = ws.scorecards.get("Simple QA").id
        drafts = []
        for external_id in ("K1", "K2"):
            interaction = ws.interactions.by_external_id(external_id).id
            drafts.append(ws.evaluations.start(interaction, card, "Priya Raman").id)
            ws.evaluations.save(drafts[-1], {"empathy": Answer("Yes")})
        ws.backup_to(other_path)
    with Workspace.open(other_path) as other:
        for draft in drafts:
            other.evaluations.delete_draft(draft)
        other.scorecards.delete("Unused card")


def test_a_merge_killed_after_applying_tombstones_leaves_the_workspace_byte_identical(tmp_path):
    target, other = tmp_path / "w.qagrader", tmp_path / "other" / "priya.qagrader"
    other.parent.mkdir()
    _with_drafts(target, other)
    before = snapshot(tmp_path)
    marker = tmp_path / "other" / "marker"
    kill_once_marked(_KILLED_AFTER_DELETING, target, other, marker, marker=marker)
    marker.unlink()
    assert settled(snapshot(tmp_path)) == settled(before)
    with Workspace.open(target) as ws:
        assert ws.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 2
        report = merge_workspace(ws, other)  # and the merge simply runs again
        assert report.deleted == {"evaluations": 2, "scorecards": 1}
        assert ws.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 0
        assert [c.name for c in ws.scorecards.list()] == ["Simple QA"]
