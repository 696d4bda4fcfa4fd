"""Charts are Figures with the expected marks; run_analysis reports progress, cancels, writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from qagrader.analysis import plots
from qagrader.analysis.correlation import CORRELATION_COLUMNS, skill_correlations
from qagrader.analysis.report import AnalysisCancelled, run_analysis, write_report
from qagrader.analysis.synthetic import SCALE5, YES_NO, SkillSpec, SyntheticDesign, make_skill_frame

DESIGN = SyntheticDesign(skills=(
    SkillSpec("empathy", {"phone": 0.5, "email": 0.2, "chat": 0.2}, (SCALE5,)),
    SkillSpec("wrong name", -0.25, (YES_NO,), polarity="negative"),
    SkillSpec("rapport", 0.0, (SCALE5, YES_NO)),
    SkillSpec("rare", 0.3, (YES_NO,)),
), n_agents=12, n_teams=2)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = make_skill_frame(2500, DESIGN, seed=1)
    data.loc[data.index[80:], "rare"] = np.nan  # too few per channel, unstable pooled
    return data


@pytest.fixture(scope="module")
def result(frame):
    return run_analysis(frame)


def _bars(fig: Figure) -> list[Rectangle]:
    ax = fig.axes[0]
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() != 0]


def _texts(fig: Figure) -> str:
    caption = fig._supxlabel.get_text() if fig._supxlabel is not None else ""
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts) + caption


def test_correlation_chart_bars_colours_labels_and_too_few(result):
    fig = plots.plot_correlations(result.correlations)
    pooled = result.correlations[result.correlations["channel"] == "all"]
    assert isinstance(fig, Figure)
    assert len(_bars(fig)) == pooled["rho"].notna().sum() == 4
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 4 and all("n=" in label for label in labels)
    assert any("rare" in label and "unstable" in label for label in labels)
    assert any(label.startswith("wrong name (happened)") for label in labels)
    bar = {round(b.get_width(), 6): b.get_facecolor()[:3] for b in _bars(fig)}
    wrong = pooled.set_index("skill").loc["wrong name", "rho"]
    assert wrong < 0 and np.allclose(bar[round(wrong, 6)], (0xD5 / 255, 0x5E / 255, 0))  # drawn negative
    assert "correlation is not causation" in _texts(fig) and "Benjamini-Yekutieli" in _texts(fig)
    phone = plots.plot_channel_correlations(result.correlations, result.channel_differences)
    assert "too few (n=" in _texts(phone)
    cells = result.correlations[result.correlations["channel"] != "all"]
    assert len(_bars(phone)) == cells["rho"].notna().sum()


def test_the_channel_chart_marks_the_differences_that_hold(result):
    held = result.channel_differences[result.channel_differences["holds"]]
    assert set(held["skill"]) == {"empathy"} and set(held["channel_a"]) == {"phone"}
    fig = plots.plot_channel_correlations(result.correlations, result.channel_differences)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [label for label in labels if "≠" in label] == ["empathy  ≠"]
    assert "≠ phone > email, chat" in _texts(fig)
    assert "empathy: stronger on phone than on email and chat" in _texts(fig)


def test_twenty_five_skills_stay_readable():
    design = SyntheticDesign(skills=tuple(SkillSpec(f"skill number {i}", 0.01 * i, (SCALE5,)) for i in range(25)))
    table = skill_correlations(make_skill_frame(3000, design, seed=2))
    for fig in (plots.plot_correlations(table), plots.plot_channel_correlations(table)):
        fig.canvas.draw()
        boxes = sorted((t.get_window_extent() for t in fig.axes[0].get_yticklabels()), key=lambda b: b.y0)
        assert len(boxes) == 25
        assert all(low.y1 <= high.y0 + 0.5 for low, high in zip(boxes, boxes[1:]))  # no overlap


def test_simpson_warning_appears_on_the_chart():
    design = SyntheticDesign(skills=(SkillSpec("empathy", 0.35, (SCALE5,)),),
                             channel_shift={"phone": (1.2, -1.2), "chat": (-1.2, 1.2)})
    table = skill_correlations(make_skill_frame(5000, design, seed=3))
    assert table["simpson_flag"].fillna(False).any()
    text = _texts(plots.plot_correlations(table))
    assert "Simpson" in text and "empathy" in text
    assert "Simpson" not in _texts(plots.plot_correlations(table.assign(simpson_flag=False)))


def test_data_warnings_come_from_the_data(frame):
    seen = frame.copy()
    seen.attrs = frame.attrs
    seen.loc[seen.index[:100], "blind"] = 0.0  # graded with CSAT visible
    result = run_analysis(seen)
    assert result.notes.csat_visible == 100
    assert "could see CSAT while grading 100" in _texts(plots.plot_correlations(result.correlations, notes=result.notes))
    none = frame.assign(csat=np.nan, satisfied=np.nan)
    none.attrs = frame.attrs
    empty = run_analysis(none)
    fig = plots.plot_correlations(empty.correlations, notes=empty.notes)
    assert "No CSAT survey among these 2,500 interactions" in _texts(fig)


def test_other_charts(result, tmp_path):
    drivers = plots.plot_drivers(result.drivers)
    r2 = result.drivers.query("channel == 'all'")["r2"].iloc[0]
    assert f"R² = {r2:.3f}" in drivers.axes[0].get_title(loc="left")
    assert "Method: LMG (Shapley)" in _texts(drivers) and "association" in _texts(drivers)
    assert len(_bars(drivers)) == result.drivers.query("channel == 'all'")["share"].notna().sum()
    ipa = plots.plot_importance_performance(result.ipa, "agent", "Team 1", "Agent 001")
    shown = result.ipa.query("level == 'agent' and agent == 'Agent 001' and quadrant != ''")
    assert len(shown) == 3  # "rare" has too few surveyed interactions for an importance
    assert len(ipa.axes[0].collections[-1].get_offsets()) == len(shown)
    assert {"Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"} <= {
        t.get_text() for t in ipa.axes[0].texts}
    heatmap = plots.plot_agent_heatmap(result.agent_matrix, result.agent_counts, result.polarity)
    assert heatmap.axes[0].images[0].get_array().shape == result.agent_matrix.shape
    first = result.agent_counts.iloc[0, 0]
    assert f"({int(first)})" in _texts(heatmap)  # n in each cell
    effects = plots.plot_effects(result.effects)
    assert len(_bars(effects)) == result.effects.query("channel == 'all'")["csat_diff"].notna().sum()
    assert "CSAT points on the 1-5 scale" in effects.axes[0].get_xlabel()
    dose = plots.plot_dose_response(result.dose_response)
    assert len([ax for ax in dose.axes if ax.axison]) == result.dose_response["skill"].nunique()
    trends = plots.plot_trends(result.trends)
    assert len(trends.axes[0].get_lines()) == len(result.skills) + 1  # skills + CSAT
    for fig in (drivers, ipa, heatmap, trends, effects, dose):
        fig.savefig(tmp_path / "chart.png")
        assert (tmp_path / "chart.png").stat().st_size > 10_000


def test_empty_inputs_give_a_message_not_an_error(frame):
    empty = run_analysis(frame.iloc[:0])
    for fig in (plots.plot_correlations(empty.correlations), plots.plot_drivers(empty.drivers),
                plots.plot_importance_performance(empty.ipa), plots.plot_agent_heatmap(empty.agent_matrix),
                plots.plot_trends(empty.trends), plots.plot_channel_correlations(empty.correlations),
                plots.plot_effects(empty.effects), plots.plot_dose_response(empty.dose_response)):
        assert isinstance(fig, Figure)
        fig.canvas.draw()


def test_progress_and_cancel(frame):
    seen: list[float] = []
    run_analysis(frame, progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(AnalysisCancelled):
        run_analysis(frame, cancelled=cancelled)


def test_write_report_files_and_csv_contract(result, tmp_path):
    written = write_report(result, tmp_path / "out")
    names = {p.name for p in written}
    assert {"correlations.csv", "channel_differences.csv", "effects.csv", "dose_response.csv",
            "drivers.csv", "agent_priorities.csv", "trends.csv", "summary.txt"} <= names
    assert len([n for n in names if n.endswith(".png")]) == 8
    header = (tmp_path / "out" / "channel_differences.csv").read_text().splitlines()[0]
    assert header.startswith("skill,channel_a,channel_b,rho_a,rho_b,difference,ci_low,ci_high,p_value,q_value")
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "Analysed 2,500 interactions" in summary and "not caused by" in summary
    header = (tmp_path / "out" / "correlations.csv").read_text().splitlines()[0].split(",")
    assert tuple(header[: len(CORRELATION_COLUMNS)]) == CORRELATION_COLUMNS
    table = pd.read_csv(tmp_path / "out" / "correlations.csv", keep_default_na=False)
    few = table[table["note"] == "too few"]
    assert len(few) and (few["rho"] == "").all() and (few["q_value"] == "").all()
    assert (table.loc[table["channel"] != "all", "simpson_flag"] == "").all()


def test_trend_chart_draws_only_the_chosen_metrics_and_says_so(result):
    fig = plots.plot_trends(result.trends, metrics=["empathy", "CSAT"])
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["empathy", "CSAT"]
    assert f"{len(result.skills) - 1} more skill(s) not drawn" in _texts(fig)
    assert len(fig.axes[0].collections) >= 2  # interval bands
    agent = plots.plot_trends(result.trends, agent="Agent 001", team="Team 1")
    assert "Agent 001" in agent.axes[0].get_title(loc="left")
    assert len(agent.axes[0].get_lines()) == len(result.skills) + 1


@pytest.mark.parametrize("case", ["constant CSAT", "no CSAT", "five interactions", "one agent"])
def test_degenerate_selections_run_without_a_warning(frame, case, tmp_path):
    import warnings

    data = {"constant CSAT": frame.assign(csat=np.where(frame["csat"].isna(), np.nan, 0.75)),
            "no CSAT": frame.assign(csat=np.nan, satisfied=np.nan),
            "five interactions": frame.iloc[:5], "one agent": frame.assign(agent="Agent 001")}[case]
    data.attrs = frame.attrs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_analysis(data)
        write_report(result, tmp_path)
    pooled = result.correlations.query("channel == 'all'")
    assert pooled[["ci_low", "ci_high"]].isna().all().all() or case == "one agent"
    if case == "one agent":  # too few agents to cluster: said, and intervals still there
        assert (pooled["interval"] == "independent (too few agents)").all()
        assert "Only 1 agent" in (tmp_path / "summary.txt").read_text()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="drawing in a second process needs fork")
def test_a_report_drawn_in_two_processes_is_the_same_report(result, tmp_path):
    from PIL import Image

    one = write_report(result, tmp_path / "one")
    two = write_report(result, tmp_path / "two", parallel=True)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two):
        if a.suffix == ".png":
            assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), a.name
        else:
            assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="drawing in a second process needs fork")
def test_a_chart_failing_in_the_other_process_is_one_line_and_leaves_no_folder(result, tmp_path, monkeypatch):
    from qagrader.analysis import chart_files
    from qagrader.core.storage.files import OutputError

    makers = chart_files.chart_makers

    def broken(*args, **kwargs):
        found = makers(*args, **kwargs)

        def fail():
            raise OutputError("Cannot write agent_heatmap.png: the disk is full.")

        found[chart_files.split_by_cost(list(found))[1][0]] = fail  # one the forked process draws
        return found

    monkeypatch.setattr(chart_files, "chart_makers", broken)
    with pytest.raises(OutputError) as raised:
        write_report(result, tmp_path / "out", parallel=True)
    assert str(raised.value) == "Cannot write agent_heatmap.png: the disk is full."
    assert not (tmp_path / "out").exists()


def test_analyze_into_gives_the_tables_and_files_of_run_analysis_and_write_report(frame, result, tmp_path):
    """The command line's two-process path (each half of the tables and its charts in its own
    process where the system can fork) writes the very report of the one-process calls."""
    from dataclasses import fields

    from PIL import Image

    from qagrader.analysis.report import AnalysisResult, analyze_into

    reference = write_report(result, tmp_path / "one")
    both, written = analyze_into(frame, tmp_path / "two")
    for field in fields(AnalysisResult):
        left, right = getattr(result, field.name), getattr(both, field.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, obj=field.name)
        else:
            assert left == right, field.name
    assert [p.name for p in reference] == [p.name for p in written]
    for a, b in zip(reference, written):
        if a.suffix == ".png":
            assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), a.name
        else:
            assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the second process needs fork")
def test_analyze_into_reports_a_failure_of_the_other_half_in_one_line(frame, tmp_path, monkeypatch):
    from qagrader.analysis import report
    from qagrader.core.errors import QAGraderError

    tables = report.analysis_tables

    def failing(frame, half=None, *args, **kwargs):
        if half == report.ASSOCIATIONS:  # the forked process's half
            raise QAGraderError("Key drivers need at least two skills.")
        return tables(frame, half, *args, **kwargs)

    monkeypatch.setattr(report, "analysis_tables", failing)
    with pytest.raises(QAGraderError) as raised:
        report.analyze_into(frame, tmp_path / "out")
    assert str(raised.value) == "Key drivers need at least two skills."
    assert not (tmp_path / "out").exists()
