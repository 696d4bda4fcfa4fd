"""core.browsing and core.grading.queue: the browser's ids (filtered and sorted in SQL), rows, the grading queue and
the random sample per agent per week."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from qagrader.core.grading.graders import ensure_graders
from qagrader.core.browsing.sql import SORT_COLUMNS, BrowseFilters
from qagrader.core.browsing.browser import browse_ids, fetch_rows
from qagrader.core.grading.queue import count_submitted, next_in_list, next_in_queue, sample_queue
from qagrader.core.errors import CancelledError, QAGraderError
from qagrader.core.storage.records import new_uuid, utc_now
from qagrader.core.scorecards.scoring import Answer
from qagrader.core.storage.workspace import Workspace

CARD = {"name": "Chat QA", "channels": ["chat"], "sections": [{"name": "S", "questions": [
    {"key": "q", "text": "Question", "type": "scale", "min": 0, "max": 4}]}]}
OTHER = {"name": "Any QA", "sections": [{"name": "S", "questions": [
    {"key": "q", "text": "Question", "type": "yes_no"}]}]}
AGENTS = (("Ann", "Billing"), ("Bob", "Support"), ("Cy", "Support"), ("Dee", None))
START = date(2024, 1, 1)  # a Monday


@pytest.fixture
def ws(tmp_path):
    """60 interactions: i = 1..60, channel chat/email/phone by i % 3, agent by i % 4, one a
    day from 2024-01-01 (i = 60 has no date), CSAT (i % 5) + 1 (none when i % 7 == 0),
    brand A/B by i % 2, subjects with a word per i % 3 ("refund", "100%_off", "login")."""
    workspace = Workspace.open(tmp_path / "browse.qagrader")
    workspace.scorecards.import_json(json.dumps(CARD))
    workspace.scorecards.import_json(json.dumps(OTHER))
    agent_ids = {name: workspace.interactions.ensure_agent(name, team) for name, team in AGENTS}
    team_of = {name: workspace.conn.execute("SELECT team_id FROM agents WHERE id = ?", (agent_ids[name],)).fetchone()[0]
               for name in agent_ids}
    now = utc_now()
    rows = []
    for i in range(1, 61):
        agent = AGENTS[i % 4][0]
        csat = None if i % 7 == 0 else (i % 5) + 1
        day = None if i == 60 else (START + timedelta(days=i - 1)).isoformat() + f"T{8 + i % 10:02d}:30:00"
        words = ("refund", "100%_off", "login")[i % 3]
        rows.append((new_uuid(), f"X{i:03d}", ("chat", "email", "phone")[i % 3], agent_ids[agent], team_of[agent],
                     "AB"[i % 2], day, None if csat is None else str(csat), "1-5",
                     None if csat is None else (csat - 1) / 4, None, f"Ticket {i} {words}",
                     f"Customer: about {words}\nAgent: done", now, now))
    with workspace.transaction() as conn:
        conn.executemany(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand, occurred_at,
               csat_raw, csat_scale, csat_norm, satisfied, subject, transcript, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    yield workspace
    workspace.close()


def ext(ws, ids):
    """External ids, as the user sees them."""
    by_id = dict(ws.conn.execute("SELECT id, external_id FROM interactions"))
    return [by_id[int(i)] for i in ids]


def nums(ws, ids):
    return [int(e[1:]) for e in ext(ws, ids)]


def grade(ws, i, status="submitted", grader="Maya", card="Chat QA", value=4, calibration=False):
    interaction = ws.interactions.by_external_id(f"X{i:03d}").id
    stored = ws.scorecards.get(card)
    evaluation = ws.evaluations.start(interaction, stored.id, grader, calibration=calibration)
    ws.evaluations.set_answer(evaluation.id, "q", Answer(value if card == "Chat QA" else "Yes"))
    if status == "submitted":
        ws.evaluations.submit(evaluation.id)
    return evaluation.id


def test_default_order_is_newest_first_with_undated_last(ws):
    ids = browse_ids(ws.conn, BrowseFilters())
    assert nums(ws, ids) == [*range(59, 0, -1), 60]
    assert nums(ws, browse_ids(ws.conn, BrowseFilters(), "date", descending=False)) == [60, *range(1, 60)]


def test_each_filter(ws):
    f = BrowseFilters
    assert set(nums(ws, browse_ids(ws.conn, f(channel="Chat")))) == {i for i in range(1, 61) if i % 3 == 0}
    assert set(nums(ws, browse_ids(ws.conn, f(agent="bob")))) == {i for i in range(1, 61) if i % 4 == 1}
    assert set(nums(ws, browse_ids(ws.conn, f(team="Support")))) == {i for i in range(1, 61) if i % 4 in (1, 2)}
    assert set(nums(ws, browse_ids(ws.conn, f(brand="A")))) == {i for i in range(1, 61) if i % 2 == 0}
    assert nums(ws, browse_ids(ws.conn, f(date_from="2024-01-10", date_to="2024-01-12"), "date", False)) == [10, 11, 12]
    assert len(browse_ids(ws.conn, f(agent="Nobody"))) == 0
    combined = f(channel="email", team="Support", brand="B", date_from="2024-01-01", date_to="2024-02-28")
    assert set(nums(ws, browse_ids(ws.conn, combined))) == {
        i for i in range(1, 60) if i % 3 == 1 and i % 4 in (1, 2) and i % 2 == 1}


def test_text_search_in_subject_and_transcript_is_literal(ws):
    refund = set(nums(ws, browse_ids(ws.conn, BrowseFilters(search="REFUND"))))
    assert refund == {i for i in range(1, 61) if i % 3 == 0}
    literal = set(nums(ws, browse_ids(ws.conn, BrowseFilters(search="100%_off"))))
    assert literal == {i for i in range(1, 61) if i % 3 == 1}  # % and _ are not wildcards
    assert nums(ws, browse_ids(ws.conn, BrowseFilters(search="ticket 16 100%"))) == [16]
    assert set(nums(ws, browse_ids(ws.conn, BrowseFilters(search="Customer:")))) == set(range(1, 61))


def test_graded_states_ignore_calibration_and_follow_the_scorecard(ws):
    grade(ws, 3)
    grade(ws, 6, status="draft")
    grade(ws, 9, calibration=True)
    grade(ws, 12, card="Any QA")
    grade(ws, 15, status="draft")
    grade(ws, 15)  # submitted by another grader too: submitted wins
    state = lambda s, **kw: set(nums(ws, browse_ids(ws.conn, BrowseFilters(graded=s, **kw))))  # noqa: E731
    assert state("submitted") == {3, 12, 15}
    assert state("draft") == {6}
    assert state("ungraded") == set(range(1, 61)) - {3, 6, 12, 15}
    assert state("submitted", scorecard="Chat QA") == {3, 15}
    assert state("ungraded", scorecard="Chat QA") == {i for i in range(1, 61) if i % 3 == 0} - {3, 6, 15}
    assert state("any", scorecard="chat qa") == {i for i in range(1, 61) if i % 3 == 0}  # its channels
    six, nine = (ws.interactions.by_external_id(e).id for e in ("X006", "X009"))
    rows = fetch_rows(ws.conn, [six, nine])
    assert (rows[six].state, rows[nine].state) == ("draft", "ungraded")  # the row shows the same
    with pytest.raises(QAGraderError, match="Unknown graded state"):
        browse_ids(ws.conn, BrowseFilters(graded="done"))  # type: ignore[arg-type]


def test_every_sort_column_both_ways_matches_python(ws):
    grade(ws, 2, value=1)
    grade(ws, 5, value=3)
    grade(ws, 8, status="draft")
    rows = fetch_rows(ws.conn, browse_ids(ws.conn, BrowseFilters()))
    state_rank = {"ungraded": 0, "draft": 1, "submitted": 2}
    keys = {
        "id": lambda r: r.id, "external_id": lambda r: r.external_id, "channel": lambda r: r.channel,
        "agent": lambda r: r.agent, "team": lambda r: r.team, "brand": lambda r: r.brand,
        "date": lambda r: r.occurred_at, "csat": lambda r: r.csat_norm, "state": lambda r: state_rank[r.state],
        "score": lambda r: r.score, "subject": lambda r: (r.subject or "").lower(),
    }
    assert set(keys) == set(SORT_COLUMNS)
    for column, key in keys.items():
        for descending in (False, True):
            got = [int(i) for i in browse_ids(ws.conn, BrowseFilters(), column, descending)]
            # SQLite: NULLs first ascending, last descending; ties by id in the same direction.
            expected = sorted(rows.values(), key=lambda r: (key(r) is not None, key(r) or 0, r.id)
                              if key(r) is None else (True, key(r), r.id), reverse=descending)
            assert got == [r.id for r in expected], (column, descending)
    with pytest.raises(QAGraderError, match="Cannot sort"):
        browse_ids(ws.conn, BrowseFilters(), "colour")


def test_limit_is_the_start_of_the_full_list(ws):
    grade(ws, 4)
    for column in ("date", "agent", "score", "state"):
        for filters in (BrowseFilters(), BrowseFilters(graded="ungraded", channel="email")):
            full = browse_ids(ws.conn, filters, column, True)
            assert list(browse_ids(ws.conn, filters, column, True, limit=7)) == list(full[:7])


def test_search_first_page_from_the_newest_window_matches_the_full_list(ws, monkeypatch):
    import qagrader.core.browsing.first_page as pages  # the first-page strategies

    monkeypatch.setattr(pages, "SEARCH_WINDOW", 12)  # 12 newest rows: 4 hold "refund"
    for search, limit in (("refund", 3), ("refund", 5), ("login", 4), ("nothing", 2)):
        for descending in (True, False):
            f = BrowseFilters(search=search)
            full = list(browse_ids(ws.conn, f, "date", descending))
            assert list(browse_ids(ws.conn, f, "date", descending, limit=limit)) == full[:limit]


def test_fetch_rows_shows_state_score_and_grader(ws):
    grade(ws, 2, value=3)
    grade(ws, 7, status="draft", grader="Lee")
    ids = [ws.interactions.by_external_id(e).id for e in ("X002", "X007", "X035")]
    rows = fetch_rows(ws.conn, ids)
    assert (rows[ids[0]].state, rows[ids[0]].score, rows[ids[0]].grader) == ("submitted", 75.0, "Maya")
    assert (rows[ids[1]].state, rows[ids[1]].score, rows[ids[1]].grader) == ("draft", None, "Lee")
    r = rows[ids[2]]
    assert (r.external_id, r.channel, r.agent, r.team, r.brand, r.csat_raw) == ("X035", "phone", "Dee", None, "B", None)
    assert (r.occurred_at, r.state, r.score, r.grader) == ("2024-02-04T13:30:00", "ungraded", None, None)


def test_cancelled_query_stops_with_cancelled_error(ws, monkeypatch):
    with pytest.raises(CancelledError):
        browse_ids(ws.conn, BrowseFilters(search="refund"), "subject", cancelled=lambda: True)
    calls = []

    def cancel_while_running() -> bool:  # false before the query, true once SQLite is at work
        calls.append(1)
        return len(calls) > 1

    big = BrowseFilters(search="e")
    ws.conn.execute("CREATE TEMP TABLE spin AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
                    "SELECT x + 1 FROM n WHERE x < 200000) SELECT x FROM n")
    import qagrader.core.browsing.browser as browser

    slow = browser.order_by  # make the query slow enough for SQLite's progress handler to run
    monkeypatch.setattr(browser, "order_by", lambda c, d: " AND (SELECT count(*) FROM spin) > 0" + slow(c, d))
    with pytest.raises(CancelledError):
        browse_ids(ws.conn, big, cancelled=cancel_while_running)
    monkeypatch.undo()
    assert len(browse_ids(ws.conn, BrowseFilters())) == 60  # the connection still works


def test_bad_dates_are_explained(ws):
    with pytest.raises(QAGraderError, match="'31/01/2024' is not a date like 2024-03-31"):
        browse_ids(ws.conn, BrowseFilters(date_from="31/01/2024"))


def test_next_in_queue_follows_the_order_skips_graded_and_wraps(ws):
    f = BrowseFilters(channel="chat")  # 3, 6, ..., 60 (60 undated)
    first = next_in_queue(ws.conn, f, None, "Me")
    assert ext(ws, [first]) == ["X057"]
    grade(ws, 54)  # submitted: skipped
    grade(ws, 51, status="draft", grader="Other")  # someone else's draft: skipped
    grade(ws, 48, status="draft", grader="Me")  # mine: offered
    after = next_in_queue(ws.conn, f, first, "Me")
    assert ext(ws, [after]) == ["X048"]
    order, current = [], first
    for _ in range(25):
        current = next_in_queue(ws.conn, f, current, "Me")
        order.append(int(ext(ws, [current])[0][1:]))
    assert order[:17] == [48, 45, 42, 39, 36, 33, 30, 27, 24, 21, 18, 15, 12, 9, 6, 3, 60]
    assert order[17] == 57  # wraps round to the start
    ascending = next_in_queue(ws.conn, f, ws.interactions.by_external_id("X060").id, "Me",
                              sort_column="date", descending=False)
    assert ext(ws, [ascending]) == ["X003"]  # the undated one comes first ascending
    by_agent = next_in_queue(ws.conn, f, None, "Me", sort_column="agent", descending=False)
    assert ext(ws, [by_agent]) == ["X012"]  # Ann, lowest id of hers in chat
    assert next_in_queue(ws.conn, BrowseFilters(agent="Nobody"), None, "Me") is None


def test_sample_is_n_per_agent_per_week_reproducible(ws):
    sample = sample_queue(ws.conn, 1, seed=3)
    again = sample_queue(ws.conn, 1, seed=3)
    assert sample == again
    rows = {r.id: r for r in fetch_rows(ws.conn, sample).values()}
    weeks = {}
    for interaction_id in sample:
        row = rows[interaction_id]
        day = date.fromisoformat(row.occurred_at[:10])
        week = day - timedelta(days=day.weekday())
        weeks.setdefault((week, row.agent), []).append(interaction_id)
    assert all(len(v) == 1 for v in weeks.values())
    # Every agent-week that has interactions is sampled: 59 dated days = 9 weeks x 4 agents (-1).
    expected = {((START + timedelta(days=i - 1)) - timedelta(days=(START + timedelta(days=i - 1)).weekday()),
                 AGENTS[i % 4][0]) for i in range(1, 60)}
    assert set(weeks) == expected
    assert ws.interactions.by_external_id("X060").id not in sample  # no date, no week
    seeds = {tuple(sample_queue(ws.conn, 1, seed=s)) for s in range(1, 6)}
    assert len(seeds) > 1  # another seed draws another sample
    two = sample_queue(ws.conn, 2, seed=3, filters=BrowseFilters(channel="email"))
    assert all(rows_ := fetch_rows(ws.conn, two)) and {r.channel for r in rows_.values()} == {"email"}
    with pytest.raises(QAGraderError):
        sample_queue(ws.conn, 0, seed=1)

    with pytest.raises(CancelledError):
        sample_queue(ws.conn, 1, seed=3, cancelled=lambda: True)
    assert sample_queue(ws.conn, 1, seed=3, cancelled=lambda: False) == sample  # the connection still works


def test_next_in_list_skips_taken_and_wraps_and_counts_the_submitted(ws):
    ids = [ws.interactions.by_external_id(f"X{i:03d}").id for i in (5, 9, 2, 40, 7)]
    grade(ws, 9)  # submitted: skipped
    grade(ws, 2, status="draft", grader="Other")  # someone else's draft: skipped
    grade(ws, 40, status="draft", grader="Me")  # mine: offered
    grade(ws, 7, calibration=True)  # a calibration grade leaves it open
    assert nums(ws, [next_in_list(ws.conn, ids, None, "Me")]) == [5]
    assert nums(ws, [next_in_list(ws.conn, ids, ids[0], "Me")]) == [40]
    assert nums(ws, [next_in_list(ws.conn, ids, ids[4], "Me")]) == [5]  # wraps round
    assert nums(ws, [next_in_list(ws.conn, ids, 999_999, "Me")]) == [5]  # not in the list: from the start
    assert next_in_list(ws.conn, [ids[1], ids[2]], None, "Me") is None
    assert next_in_list(ws.conn, [], None, "Me") is None
    assert count_submitted(ws.conn, ids) == 1  # X009 only: drafts and calibration do not count
    many = [r[0] for r in ws.conn.execute("SELECT id FROM interactions")] * 20  # chunks of the IN list
    assert count_submitted(ws.conn, many) == 1


def test_browse_indexes_migration(ws):
    names = {r[0] for r in ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"interactions_browse", "evaluations_interaction_state", "evaluations_state_interaction"} <= names
    assert "interactions_occurred" not in names  # replaced by the covering index
    plan = " ".join(r[3] for r in ws.conn.execute(
        "EXPLAIN QUERY PLAN SELECT i.id FROM interactions i WHERE +i.channel = 'chat' AND i.brand = 'A' "
        "ORDER BY i.occurred_at DESC, i.id DESC"))
    assert "COVERING INDEX interactions_browse" in plan and "TEMP B-TREE" not in plan


def test_score_first_page_is_the_start_of_the_full_list(ws, monkeypatch):
    """Sorted by score, the first page is read from the score index and windows of rows (not
    from every row's score): it must still be exactly the start of the full list, with
    several submissions of one interaction (the latest counts, even without a score), all-N/A
    submissions (no score), calibration evaluations and drafts (ignored), ties, filters."""
    import random

    import qagrader.core.browsing.first_page as pages  # the first-page strategies

    rng = random.Random(7)
    cards = {name: ws.scorecards.get(name).id for name in ("Chat QA", "Any QA")}
    by_number = dict(ws.conn.execute("SELECT CAST(substr(external_id, 2) AS INTEGER), id FROM interactions"))
    now = utc_now()
    rows = []
    for number in range(1, 61):
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            status = rng.choice(("submitted", "submitted", "submitted", "draft"))
            rows.append((new_uuid(), by_number[number], rng.choice(list(cards.values())), rng.choice("ABC"),
                         status, rng.choice((None, 0.0, 25.0, 50.0, 50.0, 75.0, 100.0)),
                         int(rng.random() < 0.15), now, now, now if status == "submitted" else None))
    with ws.transaction() as conn:
        graders = ensure_graders(ws, "ABC")
        conn.executemany(
            """INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers, score,
               calibration, created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?)""",
            [(*row[:3], graders[row[3].lower()], *row[4:]) for row in rows])
    scores = {r.id: r.score for r in fetch_rows(ws.conn, by_number.values()).values()}
    assert None in scores.values() and len({s for s in scores.values() if s is not None}) > 3
    all_na = ws.conn.execute("SELECT count(*) FROM evaluations WHERE status = 'submitted' AND calibration = 0 "
                             "AND score IS NULL").fetchone()[0]
    assert all_na > 0

    f = BrowseFilters
    filters = (f(), f(channel="chat"), f(agent="Bob"), f(team="Support", brand="A"), f(graded="submitted"),
               f(graded="ungraded"), f(graded="draft"), f(graded="submitted", scorecard="Chat QA"),
               f(graded="ungraded", scorecard="Chat QA"), f(search="refund"), f(date_from="2024-02-01"),
               f(agent="Nobody"))
    used = []
    real = pages._score_first_page
    monkeypatch.setattr(pages, "_score_first_page", lambda *a: used.append(real(*a) is not None) or real(*a))
    for window in (1, 4, 15, 1000):
        monkeypatch.setattr(pages, "SCORE_WINDOW", window)
        for filters_ in filters:
            for descending in (True, False):
                full = list(browse_ids(ws.conn, filters_, "score", descending))
                expected = sorted(full, key=lambda i: (scores[i] is not None, scores[i] or 0, i), reverse=descending)
                assert full == expected  # the full query: SQLite's order, NULLs first ascending
                for limit in (1, 3, 10, 40):
                    page = browse_ids(ws.conn, filters_, "score", descending, limit=limit)
                    assert list(page) == full[:limit], (window, filters_, descending, limit)
    assert any(used) and not all(used)  # both the quick way and the full query were exercised


def test_score_index_migration(ws):
    names = {r[0] for r in ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "evaluations_submitted_score" in names
    # A partial index: the queries that do not ask for it by name keep their plans.
    plan = " ".join(r[3] for r in ws.conn.execute(
        "EXPLAIN QUERY PLAN SELECT i.id FROM interactions i WHERE EXISTS (SELECT 1 FROM evaluations e WHERE "
        "e.interaction_id = i.id AND e.status = 'submitted' AND e.calibration = 0)"))
    assert "evaluations_submitted_score" not in plan


def test_every_first_page_is_the_start_of_the_full_list(ws, monkeypatch):
    """The first page is found in several quick ways (from few drafts, by state runs, one agent
    or team at a time in name order, the cheap filters' rows in display order a chunk at a
    time with the graded state and search checked on each chunk, within windows): for every
    sort column both ways, graded state and filter, with tiny windows and thresholds, it must
    be exactly the start of the full list. Random evaluations (drafts, several submissions,
    calibration), interactions without agent or team (or with one that no longer exists), and
    an agent whose name sorts differently with and without case."""
    import random

    import qagrader.core.browsing.first_page as pages  # the first-page strategies

    rng = random.Random(11)
    ws.interactions.rename_agent("Cy", "cy")  # BINARY: Ann, Bob, Dee, cy; NOCASE: Ann, Bob, cy, Dee
    now = utc_now()
    with ws.transaction() as conn:
        conn.executemany(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand, occurred_at,
               subject, transcript, created_at, updated_at) VALUES (?, ?, 'chat', NULL, NULL, ?, ?, ?, ?, ?, ?)""",
            [(new_uuid(), f"Y{k:03d}", "AB"[k % 2], f"2024-01-{k + 3:02d}T12:00:00", f"Lone {k} refund",
              "Customer: refund", now, now) for k in range(1, 8)])
    ws.conn.execute("PRAGMA foreign_keys = OFF")  # an agent and a team that no longer exist: no name
    with ws.transaction() as conn:
        conn.execute("UPDATE interactions SET agent_id = 999, team_id = 99 WHERE external_id IN ('X010', 'X033')")
    ws.conn.execute("PRAGMA foreign_keys = ON")
    cards = {name: ws.scorecards.get(name).id for name in ("Chat QA", "Any QA")}
    ids = [r[0] for r in ws.conn.execute("SELECT id FROM interactions")]
    rows = []
    for interaction in ids:
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            status = rng.choice(("submitted", "submitted", "draft"))
            rows.append((new_uuid(), interaction, rng.choice(list(cards.values())), rng.choice("ABC"), status,
                         rng.choice((None, 25.0, 50.0, 75.0)), int(rng.random() < 0.1), now, now,
                         now if status == "submitted" else None))
    with ws.transaction() as conn:
        graders = ensure_graders(ws, "ABC")
        conn.executemany(
            """INSERT INTO evaluations (uuid, interaction_id, scorecard_id, grader_id, status, answers, score,
               calibration, created_at, updated_at, submitted_at) VALUES (?, ?, ?, ?, 'x', '{}', ?, ?, ?, ?, ?)"""
            .replace("'x'", "?"), [(*row[:3], graders[row[3].lower()], *row[4:]) for row in rows])
    states = {r[0] for r in ws.conn.execute("SELECT status FROM evaluations WHERE calibration = 0")}
    assert states == {"draft", "submitted"}

    f = BrowseFilters
    bases = (f(), f(channel="chat"), f(team="Support"), f(brand="A"), f(date_from="2024-01-20", date_to="2024-02-10"),
             f(search="refund"), f(search="zzz"), f(agent="cy"), f(scorecard="Chat QA"))
    used = []
    import qagrader.core.browsing.browser as browser

    real = pages.first_page
    def first_page(*args):
        page = real(*args)
        used.append(page is not None)
        return page

    monkeypatch.setattr(browser, "first_page", first_page)
    settings = ({"SEARCH_WINDOW": 5, "SORTED_WINDOW": 3, "CANDIDATES": 0, "NARROW": 0, "SCORE_WINDOW": 4},
                {"SEARCH_WINDOW": 30, "SORTED_WINDOW": 12, "CANDIDATES": 6, "NARROW": 10, "SCORE_WINDOW": 15},
                {"SEARCH_WINDOW": 1000, "SORTED_WINDOW": 1000, "CANDIDATES": 1000, "NARROW": 1000,
                 "SCORE_WINDOW": 1000})
    for setting in settings:
        for name, value in setting.items():
            monkeypatch.setattr(pages, name, value)
        for base in bases:
            for graded in ("any", "ungraded", "draft", "submitted"):
                filters = base.replace(graded=graded)
                for column in SORT_COLUMNS:
                    for descending in (True, False):
                        full = list(browse_ids(ws.conn, filters, column, descending))
                        for limit in (1, 4, 25):
                            page = list(browse_ids(ws.conn, filters, column, descending, limit=limit))
                            assert page == full[:limit], (setting, filters, column, descending, limit)
    assert any(used) and not all(used)  # both the quick ways and the full query were exercised
