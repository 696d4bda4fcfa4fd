"""Whether a skill goes with CSAT more strongly in one channel than another: its own test.

For every skill and every pair of channels (a, b): the difference rho_a - rho_b of the two
channels' Spearman correlations, with a 95% CI and p-value from the delete-one-agent jackknife
of the difference (the channels are different interactions, but an agent who works both
channels links them; the jackknife of the difference accounts for that, and with independent
agents it is the usual independent-samples comparison). q-values are Benjamini-Hochberg over
this family (every skill x pair); `adj_ci_low`/`adj_ci_high` are the matching
Benjamini-Yekutieli false-coverage-rate intervals, which exclude 0 exactly when q < 0.05
(`holds`). Pairs where either channel has fewer than 30 pairs are left empty ("too few").
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from .clustered import cluster_sums, contrast, difference_interval, difference_p, family_columns, spread_of
from .correlation import ALPHA, MIN_N, TOO_FEW, Associations

DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "skill", "channel_a", "channel_b", "rho_a", "rho_b", "difference", "ci_low", "ci_high",
    "p_value", "q_value",
)
EXTRA_COLUMNS: tuple[str, ...] = (
    "n_a", "n_b", "holds", "adj_ci_low", "adj_ci_high", "adj_level", "n_agents", "interval",
    "polarity", "note",
)


def channel_differences(found: Associations, *, min_n: int = MIN_N) -> pd.DataFrame:
    """One row per skill x pair of channels (in channel order): `DIFFERENCE_COLUMNS`, then
    `EXTRA_COLUMNS`. Empty (no rows) with fewer than two channels."""
    pairs = list(combinations(range(len(found.channels)), 2))
    rows = []
    for skill in found.skills:
        channel = found.by_skill[skill].channel
        if not pairs:
            break
        difference = contrast(cluster_sums(channel, found.clusters, len(channel.value)), pairs)
        spread_ = spread_of(difference)
        for k, (a, b) in enumerate(pairs):
            enough = min(channel.n[a], channel.n[b]) >= min_n
            rows.append({
                "skill": skill, "channel_a": found.channels[a], "channel_b": found.channels[b],
                "rho_a": channel.value[a] if channel.n[a] >= min_n else np.nan,
                "rho_b": channel.value[b] if channel.n[b] >= min_n else np.nan,
                "difference": difference.value[k] if enough else np.nan,
                "se": spread_.se[k] if enough else np.nan, "df": spread_.df[k],
                "n_a": int(channel.n[a]), "n_b": int(channel.n[b]),
                "n_agents": int(spread_.n_clusters[k]), "clustered": bool(spread_.clustered[k]),
                "note": "" if enough else TOO_FEW,
            })
    table = pd.DataFrame(rows, columns=[
        "skill", "channel_a", "channel_b", "rho_a", "rho_b", "difference", "se", "df", "n_a",
        "n_b", "n_agents", "clustered", "note"])
    diff, se, df = (table[c].to_numpy(dtype="float64") for c in ("difference", "se", "df"))
    for column, values in family_columns(diff, se, df, difference_interval, difference_p, ALPHA).items():
        table[column] = values
    table["holds"] = (table["q_value"] < ALPHA).to_numpy()
    table["interval"] = np.where(table["clustered"], "agent clusters", "independent (too few agents)")
    table["polarity"] = table["skill"].map(found.polarity).fillna("positive")
    return table[[*DIFFERENCE_COLUMNS, *EXTRA_COLUMNS]]


@dataclass(frozen=True)
class Difference:
    """A channel difference that holds, in words: `high` is the channel whose correlation is
    higher (further right on a chart), `low` the other; `opposite` when their signs differ."""

    skill: str
    high: str
    low: str
    difference: float          # rho_high - rho_low (> 0)
    opposite: bool
    high_rho_negative: bool    # both negative (same signs): the low one is the stronger

    @property
    def stronger(self) -> str:
        """The channel where the association is stronger (same signs), i.e. further from 0."""
        return self.low if self.high_rho_negative else self.high

    @property
    def weaker(self) -> str:
        return self.high if self.stronger == self.low else self.low


def differing_skills(differences: pd.DataFrame) -> list[Difference]:
    """Every difference that holds, largest first."""
    held = differences[differences["holds"]]
    out = []
    for row in held.itertuples(index=False):
        first_high = row.rho_a >= row.rho_b
        high, low = (row.channel_a, row.channel_b) if first_high else (row.channel_b, row.channel_a)
        rho_high, rho_low = (row.rho_a, row.rho_b) if first_high else (row.rho_b, row.rho_a)
        out.append(Difference(row.skill, high, low, float(rho_high - rho_low),
                              bool(np.sign(rho_high) * np.sign(rho_low) < 0), bool(rho_high < 0)))
    return sorted(out, key=lambda d: -d.difference)
