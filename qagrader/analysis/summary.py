"""The analysis in plain words: what the numbers rest on, warnings, and the main findings.

Shared by `qagrader analyze` (printed and written to summary.txt) and the Analysis tab
(banners and captions), so that both say the same thing. Every finding is worded as an
association, with n.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .channel_differences import differing_skills
from .clustered import MIN_CLUSTERS
from .correlation import ALL, DIFFERS, OPPOSITE

if TYPE_CHECKING:
    from .report import AnalysisResult, DataNotes

OCCURRENCE = " (happened)"
"""Suffix of a behaviour to avoid wherever it is shown: its value is how often it happened."""
NO_CSAT, CSAT_CONSTANT, CSAT_VISIBLE, BLIND_UNKNOWN, FEW_AGENTS, CONFOUNDING = (
    "no_csat", "csat_constant", "csat_visible", "blind_unknown", "few_agents", "confounding")


def skill_label(skill: str, polarity: str | None) -> str:
    """How a skill is named on charts: a behaviour to avoid says that its value is its
    occurrence ("Negative tone (happened)")."""
    return f"{skill}{OCCURRENCE}" if polarity == "negative" else skill


def grades_sentence(notes: "DataNotes") -> str:
    """What one row is, and how many interactions had several grades."""
    several = (f"; {notes.several_grades:,} of them were graded more than once and count once, "
               "with the mean of their grades" if notes.several_grades else "")
    return (f"{notes.interactions:,} interactions with submitted grades ({notes.grades:,} grades)"
            f"{several}; {notes.with_csat:,} have a CSAT survey.")


@dataclass(frozen=True)
class Notice:
    """One warning: a key (for tests and styling) and its sentence."""

    key: str
    text: str


def warnings(notes: "DataNotes", correlations: pd.DataFrame | None = None) -> list[Notice]:
    """Everything a reader must know before reading the numbers, most important first
    (`correlations`: the correlation table, for the confounding warning)."""
    found = []
    if notes.with_csat == 0:
        found.append(Notice(NO_CSAT, (
            f"No CSAT: none of these {notes.interactions:,} interactions has a customer survey, "
            "so no skill can be related to CSAT. Skill scores, agents and trends are still shown; "
            "widen the filters or import interactions with CSAT.")))
    elif not notes.csat_varies:
        found.append(Notice(CSAT_CONSTANT, (
            f"CSAT does not vary: all {notes.with_csat:,} surveys in this selection gave the same "
            "answer, so no skill can be related to it.")))
    if notes.csat_visible:
        found.append(Notice(CSAT_VISIBLE, (
            f"CSAT was visible to the grader for {notes.csat_visible:,} of the "
            f"{notes.interactions:,} interactions (blind grading was off): knowing the customer's "
            "answer can colour a grade and inflate the skill-CSAT associations.")))
    if notes.blind_unknown:
        found.append(Notice(BLIND_UNKNOWN, (
            f"{notes.blind_unknown:,} interactions were graded before QA Grader recorded whether "
            "CSAT was hidden from the grader (or were imported without it): whether knowing CSAT "
            "inflated their grades is unknown.")))
    if 0 < notes.agents < MIN_CLUSTERS:
        found.append(Notice(FEW_AGENTS, (
            f"Only {notes.agents} agent{'s' if notes.agents != 1 else ''}: too few to allow for "
            "the way one agent's interactions go together, so intervals treat interactions as "
            f"independent and may be too narrow (at least {MIN_CLUSTERS} agents are needed).")))
    confounding = confounding_sentence(correlations) if correlations is not None else ""
    if confounding:
        found.append(Notice(CONFOUNDING, confounding))
    return found


def confounding_sentence(correlations: pd.DataFrame) -> str:
    """Skills whose pooled association differs, beyond noise, from the one within channels and
    brands ("" when none)."""
    pooled = correlations[(correlations["channel"] == ALL) & correlations["simpson_flag"].fillna(False).astype(bool)]
    if pooled.empty:
        return ""
    parts = []
    flips = pooled[pooled["pooled_vs_within"] == OPPOSITE]
    differs = pooled[pooled["pooled_vs_within"] == DIFFERS]
    if len(flips):
        parts.append(
            "Simpson's paradox for " + _names(flips) + ": pooled over all channels and brands the "
            "association has the opposite sign to the one within each channel and brand, so the "
            "pooled number is misleading.")
    if len(differs):
        parts.append(
            "Confounding for " + _names(differs) + ": within channels and brands the association is "
            "clearly " + ("weaker" if (differs["within_rho"].abs() < differs["rho"].abs()).all()
                          else "different") + " than pooled, so part of the pooled association comes "
            "from differences between channels or brands (where both skill and CSAT differ), not "
            "from the skill.")
    return " ".join(parts) + " Read the within-channel figures (diamonds) and the By channel chart."


def _names(rows: pd.DataFrame) -> str:
    items = [f"{skill_label(s, p)} (pooled {r:+.2f}, within {w:+.2f})" for s, p, r, w in
             zip(rows["skill"], rows["polarity"], rows["rho"], rows["within_rho"])]
    return ", ".join(items)


def channel_sentence(differences: pd.DataFrame, polarity: dict[str, str] | None = None) -> str:
    """Which skills go with CSAT differently by channel, in words ("" with one channel)."""
    if differences.empty:
        return ""
    held = differing_skills(differences)
    tested = differences.dropna(subset=["difference"])
    if tested.empty:
        return "Too few interactions per channel to compare channels."
    if not held:
        return ("No skill's association with CSAT differs clearly between channels (every "
                "difference is within noise after correcting for testing many pairs).")
    polarity = polarity or {}
    order = list(dict.fromkeys([*differences["channel_a"], *differences["channel_b"]]))
    by_skill: dict[str, dict[tuple[str, str], list[str]]] = {}
    for found in held:
        if found.opposite:  # e.g. positive on chat, negative on phone
            key, other = ("positive on", found.high), found.low
        else:
            key, other = ("stronger on", found.stronger), found.weaker
        by_skill.setdefault(found.skill, {}).setdefault(key, []).append(other)
    parts = []
    for skill, groups in by_skill.items():
        words = []
        for (how, channel), others in groups.items():
            others = sorted(others, key=order.index)
            words.append(f"stronger on {channel} than on {' and '.join(others)}" if how == "stronger on"
                         else f"positive on {channel}, negative on {' and '.join(others)}")
        parts.append(f"{skill_label(skill, polarity.get(skill))}: " + "; ".join(words))
    same = [s for s in dict.fromkeys(tested["skill"]) if s not in by_skill]
    text = "Associations that differ by channel (the difference holds after correcting for testing " \
           "every pair): " + "; ".join(parts) + "."
    if same:
        text += " Similar in every channel: " + ", ".join(skill_label(s, polarity.get(s)) for s in same) + "."
    return text


def findings(result: "AnalysisResult", count: int = 3) -> list[str]:
    """The strongest associations that hold, both signs, and the costliest skills."""
    pooled = result.correlations[(result.correlations["channel"] == ALL)
                                 & (result.correlations["q_value"] < 0.05)]
    out = []
    for sign, word in ((1, "higher"), (-1, "lower")):
        rows = pooled[np.sign(pooled["rho"]) == sign].reindex(
            pooled["rho"].abs().sort_values(ascending=False).index).dropna(subset=["rho"])
        rows = rows[np.sign(rows["rho"]) == sign].head(count)
        if len(rows):
            out.append(f"Associated with {word} CSAT: " + ", ".join(
                f"{skill_label(s, p)} (rho {r:+.2f}, 95% CI {lo:+.2f} to {hi:+.2f}, n={int(n):,})"
                for s, p, r, lo, hi, n in zip(rows["skill"], rows["polarity"], rows["rho"],
                                              rows["ci_low"], rows["ci_high"], rows["n"])) + ".")
    effects = result.effects[(result.effects["channel"] == ALL) & result.effects["csat_diff"].notna()]
    if len(effects):
        costly = effects.reindex(effects["csat_diff"].abs().sort_values(ascending=False).index).head(count)
        unit = "points" if costly["csat_scale"].iloc[0] not in ("", "mixed") else "(CSAT 0..1)"
        column = "csat_diff_points" if unit == "points" else "csat_diff"
        out.append("Largest CSAT differences per interaction (with minus without the skill): " + ", ".join(
            f"{skill_label(s, p)} {d:+.2f} {unit}" for s, p, d in
            zip(costly["skill"], costly["polarity"], costly[column])) + ".")
    return out


def summary_text(result: "AnalysisResult") -> str:
    """The whole summary: rows, warnings, findings, channels, and the causation caveat."""
    lines = ["Analysed " + grades_sentence(result.notes)]
    if result.notes.clustered:
        lines.append(f"Intervals allow for the {result.notes.agents} agents' interactions going "
                     "together (delete-one-agent jackknife).")
    lines += [f"Warning: {w.text}" for w in warnings(result.notes, result.correlations)]
    lines += findings(result)
    channel = channel_sentence(result.channel_differences, result.polarity)
    if channel:
        lines.append(channel)
    lines.append("Associated with is not caused by: these are correlations, not effects of "
                 "training a skill.")
    return "\n".join(lines)
