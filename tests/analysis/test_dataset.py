"""The analysis frame on a real workspace file, by both loaders (the analysis-ready store,
filtered in memory, and the normalized tables, filtered in SQL): one row per interaction
(several grades averaged), behaviours to avoid reported as their occurrence, blind grading
from the data."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from qagrader.analysis.dataset import (META_COLUMNS, AnalysisFilters, FilterOptions, filter_options_from_tables,
                                       is_yes_no, load_skill_frame_from_tables, per_interaction, polarity_of,
                                       skill_polarity, skills_of, submitted_count, yes_no_skills)
from qagrader.analysis.frames import load_grades
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


def _from_store(ws, filters=None):
    return load_grades(ws).frame(filters)


@pytest.fixture(params=["store", "tables"])
def load_skill_frame(request):
    """Each test runs with both loaders of the frame."""
    return _from_store if request.param == "store" else load_skill_frame_from_tables


@pytest.fixture(params=["store", "tables"])
def filter_options(request):
    return (lambda ws: load_grades(ws).options()) if request.param == "store" else filter_options_from_tables


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


def test_frame_follows_the_contract(ws, load_skill_frame):
    frame = load_skill_frame(ws)
    assert list(frame.columns[: len(META_COLUMNS)]) == list(META_COLUMNS)
    assert skills_of(frame) == ["Empathy", "Tone", "channel (skill)"]
    assert len(frame) == 4  # the draft and the calibration evaluation are left out
    assert (frame["n_grades"] == 1).all() and frame["blind"].isna().all()  # blind: not recorded
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
def test_filters(ws, filters, expected, load_skill_frame):
    frame = load_skill_frame(ws, filters)
    ids = dict(ws.conn.execute("SELECT id, external_id FROM interactions"))
    assert [ids[i] for i in frame["interaction_id"]] == expected


def test_no_match_gives_an_empty_frame_with_the_meta_columns(ws, load_skill_frame):
    frame = load_skill_frame(ws, AnalysisFilters(agents=["Nobody"]))
    assert frame.empty and list(frame.columns) == list(META_COLUMNS)


def test_bad_dates_are_clear_errors(ws, load_skill_frame):
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


def _grade(ws, conn, interaction: int, scorecard: int, grader: str, skills: dict, *, blind=None,
           calibration: int = 0, status: str = "submitted") -> None:
    grader_id = ensure_graders(ws, [grader])[grader_key(grader)]
    evaluation = conn.execute(
        "INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers,"
        " calibration, created_at, updated_at, submitted_at, blind) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (f"x-{interaction}-{grader}-{calibration}", interaction, scorecard, grader_id, status, "{}",
         calibration, NOW, NOW, "2025-05-0%dT10:00:00Z" % (1 + len(grader) % 9), blind)).lastrowid
    conn.executemany("INSERT INTO evaluation_skills VALUES (?,?,?)",
                     [(evaluation, skill, score) for skill, score in skills.items()])


def test_several_grades_of_one_interaction_count_once_with_their_mean(ws, load_skill_frame):
    i1 = ws.conn.execute("SELECT id FROM interactions WHERE external_id = 'i1'").fetchone()[0]
    card = ws.conn.execute("SELECT id FROM scorecards WHERE name = 'Phone QA'").fetchone()[0]
    with ws.transaction() as conn:  # a second opinion, a re-grade by the lead, a calibration
        _grade(ws, conn, i1, card, "lead", {"Empathy": 0.0, "Tone": 0.25}, blind=0)
        _grade(ws, conn, i1, card, "zoe", {"Empathy": 0.5}, blind=1)
        _grade(ws, conn, i1, card, "cal", {"Empathy": 0.0}, calibration=1)
    frame = load_skill_frame(ws)
    assert len(frame) == 4 and frame["interaction_id"].is_unique   # n counts interactions
    row = frame[frame["interaction_id"] == i1].iloc[0]
    assert row["n_grades"] == 3                                       # calibration left out
    assert row["Empathy"] == pytest.approx((1.0 + 0.0 + 0.5) / 3)    # mean of the grades that scored it
    assert row["Tone"] == pytest.approx((0.75 + 0.25) / 2)           # N/A / not scored: left out
    assert row["csat"] == 1.0 and row["channel"] == "phone"           # the interaction's own columns
    assert row["grader"] == "gina, lead, zoe"
    assert row["blind"] == pytest.approx(0.5)                         # known flags only
    assert row["graded_at"] == pd.Timestamp("2025-05-05 10:00:00")   # the last grade ("lead")
    one = load_skill_frame(ws, AnalysisFilters(graders=["lead"]))     # a grader filter selects grades
    assert one["Empathy"].tolist() == [0.0] and one["n_grades"].tolist() == [1]


def test_a_behaviour_to_avoid_is_reported_as_its_occurrence(ws, load_skill_frame):
    card = {"name": "Phone QA 2", "sections": [{"name": "S", "questions": [
        {"key": "tone", "text": "Avoided a negative tone", "skill": "Tone", "type": "yes_no",
         "polarity": "negative"},
        {"key": "empathy", "text": "Showed empathy", "skill": "Empathy", "type": "yes_no"}]}]}
    with ws.transaction() as conn:
        conn.execute("INSERT INTO scorecards (uuid, family_uuid, name, version, definition, created_at,"
                     " updated_at) VALUES ('c9', 'f9', 'Phone QA 2', 1, ?, ?, ?)", (json.dumps(card), NOW, NOW))
    assert skill_polarity(ws) == {"Tone": "negative", "Empathy": "positive"}
    frame = load_skill_frame(ws)
    first = frame.iloc[0]
    assert first["Tone"] == pytest.approx(0.25)     # earned 0.75: the behaviour happened a quarter
    assert first["Empathy"] == 1.0
    assert polarity_of(frame) == {"Empathy": "positive", "Tone": "negative", "channel (skill)": "positive"}


def test_per_interaction_keeps_single_grades_as_they_are():
    grades = pd.DataFrame({c: [None] * 3 for c in META_COLUMNS}).assign(
        interaction_id=[3, 1, 2], n_grades=1, blind=[1.0, np.nan, 0.0], a=[0.5, 1.0, 0.0])
    frame = per_interaction(grades)
    assert frame["a"].tolist() == [0.5, 1.0, 0.0] and len(frame) == 3


def test_filter_options_are_the_values_of_the_analysed_evaluations(ws, load_skill_frame, filter_options):
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


def test_filter_options_of_an_empty_workspace(tmp_path, filter_options):
    with Workspace.open(tmp_path / "empty.qagrader") as empty:
        assert filter_options(empty) == FilterOptions() and submitted_count(empty) == 0
