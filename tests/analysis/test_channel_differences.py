"""Channel differences: the documented columns, planted differences found, null ones rarely,
and with independent interactions the test agrees with Fisher's independent-samples z test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qagrader.analysis.channel_differences import DIFFERENCE_COLUMNS, channel_differences, differing_skills
from qagrader.analysis.correlation import associations
from qagrader.analysis.summary import channel_sentence
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

STUDY = SyntheticDesign(skills=(
    SkillSpec("empathy", {"phone": 0.45, "email": 0.12, "chat": 0.12}, (SCALE5, YES_NO)),
    SkillSpec("accuracy", 0.25, (YES_NO, YES_NO)),
), n_agents=40)


def _row(table: pd.DataFrame, skill: str, a: str, b: str) -> pd.Series:
    return table[(table["skill"] == skill) & (table["channel_a"] == a) & (table["channel_b"] == b)].iloc[0]


def test_columns_pairs_and_the_studys_pattern():
    table = channel_differences(associations(make_skill_frame(6000, STUDY, seed=1)))
    assert tuple(table.columns[: len(DIFFERENCE_COLUMNS)]) == DIFFERENCE_COLUMNS == (
        "skill", "channel_a", "channel_b", "rho_a", "rho_b", "difference", "ci_low", "ci_high",
        "p_value", "q_value")
    assert len(table) == 2 * 3  # every skill x pair of three channels
    phone_email = _row(table, "empathy", "phone", "email")
    assert phone_email["difference"] == pytest.approx(phone_email["rho_a"] - phone_email["rho_b"])
    assert phone_email["ci_low"] > 0 and phone_email["holds"]
    assert not table[table["skill"] == "accuracy"]["holds"].any()
    assert table["q_value"].to_numpy() == pytest.approx(
        stats.false_discovery_control(table["p_value"].to_numpy(), method="bh"))
    first = differing_skills(table)[0]
    assert (first.skill, first.high, first.stronger, first.opposite) == ("empathy", "phone", "phone", False)
    sentence = channel_sentence(table)
    assert "empathy: stronger on phone than on email and chat" in sentence
    assert "Similar in every channel: accuracy" in sentence


def test_null_differences_are_rarely_significant():
    design = SyntheticDesign(skills=(SkillSpec("tone", 0.3, (SCALE5,)),), n_agents=30)
    found = sum(channel_differences(associations(make_skill_frame(3000, design, seed=s)))["holds"].any()
                for s in range(20))
    assert found <= 2


def test_independent_interactions_agree_with_fishers_z_test():
    """Each interaction its own agent: the jackknife of the difference is the independent-samples
    comparison; Fisher's z with SE sqrt(1.06/(n-3)) per channel is the textbook one."""
    design = SyntheticDesign(skills=(SkillSpec("empathy", {"phone": 0.4, "email": 0.2}, (SCALE5,)),),
                             channels=("phone", "email"), n_agents=1, agent_effect_sd=0.0)
    frame = make_skill_frame(6000, design, seed=5)
    frame["agent"] = [f"a{i}" for i in range(len(frame))]
    row = channel_differences(associations(frame)).iloc[0]
    z = (np.arctanh(row["rho_a"]) - np.arctanh(row["rho_b"])) / np.sqrt(
        1.06 / (row["n_a"] - 3) + 1.06 / (row["n_b"] - 3))
    fisher_p = 2 * stats.norm.sf(abs(z))
    assert np.log10(row["p_value"]) == pytest.approx(np.log10(fisher_p), rel=0.2)
    assert row["interval"] == "agent clusters"  # thousands of one-interaction "agents"


def test_one_channel_gives_an_empty_table_and_too_few_is_marked():
    design = SyntheticDesign(skills=(SkillSpec("tone", 0.3, (SCALE5,)),), channels=("phone",))
    assert channel_differences(associations(make_skill_frame(500, design))).empty
    frame = make_skill_frame(2000, STUDY, seed=2)
    frame = pd.concat([frame[frame["channel"] != "chat"], frame[frame["channel"] == "chat"].head(20)])
    table = channel_differences(associations(frame))
    chat = table[(table["channel_b"] == "chat")]
    assert (chat["note"] == "too few").all() and chat["difference"].isna().all()


def test_differences_are_worded_by_sign():
    table = pd.DataFrame({
        "skill": ["rapport", "negative tone", "empathy"], "channel_a": ["phone"] * 3,
        "channel_b": ["chat", "email", "email"], "rho_a": [-0.08, -0.30, 0.40], "rho_b": [0.07, -0.10, 0.10],
        "difference": [-0.15, -0.20, 0.30], "holds": [True, True, True]})
    sentence = channel_sentence(table, {"negative tone": "negative"})
    assert "rapport: positive on chat, negative on phone" in sentence
    assert "negative tone (happened): stronger on phone than on email" in sentence  # more negative
    assert "empathy: stronger on phone than on email" in sentence
