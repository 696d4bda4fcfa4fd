"""load_skill_frame on a real workspace file: filters in SQL, one row per submitted evaluation."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from qagrader.analysis.dataset import (META_COLUMNS, AnalysisFilters, FilterOptions, filter_options,
                                       is_yes_no, load_skill_frame, skills_of, submitted_count, yes_no_skills)
from qagrader.core.grading.graders import ensure_graders, grader_key
from qagrader.core.errors import QAGraderError
from qagrader.core.storage.workspace import Workspace

NOW = "2025-06-01T00:00:00Z"

# (external_id, channel, team, agent, brand, occurred_at, csat_norm, satisfied)
INTERACTIONS = [
    ("i1", "phone", "Alpha", "Ann", "Acme", "2025-03-01T09:00:00", 1.0, 1),
    ("i2", "email", "Alpha", "Ann", "Acme", "2025-03-02T23:59:59", 0.25, 0),
    ("i3", "chat", "Beta", "Bob", "Zeta", "2025-03-03T10:00:00", None, None),
    ("i4", "phone", None, "Bob", None, None, 0.5, 0),   # team from the agent; date from grading
    ("i5", "chat", "Beta", "Bob", "Zeta", "2025-03-04T10:00:00", 0.75, 1),
    ("i6", "chat", "Beta", "Bob", "Zeta", "2025-03-05T10:00:00", 0.75, 1),
]
# (interaction, scorecard, grader, status, calibration, submitted_at, {skill: score})
EVALUATIONS = [
    ("i1", "Phone QA", "gina", "submitted", 0, "2025-03-05T10:00:00Z", {"Empathy": 1.0, "Tone": 0.75}),
    ("i2", "Phone QA", "hal", "submitted", 0, "2025-03-06T10:00:00Z", {"Empathy": 0.0}),
    ("i3", "Chat QA", "gina", "submitted", 0, "2025-03-07T10:00:00Z", {"Tone": 0.5, "channel": 1.0}),
    ("i4", "Chat QA", "hal", "submitted", 0, "2025-04-10T10:00:00Z", {"Empathy": 1.0}),
    ("i5", "Chat QA", "gina", "draft", 0, None, {"Empathy": 0.0}),
    ("i6", "Chat QA", "gina", "submitted", 1, "2025-03-08T10:00:00Z", {"Empathy": 0.0}),
]


@pytest.fixture()
def ws(tmp_path):
    workspace = Workspace.open(tmp_path / "qa.qagrader")
    with workspace.transaction() as conn:
        ids = {}
        for n, team in enumerate(["Alpha", "Beta"]):
            ids[team] = conn.execute("INSERT INTO teams (uuid, name, created_at, updated_at) VALUES (?,?,?,?)",
                                     (f"t{n}", team, NOW, NOW)).lastrowid
        for n, (agent, team) in enumerate([("Ann", "Alpha"), ("Bob", "Beta")]):
            ids[agent] = conn.execute(
                "INSERT INTO agents (uuid, name, team_id, created_at, updated_at) VALUES (?,?,?,?,?)",
                (f"a{n}", agent, ids[team], NOW, NOW)).lastrowid
        for n, card in enumerate(["Phone QA", "Chat QA"]):
            ids[card] = conn.execute(
                "INSERT INTO scorecards (uuid, family_uuid, name, version, definition, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?)", (f"card-{n}", f"family-{n}", card, 1, "{}", NOW, NOW)).lastrowid
        for ext, channel, team, agent, brand, when, csat, sat in INTERACTIONS:
            ids[ext] = conn.execute(
                "INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand, occurred_at,"
                " csat_norm, satisfied, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (f"u-{ext}", ext, channel, ids[agent], ids.get(team), brand, when, csat, sat, NOW, NOW)).lastrowid
        for n, (ext, card, grader, status, calibration, submitted, skills) in enumerate(EVALUATIONS):
            evaluation = conn.execute(
                "INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers,"
                " calibration, created_at, updated_at, submitted_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (f"e{n}", ids[ext], ids[card], ensure_graders(workspace, [grader])[grader_key(grader)], status, json.dumps({}),
                 calibration, NOW, NOW,
                 submitted)).lastrowid
            conn.executemany("INSERT INTO evaluation_skills VALUES (?,?,?)",
                             [(evaluation, skill, score) for skill, score in skills.items()])
    yield workspace
    workspace.close()


def test_frame_follows_the_contract(ws):
    frame = load_skill_frame(ws)
    assert list(frame.columns[: len(META_COLUMNS)]) == list(META_COLUMNS)
    assert skills_of(frame) == ["Empathy", "Tone", "channel (skill)"]
    assert len(frame) == 4  # the draft and the calibration evaluation are left out
    assert frame["occurred_at"].dtype.kind == "M" and frame["graded_at"].dtype.kind == "M"
    assert frame["csat"].dtype == np.float64 and frame["satisfied"].dtype == np.float64
    first = frame.iloc[0]
    assert (first["channel"], first["team"], first["agent"], first["grader"], first["scorecard"]) == (
        "phone", "Alpha", "Ann", "gina", "Phone QA")
    assert first["occurred_at"] == pd.Timestamp("2025-03-01 09:00:00")
    assert first["graded_at"] == pd.Timestamp("2025-03-05 10:00:00")
    assert (first["Empathy"], first["Tone"]) == (1.0, 0.75) and np.isnan(first["channel (skill)"])
    third = frame.iloc[2]
    assert np.isnan(third["csat"]) and np.isnan(third["satisfied"]) and np.isnan(third["Empathy"])
    fourth = frame.iloc[3]
    assert fourth["team"] == "Beta" and pd.isna(fourth["brand"]) and pd.isna(fourth["occurred_at"])


@pytest.mark.parametrize("filters, expected", [
    (AnalysisFilters(channels=["PHONE"]), ["i1", "i4"]),
    (AnalysisFilters(teams=("alpha",)), ["i1", "i2"]),
    (AnalysisFilters(agents="Bob"), ["i3", "i4"]),
    (AnalysisFilters(brands=["Zeta", "Acme"]), ["i1", "i2", "i3"]),
    (AnalysisFilters(graders=["hal"]), ["i2", "i4"]),
    (AnalysisFilters(scorecards=["chat qa"]), ["i3", "i4"]),
    (AnalysisFilters(scorecards=["family-0"]), ["i1", "i2"]),
    (AnalysisFilters(date_from="2025-03-02", date_to=date(2025, 3, 2)), ["i2"]),  # whole day
    (AnalysisFilters(date_from="2025-04-01"), ["i4"]),      # no interaction date: graded date
    (AnalysisFilters(date_to="2025-03-01T12:00:00"), ["i1"]),
    (AnalysisFilters(date_from="2025-03-02T23:59:59", date_to="2025-03-02T23:59:59"), ["i2"]),  # exact second
    (AnalysisFilters(date_to="2025-03-03T10:00:00+01:00"), ["i1", "i2"]),  # 09:00 UTC
    (AnalysisFilters(channels=[], teams=None), ["i1", "i2", "i3", "i4"]),  # empty = no filter
])
def test_filters(ws, filters, expected):
    frame = load_skill_frame(ws, filters)
    ids = dict(ws.conn.execute("SELECT e.id, i.external_id FROM evaluations e JOIN interactions i ON i.id = e.interaction_id"))
    assert [ids[e] for e in frame["evaluation_id"]] == expected


def test_no_match_gives_an_empty_frame_with_the_meta_columns(ws):
    frame = load_skill_frame(ws, AnalysisFilters(agents=["Nobody"]))
    assert frame.empty and list(frame.columns) == list(META_COLUMNS)


def test_bad_dates_are_clear_errors(ws):
    with pytest.raises(QAGraderError, match="not a date"):
        load_skill_frame(ws, AnalysisFilters(date_from="March"))
    with pytest.raises(QAGraderError, match="after the end date"):
        load_skill_frame(ws, AnalysisFilters(date_from="2025-03-05", date_to="2025-03-01"))


def test_yes_no_detection():
    assert is_yes_no(pd.Series([1.0, 0.0, np.nan]))
    assert not is_yes_no(pd.Series([1.0, 0.5]))
    assert not is_yes_no(pd.Series([np.nan]))
    frame = pd.DataFrame({c: [None] for c in META_COLUMNS}).assign(a=[1.0], b=[0.25])
    assert yes_no_skills(frame) == ["a"]


def test_filter_options_are_the_values_of_the_analysed_evaluations(ws):
    """The options, computed in SQL, are what the frame (loaded by another query) holds."""
    frame = load_skill_frame(ws)
    options = filter_options(ws)

    def values(column: str) -> tuple[str, ...]:
        return tuple(sorted(frame[column].dropna().unique(), key=str.casefold))

    assert options.channels == values("channel") == ("chat", "email", "phone")
    assert options.teams == values("team") and options.brands == ("Acme", "Zeta")  # brand of i4 is blank
    assert options.scorecards == values("scorecard") and options.graders == values("grader")
    pairs = frame[["agent", "team"]].drop_duplicates().itertuples(index=False, name=None)
    assert options.agents == tuple(sorted(pairs)) == (("Ann", "Alpha"), ("Bob", "Beta"))
    days = frame["occurred_at"].fillna(frame["graded_at"]).dt.date
    assert (options.first_day, options.last_day) == (str(days.min()), str(days.max()))
    assert submitted_count(ws) == len(frame) == 4  # drafts and calibration left out


def test_filter_options_of_an_empty_workspace(tmp_path):
    with Workspace.open(tmp_path / "empty.qagrader") as empty:
        assert filter_options(empty) == FilterOptions() and submitted_count(empty) == 0
