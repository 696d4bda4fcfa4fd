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
    SkillSpec("wrong name", -0.25, (YES_NO,)),
    SkillSpec("rapport", 0.0, (SCALE5, YES_NO)),
    SkillSpec("rare", 0.3, (YES_NO,)),
), n_agents=8, n_teams=2)


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
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts) + fig._supxlabel.get_text()


def test_correlation_chart_bars_colours_labels_and_too_few(result):
    fig = plots.plot_correlations(result.correlations)
    pooled = result.correlations[result.correlations["channel"] == "all"]
    assert isinstance(fig, Figure)
    assert len(_bars(fig)) == pooled["rho"].notna().sum() == 4
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 4 and all("n=" in label for label in labels)
    assert any("rare" in label and "unstable" in label for label in labels)
    colours = {tuple(np.round(b.get_facecolor()[:3], 3)) for b in _bars(fig)}
    assert len(colours) >= 2  # positive and negative bars differ
    assert "correlation is not causation" in _texts(fig)
    phone = plots.plot_channel_correlations(result.correlations)
    assert "too few (n=" in _texts(phone)
    cells = result.correlations[result.correlations["channel"] != "all"]
    assert len(_bars(phone)) == cells["rho"].notna().sum()


def test_simpson_warning_appears_on_the_chart():
    design = SyntheticDesign(skills=(SkillSpec("empathy", 0.35, (SCALE5,)),),
                             channel_shift={"phone": (1.2, -1.2), "chat": (-1.2, 1.2)})
    table = skill_correlations(make_skill_frame(5000, design, seed=3))
    assert table["simpson_flag"].fillna(False).any()
    text = _texts(plots.plot_correlations(table))
    assert "Simpson" in text and "empathy" in text
    assert "Simpson" not in _texts(plots.plot_correlations(table.assign(simpson_flag=False)))
    assert "could see CSAT" in _texts(plots.plot_correlations(table, blind_grading=False))


def test_other_charts(result, tmp_path):
    drivers = plots.plot_drivers(result.drivers)
    r2 = result.drivers.query("channel == 'all'")["r2"].iloc[0]
    assert f"R² = {r2:.3f}" in drivers.axes[0].get_title(loc="left")
    assert len(_bars(drivers)) == result.drivers.query("channel == 'all'")["share"].notna().sum()
    ipa = plots.plot_importance_performance(result.ipa, "agent", "Team 1", "Agent 001")
    shown = result.ipa.query("level == 'agent' and agent == 'Agent 001' and quadrant != ''")
    assert len(ipa.axes[0].collections[-1].get_offsets()) == len(shown)
    assert {"Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"} <= {
        t.get_text() for t in ipa.axes[0].texts}
    heatmap = plots.plot_agent_heatmap(result.agent_matrix)
    assert heatmap.axes[0].images[0].get_array().shape == result.agent_matrix.shape
    trends = plots.plot_trends(result.trends)
    assert len(trends.axes[0].get_lines()) == len(result.skills) + 1  # skills + CSAT
    for fig in (drivers, ipa, heatmap, trends):
        fig.savefig(tmp_path / "chart.png")
        assert (tmp_path / "chart.png").stat().st_size > 10_000


def test_empty_inputs_give_a_message_not_an_error(frame):
    empty = run_analysis(frame.iloc[:0])
    for fig in (plots.plot_correlations(empty.correlations), plots.plot_drivers(empty.drivers),
                plots.plot_importance_performance(empty.ipa), plots.plot_agent_heatmap(empty.agent_matrix),
                plots.plot_trends(empty.trends), plots.plot_channel_correlations(empty.correlations)):
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
    assert {"correlations.csv", "effects.csv", "drivers.csv", "agent_priorities.csv",
            "trends.csv"} <= names
    assert len([n for n in names if n.endswith(".png")]) == 6
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
    agent = plots.plot_trends(result.trends, agent="Agent 001", team="Team 1")
    assert "Agent 001" in agent.axes[0].get_title(loc="left")
    assert len(agent.axes[0].get_lines()) == len(result.skills) + 1
