"""What passing a yes/no skill goes with: CSAT and satisfied rate when passed vs failed.

A rarely failed skill (wrong name, 2% failures) has a small correlation but can have a large
effect per interaction; this table shows that effect with its uncertainty:

- failure rate with a 95% Wilson interval;
- mean CSAT (0..1) passed minus failed, with the 95% Welch interval
  (`scipy.stats.ttest_ind(..., equal_var=False).confidence_interval()`);
- satisfied rate passed minus failed, with Newcombe's hybrid score interval (his method 10,
  built from the two Wilson intervals; better than the plain normal approximation when
  failures are rare).

Differences are left empty when either group has fewer than 30 surveyed evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._stats import wilson_ci
from .correlation import ALL, MIN_N, TOO_FEW, channels_of
from .dataset import yes_no_skills

EFFECT_COLUMNS: tuple[str, ...] = (
    "skill", "channel", "n", "n_pass", "n_fail", "failure_rate", "failure_ci_low",
    "failure_ci_high", "n_surveyed_pass", "n_surveyed_fail", "csat_pass", "csat_fail",
    "csat_diff", "csat_diff_ci_low", "csat_diff_ci_high", "satisfied_pass", "satisfied_fail",
    "satisfied_diff", "satisfied_diff_ci_low", "satisfied_diff_ci_high", "note",
)


def _cell(score: np.ndarray, csat: np.ndarray, satisfied: np.ndarray, min_n: int) -> dict:
    passed, failed = score == 1, score == 0
    csat_pass, csat_fail = csat[passed], csat[failed]
    csat_pass, csat_fail = csat_pass[~np.isnan(csat_pass)], csat_fail[~np.isnan(csat_fail)]
    sat_pass, sat_fail = satisfied[passed], satisfied[failed]
    sat_pass, sat_fail = sat_pass[~np.isnan(sat_pass)], sat_fail[~np.isnan(sat_fail)]
    row = {
        "n_pass": int(passed.sum()), "n_fail": int(failed.sum()),
        "n_surveyed_pass": len(csat_pass), "n_surveyed_fail": len(csat_fail),
        "csat_pass": csat_pass.mean() if len(csat_pass) else np.nan,
        "csat_fail": csat_fail.mean() if len(csat_fail) else np.nan,
        "k_sat_pass": sat_pass.sum(), "n_sat_pass": len(sat_pass),
        "k_sat_fail": sat_fail.sum(), "n_sat_fail": len(sat_fail),
        "csat_diff_ci_low": np.nan, "csat_diff_ci_high": np.nan,
    }
    row["enough"] = min(len(csat_pass), len(csat_fail)) >= min_n
    if row["enough"]:
        ci = stats.ttest_ind(csat_pass, csat_fail, equal_var=False).confidence_interval(0.95)
        row["csat_diff_ci_low"], row["csat_diff_ci_high"] = ci.low, ci.high
    return row


def yes_no_effects(frame: pd.DataFrame, skills: Sequence[str] | None = None, *,
                   min_n: int = MIN_N) -> pd.DataFrame:
    """One row per yes/no skill x channel (`all` first): the columns of `EFFECT_COLUMNS`.
    Differences are passed minus failed."""
    skills = yes_no_skills(frame, skills)
    channel = frame["channel"].to_numpy()
    groups = [(ALL, np.ones(len(frame), dtype=bool))]
    groups += [(c, channel == c) for c in channels_of(frame)]
    csat = frame["csat"].to_numpy(dtype="float64")
    satisfied = frame["satisfied"].to_numpy(dtype="float64")
    rows = []
    for skill in skills:
        score = frame[skill].to_numpy(dtype="float64")
        for label, mask in groups:
            rows.append({"skill": skill, "channel": label,
                         **_cell(score[mask], csat[mask], satisfied[mask], min_n)})
    table = pd.DataFrame(rows, columns=[
        "skill", "channel", "n_pass", "n_fail", "n_surveyed_pass", "n_surveyed_fail",
        "csat_pass", "csat_fail", "k_sat_pass", "n_sat_pass", "k_sat_fail", "n_sat_fail",
        "csat_diff_ci_low", "csat_diff_ci_high", "enough"])
    table["n"] = table["n_pass"] + table["n_fail"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["failure_rate"] = table["n_fail"] / table["n"]
        table["satisfied_pass"] = table["k_sat_pass"] / table["n_sat_pass"]
        table["satisfied_fail"] = table["k_sat_fail"] / table["n_sat_fail"]
    table["failure_ci_low"], table["failure_ci_high"] = wilson_ci(table["n_fail"], table["n"])
    low_p, high_p = wilson_ci(table["k_sat_pass"], table["n_sat_pass"])
    low_f, high_f = wilson_ci(table["k_sat_fail"], table["n_sat_fail"])
    p_pass, p_fail = table["satisfied_pass"], table["satisfied_fail"]
    table["csat_diff"] = table["csat_pass"] - table["csat_fail"]
    table["satisfied_diff"] = p_pass - p_fail
    table["satisfied_diff_ci_low"] = table["satisfied_diff"] - np.hypot(p_pass - low_p, high_f - p_fail)
    table["satisfied_diff_ci_high"] = table["satisfied_diff"] + np.hypot(high_p - p_pass, p_fail - low_f)
    hidden = ["csat_diff", "csat_diff_ci_low", "csat_diff_ci_high", "satisfied_diff",
              "satisfied_diff_ci_low", "satisfied_diff_ci_high"]
    enough = table["enough"].astype(bool)
    table.loc[~enough, hidden] = np.nan
    table["note"] = np.where(enough, "", TOO_FEW)
    return table[list(EFFECT_COLUMNS)]
