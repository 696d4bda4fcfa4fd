"""Synthetic analysis frames with planted relations, for tests, benchmarks and demos.

Each interaction has a latent customer-satisfaction z ~ N(0, 1). Skill j's latent is
rho_j(channel) * z + sqrt(1 - rho^2) * noise, plus an agent effect; each of the skill's
questions thresholds that latent (plus question noise) to yes/no or 1-5, and the skill score is
the mean earned fraction of its questions. CSAT is z (plus the agent's own effect on CSAT, if
any) thresholded to 1-5, normalised to 0..1. A skill of polarity "negative" is a behaviour to
avoid: its column is the behaviour's occurrence (1 - earned fraction), and its `rho` is that
occurrence's latent correlation with CSAT (negative when avoiding it helps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

YES_NO = "yes_no"
SCALE5 = "scale5"
CSAT_CUTS = (-1.4, -0.7, -0.1, 0.6)  # latent cut points of a 1-5 survey (skewed satisfied)


@dataclass(frozen=True)
class SkillSpec:
    """A planted skill: latent correlation with CSAT (one value, or one per channel; missing
    channels use `default`), its questions, and the share of yes/no questions failed."""

    name: str
    rho: float | Mapping[str, float] = 0.0
    questions: tuple[str, ...] = (YES_NO,)
    fail_rate: float = 0.2
    default: float = 0.0
    polarity: str = "positive"

    def rho_for(self, channel: str) -> float:
        if isinstance(self.rho, Mapping):
            return float(self.rho.get(channel, self.default))
        return float(self.rho)


STUDY_SKILLS: tuple[SkillSpec, ...] = (  # 8 skills, 12 questions, shaped like the guide's study
    SkillSpec("authenticity", {"phone": 0.35, "email": 0.30, "chat": 0.30}, (YES_NO, SCALE5)),
    SkillSpec("friendly tone", {"phone": 0.35, "email": 0.25, "chat": 0.25}, (SCALE5,)),
    SkillSpec("empathy", {"phone": 0.40, "email": 0.15, "chat": 0.15}, (SCALE5, YES_NO)),
    SkillSpec("accuracy", 0.22, (YES_NO, YES_NO)),
    SkillSpec("negative tone", -0.18, (YES_NO,), fail_rate=0.08, polarity="negative"),
    SkillSpec("wrong name", -0.08, (YES_NO,), fail_rate=0.02, polarity="negative"),
    SkillSpec("rapport", 0.03, (SCALE5, YES_NO)),
    SkillSpec("etiquette", {"phone": 0.30, "email": 0.08, "chat": 0.08}, (YES_NO,)),
)


@dataclass(frozen=True)
class SyntheticDesign:
    """Knobs of `make_skill_frame`. `channel_shift[c] = (csat, skills)` moves the latent CSAT and
    every skill latent of channel c (to build Simpson's-paradox cases). `agent_effect_sd` moves
    each agent's skill latents, `agent_csat_sd` their customers' latent CSAT: together they make
    an agent's interactions go together (clusters)."""

    skills: tuple[SkillSpec, ...] = STUDY_SKILLS
    channels: tuple[str, ...] = ("phone", "email", "chat")
    channel_weights: tuple[float, ...] | None = None
    n_brands: int = 20
    n_teams: int = 5
    n_agents: int = 60
    n_graders: int = 6
    csat_missing: float = 0.3
    na_rate: float = 0.03
    agent_effect_sd: float = 0.25
    agent_csat_sd: float = 0.0
    days: int = 365
    channel_shift: Mapping[str, tuple[float, float]] = field(default_factory=dict)


def _question_fraction(latent: np.ndarray, kind: str, fail_rate: float) -> np.ndarray:
    if kind == YES_NO:
        return (latent > np.quantile(latent, fail_rate)).astype("float64")
    levels = np.digitize(latent, np.quantile(latent, (0.05, 0.15, 0.4, 0.7)))  # 0..4
    return levels / 4.0


def make_skill_frame(n: int, design: SyntheticDesign = SyntheticDesign(), seed: int = 0,
                     start: str = "2025-01-01") -> pd.DataFrame:
    """An analysis frame of `n` interactions following `design` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(design.channel_weights or [1.0] * len(design.channels), dtype=float)
    channel_idx = rng.choice(len(design.channels), size=n, p=weights / weights.sum())
    channel = np.asarray(design.channels, dtype=object)[channel_idx]
    agent_idx = rng.integers(0, design.n_agents, n)
    team_of_agent = np.arange(design.n_agents) % design.n_teams
    shift = np.array([design.channel_shift.get(c, (0.0, 0.0)) for c in design.channels]).reshape(-1, 2)

    z = rng.standard_normal(n)
    agent_csat = rng.normal(0, design.agent_csat_sd, design.n_agents)[agent_idx] if design.agent_csat_sd else 0.0
    csat_level = np.digitize(z + agent_csat + shift[channel_idx, 0], CSAT_CUTS) + 1  # 1..5
    csat = (csat_level - 1) / 4.0
    satisfied = (csat_level >= 4).astype("float64")
    no_survey = rng.random(n) < design.csat_missing
    csat[no_survey] = np.nan
    satisfied[no_survey] = np.nan

    occurred = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, design.days * 86400, n), unit="s")
    frame = pd.DataFrame({
        "interaction_id": np.arange(1, n + 1, dtype="int64"),
        "channel": channel.astype(str),
        "brand": np.char.add("Brand ", rng.integers(1, design.n_brands + 1, n).astype(str)),
        "team": np.char.add("Team ", (team_of_agent[agent_idx] + 1).astype(str)),
        "agent": np.char.add("Agent ", np.char.zfill((agent_idx + 1).astype(str), 3)),
        "grader": np.char.add("grader", rng.integers(1, design.n_graders + 1, n).astype(str)),
        "scorecard": "Support QA",
        "occurred_at": occurred,
        "graded_at": occurred + pd.to_timedelta(rng.integers(3600, 5 * 86400, n), unit="s"),
        "csat": csat,
        "satisfied": satisfied,
        "csat_scale": "1-5",
        "n_grades": np.ones(n, dtype="int64"),
        "blind": 1.0,
    })
    skill_columns = {}
    for spec in design.skills:
        sign = -1.0 if spec.polarity == "negative" else 1.0  # the earned latent of an avoided behaviour
        rho = sign * np.array([spec.rho_for(c) for c in design.channels])[channel_idx]
        latent = rho * z + np.sqrt(1 - rho**2) * rng.standard_normal(n)
        latent += rng.normal(0, design.agent_effect_sd, design.n_agents)[agent_idx]
        latent += shift[channel_idx, 1]
        parts = []
        for kind in spec.questions:
            question = latent + rng.normal(0, 0.3, n)
            fraction = _question_fraction(question, kind, spec.fail_rate)
            fraction[rng.random(n) < design.na_rate] = np.nan  # N/A drops out of the mean
            parts.append(fraction)
        stacked = np.vstack(parts)
        graded = (~np.isnan(stacked)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            earned = np.where(graded > 0, np.nansum(stacked, axis=0) / graded, np.nan)
        skill_columns[spec.name] = 1.0 - earned if spec.polarity == "negative" else earned
    result = pd.concat([frame, pd.DataFrame(skill_columns)], axis=1)
    result.attrs["polarity"] = {spec.name: spec.polarity for spec in design.skills}
    return result
