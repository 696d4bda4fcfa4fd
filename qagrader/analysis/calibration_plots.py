"""Calibration charts, pure matplotlib (tables of `calibration` in, `Figure` out): alpha and
percent agreement per question with Krippendorff's thresholds marked, each grader's alignment
and leniency with intervals, and both across sessions. The GUI passes its theme's colours; the
CLI saves the same figures."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .calibration import ALL, CONSENSUS, RELIABLE, TENTATIVE

GREEN, ORANGE, VERMILLION, BLUE, SKY = "#009E73", "#E69F00", "#D55E00", "#0072B2", "#56B4E9"
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, "#CC79A7", SKY, "#8C6D1F", "#332288")
READING_COLOURS = {"reliable": GREEN, "tentative": ORANGE, "unreliable": VERMILLION}
READING_GUIDE = (f"Krippendorff's reading guide: alpha >= {RELIABLE:.3f} reliable, >= {TENTATIVE:.3f} tentative "
                 "(draw only cautious conclusions), below that the graders do not read the question alike.")
CHANCE_NOTE = ("Alpha is agreement corrected for chance: a question almost always answered 'Yes' can agree 95% "
               "of the time and still have a low alpha, so read the two together.")


@dataclass(frozen=True)
class Theme:
    foreground: str = "#202124"
    background: str = "#ffffff"


def _figure(size: tuple[float, float], theme: Theme) -> Figure:
    return Figure(figsize=size, dpi=100, layout="constrained", facecolor=theme.background)


def _style(ax, theme: Theme) -> None:
    ax.set_facecolor(theme.background)
    for spine in ax.spines.values():
        spine.set_color(theme.foreground)
        spine.set_alpha(0.35)
    ax.tick_params(colors=theme.foreground, labelsize=8.5)
    ax.xaxis.label.set_color(theme.foreground)
    ax.yaxis.label.set_color(theme.foreground)
    ax.title.set_color(theme.foreground)


def _caption(fig: Figure, theme: Theme, *lines: str) -> None:
    width = int(fig.get_figwidth() * 15.5)
    text = "\n".join(textwrap.fill(line, width) for line in lines if line)
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8.5, color=theme.foreground, alpha=0.85, linespacing=1.3)


def _empty(fig: Figure, theme: Theme, message: str) -> Figure:
    ax = fig.add_subplot()
    _style(ax, theme)
    ax.set_axis_off()
    ax.text(0.5, 0.5, textwrap.fill(message, 70), ha="center", va="center", fontsize=11,
            color=theme.foreground, transform=ax.transAxes)
    return fig


def _two_lines(text: str, width: int) -> str:
    """`text` wrapped at `width` characters, at most two lines (the rest shortened to "…")."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def _short(text: str, width: int = 44) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def plot_agreement(agreement: pd.DataFrame, session: str = ALL, *, scorecard: str | None = None,
                   theme: Theme = Theme(), size: tuple[float, float] = (10.0, 6.0)) -> Figure:
    """Alpha per question (bars coloured by Krippendorff's reading, thresholds as dashed lines)
    and percent agreement (diamonds, on the same 0..1 scale) for one session or `all`
    (optionally one scorecard's questions), grouped by scorecard, lowest alpha first."""
    rows = agreement[agreement["session"] == session]
    if scorecard:
        rows = rows[rows["scorecard"] == scorecard]
    height = max(size[1], 0.34 * len(rows) + 2.4)
    fig = _figure((size[0], height), theme)
    if rows.empty:
        return _empty(fig, theme, "No closed calibration session yet: results appear once a session is closed.")
    ax = fig.add_subplot()
    _style(ax, theme)
    rows = rows.assign(_key=rows["alpha"].astype(float).fillna(np.inf)).sort_values(
        ["scorecard", "_key"], kind="stable")  # the questions graders read most differently first
    several = rows["scorecard"].nunique() > 1
    y = np.arange(len(rows))
    alpha = rows["alpha"].astype(float).to_numpy()
    shown = ~np.isnan(alpha)
    colours = [READING_COLOURS.get(r, "#999999") for r in rows["reading"]]
    ax.barh(y[shown], alpha[shown], color=np.array(colours)[shown], height=0.62, zorder=2)
    percent = rows["percent_agreement"].astype(float).to_numpy() / 100.0
    has = ~np.isnan(percent)
    ax.scatter(percent[has], y[has], marker="D", s=34, color=theme.background, edgecolors=theme.foreground,
               linewidths=1.3, zorder=4)
    low = min(-0.2, float(np.nanmin(alpha)) - 0.05) if shown.any() else -0.2
    for value, label, align in ((TENTATIVE, f"tentative {TENTATIVE:.3f} ", "right"),
                                (RELIABLE, f" {RELIABLE:.3f} reliable", "left")):
        ax.axvline(value, color=theme.foreground, linestyle="--", linewidth=1, alpha=0.6, zorder=1)
        ax.text(value, 1.0, label, transform=ax.get_xaxis_transform(), ha=align, va="bottom", fontsize=8,
                color=theme.foreground)
    ax.axvline(0, color=theme.foreground, linewidth=0.8, alpha=0.4)
    for position, a, p, reason in zip(y, alpha, percent, rows["reason"]):
        if np.isnan(a):
            note = "alpha undefined" + (f": {reason.split(':')[0]}" if reason else "")
            ax.text(0.02, position, _two_lines(note, int(fig.get_figwidth() * 4)), va="center", fontsize=8,
                    color=theme.foreground, alpha=0.85, linespacing=1.0)
        else:
            ax.text(max(a, 0) + 0.015 if np.isnan(p) or abs(p - a) > 0.08 else max(a, p) + 0.03, position,
                    f"{a:.2f}", va="center", fontsize=8, color=theme.foreground)
    room = max(24, min(44, int(fig.get_figwidth() * 4.8)))  # label characters the figure's width allows
    labels = [f"{f'{card}: ' if several else ''}{_short(text, room - 4 if several else room)}"
              f"{f' ({skill})' if skill else ''}\n{items} items, {graders} graders"
              for card, text, skill, items, graders in zip(rows["scorecard"], rows["question_text"], rows["skill"],
                                                            rows["items"], rows["graders"])]
    ax.set_yticks(y, labels, fontsize=8.5 if len(rows) <= 14 else 7.5)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(low, 1.08)
    ax.set_xlabel(textwrap.fill("Krippendorff's alpha (bars) and percent agreement / 100 (diamonds)",
                                int(fig.get_figwidth() * 5)))  # under an axes about half the figure wide
    ax.grid(axis="x", alpha=0.15, color=theme.foreground)
    title = "all closed sessions" if session == ALL else session
    narrow = fig.get_figwidth() < 7.5  # the legend's two columns and the title share the top line
    fig.suptitle(textwrap.fill(f"Do graders agree? {title}{f' ({scorecard})' if scorecard else ''}",
                               int(fig.get_figwidth() * (5.5 if narrow else 11))), x=0.01, ha="left", fontsize=11,
                 color=theme.foreground)
    legend = [Line2D([], [], color=READING_COLOURS[r], linewidth=8, label=r) for r in READING_COLOURS]
    legend.append(Line2D([], [], marker="D", linestyle="", markerfacecolor=theme.background,
                         markeredgecolor=theme.foreground, label="percent agreement"))
    leg = fig.legend(handles=legend, loc="outside upper right", fontsize=8, frameon=False, ncols=2 if narrow else 4)
    for text in leg.get_texts():
        text.set_color(theme.foreground)
    _caption(fig, theme, READING_GUIDE, CHANCE_NOTE,
             "Yes/no and options questions: nominal alpha, N/A an answer of its own; scales: ordinal alpha, "
             "N/A left out.")
    return fig


def _interval_whiskers(ax, values: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, theme: Theme) -> None:
    """Horizontal interval whiskers around `values`, skipped where the interval is undefined."""
    ok = ~np.isnan(low)
    ax.errorbar(values[ok], y[ok], xerr=[values[ok] - low[ok], high[ok] - values[ok]], fmt="none",
                ecolor=theme.foreground, elinewidth=1.1, capsize=3, zorder=3)



def plot_graders(graders: pd.DataFrame, session: str = ALL, *, theme: Theme = Theme(),
                 size: tuple[float, float] = (10.0, 5.0)) -> Figure:
    """Each grader's alignment with the benchmark (percent, Wilson 95% interval) and leniency
    (score points above the benchmark, t 95% interval) for one session or `all`."""
    rows = graders[(graders["session"] == session) & (graders["role"] == "grader")]
    fig = _figure((size[0], max(size[1], 0.42 * len(rows) + 2.4)), theme)
    if rows.empty:
        return _empty(fig, theme, "No grader to compare yet: alignment needs a closed session in which a "
                                  "grader and the benchmark graded the same interactions.")
    rows = rows.sort_values("alignment", ascending=True, kind="stable")
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.1, 1]})
    y = np.arange(len(rows))
    labels = [f"{g}\n{items} items" for g, items in zip(rows["grader"], rows["items"])]
    for ax in (left, right):
        _style(ax, theme)
        ax.grid(axis="x", alpha=0.15, color=theme.foreground)
    alignment = rows["alignment"].astype(float).to_numpy()
    low, high = rows["alignment_low"].astype(float).to_numpy(), rows["alignment_high"].astype(float).to_numpy()
    left.barh(y, alignment, color=BLUE, height=0.6, zorder=2)
    _interval_whiskers(left, alignment, y, low, high, theme)
    for position, value, n in zip(y, alignment, rows["alignment_n"]):
        if not np.isnan(value):
            left.text(2, position, f"{value:.0f}%  (n={n} answers)", va="center", fontsize=8, color="white",
                      zorder=4)
    left.set_xlim(0, 100)
    left.set_yticks(y, labels, fontsize=8.5)
    room = int(fig.get_figwidth() * 4.5)  # characters under each half of a figure this wide
    left.set_xlabel(textwrap.fill("Alignment: % of answers equal to the benchmark's", room))
    leniency = rows["leniency"].astype(float).to_numpy()
    l_low, l_high = rows["leniency_low"].astype(float).to_numpy(), rows["leniency_high"].astype(float).to_numpy()
    right.axvline(0, color=theme.foreground, linewidth=1, alpha=0.6)
    colour = [VERMILLION if v > 0 else SKY for v in np.nan_to_num(leniency)]
    right.scatter(leniency, y, color=colour, s=40, zorder=4)
    _interval_whiskers(right, leniency, y, l_low, l_high, theme)
    for position, value, n in zip(y, leniency, rows["leniency_n"]):
        if not np.isnan(value):
            right.annotate(f"{value:+.1f} pts (n={n})", (value, position), textcoords="offset points",
                           xytext=(0, 8), ha="center", fontsize=8, color=theme.foreground)
    span = np.nanmax(np.abs(np.concatenate([leniency, l_low, l_high]))) if np.isfinite(leniency).any() else 5
    span = max(5.0, float(np.nan_to_num(span)) * 1.25)
    right.set_xlim(-span, span)
    right.set_ylim(len(rows) - 0.4, -0.6)
    right.set_xlabel(textwrap.fill("Leniency: mean score points above the benchmark", room))
    benchmark = rows["benchmark"].iloc[0]
    against = "the consensus of the other graders" if benchmark == CONSENSUS else (
        "each session's benchmark" if benchmark == "per session" else benchmark)
    title = "All closed sessions" if session == ALL else f"Session: {session}"
    fig.suptitle(textwrap.fill(f"Graders against {against} — {title}", int(fig.get_figwidth() * 11)), x=0.01,
                 ha="left", fontsize=11, color=theme.foreground)
    _caption(fig, theme,
             "Whiskers: 95% intervals (Wilson for alignment, t for leniency). Right of zero: more lenient "
             "than the benchmark, left: stricter. n counts the answers or interactions compared.")
    return fig


def plot_trends(trend: pd.DataFrame, *, theme: Theme = Theme(), size: tuple[float, float] = (10.0, 4.6)) -> Figure:
    """Each grader's alignment and leniency across sessions (`calibration.trend`)."""
    fig = _figure(size, theme)
    if trend.empty or trend["held_on"].nunique() < 2:
        return _empty(fig, theme, "Trends need two closed sessions or more: each grader's alignment and "
                                  "leniency will show here session by session.")
    left, right = fig.subplots(1, 2)
    days = sorted(trend["held_on"].unique())
    x = {day: n for n, day in enumerate(days)}
    names = {day: " / ".join(dict.fromkeys(trend.loc[trend["held_on"] == day, "session"])) for day in days}
    room = max(8, min(26, int(fig.get_figwidth() * 100 / 2 / len(days) / 6.5)))  # characters per tick label
    ticks = [f"{_two_lines(names[day], room)}\n{day}" for day in days]
    for ax in (left, right):
        _style(ax, theme)
        ax.grid(alpha=0.15, color=theme.foreground)
        ax.set_xticks(range(len(days)), ticks, fontsize=7.5)
    for colour, (grader, rows) in zip(SERIES * 4, trend.groupby("grader", sort=True)):
        positions = [x[d] for d in rows["held_on"]]
        left.plot(positions, rows["alignment"], marker="o", color=colour, label=grader, linewidth=1.6)
        right.plot(positions, rows["leniency"], marker="o", color=colour, label=grader, linewidth=1.6)
    left.set_ylim(0, 105)
    left.set_ylabel("Alignment (%)")
    right.axhline(0, color=theme.foreground, linewidth=1, alpha=0.6)
    right.set_ylabel("Leniency (score points)")
    half = int(fig.get_figwidth() * 5.5)  # characters a title over half the figure can take
    left.set_title(textwrap.fill("Alignment with the benchmark, by session", half), loc="left", fontsize=10.5,
                   color=theme.foreground)
    right.set_title(textwrap.fill("Leniency, by session", half), loc="left", fontsize=10.5, color=theme.foreground)
    leg = left.legend(fontsize=8, frameon=False, loc="lower left")
    for text in leg.get_texts():
        text.set_color(theme.foreground)
    return fig
