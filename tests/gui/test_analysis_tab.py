"""The Analysis tab on real workspaces: the demo, an empty one, a planted Simpson case, one
without CSAT and one graded with CSAT visible."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.container import BarContainer
from PySide6.QtCore import QDate, QThreadPool

from qagrader.analysis.synthetic import SCALE5, SkillSpec, SyntheticDesign, make_skill_frame
from qagrader.core.demo.build import build_demo
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage.workspace import Workspace
from qagrader.gui import workers
from qagrader.gui.analysis import AnalysisTab
from tests.gui.conftest import make_workspace, open_on

TIMEOUT = 15_000


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.qagrader"
    build_demo(path)
    return path


@pytest.fixture
def demo_ws(demo_path):
    ws = Workspace.open(demo_path, create=False)
    yield ws
    ws.close()


def open_tab(qtbot, ws: Workspace, size: tuple[int, int] = (1280, 800)) -> AnalysisTab:
    tab = AnalysisTab()
    qtbot.addWidget(tab)
    tab.resize(*size)
    tab.show()
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        open_on(tab, ws)
    return tab


@pytest.fixture
def tab(qtbot, demo_ws):
    widget = open_tab(qtbot, demo_ws)
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy(), timeout=TIMEOUT)
    QThreadPool.globalInstance().waitForDone(TIMEOUT)


def bars(figure) -> list:
    containers = [c for c in figure.axes[0].containers if isinstance(c, BarContainer)]
    return [bar for container in containers for bar in container]


def test_opening_on_the_demo_shows_the_correlation_chart(qtbot, tab):
    result = tab.computed.result
    page = tab.correlations.chart
    assert tab.stack.currentIndex() == 0 and tab.tabs.currentWidget() is tab.correlations
    qtbot.waitUntil(lambda: hasattr(page.canvas, "renderer"), timeout=TIMEOUT)  # drawn
    assert len(bars(page.figure)) == len(result.skills) == 11
    labels = [t.get_text() for t in page.figure.axes[0].get_yticklabels()]
    assert all("n=" in label for label in labels)
    assert any(label.startswith("Negative tone (happened)") for label in labels)
    caption = page.caption.text()
    assert "<b>n</b>" in caption and "Whiskers" in caption and "associated with" in caption
    assert "not causation" in caption and f"{tab.computed.n_evaluations:,} interactions" in caption
    assert "graded more than once" in caption and "(happened)" in caption
    assert not tab.notices.isVisible() and tab.notice_keys == []  # blind, many agents, no confounding


def test_each_update_draws_the_visible_chart_once(qtbot, demo_ws):
    widget = AnalysisTab()
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    shown: list = []
    widget.correlations.chart.chart_shown.connect(lambda: shown.append(1))
    with qtbot.waitSignal(widget.result_shown, timeout=TIMEOUT):
        open_on(widget, demo_ws)  # a first look at the correlations, then the rest
    assert len(shown) == 1
    assert widget.drivers.chart.figure is None  # hidden pages wait until they are shown
    widget.tabs.setCurrentWidget(widget.drivers)
    assert widget.drivers.chart.figure is not None
    with qtbot.waitSignal(widget.result_shown, timeout=TIMEOUT):
        widget.filter_bar.choose("brands", widget.filter_bar.options.brands[0])
    assert len(shown) == 1  # the correlations page is hidden: drawn when shown again
    widget.tabs.setCurrentWidget(widget.correlations)
    assert len(shown) == 2
    QThreadPool.globalInstance().waitForDone(TIMEOUT)


def test_the_channel_filter_recomputes_for_that_channel(qtbot, tab):
    before = tab.computed.result.correlations
    phone_n = before[before["channel"] == "phone"].set_index("skill")["n"]
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        tab.filter_bar.choose("channels", "phone")
    assert tab.computed.filters["channels"] == ("phone",)
    table = tab.correlations.chart.model.frame
    assert set(table["channel"]) == {"all", "phone"}
    for channel in ("all", "phone"):
        n = table[table["channel"] == channel].set_index("skill")["n"]
        pd.testing.assert_series_equal(n.sort_index(), phone_n.sort_index(), check_names=False)
    assert f"{tab.computed.n_evaluations:,}" in tab.correlations.chart.caption.text()
    # one channel control (the filter bar's): every title and caption says what is shown
    from PySide6.QtWidgets import QLabel

    assert not [label for page in tab.pages for label in page.findChildren(QLabel) if label.text() == "Channel:"]
    assert "channel: Phone" in tab.correlations.chart.figure.axes[0].get_title(loc="left")
    assert "on the Phone channel only" in tab.correlations.chart.caption.text()
    assert "all channels" not in tab.correlations.chart.figure.axes[0].get_title(loc="left")
    for page in (tab.effects, tab.drivers):
        tab.tabs.setCurrentWidget(page)
        qtbot.waitUntil(lambda: page.chart.figure is not None, timeout=TIMEOUT)
        titles = " ".join([ax.get_title(loc="left") + ax.get_title() for ax in page.chart.figure.axes]
                          + [page.chart.figure._suptitle.get_text() if page.chart.figure._suptitle else ""])
        assert "channel: Phone" in titles and "all channels" not in titles


def test_a_filter_matching_nothing_says_so_and_reset_brings_the_charts_back(qtbot, tab):
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        tab.filter_bar.date_from.setDate(QDate(2031, 1, 1))
    assert tab.stack.currentIndex() == 1
    assert "No submitted evaluations match these filters" in tab.message.text()
    assert tab.message_reset.isVisible()
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        tab.filter_bar.date_to.setDate(QDate(2030, 1, 1))  # before the start: unusable
    assert "cannot be used" in tab.message.text() and "after the end date" in tab.message.text()
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        tab.message_reset.click()
    assert tab.stack.currentIndex() == 0 and tab.computed.result is not None


def test_a_workspace_without_evaluations_says_how_to_get_some(qtbot, tmp_path):
    ws = make_workspace(tmp_path / "empty.qagrader")
    try:
        widget = open_tab(qtbot, ws)
        assert widget.stack.currentIndex() == 1
        text = widget.message.text()
        assert "No submitted evaluations yet" in text
        assert "Grade" in text and "import evaluations" in text and "demo" in text
        assert not widget.message_reset.isVisible()
    finally:
        ws.close()


def test_choosing_or_clicking_an_agent_shows_their_coaching_priorities(qtbot, tab):
    result = tab.computed.result
    tab.tabs.setCurrentWidget(tab.agents)
    page = tab.agents
    qtbot.waitUntil(lambda: page.chart.figure is not None and bool(page.rows), timeout=TIMEOUT)

    team, agent = result.agent_matrix.index[5]
    page.select_agent(team, agent)
    shown = page.agent.priorities.frame
    mine = result.priorities[(result.priorities["agent"] == agent)].sort_values("rank", na_position="last")
    assert len(shown) == len(result.skills)
    assert [s.replace(" (happened)", "") for s in shown["skill"]] == list(mine["skill"])
    assert list(shown["#"]) == [str(int(r)) if pd.notna(r) else "–" for r in mine["rank"]]
    assert shown["agent (n)"].str.match(r"^[\d%–]+ \(\d").all()
    assert agent in page.agent.summary.text()

    figure = page.chart.figure  # a click on the row of the 3rd agent of the heatmap
    x, y = figure.axes[0].transData.transform((0, 2))
    with qtbot.waitSignal(page.agent_selected, timeout=TIMEOUT) as clicked:
        MouseEvent("button_press_event", page.chart.canvas, x, y, button=1)._process()
    assert tuple(clicked.args) == page.rows[2]
    assert page.agent.current() == page.rows[2]
    assert set(page.agent.rows()["agent"]) == {page.rows[2][1]}

    page.agent.tabs.setCurrentWidget(page.agent.trend)
    qtbot.waitUntil(lambda: page.agent.trend.figure is not None, timeout=TIMEOUT)
    title = page.agent.trend.figure.axes[0].get_title(loc="left")
    assert page.rows[2][1] in title


def test_export_csv_of_the_correlation_table_equals_the_result(tab, tmp_path):
    path = tab.correlations.chart.export_csv(tmp_path / "correlations.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel-friendly by default (Preferences)
    assert raw.count(b"\r\n") == len(tab.computed.result.correlations) + 1 and b"\n" not in raw.replace(b"\r\n", b"")
    assert path.read_text(encoding="utf-8-sig").startswith(
        "skill,channel,n,rho,ci_low,ci_high,p_value,q_value,unstable,within_rho,simpson_flag")
    pd.testing.assert_frame_equal(pd.read_csv(path, encoding="utf-8-sig"),
                                  pd.read_csv(io.StringIO(tab.computed.result.correlations.to_csv(index=False))))


def test_save_chart_writes_png_svg_pdf_with_the_caption(tab, tmp_path):
    for suffix in ("png", "svg", "pdf"):
        path = tab.correlations.chart.save_chart(tmp_path / f"chart.{suffix}")
        assert path.stat().st_size > 1000
    assert "not causation" in (tmp_path / "chart.svg").read_text(encoding="utf-8")


def test_a_newer_filter_change_cancels_the_older_run(qtbot, tab):
    shown: list = []
    tab.result_shown.connect(shown.append)
    tab.filter_bar.choose("channels", "phone")
    older = tab.recompute()
    tab.filter_bar.choose("channels", "email")
    with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
        newer = tab.recompute()
    qtbot.waitUntil(lambda: workers.running() == 0, timeout=TIMEOUT)  # every late signal has arrived
    assert older.is_cancelled and not newer.is_cancelled
    assert [c.filters["channels"] for c in shown] == [("email",)]
    assert set(tab.correlations.chart.model.frame["channel"]) == {"all", "email"}


def test_grades_made_with_csat_visible_raise_a_warning_from_the_data(qtbot, demo_path, tmp_path):
    path = tmp_path / "seen.qagrader"
    path.write_bytes(demo_path.read_bytes())
    with Workspace.open(path, create=False) as ws:
        with ws.transaction() as conn:
            conn.execute("UPDATE evaluations SET blind = 0 WHERE grader_id = "
                         "(SELECT id FROM graders WHERE name = 'Sam Whitfield')")
        visible = ws.conn.execute("SELECT count(DISTINCT interaction_id) FROM evaluations WHERE blind = 0 "
                                  "AND status = 'submitted' AND calibration = 0").fetchone()[0]
        widget = open_tab(qtbot, ws)
        assert widget.notices.isVisible() and "csat_visible" in widget.notice_keys
        assert f"CSAT was visible to the grader for {visible:,} of the" in widget.notices.text()
        texts = [t.get_text() for t in widget.correlations.chart.figure.texts]
        assert any("could see CSAT" in t for t in texts)  # kept for saved charts
        QThreadPool.globalInstance().waitForDone(TIMEOUT)


def test_no_csat_in_the_selection_is_said_first(qtbot, demo_path, tmp_path):
    path = tmp_path / "nocsat.qagrader"
    path.write_bytes(demo_path.read_bytes())
    with Workspace.open(path, create=False) as ws:
        with ws.transaction() as conn:
            conn.execute("UPDATE interactions SET csat_raw = NULL, csat_scale = NULL, csat_norm = NULL, satisfied = NULL")
        widget = open_tab(qtbot, ws)
        assert widget.notice_keys[0] == "no_csat"
        assert widget.notices.text().startswith("<b>No CSAT</b>")
        texts = " ".join(t.get_text() for t in widget.correlations.chart.figure.axes[0].texts)
        assert "No CSAT survey among these" in texts and not bars(widget.correlations.chart.figure)
        widget.tabs.setCurrentWidget(widget.agents)
        assert widget.computed.result.priorities["rank"].isna().all()  # no ranks without CSAT
        assert "No CSAT in the selection" in widget.agents.agent.summary.text()
        QThreadPool.globalInstance().waitForDone(TIMEOUT)


def test_the_channel_and_effects_pages_show_the_new_tables(qtbot, tab):
    result = tab.computed.result
    tab.tabs.setCurrentWidget(tab.channels)
    held = result.channel_differences[result.channel_differences["holds"]]
    assert "Empathy" in set(held["skill"])
    assert "Empathy: stronger on phone than on email and chat" in tab.channels.chart.caption.text()
    labels = [t.get_text() for t in tab.channels.chart.figure.axes[0].get_yticklabels()]
    assert "Empathy  ≠" in labels
    assert list(tab.channels.chart.model.frame.columns[:10]) == [
        "skill", "channel_a", "channel_b", "rho_a", "rho_b", "difference", "ci_low", "ci_high", "p_value", "q_value"]
    tab.tabs.setCurrentWidget(tab.effects)
    assert len(bars(tab.effects.chart.figure)) == result.effects.query("channel == 'all'")["csat_diff"].notna().sum()
    assert "points of the 1-5 CSAT scale" in tab.effects.chart.caption.text()
    tab.effects.kind.setCurrentIndex(1)
    assert len([ax for ax in tab.effects.chart.figure.axes if ax.axison]) == result.dose_response.query(
        "channel == 'all'")["skill"].nunique()


SIMPSON = SyntheticDesign(
    skills=(SkillSpec("empathy", 0.35, (SCALE5,)), SkillSpec("accuracy", 0.3, (SCALE5,))),
    channel_shift={"phone": (1.2, -1.2), "email": (0.0, 0.0), "chat": (-1.2, 1.2)},
    n_agents=10, n_brands=3, csat_missing=0.1, na_rate=0.0)
SIMPSON_CARD = {"name": "Simpson QA", "channels": ["phone", "email", "chat"], "sections": [
    {"name": "Call", "questions": [
        {"key": "empathy", "text": "Empathy", "type": "scale", "min": 1, "max": 5, "skill": "Empathy"},
        {"key": "accuracy", "text": "Accuracy", "type": "scale", "min": 1, "max": 5, "skill": "Accuracy"},
    ]}]}


def simpson_workspace(folder: Path) -> Workspace:
    """Evaluations imported through the core from a synthetic frame whose pooled correlations
    have the opposite sign to every within-channel one."""
    frame = make_skill_frame(1500, SIMPSON, seed=2)
    ws = Workspace.open(folder / "simpson.qagrader")
    ws.scorecards.import_json(json.dumps(SIMPSON_CARD))
    path = folder / "simpson.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["interaction_id", "channel", "agent", "team", "brand", "scorecard",
                         "grader", "csat", "empathy", "accuracy"])
        for row in frame.itertuples():
            csat = "" if np.isnan(row.csat) else int(round(row.csat * 4 + 1))
            writer.writerow([f"S-{row.interaction_id}", row.channel, row.agent, row.team, row.brand,
                             "Simpson QA", row.grader, csat, int(round(row.empathy * 4 + 1)),
                             int(round(row.accuracy * 4 + 1))])
    import_evaluations(ws, path)
    return ws


def test_the_simpson_banner_names_the_flagged_skills(qtbot, tmp_path):
    ws = simpson_workspace(tmp_path)
    try:
        widget = open_tab(qtbot, ws)
        assert widget.notices.isVisible() and "confounding" in widget.notice_keys
        text = widget.notices.text()
        assert "Simpson" in text and "Empathy" in text and "Accuracy" in text
        assert "blind_unknown" in widget.notice_keys  # imported without saying whether CSAT was hidden
        pooled = widget.computed.result.correlations.query("channel == 'all'")
        assert pooled["simpson_flag"].all()
        QThreadPool.globalInstance().waitForDone(TIMEOUT)
    finally:
        ws.close()


def submit_a_new_grade(ws: Workspace):
    """Grade an interaction graded by nobody yet and submit it; the write's `Changes`."""
    from qagrader.core.scorecards.scoring import Answer

    interaction = ws.conn.execute("SELECT min(id) FROM interactions WHERE id NOT IN "
                                  "(SELECT interaction_id FROM evaluations)").fetchone()[0]
    card = ws.conn.execute("SELECT min(id) FROM scorecards").fetchone()[0]
    draft = ws.evaluations.start(interaction, card, "Late Grader")
    questions = ws.scorecards.get_by_id(card).card.questions
    ws.evaluations.save(draft.id, {q.key: Answer(value=q.labels[0] if q.type != "scale" else int(q.labels[0]))
                                   for q in questions})
    _, changes = ws.apply(lambda w: w.evaluations.submit(draft.id))
    return changes


def test_a_filter_change_reuses_the_loaded_grades_and_a_write_reloads_them(qtbot, tmp_path):
    """Filters are applied in memory to the grades loaded once; the grades are reloaded only
    when a committed write touches what they hold (and its new numbers then show)."""
    from qagrader.analysis.dataset import AnalysisFilters
    from qagrader.core.storage.changes import GRADERS, MERGES, Changes

    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=300)
    ws = Workspace.open(path, create=False)
    try:
        tab = open_tab(qtbot, ws)
        grades = tab.grades
        assert grades is not None and tab.computed.submitted_total == grades.total
        channels = tab.filter_bar.options.channels
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            tab.filter_bar.choose("channels", channels[0])  # at once: no debounce for a list's entry
        assert tab.grades is grades and tab.computed.filters["channels"] == (channels[0],)
        expected = grades.frame(AnalysisFilters(channels=(channels[0],)))
        assert tab.computed.n_evaluations == len(expected)

        tab.apply_changes(Changes.of(MERGES, [1]))  # the merge log alone: nothing the analysis shows
        assert not tab.is_busy() and tab.grades is grades

        changes = submit_a_new_grade(ws)
        tab.filter_bar.choose("channels", None)
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            tab.apply_changes(changes)
        assert tab.grades is not grades and tab.grades.total == grades.total + 1
        assert tab.computed.submitted_total == grades.total + 1
        renamed = tab.grades
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            tab.apply_changes(Changes.of(GRADERS, [1]))  # a grader's name is shown: reload
        assert tab.grades is not renamed

        # closing a calibration session changes the skills' alphas beside the chart: reload them
        from qagrader.analysis.calibration import skill_alphas

        shown = tab.computed.reliability
        open_session = next(s for s in ws.calibration.list() if not s.closed)
        _, changes = ws.apply(lambda w: w.calibration.close(open_session.id))
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            tab.apply_changes(changes)
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)
        expected = skill_alphas(ws)
        assert not expected.equals(shown)
        pd.testing.assert_frame_equal(tab.computed.reliability, expected)
        QThreadPool.globalInstance().waitForDone(TIMEOUT)
    finally:
        ws.close()


def test_the_grades_read_when_the_workspace_opened_make_the_tabs_first_look(qtbot, tmp_path, monkeypatch):
    """The window's warm-up reads the analysed grades in the background once a workspace is
    open; the tab shown later (or while that read runs) analyses them without reading the
    workspace again; a write that touches evaluations drops them, and the tab reads for itself."""
    from qagrader.analysis import frames
    from qagrader.core.storage.changes import Changes
    from qagrader.gui import analysis_warm_up
    from qagrader.gui.analysis_warm_up import AnalysisWarmUp

    path = tmp_path / "w.qagrader"
    build_demo(path, interactions=300)
    monkeypatch.setattr(analysis_warm_up, "WARM_UP_FROM", 0)  # (a small workspace is not read ahead)
    reads: list[int] = []
    load_grades = frames.load_grades
    monkeypatch.setattr(frames, "load_grades", lambda ws: reads.append(1) or load_grades(ws))
    ws = Workspace.open(path, create=False)
    try:
        warm_up = AnalysisWarmUp()
        with qtbot.waitSignal(warm_up.settled, timeout=TIMEOUT):
            warm_up.set_workspace(ws)
        assert len(reads) == 1
        tab = AnalysisTab(warm_up=warm_up)
        qtbot.addWidget(tab)
        tab.resize(1280, 800)
        tab.show()
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):  # built later, as the window builds it
            tab.set_workspace(ws)
            tab.apply_changes(Changes.everything())
        assert len(reads) == 1 and tab.computed.submitted_total == tab.grades.total > 0
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)

        # opened again with the tab on screen: it waits for the read instead of reading too
        tab.set_workspace(None)
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            warm_up.set_workspace(ws)  # what the window does when it opens a workspace
            open_on(tab, ws)
        assert len(reads) == 2 and tab.grades is not None
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)

        # a grade submitted after the read: what was read is dropped, not handed to the tab
        with qtbot.waitSignal(warm_up.settled, timeout=TIMEOUT):
            warm_up.set_workspace(ws)
        total = tab.grades.total
        changes = submit_a_new_grade(ws)
        warm_up.apply_changes(changes)
        assert warm_up.take(ws) is None and not warm_up.loading(ws)
        tab.set_workspace(None)
        with qtbot.waitSignal(tab.result_shown, timeout=TIMEOUT):
            tab.set_workspace(ws)
            tab.apply_changes(Changes.everything())
        assert len(reads) == 4 and tab.grades.total == total + 1
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=TIMEOUT)
        warm_up.set_workspace(None)
        QThreadPool.globalInstance().waitForDone(TIMEOUT)
    finally:
        ws.close()
