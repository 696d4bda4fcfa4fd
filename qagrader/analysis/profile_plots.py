"""The profile's trend chart: a pure matplotlib function (DataFrame in, Figure out)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def score_trend_figure(trend: pd.DataFrame, reference: pd.DataFrame | None = None, *, label: str = "",
                       reference_label: str = "Team", foreground: str = "#202124",
                       background: str = "#ffffff", accent: str = "#1a73e8",
                       size: tuple[float, float] = (6.0, 2.4)) -> Figure:
    """Mean QA score per period with its 95% CI band and n under each point, beside the
    `reference` (the team's) as a dashed line."""
    figure = Figure(figsize=size, dpi=100, layout="constrained", facecolor=background)
    axes = figure.add_subplot()
    axes.set_facecolor(background)
    for spine in axes.spines.values():
        spine.set_color(foreground)
        spine.set_alpha(0.35)
    axes.tick_params(colors=foreground, labelsize=8)
    if trend.empty:
        axes.text(0.5, 0.5, "No evaluations in this selection", ha="center", va="center", color=foreground,
                  transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
        return figure
    if reference is not None and not reference.empty:
        axes.plot(reference["period"], reference["mean"], linestyle="--", color=foreground, alpha=0.45,
                  linewidth=1.2, label=reference_label)
    axes.fill_between(trend["period"], trend["ci_low"], trend["ci_high"], color=accent, alpha=0.18, linewidth=0)
    axes.plot(trend["period"], trend["mean"], marker="o", markersize=4, color=accent, linewidth=1.8,
              label=label or "QA score")
    for when, mean, n in zip(trend["period"], trend["mean"], trend["n"]):
        axes.annotate(f"n={n}", (when, mean), textcoords="offset points", xytext=(0, -13), ha="center",
                      fontsize=7, color=foreground, alpha=0.7)
    axes.set_ylabel("QA score (%)", color=foreground, fontsize=8)
    low = min(trend["ci_low"].min(skipna=True), trend["mean"].min()) if trend["ci_low"].notna().any() \
        else trend["mean"].min()
    axes.set_ylim(max(0.0, low - 8), min(105.0, max(trend["ci_high"].max(skipna=True), trend["mean"].max()) + 6)
                  if trend["ci_high"].notna().any() else 105.0)
    axes.grid(axis="y", alpha=0.2, color=foreground)
    legend = axes.legend(loc="lower left", fontsize=7, frameon=False)
    for text in legend.get_texts():
        text.set_color(foreground)
    figure.autofmt_xdate(rotation=0, ha="center")
    return figure
