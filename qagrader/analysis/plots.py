"""Pure plotting functions: analysis tables in, `matplotlib.figure.Figure` out.

No pyplot state: the GUI embeds the figures in a canvas, the CLI saves them. Colours are the
Okabe-Ito colour-blind-safe palette; every chart carries a plain-language caption.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .correlation import ALL, MIN_N
from .ipa import CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL
from .trends import CSAT

BLUE, VERMILLION, ORANGE, SKY = "#0072B2", "#D55E00", "#E69F00", "#56B4E9"
GREEN, YELLOW, PURPLE, BLACK, GREY = "#009E73", "#F0E442", "#CC79A7", "#000000", "#BBBBBB"
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#8C6D1F", "#332288")
FIGSIZE = (10.0, 6.0)  # 1000 x 600 px at 100 dpi
ALPHA = 0.05
CAUSATION = "'Associated with' is not 'caused by': correlation is not causation."
WHISKERS = "Whiskers: 95% confidence interval. n: evaluations with both a grade and a CSAT survey."


def _figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    return Figure(figsize=figsize, dpi=100, layout="constrained")


def _caption(fig: Figure, *lines: str) -> None:
    """Plain-language notes under the chart (kept inside the figure by constrained layout)."""
    width = int(fig.get_figwidth() * 15.5)
    text = "\n".join(textwrap.fill(line, width) for line in lines if line)
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8.5, color="#333333", linespacing=1.3)


def _empty(fig: Figure, ax, message: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    return fig


def _significant(rows: pd.DataFrame) -> np.ndarray:
    return (rows["q_value"] < ALPHA).to_numpy()


def _missing_text(n: int) -> str:
    """Why a cell has no number."""
    return f"too few (n={n:,})" if n < MIN_N else "no variation"


def _n_label(n: int, unstable: bool) -> str:
    return f"n={n:,}" + (", unstable" if unstable and n >= MIN_N else "")


def simpson_warning(correlations: pd.DataFrame) -> str:
    """A warning sentence naming the skills whose pooled and within sign disagree ("" if none)."""
    flagged = correlations[(correlations["channel"] == ALL) & correlations["simpson_flag"].fillna(False)]
    if flagged.empty:
        return ""
    names = ", ".join(flagged["skill"])
    return (f"Warning (Simpson's paradox): for {names} the pooled correlation has the opposite "
            "sign to the correlation within channels and brands; the pooled bar is misleading, "
            "read the per-channel chart.")


def plot_correlations(correlations: pd.DataFrame, channel: str = ALL, *,
                      blind_grading: bool | None = None) -> Figure:
    """Horizontal bars of rho per skill for one channel, sorted, with 95% CI whiskers.

    Blue: positive, vermillion: negative, grey: not significant (q >= 0.05); cells with too
    few pairs are written as text. `blind_grading=False` adds a warning that graders saw CSAT.
    """
    rows = correlations[correlations["channel"] == channel]
    fig = _figure()
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, f"No evaluations for channel '{channel}'.")
    rows = rows.assign(_key=rows["rho"].fillna(-np.inf)).sort_values("_key", kind="stable")
    y = np.arange(len(rows))
    rho = rows["rho"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    within = rows["within_rho"].to_numpy(float) if channel == ALL else np.full(len(rows), np.nan)
    shown, has_within = ~np.isnan(rho), ~np.isnan(within)
    colours = np.where(~_significant(rows), GREY, np.where(rho >= 0, BLUE, VERMILLION))
    ax.barh(y[shown], rho[shown], color=colours[shown], height=0.65)
    ax.errorbar(rho[shown], y[shown], xerr=[rho[shown] - low[shown], high[shown] - rho[shown]],
                fmt="none", ecolor="#222222", elinewidth=1.2, capsize=3)
    ax.scatter(within[has_within], y[has_within], marker="D", s=30, color="white",
               edgecolors="#111111", linewidths=1.2, zorder=4)
    flags = rows["simpson_flag"].fillna(False).to_numpy(dtype=bool)
    labels = [f"{s}{'  (!)' if f else ''}\n{_n_label(n, u)}" for s, n, u, f in
              zip(rows["skill"], rows["n"], rows["unstable"], flags)]
    ax.set_yticks(y, labels, fontsize=9)
    extent = np.r_[low[shown], high[shown], within[has_within], 0.0]
    left, right = min(-0.05, extent.min()), max(0.05, extent.max())
    pad = (right - left) * 0.03
    for yi, r, n, ok in zip(y, rho, rows["n"], shown):
        if not ok:
            ax.text(0, yi, "  " + _missing_text(n), va="center", ha="left", fontsize=9,
                    style="italic", color="#555555")
            continue
        points = [r, low[yi], high[yi], within[yi]]
        edge = np.nanmax(points) + pad if r >= 0 else np.nanmin(points) - pad
        ax.text(edge, yi, f"{r:+.2f}", va="center", ha="left" if r >= 0 else "right",
                fontsize=8.5, color="#222222")
    ax.set_xlim(left - pad * 4, right + pad * 4)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlabel("Spearman rho with CSAT (-1 .. +1)")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    where = "all channels" if channel == ALL else f"channel: {channel}"
    ax.set_title(f"Which skills are associated with CSAT ({where})", loc="left", fontsize=13)
    handles = [Patch(color=BLUE, label="positive"), Patch(color=VERMILLION, label="negative"),
               Patch(color=GREY, label="not significant (q ≥ 0.05)")]
    if has_within.any():
        handles.append(Line2D([], [], marker="D", linestyle="none", markerfacecolor="white",
                              markeredgecolor="#111111", label="within channel & brand"))
    ax.legend(handles=handles, loc="best", fontsize=8.5, frameon=False)
    _caption(fig,
             "Bars: Spearman correlation between each skill's score and the customer's CSAT. "
             + WHISKERS + " Grey bars are not significant after correcting for testing many "
             "skills at once (Benjamini-Hochberg q ≥ 0.05). Fewer than 250 pairs: unstable."
             + (" Diamonds: the correlation within each channel and brand, pooled." if channel == ALL else ""),
             CAUSATION,
             simpson_warning(correlations) if channel == ALL else "",
             "Warning: graders could see CSAT while grading, which inflates these correlations."
             if blind_grading is False else "")
    return fig


def plot_channel_correlations(correlations: pd.DataFrame) -> Figure:
    """Grouped horizontal bars: rho per skill for each channel, 95% CI whiskers; faded and
    hatched bars are not significant, cells with too few pairs are marked "too few"."""
    channels = [c for c in dict.fromkeys(correlations["channel"]) if c != ALL]
    fig = _figure()
    ax = fig.add_subplot()
    if not channels:
        return _empty(fig, ax, "No channel to compare.")
    pooled = correlations[correlations["channel"] == ALL].set_index("skill")["rho"]
    skills = list(pooled.fillna(-np.inf).sort_values(kind="stable").index)
    height = 0.8 / len(channels)
    for i, channel in enumerate(channels):
        rows = correlations[correlations["channel"] == channel].set_index("skill").reindex(skills)
        y = np.arange(len(skills)) - 0.4 + height * (len(channels) - i - 0.5)
        rho = rows["rho"].to_numpy(float)
        shown = ~np.isnan(rho)
        significant = (rows["q_value"] < ALPHA).to_numpy()
        colour = SERIES[i % len(SERIES)]
        for mask, style in ((shown & significant, {"alpha": 1.0}),
                            (shown & ~significant, {"alpha": 0.35, "hatch": "///"})):
            ax.barh(y[mask], rho[mask], height=height * 0.9, color=colour, edgecolor=colour,
                    **style)
        lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        ax.errorbar(rho[shown], y[shown], xerr=[rho[shown] - lo[shown], hi[shown] - rho[shown]],
                    fmt="none", ecolor="#333333", elinewidth=0.9, capsize=2)
        for yi, n in zip(y[~shown], rows["n"].fillna(0).astype(int)[~shown]):
            ax.text(0, yi, " " + _missing_text(n), va="center", ha="left", fontsize=7,
                    style="italic", color=colour)
    ax.set_yticks(np.arange(len(skills)), skills, fontsize=9)
    ax.set_ylim(-0.5, len(skills) - 0.5)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlabel("Spearman rho with CSAT")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Association with CSAT by channel", loc="left", fontsize=13)
    handles = [Patch(color=SERIES[i % len(SERIES)], label=c) for i, c in enumerate(channels)]
    handles.append(Patch(facecolor="white", edgecolor="#666666", hatch="///",
                         label="not significant"))
    ax.legend(handles=handles, loc="best", fontsize=8.5, frameon=False)
    n = correlations[correlations["channel"] != ALL].groupby("channel")["n"].max()
    _caption(fig,
             "Each bar: Spearman correlation of the skill with CSAT within one channel ("
             + ", ".join(f"{c}: up to n={n.get(c, 0):,}" for c in channels) + "). "
             + WHISKERS + " Faded, hatched bars: not significant (q ≥ 0.05).",
             CAUSATION)
    return fig


def plot_drivers(drivers: pd.DataFrame, channel: str = ALL) -> Figure:
    """Horizontal bars of each skill's share of R^2 (LMG), R^2 and n stated in the title."""
    rows = drivers[drivers["channel"] == channel]
    fig = _figure()
    ax = fig.add_subplot()
    shown = rows[rows["share"].notna()]
    if shown.empty:
        n = int(rows["n"].max()) if len(rows) else 0
        return _empty(fig, ax, f"Too few complete evaluations to estimate key drivers (n={n:,}).")
    shown = shown.sort_values("share", kind="stable")
    r2, n, method = shown["r2"].iloc[0], int(shown["n"].iloc[0]), shown["method"].iloc[0]
    y = np.arange(len(shown))
    share = shown["share_of_r2"].to_numpy(float) * 100
    ax.barh(y, share, color=BLUE, height=0.65)
    for yi, pct, raw in zip(y, share, shown["share"]):
        ax.text(pct + share.max() * 0.01, yi, f" {pct:.0f}% of R²  ({raw:.3f})", va="center",
                fontsize=8.5)
    ax.set_yticks(y, shown["skill"], fontsize=9)
    ax.set_xlim(0, max(share.max() * 1.25, 1))
    ax.set_xlabel("Share of the explained variance (% of R²)")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    where = "all channels" if channel == ALL else f"channel: {channel}"
    ax.set_title(f"Key drivers of CSAT ({where})\nTogether the skills explain R² = {r2:.3f} "
                 f"({r2:.0%}) of CSAT's variance; n={n:,} complete evaluations",
                 loc="left", fontsize=12)
    _caption(fig,
             f"Method: {method}. Each skill's share is its average gain in R² when added to a "
             "linear regression of CSAT on the skills, over every order of adding them; the "
             "shares add up to R². Computed on evaluations with CSAT and every skill graded.",
             ("Not included (graded on too few surveyed evaluations, or never varying): "
              + ", ".join(rows.loc[rows["share"].isna(), "skill"]) + ".")
             if rows["share"].isna().any() else "",
             CAUSATION)
    return fig


QUADRANT_COLOURS = {CONCENTRATE: VERMILLION, KEEP_UP: BLUE, LOW_PRIORITY: "#777777", OVERKILL: GREEN}


def _label_points(ax, x: np.ndarray, y: np.ndarray, labels: list[str],
                  spans: tuple[np.ndarray, np.ndarray] | None = None, fontsize: float = 8.5) -> None:
    """Label each point beside it where the label's box overlaps no point, whisker (`spans`:
    each point's horizontal extent) or label placed before it: tried above-right, above-left,
    below-right, below-left, then further up. Boxes are estimated from the font size and the
    axes' size; call after the limits are set."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    box = ax.get_position()
    width_px = box.width * ax.figure.get_figwidth() * ax.figure.dpi
    height_px = box.height * ax.figure.get_figheight() * ax.figure.dpi
    char_w = 0.6 * fontsize * ax.figure.dpi / 72 * (x1 - x0) / width_px
    line_h = 1.3 * fontsize * ax.figure.dpi / 72 * (y1 - y0) / height_px
    dx = (x1 - x0) * 0.008
    lows, highs = spans if spans is not None else (x, x)
    taken = [(np.nanmin([lo, xi]) - dx, np.nanmax([hi, xi]) + dx, yi - line_h * 0.3, yi + line_h * 0.3)
             for xi, yi, lo, hi in zip(x, y, lows, highs)]

    def free(l: float, r: float, b: float, t: float) -> bool:
        inside = l >= x0 and r <= x1 and b >= y0 and t <= y1
        return inside and not any(l < R and r > L and b < T and t > B for L, R, B, T in taken)

    for i in np.argsort(y):
        w = char_w * len(labels[i])
        candidates = [(right, ty) for ty in (y[i] + line_h * 0.35, y[i] - line_h * 1.35)
                      for right in (True, False)]
        candidates += [(right, y[i] + line_h * (0.35 + 0.5 * k)) for k in range(1, 8) for right in (True, False)]
        chosen = candidates[0]
        for right, ty in candidates:
            left_edge = x[i] + dx if right else x[i] - dx - w
            if free(left_edge, left_edge + w, ty, ty + line_h):
                chosen = (right, ty)
                break
        right, ty = chosen
        left_edge = x[i] + dx if right else x[i] - dx - w
        taken.append((left_edge, left_edge + w, ty, ty + line_h))
        moved = abs(ty - y[i]) > line_h * 1.5
        ax.annotate(labels[i], (x[i], y[i]), xytext=(x[i] + (dx if right else -dx), ty),
                    textcoords="data", fontsize=fontsize, ha="left" if right else "right",
                    va="bottom", arrowprops={"arrowstyle": "-", "color": "#AAAAAA", "lw": 0.6}
                    if moved else None)


def plot_importance_performance(ipa: pd.DataFrame, level: str = ALL, team: str = "",
                                agent: str = "") -> Figure:
    """Importance-performance quadrant of one entity (level "all", "team" or "agent")."""
    rows = ipa[(ipa["level"] == level) & (ipa["team"] == team) & (ipa["agent"] == agent)]
    rows = rows[rows["quadrant"] != ""]
    name = {"all": "everyone in the filter", "team": team, "agent": f"{agent} ({team})"}[level]
    fig = _figure()
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, f"No importance-performance data for {name}.")
    x, y = rows["performance"].to_numpy(float), rows["importance"].to_numpy(float)
    lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    colours = [QUADRANT_COLOURS[q] for q in rows["quadrant"]]
    ax.errorbar(x, y, xerr=[np.nan_to_num(x - lo), np.nan_to_num(hi - x)], fmt="none",
                ecolor="#999999", elinewidth=1, capsize=2, zorder=1)
    ax.scatter(x, y, c=colours, s=60, zorder=2, edgecolors="white", linewidths=0.8)
    x_cut, y_cut = rows["x_cut"].iloc[0], rows["y_cut"].iloc[0]
    ax.axvline(x_cut, color="#666666", linestyle="--", linewidth=0.9)
    ax.axhline(y_cut, color="#666666", linestyle="--", linewidth=0.9)
    x_pad = max(0.05, (np.nanmax(hi) - np.nanmin(lo)) * 0.15)
    y_pad = max(0.02, (y.max() - y.min()) * 0.2)
    ax.set_xlim(max(0, np.nanmin(lo) - x_pad), min(1.02, np.nanmax(hi) + x_pad))
    ax.set_ylim(y.min() - y_pad, y.max() + y_pad)
    _label_points(ax, x, y, [f"{s} (n={n:,})" for s, n in zip(rows["skill"], rows["n"])], spans=(lo, hi))
    corners = ((0.01, 0.99, "left", "top", CONCENTRATE), (0.99, 0.99, "right", "top", KEEP_UP),
               (0.01, 0.01, "left", "bottom", LOW_PRIORITY), (0.99, 0.01, "right", "bottom", OVERKILL))
    for cx, cy, ha, va, label in corners:
        ax.text(cx, cy, label, transform=ax.transAxes, ha=ha, va=va, fontsize=10,
                color=QUADRANT_COLOURS[label], weight="bold", alpha=0.8)
    ax.set_xlabel("Performance: pass rate (yes/no skills) or mean score (0..1), 95% CI")
    ax.set_ylabel("Importance: association with CSAT\n(all filtered evaluations)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Importance-performance: {name}", loc="left", fontsize=13)
    _caption(fig,
             "Importance is measured on every evaluation in the filter, never on one agent alone "
             "(too few interactions). Dashed lines: the means of performance and importance "
             "(Martilla & James). 'Concentrate here': important to CSAT and below this "
             "entity's usual level. Whiskers: 95% CI of the performance.",
             CAUSATION)
    return fig


def plot_agent_heatmap(matrix: pd.DataFrame, *, sort_by: str | None = None,
                       max_agents: int = 30) -> Figure:
    """Agents x skills, each cell the agent's mean minus the team mean (diverging colours)."""
    data = matrix.sort_values(sort_by, kind="stable") if sort_by else matrix
    total = len(data)
    data = data.iloc[:max_agents]
    fig = _figure()
    ax = fig.add_subplot()
    if data.empty:
        return _empty(fig, ax, "No agents in the filter.")
    values = data.to_numpy(float)
    limit = max(0.05, float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.05)
    image = ax.imshow(values, cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    if isinstance(data.index, pd.MultiIndex):
        labels = [f"{agent} ({team})" for team, agent in data.index]
    else:
        labels = [str(i) for i in data.index]
    ax.set_yticks(np.arange(len(data)), labels, fontsize=8 if len(data) > 15 else 9)
    ax.set_xticks(np.arange(data.shape[1]), data.columns, rotation=30, ha="right", fontsize=9)
    if len(data) <= 30 and data.shape[1] <= 14:  # room for a number in each cell
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:+.2f}" if round(v, 2) else "0.00", ha="center", va="center", fontsize=7.5,
                        color="white" if abs(v) > limit * 0.6 else "#222222")
    if isinstance(data.index, pd.MultiIndex):  # a line between teams
        teams = data.index.get_level_values(0)
        for i in np.flatnonzero(teams[1:] != teams[:-1]):
            ax.axhline(i + 0.5, color="#222222", linewidth=1.2)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label("agent mean − team mean (score 0..1)")
    ax.set_title("Skill scores relative to the team mean", loc="left", fontsize=13)
    shown = f"Showing {len(data)} of {total} agents; filter by team to see others. " if total > len(data) else ""
    _caption(fig,
             shown + "Purple: the agent scores above their team on that skill; orange: below. "
             "Blank: not graded. Differences on few evaluations are noisy: check n in the "
             "coaching table.")
    return fig


def plot_trends(trends: pd.DataFrame, *, agent: str = "", team: str = "",
                metrics: Sequence[str] | None = None) -> Figure:
    """Mean score per period for each skill (and CSAT, dashed black) of everyone (no agent)
    or one agent. Points resting on fewer than 30 evaluations are hollow."""
    level = "agent" if agent else "all"
    rows = trends[(trends["level"] == level) & (trends["agent"] == agent)]
    if team:
        rows = rows[rows["team"] == team]
    fig = _figure()
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, "No dated evaluations to show a trend.")
    available = list(dict.fromkeys(rows["metric"]))
    names = available if metrics is None else [m for m in metrics if m in available]
    skills = [m for m in names if m != CSAT]
    hidden = len([m for m in available if m != CSAT]) - len(skills)
    for i, metric in enumerate([*skills, CSAT] if CSAT in names else skills):
        line = rows[rows["metric"] == metric].sort_values("period")
        if line.empty:
            continue
        is_csat = metric == CSAT
        colour = BLACK if is_csat else SERIES[i % len(SERIES)]
        style = "--" if is_csat or i >= len(SERIES) else "-"
        ax.plot(line["period"], line["mean"], style, color=colour, linewidth=2.4 if is_csat else 1.5,
                label=metric)
        few = line["n"] < MIN_N
        ax.scatter(line["period"][~few], line["mean"][~few], color=colour, s=14, zorder=3)
        ax.scatter(line["period"][few], line["mean"][few], facecolors="white", edgecolors=colour,
                   s=18, zorder=3)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Mean score / CSAT (0..1)")
    ax.grid(color="#E5E5E5")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8.5, frameon=False)
    who = f"{agent} ({team})" if agent and team else agent or "everyone in the filter"
    ax.set_title(f"Trends: {who}", loc="left", fontsize=13)
    ax.tick_params(axis="x", labelrotation=30)
    _caption(fig,
             "Lines: mean skill score per period; dashed black: mean CSAT (normalised to 0..1). "
             "Hollow points rest on fewer than 30 evaluations. A change over time is associated "
             "with whatever else changed at the same time."
             + (f" {hidden} more skill(s) not drawn; every skill is in the trends table." if hidden else ""))
    return fig
