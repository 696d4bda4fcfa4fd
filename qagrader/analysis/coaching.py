"""Each agent's skill gaps against the rest of their team, and what to coach first.

Per agent x skill, on the interactions graded on the skill:
- `rate`: the share of the agent's interactions *with* the skill (met; for a behaviour to
  avoid, the behaviour happened; see `effects`), `n` of them;
- `team_rate`: the same share over the rest of the team, the agent excluded (over everyone
  else when the agent is alone in their team; `compared_with` says which);
- `shrunk_rate`: the agent's rate shrunk towards `team_rate` by empirical Bayes
  (beta-binomial: the prior's strength comes from how much agents really differ on the skill,
  estimated by the method of moments over all agents), so that an agent with few interactions
  is not ranked on noise;
- `gap` = shrunk_rate - team_rate (the sign of `agent - team` on every screen; for a behaviour
  to avoid a positive gap means it happened more often than in the team) with a 95% interval
  from the posterior spread and the team rate's own spread;
- `priority`: the expected CSAT gain if the agent's rate moved to the team's, in CSAT 0..1
  (`priority_points`: in points of the survey's scale) = (team_rate - shrunk_rate) x the
  skill's population-wide effect on CSAT (with minus without, see `effects`). Positive means
  reaching the team's level goes with higher CSAT: an association, not a promise.

`rank` (1 = coach first) orders only the gaps whose interval excludes 0, on skills whose effect
on CSAT holds (its 95% interval excludes 0: `effect_holds`), and whose priority is positive;
every other row has no rank. Without CSAT there is no effect, so no ranks at all.
Agents with fewer than `MIN_EVALUATIONS` interactions are marked `few_evaluations`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._stats import Z95
from .correlation import ALL
from .dataset import csat_points, polarity_of, skills_of

MIN_EVALUATIONS = 10
MAX_PRIOR = 1e6
TEAM, EVERYONE = "rest of team", "everyone else"
GAP_COLUMNS: tuple[str, ...] = (
    "team", "agent", "evaluations", "few_evaluations", "rank", "skill", "polarity", "n", "rate",
    "shrunk_rate", "team_n", "team_rate", "compared_with", "gap", "gap_ci_low", "gap_ci_high",
    "effect", "effect_holds", "priority", "priority_points",
)


def _counts(frame: pd.DataFrame, skills: list[str], keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group of `keys`: interactions with each skill (value > 0.5) and graded on it."""
    values = frame[skills]
    with_ = (values > 0.5).astype("float64").where(values.notna())
    data = pd.concat([frame[keys], with_], axis=1)
    grouped = data.groupby(keys, dropna=False, sort=True)[skills]
    return grouped.sum(), grouped.count()


def prior_strength(k: np.ndarray, n: np.ndarray, reference: np.ndarray) -> float:
    """Beta-binomial prior strength M for agents' rates around their `reference` rates (method
    of moments): between-agent variance tau^2 = mean squared difference - mean binomial noise,
    M = p(1 - p) / tau^2 - 1 (p the overall rate); large when agents hardly differ."""
    usable = (n >= 1) & np.isfinite(reference)
    if usable.sum() < 2:
        return MAX_PRIOR
    k, n, reference = k[usable], n[usable], reference[usable]
    rate = k / n
    noise = np.mean(reference * (1 - reference) / n)
    tau2 = np.mean((rate - reference) ** 2) - noise
    p = k.sum() / n.sum()
    if tau2 <= 1e-12 or p * (1 - p) <= 0:
        return MAX_PRIOR
    return float(np.clip(p * (1 - p) / tau2 - 1, 0.0, MAX_PRIOR))


def skill_gaps(frame: pd.DataFrame, effects: pd.DataFrame | None = None,
               skills: Sequence[str] | None = None, *, level: str = "agent",
               min_evaluations: int = MIN_EVALUATIONS) -> pd.DataFrame:
    """Per entity x skill: the columns of `GAP_COLUMNS` (see the module docstring). `level`
    "agent" compares each agent with the rest of their team (shrunk); "team" compares each
    team with everyone else (teams are large: not shrunk). `effects` is `effects_table`'s
    output (its `all` rows give each skill's effect); without it there are no priorities."""
    skills = list(skills_of(frame) if skills is None else skills)
    polarity = polarity_of(frame)
    keys = ["team", "agent"] if level == "agent" else ["team"]
    k, n = _counts(frame, skills, keys)
    entities = k.index
    sizes = frame.groupby(keys, dropna=False, sort=True).size().reindex(entities)
    k_all, n_all = k.sum(), n.sum()
    if level == "agent":
        team_of = entities.get_level_values("team")
        k_team, n_team = k.groupby(level="team").sum(), n.groupby(level="team").sum()
        k_rest = k_team.reindex(team_of).to_numpy() - k.to_numpy()
        n_rest = n_team.reindex(team_of).to_numpy() - n.to_numpy()
    else:
        k_rest = k_all.to_numpy() - k.to_numpy()
        n_rest = n_all.to_numpy() - n.to_numpy()
    alone = n_rest <= 0
    everyone_k = k_all.to_numpy()[None, :] - k.to_numpy()
    everyone_n = n_all.to_numpy()[None, :] - n.to_numpy()
    k_rest = np.where(alone, everyone_k, k_rest)
    n_rest = np.where(alone, everyone_n, n_rest)
    kv, nv = k.to_numpy(dtype="float64"), n.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = k_rest / n_rest
        rate = kv / nv
    shrunk = rate.copy()
    post_var = rate * (1 - rate) / nv
    if level == "agent":
        for j in range(len(skills)):
            m = prior_strength(kv[:, j], nv[:, j], rest[:, j])
            with np.errstate(invalid="ignore", divide="ignore"):
                shrunk[:, j] = (kv[:, j] + m * rest[:, j]) / (nv[:, j] + m)
                post_var[:, j] = shrunk[:, j] * (1 - shrunk[:, j]) / (nv[:, j] + m + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = shrunk - rest
        half = Z95 * np.sqrt(post_var + rest * (1 - rest) / n_rest)
    table = pd.DataFrame({
        "n": nv.ravel(), "rate": rate.ravel(), "shrunk_rate": shrunk.ravel(),
        "team_n": n_rest.ravel(), "team_rate": rest.ravel(), "gap": gap.ravel(),
        "gap_ci_low": (gap - half).ravel(), "gap_ci_high": (gap + half).ravel(),
        "compared_with": np.where(alone, EVERYONE, TEAM if level == "agent" else EVERYONE).ravel(),
    })
    index = entities.to_frame(index=False)
    for key in ("team", "agent"):
        values = index[key].to_numpy() if key in index else np.full(len(index), "")
        table[key] = np.repeat(values, len(skills))
    table["skill"] = np.tile(skills, len(entities))
    table["polarity"] = table["skill"].map(polarity).fillna("positive")
    table["evaluations"] = np.repeat(sizes.to_numpy(), len(skills))
    table["few_evaluations"] = table["evaluations"] < min_evaluations
    effect, holds = _effects(effects, skills)
    width, _ = csat_points(frame)
    table["effect"] = table["skill"].map(effect).astype("float64")
    table["effect_holds"] = table["skill"].map(lambda s: holds.get(s, False)).astype(bool)
    table["priority"] = (table["team_rate"] - table["shrunk_rate"]) * table["effect"]
    table["priority_points"] = table["priority"] * width
    for column in ("n", "team_n", "evaluations"):
        table[column] = table[column].fillna(0).astype("int64")
    table.loc[table["n"] == 0, ["rate", "shrunk_rate", "gap", "gap_ci_low", "gap_ci_high", "priority",
                                "priority_points"]] = np.nan
    return _ranked(table)


def _effects(effects: pd.DataFrame | None, skills: list[str]) -> tuple[dict[str, float], dict[str, bool]]:
    """Each skill's pooled CSAT effect (with minus without, 0..1) and whether its 95% interval
    excludes 0."""
    if effects is None or effects.empty:
        return {}, {}
    pooled = effects[effects["channel"] == ALL].set_index("skill")
    known = [s for s in skills if s in pooled.index and np.isfinite(pooled.loc[s, "csat_diff"])]
    holds = {s: bool(pooled.loc[s, "csat_diff_ci_low"] > 0 or pooled.loc[s, "csat_diff_ci_high"] < 0)
             for s in known}
    return {s: float(pooled.loc[s, "csat_diff"]) for s in known}, holds


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Rank, within each entity, the gaps that hold (interval excludes 0) on skills whose effect
    holds, with a positive priority, largest priority first; the rest follow unranked."""
    holds = (((table["gap_ci_low"] > 0) | (table["gap_ci_high"] < 0)) & table["effect_holds"]
             & (table["priority"] > 0))
    keys = ["team", "agent"]
    order = table.assign(_holds=holds, _key=table["priority"].where(holds))
    order = order.sort_values([*keys, "_holds", "_key"], ascending=[True, True, False, False],
                              na_position="last", kind="stable")
    rank = order.groupby(keys, dropna=False).cumcount() + 1
    order["rank"] = rank.where(order["_holds"]).astype("Int64")
    return order[list(GAP_COLUMNS)].reset_index(drop=True)


def coaching_priorities(frame: pd.DataFrame, effects: pd.DataFrame | None,
                        skills: Sequence[str] | None = None, *,
                        min_evaluations: int = MIN_EVALUATIONS) -> pd.DataFrame:
    """Every agent x skill gap, ranked agent by agent (`skill_gaps` at the agent level)."""
    return skill_gaps(frame, effects, skills, level="agent", min_evaluations=min_evaluations)


def agent_skill_matrix(gaps: pd.DataFrame, column: str = "gap") -> pd.DataFrame:
    """The agent x skill table of one column of `coaching_priorities` (rows: (team, agent) in
    team, agent order; columns: skills in analysis order)."""
    skills = list(dict.fromkeys(gaps["skill"]))
    matrix = gaps.set_index(["team", "agent", "skill"])[column].unstack("skill")
    matrix.columns.name = None
    return matrix.sort_index().reindex(columns=skills)
