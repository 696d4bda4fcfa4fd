"""The merge steps of the core tables, in order: graders, teams, agents, scorecards,
interactions, evaluations (with their skill scores and history). Rules in `steps`; each
function's docstring says how its table matches and what wins."""

from __future__ import annotations

import hashlib
import json
import operator
import uuid as uuidlib
from collections.abc import Callable, Sequence

from ..calibration.merging import CALIBRATION_STEPS
from ..coaching.merging import COACHING_STEP
from ..disputes.merging import DISPUTES_STEP
from ..storage import writers
from ..storage.changes import AGENTS, EVALUATIONS, GRADERS, INTERACTIONS, SCORECARDS, TEAMS
from ..storage.records import new_uuid
from ..storage.writers import EVALUATION_COLUMNS
from ..storage.writers import nocase as name_key  # names of people and teams match case-insensitively
from .report import Conflict
from .steps import MergeContext, MergeStep, register_step
from .tombstones import BEATEN_EVALUATIONS, BEATEN_SCORECARDS_STEP, TOMBSTONES_STEP

# Conflict entries added to an evaluation's history get this namespace's uuid5 of the
# evaluation and the losing version, so that both workspaces of a merge write the same entry.
_CONFLICT_NAMESPACE = uuidlib.UUID("5b0f3c1e-8a39-4c1e-9d55-6a2f0e7c4b21")


def _later(theirs: tuple, mine: tuple) -> bool:
    """Whether their version wins: a later `updated_at`, ties broken by the rest of the tuple
    (the same decision in both workspaces)."""
    return theirs > mine


# --------------------------------------------------------------- graders, teams and agents

def _merge_named(ctx: MergeContext, table: str, kind: str, extras: tuple[str, ...],
                 translate: dict[str, Callable[[object], object]] | None = None) -> None:
    """Rows matched by uuid, else by name (case-insensitively). New rows come in with their
    uuid; for a matched row their later version's values win (and, when matched by uuid, their
    name too, unless another row here has it)."""
    translate = translate or {}
    conn = ctx.conn
    columns = ("id", "uuid", "name", *extras, "created_at", "updated_at")
    select = ", ".join(columns)
    mine_rows = [list(r) for r in conn.execute(f"SELECT {select} FROM main.{table}")]
    by_uuid = {r[1]: r for r in mine_rows}
    by_key = {name_key(r[2]): r for r in mine_rows}
    mapping = ctx.ids.setdefault(table, {})
    added: list[int] = []
    changed: list[int] = []
    for row in conn.execute(f"SELECT {select} FROM other.{table} ORDER BY id").fetchall():
        other_id, uuid, name, *values, created_at, updated_at = row
        values = [translate[c](v) if c in translate else v for c, v in zip(extras, values)]
        mine = by_uuid.get(uuid) or by_key.get(name_key(name))
        if mine is None:
            local_id = _insert_named(ctx, table, uuid, name, dict(zip(extras, values)), created_at, updated_at)
            mine = [local_id, uuid, name, *values, created_at, updated_at]
            by_uuid[uuid] = by_key[name_key(name)] = mine
            mapping[other_id] = local_id
            added.append(local_id)
            continue
        mapping[other_id] = mine[0]
        if not _later((updated_at, uuid), (mine[-1], mine[1])):
            continue
        update = {c: v for c, v, m in zip(extras, values, mine[3:-2]) if v != m}
        if mine[1] == uuid and name != mine[2]:
            clash = by_key.get(name_key(name))
            if clash is None or clash is mine:
                update["name"] = name
            else:
                ctx.report.notes.append(f"The {kind[:-1]} '{mine[2]}' was renamed '{name}' in the other "
                                        f"workspace, but another {kind[:-1]} here has that name; kept '{mine[2]}'.")
        if update:
            _UPDATE_NAMED[table](ctx.ws, [mine[0]], now=updated_at, **update)
            if "name" in update:
                by_key.pop(name_key(mine[2]), None)
                by_key[name_key(name)] = mine
            for c, v in update.items():
                mine[columns.index(c)] = v
            mine[-1] = updated_at
            changed.append(mine[0])
    ctx.report.add(kind, len(added))
    ctx.report.update(kind, len(changed))


_UPDATE_NAMED = {"graders": writers.update_graders, "agents": writers.update_agents,
                 "teams": lambda ws, ids, **values: writers.update_team(ws, ids[0], **values)}


def _insert_named(ctx: MergeContext, table: str, uuid: str, name: str, values: dict, created_at: str,
                  updated_at: str) -> int:
    """A row of theirs new here, with its uuid and times, through the row writer of its table."""
    if table == "graders":
        return writers.insert_graders(ctx.ws, [name], emails=[values["email"]], uuids=[uuid], now=updated_at,
                                      created_at=created_at)[name]
    if table == "agents":
        return writers.insert_agent(ctx.ws, name, values["team_id"], active=bool(values["active"]), uuid=uuid,
                                    now=updated_at, created_at=created_at)
    return writers.insert_team(ctx.ws, name, uuid=uuid, now=updated_at, created_at=created_at)


def merge_graders(ctx: MergeContext) -> None:
    """Graders: by uuid, else by name; a later rename or email wins."""
    _merge_named(ctx, "graders", GRADERS, ("email",))


def merge_teams(ctx: MergeContext) -> None:
    """Teams: by uuid, else by name; a later rename wins."""
    _merge_named(ctx, "teams", TEAMS, ())


def merge_agents(ctx: MergeContext) -> None:
    """Agents: by uuid, else by name; the later version's name, team and active flag win."""
    teams = ctx.ids.get("teams", {})
    _merge_named(ctx, "agents", AGENTS, ("team_id", "active"),
                 {"team_id": lambda t: None if t is None else teams[t]})  # type: ignore[index]


# ------------------------------------------------------------------------------ scorecards

def merge_scorecards(ctx: MergeContext) -> None:
    """Scorecard versions: by uuid. A new version of a family known here takes the family's
    name here (and the next free version number when two versions were made in parallel); a new
    family whose name another family has here comes in under a name of its own, reported. For a
    matched version the later one's archived flag wins, and its definition too unless this
    workspace has grades on it."""
    conn = ctx.conn
    mine = {r[1]: list(r) for r in conn.execute(
        "SELECT id, uuid, family_uuid, name, version, definition, archived, updated_at FROM main.scorecards")}
    family_name = {r[2]: r[3] for r in mine.values()}
    taken = {(name_key(r[3]), r[4]) for r in mine.values()}
    names = {name_key(r[3]): r[2] for r in mine.values()}  # name -> a family using it
    graded = {r[0] for r in conn.execute("SELECT DISTINCT scorecard_id FROM main.evaluations")}
    buried = dict(conn.execute("SELECT uuid, deleted_at FROM main.tombstones WHERE record_table = 'scorecards'"))
    used_there = {r[0] for r in conn.execute("SELECT scorecard_id FROM other.evaluations UNION "
                                             "SELECT scorecard_id FROM other.calibration_sessions")}
    mapping = ctx.ids.setdefault("scorecards", {})
    added: list[int] = []
    changed: list[int] = []
    rows = conn.execute("""SELECT id, uuid, family_uuid, name, version, definition, archived, created_at, updated_at
                           FROM other.scorecards ORDER BY family_uuid, version""").fetchall()
    for other_id, uuid, family, name, version, definition, archived, created_at, updated_at in rows:
        local = mine.get(uuid)
        if local is None and uuid in buried and updated_at <= buried[uuid] and other_id not in used_there:
            continue  # deleted here (or elsewhere) since, and unused there: stays deleted
        if local is not None:
            mapping[other_id] = local[0]
            if not _later((updated_at, definition, archived), (local[7], local[5], local[6])):
                continue
            update: dict[str, object] = {}
            if archived != local[6]:
                update["archived"] = archived
            if definition != local[5]:
                if local[0] in graded:
                    ctx.report.conflicts.append(Conflict(
                        "scorecard", f"'{local[3]}' version {local[4]}",
                        "edited in the other workspace but graded on here; kept this workspace's definition"))
                else:
                    update["definition"] = definition
            if update:
                writers.update_scorecard_version(ctx.ws, local[0], now=updated_at, **update)
                changed.append(local[0])
            continue
        here = family_name.get(family)
        if here is None:
            here = name
            if names.get(name_key(name), family) != family:
                n = 2
                while name_key(f"{name} ({n})") in names:
                    n += 1
                here = f"{name} ({n})"
                ctx.report.notes.append(f"A different scorecard named '{name}' is in both workspaces; "
                                        f"theirs came in as '{here}'.")
            family_name[family] = here
            names[name_key(here)] = family
        if (name_key(here), version) in taken:
            new_version = 1 + max(v for k, v in taken if k == name_key(here))
            ctx.report.notes.append(f"'{here}' was edited in both workspaces: their version {version} came "
                                    f"in as version {new_version}.")
            version = new_version
        taken.add((name_key(here), version))
        local_id = writers.insert_scorecard(ctx.ws, family_uuid=family, name=here, version=version,
                                            definition=definition, archived=bool(archived), uuid=uuid,
                                            now=updated_at, created_at=created_at)
        mine[uuid] = [local_id, uuid, family, here, version, definition, archived, updated_at]
        mapping[other_id] = local_id
        added.append(local_id)
    ctx.report.add(SCORECARDS, len(added))
    ctx.report.update(SCORECARDS, len(changed))


# ---------------------------------------------------------------------------- interactions

_CONTENT = ("channel", "brand", "occurred_at", "csat_raw", "csat_scale", "csat_norm", "satisfied", "subject",
            "transcript", "fields")
_CSAT = ("csat_raw", "csat_scale", "csat_norm", "satisfied")


def _tuple(alias: str, columns: Sequence[str]) -> str:
    return "(" + ", ".join(f"{alias}.{c}" for c in columns) + ")"


def merge_interaction_fields(ctx: MergeContext) -> None:
    """Custom interaction field names: theirs not known here (case-insensitively) are added after
    ours, in their order (the values travel with the interactions)."""
    names = [name for (name,) in ctx.conn.execute("SELECT name FROM other.interaction_fields ORDER BY position")]
    writers.add_interaction_fields(ctx.ws, names)


def merge_interactions(ctx: MergeContext) -> None:
    """Interactions: by external id. When the two differ (CSAT, agent, anything imported), the
    later import wins; a CSAT or agent that differs is reported as a conflict either way."""
    conn = ctx.conn
    agents = ctx.ids.get("agents", {})
    teams = ctx.ids.get("teams", {})
    rows = conn.execute(f"""
        SELECT o.id, o.uuid, o.external_id, o.agent_id, o.team_id, o.updated_at, o.csat_raw,
               l.id, l.uuid, l.agent_id, l.team_id, l.updated_at, l.csat_raw,
               {_tuple('o', _CONTENT)} IS NOT {_tuple('l', _CONTENT)},
               {_tuple('o', _CSAT)} IS NOT {_tuple('l', _CSAT)},
               EXISTS (SELECT 1 FROM main.interactions u WHERE u.uuid = o.uuid),
               oa.name, la.name
        FROM other.interactions o
        LEFT JOIN main.interactions l ON l.external_id = o.external_id
        LEFT JOIN other.agents oa ON oa.id = o.agent_id
        LEFT JOIN main.agents la ON la.id = l.agent_id
        ORDER BY o.id""").fetchall()
    mapping = ctx.ids.setdefault("interactions", {})
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM main.interactions").fetchone()[0]
    inserts: list[tuple] = []
    updates: list[tuple] = []
    for (other_id, uuid, external_id, o_agent, o_team, o_updated, o_csat,
         local_id, l_uuid, l_agent, l_team, l_updated, l_csat, differs, csat_differs, uuid_taken,
         o_agent_name, l_agent_name) in rows:
        agent = None if o_agent is None else agents[o_agent]
        team = None if o_team is None else teams[o_team]
        if local_id is None:
            inserts.append((next_id, new_uuid() if uuid_taken else uuid, agent, team, other_id))
            mapping[other_id] = next_id
            next_id += 1
            continue
        mapping[other_id] = local_id
        agent_differs = agent != l_agent
        if not (differs or agent_differs or team != l_team):
            continue
        theirs_win = _later((o_updated, uuid), (l_updated, l_uuid))
        if theirs_win:
            updates.append((other_id, agent, team, local_id))
        if csat_differs or agent_differs:
            what = []
            if csat_differs:
                what.append(f"CSAT {o_csat or 'none'} there, {l_csat or 'none'} here")
            if agent_differs:
                what.append(f"agent {o_agent_name or 'none'} there, {l_agent_name or 'none'} here")
            kept = "theirs" if theirs_win else "this workspace's"
            ctx.report.conflicts.append(Conflict("interaction", external_id,
                                                 f"{'; '.join(what)}: kept {kept} (the later import)"))
    writers.copy_interactions(ctx.ws, "other", _CONTENT, inserts)
    writers.update_interactions_from(ctx.ws, "other", _CONTENT, updates)
    ctx.report.add(INTERACTIONS, len(inserts))
    ctx.report.update(INTERACTIONS, len(updates))


# ----------------------------------------------------------------------------- evaluations

_EVALUATION_VALUES = ("status", "answers", "overall_comment", "score", "auto_failed", "auto_fail_reasons",
                      "calibration", "submitted_at", "blind")


def merge_evaluations(ctx: MergeContext) -> None:
    """Evaluations by uuid, with their skill scores, calibration flag and history (entries by
    uuid). When both workspaces hold different versions of one evaluation, a submitted one beats
    a draft, else the later change wins (ties: by content). If both are submitted and neither
    version is in the other's history, the two were changed since the workspaces parted: a
    conflict. The losing version then goes into the evaluation's history (who made it and when)
    and the report lists it."""
    conn = ctx.conn
    interactions, scorecards, graders = (ctx.ids.get(k, {}) for k in ("interactions", "scorecards", "graders"))
    values = ", ".join(f"o.{c}" for c in _EVALUATION_VALUES)
    rows = conn.execute(f"""
        SELECT o.id, o.uuid, o.interaction_id, o.scorecard_id, o.grader_id, o.created_at, o.updated_at, {values},
               l.id, l.interaction_id, l.scorecard_id, l.grader_id, l.updated_at,
               {', '.join(f'l.{c}' for c in _EVALUATION_VALUES)}, t.deleted_at
        FROM other.evaluations o LEFT JOIN main.evaluations l ON l.uuid = o.uuid
        LEFT JOIN main.tombstones t ON t.record_table = 'evaluations' AND t.uuid = o.uuid
        ORDER BY o.id""").fetchall()
    width = len(_EVALUATION_VALUES)
    mapping = ctx.ids.setdefault("evaluations", {})
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM main.evaluations").fetchone()[0]
    inserts: list[tuple] = []
    differing: list[tuple] = []
    newer_stamp: list[tuple] = []
    for row in rows:
        other_id, uuid, o_interaction, o_card, o_grader, created_at, o_updated = row[:7]
        theirs = row[7:7 + width]
        local_id, l_interaction, l_card, l_grader, l_updated = row[7 + width:12 + width]
        ours, deleted_at = row[12 + width:-1], row[-1]
        if deleted_at is not None and _buried(theirs, o_updated, ours, l_updated, deleted_at):
            continue  # (ours, if any, is deleted below)
        placed = (interactions[o_interaction], scorecards[o_card], graders[o_grader])
        if local_id is None:
            inserts.append((next_id, uuid, *placed, *theirs, created_at, o_updated, other_id))
            mapping[other_id] = next_id
            next_id += 1
            continue
        mapping[other_id] = local_id
        if placed == (l_interaction, l_card, l_grader) and _same_version(theirs, ours):
            if o_updated > l_updated:
                newer_stamp.append((o_updated, local_id))
            continue
        differing.append((other_id, local_id, uuid, placed, theirs, ours, o_updated, l_updated))

    order = ("id", "uuid", "interaction_id", "scorecard_id", "grader_id", *_EVALUATION_VALUES, "created_at",
             "updated_at")
    as_columns = operator.itemgetter(*(order.index(c) for c in EVALUATION_COLUMNS))
    writers.insert_evaluations(ctx.ws, [as_columns(r) for r in inserts], ())
    writers.copy_skill_scores(ctx.ws, "other", [(r[0], r[-1]) for r in inserts], replace=False)
    writers.touch_evaluations(ctx.ws, newer_stamp)

    last_editor = _last_editors(ctx, differing)
    history_added = _merge_history(ctx)
    ancestors = _history_versions(ctx, [d[1] for d in differing])
    updated: list[int] = []
    updates: list[tuple] = []
    skill_sources: list[tuple[int, int]] = []
    conflict_entries: list[tuple] = []
    conflicts: list[tuple[int, str, str, int]] = []
    for other_id, local_id, uuid, placed, theirs, ours, o_updated, l_updated in differing:
        theirs_win = _wins(theirs, o_updated, ours, l_updated)
        if theirs_win:
            updates.append((*placed, *theirs, o_updated, local_id))
            skill_sources.append((local_id, other_id))
            updated.append(local_id)
        loser, loser_at, winner_at = (ours, l_updated, o_updated) if theirs_win else (theirs, o_updated, l_updated)
        both_submitted = theirs[0] == ours[0] == "submitted"
        if not both_submitted or loser_at in ancestors.get(local_id, ()):
            continue
        maker = last_editor[("main" if theirs_win else "other", local_id if theirs_win else other_id)]
        entry = _conflict_entry(uuid, loser, loser_at, winner_at)
        conflict_entries.append((entry[0], local_id, winner_at, entry[1], maker))
        conflicts.append((local_id, winner_at, loser_at, maker))
    writers.update_evaluations(ctx.ws, updates, None, columns=("interaction_id", "scorecard_id", "grader_id",
                                                                *_EVALUATION_VALUES, "updated_at"))
    writers.copy_skill_scores(ctx.ws, "other", skill_sources, replace=True)
    described = _describe(ctx, [c[0] for c in conflicts])
    names = dict(conn.execute("SELECT id, name FROM main.graders"))
    for local_id, winner_at, loser_at, maker in conflicts:
        ctx.report.conflicts.append(Conflict(
            "evaluation", described[local_id],
            f"changed in both workspaces; kept the later version ({winner_at[:16].replace('T', ' ')} UTC), "
            f"the other ({loser_at[:16].replace('T', ' ')} UTC, by {names.get(maker, 'unknown')}) is in its history"))
    existing = {r[0] for r in conn.execute(
        "SELECT uuid FROM main.evaluation_history WHERE uuid IN (SELECT value FROM json_each(?))",
        (json.dumps([e[0] for e in conflict_entries]),))}
    fresh = [e for e in conflict_entries if e[0] not in existing]
    writers.add_history(ctx.ws, fresh)
    ctx.report.add(EVALUATIONS, len(inserts))
    ctx.report.update(EVALUATIONS, len(updated))
    ctx.report.add("history", history_added + len(fresh))
    _delete_beaten_evaluations(ctx)


def _buried(theirs: tuple, their_time: str, ours: tuple, our_time: str | None, deleted_at: str) -> bool:
    """Whether the tombstone of an evaluation beats the version the merge would keep (rule in
    `tombstones`): a draft last changed at or before the deletion."""
    if our_time is not None and not _wins(theirs, their_time, ours, our_time):
        theirs, their_time = ours, our_time
    return theirs[0] == "draft" and their_time <= deleted_at


def _delete_beaten_evaluations(ctx: MergeContext) -> None:
    """Delete the evaluations here that a tombstone beats (ours, or one that came with this
    merge), and forget them in the id mapping so that later steps never point at them."""
    beaten = ctx.conn.execute(BEATEN_EVALUATIONS).fetchall()
    if not beaten:
        return
    writers.delete_evaluations(ctx.ws, beaten)
    ctx.report.delete(EVALUATIONS, len(beaten))
    gone = {row[0] for row in beaten}
    mapping = ctx.ids.get("evaluations", {})
    for other_id in [o for o, local in mapping.items() if local in gone]:
        del mapping[other_id]


def _same_version(theirs: tuple, ours: tuple) -> bool:
    if theirs == ours:
        return True
    answers = _EVALUATION_VALUES.index("answers")
    rest = [i for i in range(len(theirs)) if i != answers]
    return all(theirs[i] == ours[i] for i in rest) and json.loads(theirs[answers]) == json.loads(ours[answers])


def _wins(theirs: tuple, their_time: str, ours: tuple, our_time: str) -> bool:
    """Whether their version of an evaluation wins: submitted beats draft, then the later
    change, then (a tie) the larger content digest."""
    def rank(values: tuple, when: str) -> tuple:
        digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
        return (values[0] == "submitted", when, digest)
    return rank(theirs, their_time) > rank(ours, our_time)


def _conflict_entry(evaluation_uuid: str, loser: tuple, loser_at: str, winner_at: str) -> tuple[str, str]:
    """The history entry keeping a losing version: (uuid, snapshot), the same in both workspaces."""
    values = dict(zip(_EVALUATION_VALUES, loser))
    snapshot = json.dumps({
        "answers": json.loads(values["answers"]), "overall_comment": values["overall_comment"],
        "score": values["score"], "auto_failed": bool(values["auto_failed"]), "updated_at": loser_at,
        "merge_conflict": {"replaced_by_version_of": winner_at},
    }, ensure_ascii=False, sort_keys=True)
    entry = uuidlib.uuid5(_CONFLICT_NAMESPACE, f"{evaluation_uuid}|{loser_at}|{snapshot}")
    return str(entry), snapshot


def _last_editors(ctx: MergeContext, differing: list[tuple]) -> dict[tuple[str, int], int]:
    """Who made the current version of each differing evaluation, on each side (local grader
    ids): the editor of its latest history entry, else its grader."""
    graders = ctx.ids.get("graders", {})
    out: dict[tuple[str, int], int] = {}
    for schema, index, translate in (("main", 1, lambda g: g), ("other", 0, lambda g: graders[g])):
        ids = [d[index] for d in differing]
        if not ids:
            continue
        for evaluation_id, editor in ctx.conn.execute(
                f"""SELECT e.id, coalesce(
                        (SELECT h.editor_id FROM {schema}.evaluation_history h WHERE h.evaluation_id = e.id
                         ORDER BY h.saved_at DESC, h.id DESC LIMIT 1), e.grader_id)
                    FROM {schema}.evaluations e WHERE e.id IN (SELECT value FROM json_each(?))""",
                (json.dumps(ids),)):
            out[(schema, evaluation_id)] = translate(editor)
    return out


def _merge_history(ctx: MergeContext) -> int:
    """Their history entries this workspace lacks (by uuid); how many came in."""
    evaluations, graders = ctx.ids.get("evaluations", {}), ctx.ids.get("graders", {})
    rows = ctx.conn.execute("""SELECT o.uuid, o.evaluation_id, o.saved_at, o.snapshot, o.editor_id
                               FROM other.evaluation_history o
                               WHERE NOT EXISTS (SELECT 1 FROM main.evaluation_history l WHERE l.uuid = o.uuid)
                               ORDER BY o.id""").fetchall()
    kept = [(u, evaluations[e], saved, snapshot, graders[g]) for u, e, saved, snapshot, g in rows
            if e in evaluations]  # (not the history of an evaluation whose deletion beats it)
    writers.add_history(ctx.ws, kept)
    return len(kept)


def _history_versions(ctx: MergeContext, evaluation_ids: list[int]) -> dict[int, set[str]]:
    """Per evaluation: the `updated_at` of every earlier version its history holds."""
    out: dict[int, set[str]] = {}
    if evaluation_ids:
        for evaluation_id, when in ctx.conn.execute(
                "SELECT evaluation_id, json_extract(snapshot, '$.updated_at') FROM main.evaluation_history "
                "WHERE evaluation_id IN (SELECT value FROM json_each(?))", (json.dumps(evaluation_ids),)):
            out.setdefault(evaluation_id, set()).add(when)
    return out


def _describe(ctx: MergeContext, evaluation_ids: list[int]) -> dict[int, str]:
    """How the report names each evaluation: its interaction, scorecard version and grader."""
    rows = ctx.conn.execute("""SELECT e.id, i.external_id, s.name, s.version, g.name FROM main.evaluations e
                               JOIN main.interactions i ON i.id = e.interaction_id
                               JOIN main.scorecards s ON s.id = e.scorecard_id
                               JOIN main.graders g ON g.id = e.grader_id
                               WHERE e.id IN (SELECT value FROM json_each(?))""", (json.dumps(evaluation_ids),))
    return {id_: f"of interaction {ext} on '{card}' v{version} by {grader}" for id_, ext, card, version, grader in rows}


# ---------------------------------------------------------------------------- fingerprints
# One row of stable values per record, by stable keys; {s} is the schema ("main" or "other").

_GRADERS_FP = "SELECT lower(name), email FROM {s}.graders ORDER BY 1"
_TEAMS_FP = "SELECT lower(name) FROM {s}.teams ORDER BY 1"
_AGENTS_FP = """SELECT lower(a.name), lower(t.name), a.active FROM {s}.agents a
                LEFT JOIN {s}.teams t ON t.id = a.team_id ORDER BY 1"""
_SCORECARDS_FP = "SELECT uuid, family_uuid, definition, archived FROM {s}.scorecards ORDER BY uuid"
_INTERACTION_FIELDS_FP = "SELECT lower(name) FROM {s}.interaction_fields ORDER BY 1"
_INTERACTIONS_FP = f"""SELECT i.external_id, lower(a.name), lower(t.name), {', '.join(f'i.{c}' for c in _CONTENT)},
                       i.updated_at FROM {{s}}.interactions i LEFT JOIN {{s}}.agents a ON a.id = i.agent_id
                       LEFT JOIN {{s}}.teams t ON t.id = i.team_id ORDER BY i.external_id"""
_EVALUATIONS_FP = f"""SELECT e.uuid, i.external_id, s.uuid, lower(g.name), {', '.join(f'e.{c}' for c in _EVALUATION_VALUES)},
                      e.updated_at,
                      (SELECT group_concat(skill || '=' || score, ';') FROM
                          (SELECT skill, score FROM {{s}}.evaluation_skills k WHERE k.evaluation_id = e.id ORDER BY skill)),
                      (SELECT group_concat(x, ';') FROM
                          (SELECT h.uuid || '@' || h.saved_at || '/' || lower(hg.name) || ':' || h.snapshot AS x
                           FROM {{s}}.evaluation_history h JOIN {{s}}.graders hg ON hg.id = h.editor_id
                           WHERE h.evaluation_id = e.id ORDER BY h.uuid))
                      FROM {{s}}.evaluations e JOIN {{s}}.interactions i ON i.id = e.interaction_id
                      JOIN {{s}}.scorecards s ON s.id = e.scorecard_id JOIN {{s}}.graders g ON g.id = e.grader_id
                      ORDER BY e.uuid"""

for _step in (
    MergeStep("graders", merge_graders, _GRADERS_FP),
    TOMBSTONES_STEP,
    MergeStep("teams", merge_teams, _TEAMS_FP),
    MergeStep("agents", merge_agents, _AGENTS_FP),
    MergeStep("scorecards", merge_scorecards, _SCORECARDS_FP),
    MergeStep("interaction_fields", merge_interaction_fields, _INTERACTION_FIELDS_FP),
    MergeStep("interactions", merge_interactions, _INTERACTIONS_FP),
    MergeStep("evaluations", merge_evaluations, _EVALUATIONS_FP, json_columns=(5,)),
):
    register_step(_step)

# Features with tables of their own: their steps, after the core steps whose ids they need.
_after = "evaluations"
for _step in CALIBRATION_STEPS:
    register_step(_step, after=_after)
    _after = _step.table
# Disputes and coaching notes (matched by uuid) need evaluations, agents and graders: at the end.
register_step(DISPUTES_STEP)
register_step(COACHING_STEP)
# Last: scorecard versions whose deletion came in and that nothing uses any more.
register_step(BEATEN_SCORECARDS_STEP)
