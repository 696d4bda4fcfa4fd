"""Demo workspace: a realistic, deterministic QA workspace built in a few seconds.

Three brands of an online shop, four support teams, 24 agents and four QA specialists grade
phone calls, emails and chats on the sample scorecards in `resources/scorecards/` over twelve
weeks. The data follow a latent model so that the analysis finds what the eCommerce study found:

- every agent has a propensity per behaviour (normal, shared in part by the soft skills), so
  agents differ and have gaps; each interaction draws a latent per behaviour from the agent's
  propensity plus noise, and each question's answer is a threshold of that latent (thresholds
  set the realistic pass rates, e.g. ~3% wrong customer names);
- graders are not perfect: each grades from what happened plus their own leniency (a shift)
  and error (noise), so the stored answers differ from what a perfect grader would record;
- each interaction's skill scores are computed by `scoring.score`, exactly as stored;
- the customer's satisfaction is a channel-specific weighted sum of the standardised *true*
  skill scores (what happened, not what the grader wrote) plus topic, brand and noise terms,
  cut into a 1-5 survey answer (a J-shaped spread); about two thirds of the customers answer
  the survey, more often after a very good or a very bad experience;
- a few interactions get a second opinion (a re-grade by another grader), every grade is made
  blind to CSAT, and the negative tone and wrong-name questions are behaviours to avoid
  (polarity "negative"), so the analysis shows them with the study's negative sign.

The targets in `CSAT_TARGETS` plant the study's relations in expectation: authenticity, friendly
tone and empathy strongest; avoiding a negative tone and the wrong name positive (so their
occurrence negative); rapport & personalisation near zero; empathy and etiquette much stronger
on the phone; accuracy equal on every channel. The weights come from the population (a large
fixed pilot simulation of the same model, `_population`), never from the sample itself, so a
sample's correlations vary from seed to seed as much as their intervals say.

Everything (uuids and timestamps included) derives from the seed and fixed dates, so one seed
always gives the same database content. Names, subjects, transcripts and grader comments are in
`text`; one generated interaction is a `cases.Case`.
"""

from __future__ import annotations

import bisect
import functools
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CancelledError, QAGraderError
from ..grading.evaluations import answers_json
from ..grading.graders import grader_key
from ..resources import resource_path
from ..scorecards.model import NO, YES, Question, Scorecard, scorecard_from_json, scorecard_to_dict
from ..scorecards.scoring import Answer, score
from ..scorecards.store import definition_json
from ..storage import writers
from .actions import insert_actions
from .calibration import insert_calibration
from .cases import Case
from .text import FIRST_NAMES, LAST_NAMES, OCCASIONS, CaseText, overall_comment, with_comments

if TYPE_CHECKING:
    from ..storage.workspace import Workspace

CHANNELS: tuple[str, ...] = ("phone", "email", "chat")
DEFAULT_SEED = 5
"""Every seed shows the study's relations in expectation; a sample of 2,400 interactions varies
around them. This one was chosen (from seeds 1-49) because its sample shows all of them clearly:
the three strongest positives, both negatives significant, rapport about zero, empathy and
etiquette stronger on the phone, accuracy alike on every channel."""
DEMO_END = date(2026, 10, 30)  # a Friday; fixed so that a seed always gives the same workspace
WEEKS = 12
CSAT_RESPONSE = {"phone": 0.60, "email": 0.70, "chat": 0.68}
CSAT_LEVEL_SHARES = (0.12, 0.07, 0.11, 0.22, 0.48)  # survey answers 1..5: J-shaped, like real CSAT

# Correlation of each graded skill score (earned fraction) with the customer's latent
# satisfaction, per channel (phone, email, chat), in expectation; the 1-5 survey cut and the
# topic/brand terms shrink them by about a tenth.
# Skills not listed do not move CSAT.
CSAT_TARGETS: dict[str, tuple[float, float, float]] = {
    "Authenticity": (0.34, 0.32, 0.32),
    "Friendly tone": (0.32, 0.29, 0.30),
    "Empathy": (0.37, 0.13, 0.13),
    "Etiquette": (0.28, 0.06, 0.06),
    "Accuracy": (0.16, 0.16, 0.16),
    "Resolution": (0.16, 0.17, 0.16),
    "Negative tone": (0.14, 0.14, 0.14),
    "Wrong customer name": (0.10, 0.10, 0.10),
    "Rapport & personalization": (0.02, 0.02, 0.02),
    "Process": (0.04, 0.04, 0.04),
    "Data protection": (0.03, 0.03, 0.03),
}
# Behaviours the answers are drawn from: (share of variance from the agent, loading on the
# shared "soft skills" factor). The bonus question draws on "Extra mile".
BEHAVIOURS: dict[str, tuple[float, float]] = {
    "Empathy": (0.30, 0.35), "Authenticity": (0.30, 0.35), "Friendly tone": (0.30, 0.35),
    "Negative tone": (0.25, 0.30), "Wrong customer name": (0.15, 0.0),
    "Rapport & personalization": (0.30, 0.0), "Etiquette": (0.30, 0.20), "Accuracy": (0.30, 0.0),
    "Resolution": (0.20, 0.0), "Process": (0.30, 0.0), "Data protection": (0.20, 0.0),
    "Extra mile": (0.30, 0.0),
}
# Answer shares per question key: "fail" for yes/no and two-option questions, "options" (worst
# to best) for Yes/Partial/No, "scale" for 1..5.
ANSWER_SHARES: dict[str, dict[str, Any]] = {
    "greeting": {"fail": 0.08}, "hold_etiquette": {"fail": 0.15}, "wait_updates": {"fail": 0.18},
    "closing": {"fail": 0.12}, "writing": {"scale": (0.03, 0.08, 0.24, 0.40, 0.25)},
    "right_name": {"fail": 0.03},
    "empathy": {"fail": 0.20, "options": (0.12, 0.20, 0.68)},
    "authenticity": {"fail": 0.18, "options": (0.12, 0.25, 0.63), "scale": (0.04, 0.10, 0.26, 0.35, 0.25)},
    "friendly_tone": {"scale": (0.02, 0.06, 0.20, 0.40, 0.32)},
    "negative_tone": {"fail": 0.06},
    "rapport": {"fail": 0.45, "options": (0.25, 0.35, 0.40), "scale": (0.10, 0.20, 0.35, 0.25, 0.10)},
    "accuracy": {"fail": 0.10, "options": (0.08, 0.12, 0.80)},
    "resolution": {"options": (0.10, 0.18, 0.72)},
    "process": {"fail": 0.08}, "verification": {"fail": 0.03}, "data_protection": {"fail": 0.006},
    "extra_mile": {"fail": 0.80},
}

TEAMS: dict[str, tuple[tuple[float, float, float], tuple[str, ...]]] = {
    # team: (share of phone, email, chat), agents
    "Phone Support": ((0.86, 0.04, 0.10), (
        "Maya Patel", "James O'Connor", "Aisha Khan", "Lukas Weber", "Grace Mensah", "Daniel Kowalski")),
    "Digital Care": ((0.04, 0.52, 0.44), (
        "Sofia Rossi", "Ethan Brooks", "Hannah Schmidt", "Kwame Asante", "Chloe Martin", "Mateo García")),
    "Returns & Billing": ((0.40, 0.38, 0.22), (
        "Olivia Novak", "Ravi Sharma", "Emily Clarke", "Tomás Silva", "Zara Ahmed", "Ben Fletcher")),
    "Premium Care": ((0.50, 0.20, 0.30), (
        "Isabella Moreau", "Noah Jensen", "Fatima Haddad", "Oliver Wright", "Mei Lin", "Jack Murphy")),
}
GRADERS: tuple[tuple[str, float], ...] = (
    ("Priya Raman", 0.34), ("Tom Becker", 0.28), ("Lucía Ortega", 0.24), ("Sam Whitfield", 0.14))
# Each grader's leniency (a shift of the latent they grade from, in SD units: positive = lenient)
# and error (SD of their own noise).
GRADER_STYLE: dict[str, tuple[float, float]] = {
    "Priya Raman": (0.0, 0.25), "Tom Becker": (0.30, 0.35), "Lucía Ortega": (-0.20, 0.30),
    "Sam Whitfield": (0.10, 0.45)}
_GRADER_MIX = {"phone": (0.30, 0.25, 0.20, 0.25), "email": (0.36, 0.30, 0.29, 0.05),
               "chat": (0.38, 0.30, 0.25, 0.07)}  # who grades each channel (order of GRADERS)
SECOND_OPINIONS = 0.06  # share of graded interactions re-graded by another grader
RESPONSE_BY_EXPERIENCE = 0.6  # log-odds of answering the survey per SD of |satisfaction|
PILOT = 40_000  # interactions per channel of the fixed pilot simulation behind the CSAT weights
PILOT_SEED = 20_261_030
BRANDS: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    # name, order prefix, share, CSAT shift, products
    ("Northwind Living", "NW", 0.45, 0.05,
     ("oak bookshelf", "linen duvet set", "table lamp", "corner sofa", "dinner set")),
    ("Bramble & Co", "BR", 0.35, 0.0,
     ("rain jacket", "leather boots", "wool jumper", "denim jeans", "silk scarf")),
    ("Voltline Electronics", "VL", 0.20, -0.15,
     ("wireless headphones", "smart speaker", "fast charger", "4K monitor", "robot vacuum")),
)
# topic: share of the channel's interactions (phone, email, chat) and the topic's CSAT term;
# the topics' text is `text.TOPIC_TEXT`.
TOPICS: dict[str, dict[str, Any]] = {
    "late": {"w": (0.20, 0.16, 0.22), "csat": -0.15},
    "damaged": {"w": (0.10, 0.16, 0.06), "csat": -0.20},
    "refund": {"w": (0.12, 0.14, 0.10), "csat": -0.10},
    "return": {"w": (0.08, 0.14, 0.10), "csat": 0.0},
    "wrong_item": {"w": (0.07, 0.10, 0.05), "csat": -0.10},
    "address": {"w": (0.08, 0.04, 0.10), "csat": 0.10},
    "payment": {"w": (0.10, 0.08, 0.06), "csat": -0.10},
    "promo": {"w": (0.05, 0.06, 0.12), "csat": 0.0},
    "product": {"w": (0.10, 0.08, 0.14), "csat": 0.20},
    "cancel": {"w": (0.10, 0.04, 0.05), "csat": 0.05},
}

SAMPLE_SCORECARDS: dict[str, str] = {"phone": "phone.json", "email": "email.json", "chat": "chat.json"}


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` wrote."""

    path: Path
    interactions: int
    with_csat: int
    submitted: int
    drafts: int
    calibration: int
    auto_failed: int
    teams: int
    agents: int
    brands: int
    graders: int
    scorecards: int
    seconds: float

    def __str__(self) -> str:
        return (f"{self.interactions} interactions ({self.with_csat} with CSAT), {self.submitted} graded, "
                f"{self.drafts} drafts, {self.agents} agents in {self.teams} teams, {self.brands} brands, "
                f"{self.scorecards} scorecards; built in {self.seconds:.1f} s")


# ---------------------------------------------------------------- sample scorecards

def scorecards_dir() -> Path:
    """The folder of the sample scorecards (`resources/scorecards`, shipped with the package)."""
    folder = resource_path("scorecards")
    missing = [name for name in SAMPLE_SCORECARDS.values() if not (folder / name).is_file()]
    if missing:
        raise QAGraderError(f"The sample scorecard {missing[0]} is missing from {folder}; reinstall QA Grader.")
    return folder


def load_sample_scorecards() -> dict[str, Scorecard]:
    """The sample scorecards by channel (phone, email, chat)."""
    folder = scorecards_dir()
    return {channel: scorecard_from_json((folder / name).read_text(encoding="utf-8"))
            for channel, name in SAMPLE_SCORECARDS.items()}


# ---------------------------------------------------------------- the build

def build_demo(
    ws_or_path: "Workspace | str | Path",
    *,
    interactions: int = 2400,
    seed: int = DEFAULT_SEED,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    end: date = DEMO_END,
) -> DemoSummary:
    """Fill an empty workspace with a realistic demo (see the module docstring), in one
    transaction. Refuses a workspace that already holds interactions, agents or teams, or a
    different scorecard under a sample scorecard's name. Raises `CancelledError` (nothing
    written) when `cancelled()` becomes true."""
    from ..storage.workspace import Workspace

    if interactions < 1:
        raise QAGraderError("The demo needs at least 1 interaction.")
    if isinstance(ws_or_path, Workspace):
        return _build(ws_or_path, interactions, seed, progress, cancelled, end)
    with Workspace.open(ws_or_path) as ws:
        return _build(ws, interactions, seed, progress, cancelled, end)


def _build(ws: "Workspace", n: int, seed: int, progress: Callable[[float], None] | None,
           cancelled: Callable[[], bool] | None, end: date) -> DemoSummary:
    started = time.perf_counter()

    def step(fraction: float) -> None:
        if cancelled is not None and cancelled():
            raise CancelledError()
        if progress is not None:
            progress(fraction)

    cards = load_sample_scorecards()
    _check_empty(ws, cards)
    step(0.0)
    gen = _Generator(seed, end, cards)
    cases = gen.cases(n, step)
    gen.plan_grading(cases)
    gen.plant_csat(cases)
    step(0.55)
    with ws.transaction():
        card_ids = _save_scorecards(ws, cards, gen)
        agent_ids, team_ids = _insert_people(ws, gen)
        step(0.6)
        _insert_interactions(ws, cases, gen, agent_ids, team_ids)
        step(0.7)
        counts = _insert_evaluations(ws, cases, gen, card_ids, step)
        counts["calibration"] = insert_calibration(ws, cases, cards=gen.cards, card_ids=card_ids,
                                                   graders=[g for g, _ in GRADERS], read=gen.graded,
                                                   rng=gen.text, new_uuid=gen.uuid, end=gen.end)
        insert_actions(ws, rng=gen.text, new_uuid=gen.uuid, start=gen.start, end=gen.end)
        step(0.98)
    if progress is not None:
        progress(1.0)
    return DemoSummary(
        path=ws.path, interactions=len(cases), with_csat=sum(c.csat is not None for c in cases),
        submitted=counts["submitted"], drafts=counts["drafts"], calibration=counts["calibration"],
        auto_failed=counts["auto_failed"], teams=len(TEAMS), agents=len(gen.agents), brands=len(BRANDS),
        graders=len(GRADERS) + 1, scorecards=len(cards),  # the QA specialists and the lead
        seconds=time.perf_counter() - started,
    )


def _check_empty(ws: "Workspace", cards: Mapping[str, Scorecard]) -> None:
    conn = ws.conn
    held = {what: conn.execute(f"SELECT count(*) FROM {what}").fetchone()[0]
            for what in ("interactions", "agents", "teams")}
    if any(held.values()):
        what = ", ".join(f"{count} {name}" for name, count in held.items() if count)
        raise QAGraderError(
            f"The demo needs an empty workspace, and {ws.path} already holds {what}. "
            "Choose a new workspace file for the demo."
        )
    for card in cards.values():
        row = conn.execute("SELECT definition FROM scorecards WHERE name = ? ORDER BY version DESC LIMIT 1",
                           (card.name,)).fetchone()
        if row and json.loads(row[0]) != scorecard_to_dict(card):
            raise QAGraderError(
                f"The workspace already has a different scorecard named '{card.name}'; "
                "build the demo in a new workspace file."
            )


class _Generator:
    """Seeded random sources and the people, dates and behaviours of the demo."""

    def __init__(self, seed: int, end: date, cards: Mapping[str, Scorecard]):
        self.rng = np.random.default_rng(seed)
        self.text = random.Random(seed * 7919 + 1)
        self._ids = random.Random(seed * 104729 + 2)
        self.cards = cards
        first = end - timedelta(weeks=WEEKS) + timedelta(days=1)
        self.start = first + timedelta(days=(7 - first.weekday()) % 7)  # a Monday
        self.end = end
        self.agents = [(name, team) for team, (_, names) in TEAMS.items() for name in names]
        self.behaviours = list(BEHAVIOURS)
        # agent propensities per behaviour, and the agents' share of the shared soft-skill factor
        self.agent_z = self.rng.standard_normal((len(self.agents), len(self.behaviours)))
        self.agent_soft = self.rng.standard_normal(len(self.agents))
        volume = self.rng.gamma(6.0, 1.0, len(self.agents))
        self.agent_p = volume / volume.sum()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # ------------------------------------------------------------ interactions

    def cases(self, n: int, step: Callable[[float], None]) -> list[Case]:
        rng = self.rng
        agent = rng.choice(len(self.agents), size=n, p=self.agent_p)
        team_mix = np.array([TEAMS[self.agents[a][1]][0] for a in range(len(self.agents))])
        channel = np.array([rng.choice(3, p=team_mix[a]) for a in agent])
        brand = rng.choice(len(BRANDS), size=n, p=[b[2] for b in BRANDS])
        topics = list(TOPICS)
        topic = np.empty(n, dtype=int)
        for c in range(3):
            rows = np.flatnonzero(channel == c)
            weights = np.array([TOPICS[t]["w"][c] for t in topics])
            topic[rows] = rng.choice(len(topics), size=len(rows), p=weights / weights.sum())
        occurred = self._times(channel, rng)
        latents = self._latents(agent, rng)
        order = np.lexsort((np.arange(n), occurred))
        day_one = datetime.combine(self.start, datetime.min.time())
        cases: list[Case] = []
        graders = [g for g, _ in GRADERS]
        for position, i in enumerate(order):
            if position % 400 == 0:
                step(0.5 * position / n)
            ch = CHANNELS[channel[i]]
            grader = self.text.choices(graders, weights=_GRADER_MIX[ch])[0]
            seen = self._seen(self.cards[ch], ch, topics[topic[i]], latents[i])
            answers = self.graded(self.cards[ch], seen, grader)
            first = self.text.choice(FIRST_NAMES)
            wrong = self.text.choice([f for f in FIRST_NAMES if f != first and f[0] == first[0]] or
                                     [f for f in FIRST_NAMES if f != first])
            cases.append(Case(
                id=position + 1, channel=ch, agent=int(agent[i]), team=self.agents[agent[i]][1],
                brand=int(brand[i]), topic=topics[topic[i]],
                occurred=day_one + timedelta(seconds=int(occurred[i])),
                customer=(first, self.text.choice(LAST_NAMES)), wrong_first=wrong,
                occasion=self.text.randrange(len(OCCASIONS)) if self.text.random() < 0.45 else None,
                answers=answers, result=score(self.cards[ch], answers), grader=grader,
                truth=score(self.cards[ch], self.graded(self.cards[ch], seen, None)), seen=seen,
            ))
        return cases

    def _times(self, channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Seconds from the first day at 00:00: working days (Saturday mornings for phone and
        chat), busier on Mondays, mid-morning and, for chat, early evening peaks."""
        days = (self.end - self.start).days + 1
        weekday = np.array([(self.start + timedelta(days=d)).weekday() for d in range(days)])
        day_weight = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.35, 0.0])[weekday]
        day_weight *= np.linspace(0.9, 1.1, days)  # a growing shop
        hours = {0: ((8, 9, 10, 11, 12, 13, 14, 15, 16, 17), (4, 8, 10, 9, 7, 6, 7, 7, 6, 4)),
                 1: ((8, 9, 10, 11, 12, 13, 14, 15, 16, 17), (5, 9, 9, 8, 6, 7, 7, 6, 5, 3)),
                 2: ((8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19), (3, 6, 8, 8, 7, 6, 6, 6, 6, 7, 8, 6))}
        out = np.empty(len(channel), dtype=np.int64)
        for c in range(3):
            rows = np.flatnonzero(channel == c)
            weights = day_weight.copy()
            if c == 1:
                weights[weekday == 5] = 0.0  # email is answered on weekdays
            day = rng.choice(days, size=len(rows), p=weights / weights.sum())
            hour_values, hour_weights = hours[c]
            hour = np.array(hour_values)[rng.choice(len(hour_values), size=len(rows),
                                                    p=np.array(hour_weights) / sum(hour_weights))]
            hour = np.where(weekday[day] == 5, 9 + hour % 4, hour)  # Saturday 9-13
            out[rows] = day * 86400 + hour * 3600 + rng.integers(0, 3600, len(rows))
        return out

    def _latents(self, agent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Per interaction and behaviour: a standard normal latent, part agent, part soft-skill
        factor, part the moment."""
        n = len(agent)
        soft = np.sqrt(0.3) * self.agent_soft[agent] + np.sqrt(0.7) * rng.standard_normal(n)
        out = np.empty((n, len(self.behaviours)))
        for j, name in enumerate(self.behaviours):
            agent_share, loading = BEHAVIOURS[name]
            own = np.sqrt(agent_share) * self.agent_z[agent, j] + np.sqrt(1 - agent_share) * rng.standard_normal(n)
            out[:, j] = loading * soft + np.sqrt(1 - loading**2) * own
        return out

    def _seen(self, card: Scorecard, channel: str, topic: str, latent: np.ndarray) -> dict[str, float | None]:
        """What happened, per question, on the latent scale (None: not applicable)."""
        seen: dict[str, float | None] = {}
        for q in card.questions:
            if q.allow_na and self.text.random() < _na_rate(q.key, channel, topic):
                seen[q.key] = None
                continue
            behaviour = q.skill if q.skill in BEHAVIOURS else "Extra mile"
            value = latent[self.behaviours.index(behaviour)] + _topic_shift(q.key, topic)
            seen[q.key] = 0.92 * value + 0.39 * self.text.gauss(0.0, 1.0)
        return seen

    def graded(self, card: Scorecard, seen: Mapping[str, float | None], grader: str | None) -> dict[str, Answer]:
        """The answers `grader` records for what happened (their leniency and error added);
        with no grader, what a perfect grader would record."""
        leniency, error = GRADER_STYLE[grader] if grader else (0.0, 0.0)
        answers: dict[str, Answer] = {}
        for q in card.questions:
            value = seen[q.key]
            if value is None:
                answers[q.key] = Answer(None, True)
                continue
            if error:
                value = value + leniency + error * self.text.gauss(0.0, 1.0)
            answers[q.key] = Answer(_label(q, value), False)
        return answers

    def plan_grading(self, cases: Sequence[Case]) -> None:
        """Most interactions are graded, fewer in the last week (the backlog), a few are drafts."""
        recent = np.array([(self.end - c.occurred.date()).days < 7 for c in cases], dtype=bool)
        graded = self.rng.random(len(cases)) < np.where(recent, 0.45, 0.9)
        draft = self.rng.random(len(cases)) < np.where(recent, 0.15, 0.025)
        second = self.rng.random(len(cases)) < np.where(recent, 0.0, SECOND_OPINIONS)
        graders = [g for g, _ in GRADERS]
        for case, is_graded, is_draft, again in zip(cases, graded, draft, second):
            case.status = ("draft" if is_draft else "submitted") if is_graded else None
            if case.status == "submitted" and again:
                others = [g for g in graders if g != case.grader]
                case.second_grader = others[int(self.rng.integers(len(others)))]

    # ------------------------------------------------------------ CSAT

    def plant_csat(self, cases: Sequence[Case]) -> None:
        """Set `csat` (1-5 or None = no survey) from the latent satisfaction of each case.

        Per channel, the customer's satisfaction is a weighted sum of the standardised *true*
        skill scores plus noise; the weights come from `_population` (a fixed pilot of the same
        model) so that each *graded* skill score correlates with satisfaction as `CSAT_TARGETS`
        says in expectation. Nothing is fitted to the sample: its correlations vary between
        seeds as sampling says. Whether the customer answers the survey depends on the
        experience (very good and very bad ones answer more often)."""
        rng = self.rng
        skills = list(CSAT_TARGETS)
        channel = np.array([CHANNELS.index(c.channel) for c in cases])
        truth = np.array([[c.truth.skills.get(s, np.nan) for s in skills] for c in cases], dtype=float)
        satisfaction = np.zeros(len(cases))
        for ch in range(3):
            rows = channel == ch
            count = int(rows.sum())
            if count == 0:
                continue
            population = _population(self.cards[CHANNELS[ch]], CHANNELS[ch])
            z = np.nan_to_num((truth[rows] - population.mean) / population.sd)
            targets = np.array([CSAT_TARGETS[s][ch] for s in skills]) * np.sqrt(population.graded_var)
            weights = np.linalg.pinv(population.graded_true) @ targets
            explained = float(weights @ population.true_cov @ weights)
            if explained > 0.9:  # keep room for noise
                weights *= np.sqrt(0.9 / explained)
                explained = 0.9
            satisfaction[rows] = z @ weights + np.sqrt(1.0 - explained) * rng.standard_normal(count)
        satisfaction += np.array([TOPICS[c.topic]["csat"] + BRANDS[c.brand][3] for c in cases])
        base = np.array([CSAT_RESPONSE[c.channel] for c in cases])
        odds = np.log(base / (1 - base)) + RESPONSE_BY_EXPERIENCE * (np.abs(satisfaction) - 0.8)
        answered = rng.random(len(cases)) < 1 / (1 + np.exp(-odds))
        cuts = np.array([NormalDist().inv_cdf(p) for p in np.cumsum(CSAT_LEVEL_SHARES)[:-1]])
        level = np.digitize(satisfaction, cuts) + 1
        for case, value, has, latent in zip(cases, level, answered, satisfaction):
            case.csat = int(value) if has else None
            case.satisfaction = float(latent)


@dataclass(frozen=True)
class _Population:
    """Moments of the standardised skill scores (`CSAT_TARGETS` order) over the population."""

    mean: np.ndarray          # true skill scores' means
    sd: np.ndarray            # ... and SDs (a skill not on the card: mean NaN, SD 1)
    true_cov: np.ndarray      # E[z_true z_true']
    graded_true: np.ndarray   # E[z_graded z_true']
    graded_var: np.ndarray    # E[z_graded^2] (N/A counts as average)


@functools.lru_cache(maxsize=8)
def _population(card: Scorecard, channel: str) -> _Population:
    """A fixed pilot of `PILOT` interactions of the demo's model on one channel (any agents,
    topics and graders): the population moments that set the CSAT weights. Vectorised, seeded
    with `PILOT_SEED`, the same for every demo."""
    rng = np.random.default_rng(PILOT_SEED + CHANNELS.index(channel))
    n = PILOT
    behaviours = list(BEHAVIOURS)
    soft = rng.standard_normal(n)
    latent = np.empty((n, len(behaviours)))
    for j, name in enumerate(behaviours):
        _, loading = BEHAVIOURS[name]
        latent[:, j] = loading * soft + np.sqrt(1 - loading**2) * rng.standard_normal(n)
    topics = list(TOPICS)
    weights = np.array([TOPICS[t]["w"][CHANNELS.index(channel)] for t in topics])
    topic = rng.choice(len(topics), size=n, p=weights / weights.sum())
    names = [g for g, _ in GRADERS]
    grader = rng.choice(len(names), size=n, p=np.array(_GRADER_MIX[channel]) / sum(_GRADER_MIX[channel]))
    leniency = np.array([GRADER_STYLE[g][0] for g in names])[grader]
    error = np.array([GRADER_STYLE[g][1] for g in names])[grader]
    skills = list(CSAT_TARGETS)
    sums = {kind: np.zeros((n, len(skills))) for kind in ("true", "graded")}
    counts = np.zeros((n, len(skills)))
    for q in card.questions:
        if q.skill not in skills:
            continue
        behaviour = q.skill if q.skill in BEHAVIOURS else "Extra mile"
        shift = np.array([_topic_shift(q.key, t) for t in topics])[topic]
        seen = 0.92 * (latent[:, behaviours.index(behaviour)] + shift) + 0.39 * rng.standard_normal(n)
        na_rate = np.array([_na_rate(q.key, channel, t) for t in topics])[topic] if q.allow_na else np.zeros(n)
        known = rng.random(n) >= na_rate
        labels, cuts = _answer_cuts(q)
        fraction = np.array([_earned_fraction(q, label) for label in labels])
        column = skills.index(q.skill)
        graded = seen + leniency + error * rng.standard_normal(n)
        for kind, value in (("true", seen), ("graded", graded)):
            sums[kind][:, column] += np.where(known, fraction[np.searchsorted(cuts, value, side="right")], 0.0)
        counts[:, column] += known
    with np.errstate(invalid="ignore", divide="ignore"):
        true, graded = sums["true"] / counts, sums["graded"] / counts
        mean, sd = np.nanmean(true, axis=0), np.nanstd(true, axis=0)
        graded_mean, graded_sd = np.nanmean(graded, axis=0), np.nanstd(graded, axis=0)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    graded_sd = np.where(np.isfinite(graded_sd) & (graded_sd > 0), graded_sd, 1.0)
    z_true = np.nan_to_num((true - mean) / sd)
    z_graded = np.nan_to_num((graded - graded_mean) / graded_sd)
    return _Population(mean, sd, z_true.T @ z_true / n, z_graded.T @ z_true / n,
                       (z_graded**2).mean(axis=0))


def _earned_fraction(q: Question, label: str | int) -> float:
    """The share of the question's points an answer earns (see `scoring.score`)."""
    if q.type == "yes_no":
        return 1.0 if label == YES else 0.0
    if q.type == "scale":
        return (int(label) - (q.min or 0)) / ((q.max or 1) - (q.min or 0))
    points = {o.label: o.points for o in q.options}
    return points[label] / q.best_points


def _topic_shift(key: str, topic: str) -> float:
    """Resolution is harder for some topics."""
    if key != "resolution":
        return 0.0
    return {"refund": -0.3, "wrong_item": -0.2, "damaged": -0.1, "product": 0.3}.get(topic, 0.0)


def _na_rate(key: str, channel: str, topic: str) -> float:
    info_only = topic == "product"
    if key == "hold_etiquette":
        return 0.6
    if key == "wait_updates":
        return 0.45
    if key == "right_name":
        return {"phone": 0.03, "email": 0.04, "chat": 0.12}[channel]
    if key == "empathy":
        return 0.65 if info_only else 0.3 if topic in ("address", "promo") else 0.04
    if key == "process":
        return 0.9 if info_only else 0.4 if topic == "promo" else 0.02
    if key == "verification":
        return 0.8 if info_only else 0.6 if topic == "promo" else 0.0
    return 0.02


def _label(q: Question, latent: float) -> str | int:
    """Answer for a standard-normal latent: thresholds at the normal quantiles of the shares."""
    labels, cuts = _answer_cuts(q)
    return labels[bisect.bisect_right(cuts, latent)]


@functools.lru_cache(maxsize=256)
def _answer_cuts(q: Question) -> tuple[tuple[str | int, ...], tuple[float, ...]]:
    """Possible answers, worst first, and the latent thresholds between them."""
    shares = ANSWER_SHARES.get(q.key, {"fail": 0.1})
    if q.type == "scale":
        labels: tuple[str | int, ...] = tuple(range(q.min or 0, (q.max or 0) + 1))
        base = shares.get("scale", (0.05, 0.1, 0.25, 0.35, 0.25))
        probs = np.interp(np.linspace(0, 4, len(labels)), range(5), base)
    elif q.type == "yes_no":
        labels, probs = (NO, YES), np.array([shares["fail"], 1 - shares["fail"]])
    else:
        labels = tuple(o.label for o in sorted(q.options, key=lambda o: o.points))
        if len(labels) == 3 and "options" in shares:
            probs = np.array(shares["options"])
        else:  # worst answer at the fail rate, the rest on the best answer
            probs = np.array([shares.get("fail", 0.1)] + [0.0] * (len(labels) - 2) + [1 - shares.get("fail", 0.1)])
    cumulative = np.cumsum(probs / probs.sum())[:-1]
    cuts = tuple(NormalDist().inv_cdf(min(max(float(p), 1e-9), 1 - 1e-9)) for p in cumulative)
    return labels, cuts


# ---------------------------------------------------------------- writing

def _ts(moment: datetime) -> str:
    """A record timestamp in the format of `records.utc_now`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _save_scorecards(ws: "Workspace", cards: Mapping[str, Scorecard], gen: _Generator) -> dict[str, int]:
    """Save the sample scorecards; new ones get seeded uuids and timestamps."""
    made = _ts(datetime.combine(gen.start - timedelta(days=35), datetime.min.time()).replace(hour=10))
    ids: dict[str, int] = {}
    for channel, card in cards.items():
        if ws.conn.execute("SELECT 1 FROM scorecards WHERE name = ?", (card.name,)).fetchone():
            ids[channel] = ws.scorecards.save(card).scorecard.id  # the same definition (`_check_empty`)
            continue
        family = gen.uuid()
        ids[channel] = writers.insert_scorecard(ws, family_uuid=family, uuid=gen.uuid(), name=card.name, version=1,
                                                definition=definition_json(card), now=made)
    return ids


def _insert_people(ws: "Workspace", gen: _Generator) -> tuple[list[int], dict[str, int]]:
    made = _ts(datetime.combine(gen.start - timedelta(days=28), datetime.min.time()).replace(hour=9))
    team_ids = {team: writers.insert_team(ws, team, uuid=gen.uuid(), now=made) for team in TEAMS}
    agent_ids = [writers.insert_agent(ws, name, team_ids[team], uuid=gen.uuid(), now=made)
                 for name, team in gen.agents]
    return agent_ids, team_ids


def _insert_interactions(ws: "Workspace", cases: Sequence[Case], gen: _Generator, agent_ids: Sequence[int],
                         team_ids: Mapping[str, int]) -> None:
    counters = {c: 100_000 + gen.text.randrange(50_000) for c in CHANNELS}
    prefix = {"phone": "CALL", "email": "EM", "chat": "CHAT"}
    rows = []
    for case in cases:
        counters[case.channel] += gen.text.randint(1, 9)  # other tickets of the helpdesk in between
        brand, order_prefix, _, _, products = BRANDS[case.brand]
        case_text = CaseText(case, gen.text, gen.agents[case.agent][0], brand,
                             f"{order_prefix}-{gen.text.randint(10000, 99999)}", gen.text.choice(products))
        csat = case.csat
        imported = _ts(case.occurred + timedelta(hours=2))
        rows.append((
            case.id, gen.uuid(), f"{prefix[case.channel]}-{counters[case.channel]}", case.channel,
            agent_ids[case.agent], team_ids[case.team], brand, case.occurred.isoformat(timespec="seconds"),
            None if csat is None else str(csat), None if csat is None else "1-5",
            None if csat is None else (csat - 1) / 4, None if csat is None else int(csat >= 4),
            case_text.subject(), case_text.transcript(), imported, imported,
        ))
    writers.insert_interactions(ws, ("id", "uuid", "external_id", "channel", "agent_id", "team_id", "brand",
                                     "occurred_at", "csat_raw", "csat_scale", "csat_norm", "satisfied",
                                     "subject", "transcript", "created_at", "updated_at"), rows)


def _insert_evaluations(ws: "Workspace", cases: Sequence[Case], gen: _Generator, card_ids: Mapping[str, int],
                        step: Callable[[float], None]) -> dict[str, int]:
    """Grade most interactions (a backlog in the last week), a few drafts and a few second
    opinions. Every grade is made blind to CSAT (the app's default)."""
    text = gen.text
    graders = [g for g, _ in GRADERS]
    made = _ts(datetime.combine(gen.start - timedelta(days=28), datetime.min.time()).replace(hour=9))
    uuids = [gen.uuid() for _ in graders]  # drawn whether or not a grader exists: one seed, one workspace
    known = {grader_key(name): id_ for id_, name in ws.conn.execute("SELECT id, name FROM graders")}
    new = [(u, name) for u, name in zip(uuids, graders) if grader_key(name) not in known]
    writers.insert_graders(ws, [name for _, name in new], uuids=[u for u, _ in new], now=made)
    known = {grader_key(name): id_ for id_, name in ws.conn.execute("SELECT id, name FROM graders")}
    grader_ids = {name: known[grader_key(name)] for name in graders}
    evaluations: list[tuple] = []
    skills: list[tuple] = []
    counts = {"submitted": 0, "drafts": 0, "auto_failed": 0}

    def add(case: Case, grader: str, answers: dict[str, Answer], status: str, when: datetime, comment: str) -> None:
        card = gen.cards[case.channel]
        result = score(card, answers) if answers is not case.answers else case.result
        evaluation_id = len(evaluations) + 1
        done = when + timedelta(minutes=text.randint(4, 18))
        evaluations.append((
            evaluation_id, gen.uuid(), case.id, card_ids[case.channel], grader_ids[grader], status,
            answers_json(answers), comment,
            result.total, int(result.auto_failed), json.dumps(list(result.auto_fail_reasons)),
            0, _ts(when), _ts(done), _ts(done) if status == "submitted" else None, 1,
        ))
        skills.extend((evaluation_id, skill, value) for skill, value in result.skills.items())
        counts["submitted" if status == "submitted" else "drafts"] += 1
        counts["auto_failed"] += int(result.auto_failed and status == "submitted")

    for position, case in enumerate(cases):
        if position % 500 == 0:
            step(0.7 + 0.25 * position / len(cases))
        if case.status is None:
            continue
        grader = case.grader
        when = _working_time(case.occurred + timedelta(days=text.randint(1, 5)), text)
        if case.status == "draft":
            keys = [q.key for q in gen.cards[case.channel].questions]
            kept = keys[: text.randint(3, len(keys) - 2)]
            add(case, grader, {k: case.answers[k] for k in kept}, "draft", when, "")
            continue
        answers = with_comments(case, text)
        add(case, grader, answers, "submitted", when, overall_comment(case, text))
        if case.second_grader:  # a second opinion a few days later
            later = _working_time(when + timedelta(days=text.randint(2, 6)), text)
            add(case, case.second_grader, gen.graded(gen.cards[case.channel], case.seen, case.second_grader),
                "submitted", later, "Second opinion")
    writers.insert_evaluations(ws, evaluations, skills)
    return counts


def _working_time(moment: datetime, text: random.Random) -> datetime:
    """The next weekday at a random time between 09:00 and 17:00 on or after `moment`'s day."""
    day = moment.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=text.randint(9 * 60, 17 * 60))
