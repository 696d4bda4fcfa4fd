"""Pure plotting functions: analysis tables in, `matplotlib.figure.Figure` out.

No pyplot state: the GUI embeds the figures in a canvas, the CLI saves them. Colours are the
Okabe-Ito colour-blind-safe palette; every chart carries a plain-language caption. A behaviour
to avoid is labelled "(happened)": its numbers are its occurrence, so a negative bar means the
behaviour goes with lower CSAT.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from qagrader.core.interactions.channels import channel_label

from .calibration import UNDERSTATED, reliability_caption, skill_alpha_label
from .channel_differences import differing_skills
from .correlation import ALL, MIN_N
from .drivers import LMG
from .ipa import CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL
from .summary import channel_sentence, confounding_sentence, skill_label
from .trends import CSAT

if TYPE_CHECKING:
    from .report import DataNotes

BLUE, VERMILLION, ORANGE, SKY = "#0072B2", "#D55E00", "#E69F00", "#56B4E9"
GREEN, YELLOW, PURPLE, BLACK, GREY = "#009E73", "#F0E442", "#CC79A7", "#000000", "#BBBBBB"
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#8C6D1F", "#332288")
FIGSIZE = (10.0, 6.0)  # 1000 x 600 px at 100 dpi
ALPHA = 0.05
CAUSATION = "'Associated with' is not 'caused by': correlation is not causation."
N_MEANS = "n: interactions with both a grade and a CSAT survey (several grades of one interaction count once)."
OCCURRENCE_NOTE = ("'(happened)': a behaviour to avoid, measured as how often it happened, so a "
                   "negative value means it goes with lower CSAT.")
MANY_ROWS = 14  # more skills than this: one-line labels, smaller type


def _figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    return Figure(figsize=figsize, dpi=100, layout="constrained")


def _caption(fig: Figure, *lines: str) -> None:
    """Plain-language notes under the chart (kept inside the figure by constrained layout)."""
    width = int(fig.get_figwidth() * 15.5)
    text = "\n".join(textwrap.fill(line, width) for line in lines if line)
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8.5, color="#333333", linespacing=1.3)


def _empty(fig: Figure, ax, message: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, textwrap.fill(message, 70), ha="center", va="center", fontsize=12,
            transform=ax.transAxes)
    return fig


def _significant(rows: pd.DataFrame) -> np.ndarray:
    return (rows["q_value"] < ALPHA).to_numpy()


def _missing_text(n: int, note: str = "") -> str:
    """Why a cell has no number."""
    if n < MIN_N:
        return f"too few (n={n:,})"
    return note if note and note not in ("unstable",) else "no variation"


def _signed(value: float) -> str:
    """+0.12 / -0.12, and 0.00 (never -0.00) for what rounds to zero."""
    return "0.00" if round(value, 2) == 0 else f"{value:+.2f}"


def _n_label(n: int, unstable: bool) -> str:
    return f"n={n:,}" + (", unstable" if unstable and n >= MIN_N else "")


def _labels(rows: pd.DataFrame) -> list[str]:
    polarity = rows["polarity"] if "polarity" in rows else pd.Series("positive", index=rows.index)
    return [skill_label(s, p) for s, p in zip(rows["skill"], polarity)]


def _whisker_note(rows: pd.DataFrame) -> str:
    level = rows["adj_level"].dropna()
    if level.empty:
        return ""
    return ("Whiskers: intervals adjusted for testing every skill and channel at once "
            f"(Benjamini-Yekutieli, {level.iloc[0]:.1%} each), so a whisker clears zero exactly "
            "when its bar is coloured (q < 0.05).")


def _interval_note(rows: pd.DataFrame) -> str:
    method = rows["interval"] if "interval" in rows else pd.Series(dtype=str)
    if (method == "independent (too few agents)").any():
        return ("Too few agents to allow for one agent's interactions going together: intervals "
                "treat interactions as independent and may be too narrow.")
    if (method == "agent clusters").any():
        return "Intervals allow for one agent's interactions going together (delete-one-agent jackknife)."
    return ""


def simpson_warning(correlations: pd.DataFrame) -> str:
    """A warning naming the skills whose pooled and within associations disagree ("" if none)."""
    text = confounding_sentence(correlations)
    return f"Warning: {text}" if text else ""


def _tall(rows: int, figsize: tuple[float, float] | None) -> tuple[tuple[float, float], bool]:
    """The figure size for `rows` bars and whether they need one-line labels: two-line labels
    need about 28 px a row at 100 dpi; `figsize` is the size the chart will be shown at."""
    if figsize is None:
        many = rows > MANY_ROWS
        return ((FIGSIZE[0], max(FIGSIZE[1], 0.26 * rows + 2.2)) if many else FIGSIZE), many
    return figsize, figsize[1] * 100 * 0.72 / max(rows, 1) < 28


def plot_correlations(correlations: pd.DataFrame, channel: str = ALL, *,
                      notes: "DataNotes | None" = None,
                      figsize: tuple[float, float] | None = None,
                      reliability: pd.DataFrame | None = None) -> Figure:
    """Horizontal bars of rho per skill for one channel, sorted, with whiskers adjusted for
    multiple testing (they clear zero exactly when the bar is coloured).

    Blue: positive, vermillion: negative, grey: not significant (q >= 0.05); cells without a
    number are written as text. `notes` adds the data warnings (no CSAT, CSAT visible).
    `figsize` (inches at 100 dpi): the size it will be shown at, for labels that fit.
    `reliability` (`calibration.skill_reliability`): each skill's calibration alpha beside its
    name, and below 0.667 the warning that its association is understated, in words."""
    rows = correlations[correlations["channel"] == channel]
    size, many = _tall(len(rows), figsize)
    fig = _figure(size)
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, f"No interactions for channel '{channel}'.")
    if notes is not None and notes.with_csat == 0:
        return _empty(fig, ax, f"No CSAT survey among these {notes.interactions:,} interactions: "
                               "no skill can be related to CSAT.")
    rows = rows.assign(_key=rows["rho"].fillna(-np.inf)).sort_values("_key", kind="stable")
    y = np.arange(len(rows))
    rho = rows["rho"].to_numpy(dtype=float)
    low, high = rows["adj_ci_low"].to_numpy(float), rows["adj_ci_high"].to_numpy(float)
    within = rows["within_rho"].to_numpy(float) if channel == ALL else np.full(len(rows), np.nan)
    shown, has_within = ~np.isnan(rho), ~np.isnan(within)
    colours = np.where(~_significant(rows), GREY, np.where(rho >= 0, BLUE, VERMILLION))
    ax.barh(y[shown], rho[shown], color=colours[shown], height=0.65)
    whisk = shown & np.isfinite(low) & np.isfinite(high)
    ax.errorbar(rho[whisk], y[whisk], xerr=[rho[whisk] - low[whisk], high[whisk] - rho[whisk]],
                fmt="none", ecolor="#222222", elinewidth=1.2, capsize=3)
    ax.scatter(within[has_within], y[has_within], marker="D", s=30, color="white",
               edgecolors="#111111", linewidths=1.2, zorder=4)
    flags = rows["simpson_flag"].fillna(False).to_numpy(dtype=bool)
    separator = "  " if many else "\n"
    alphas = [skill_alpha_label(reliability, skill) for skill in rows["skill"]]
    labels = [f"{label}{'  (!)' if f else ''}{f'  {a}' if a else ''}{f', {UNDERSTATED}' if weak else ''}"
              f"{separator}{_n_label(n, u)}"
              for label, n, u, f, (a, weak) in zip(_labels(rows), rows["n"], rows["unstable"], flags, alphas)]
    warned = any(weak for _, weak in alphas)  # longer, bold labels: a size smaller
    ax.set_yticks(y, labels, fontsize=(7.5 if warned else 8) if many else (8 if warned else 9))
    for tick, (_, weak) in zip(ax.get_yticklabels(), alphas):
        if weak:  # a warning, in words: bold, not in a bar's colour
            tick.set_fontweight("bold")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    extent = np.r_[low[whisk], high[whisk], within[has_within], rho[shown], 0.0]
    left, right = min(-0.05, np.nanmin(extent)), max(0.05, np.nanmax(extent))
    pad = (right - left) * 0.03
    for yi, r, n, ok, note in zip(y, rho, rows["n"], shown, rows["note"]):
        if not ok:
            ax.text(0, yi, "  " + _missing_text(n, note), va="center", ha="left",
                    fontsize=8 if many else 9, style="italic", color="#555555")
            continue
        points = [r, low[yi], high[yi], within[yi]]
        edge = np.nanmax(points) + pad if r >= 0 else np.nanmin(points) - pad
        ax.text(edge, yi, _signed(r), va="center", ha="left" if r >= 0 else "right",
                fontsize=8 if many else 8.5, color="#222222")
    ax.set_xlim(left - pad * 4, right + pad * 4)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlabel("Spearman rho with CSAT (-1 .. +1)")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    where = "all channels" if channel == ALL else f"channel: {channel_label(channel)}"
    ax.set_title(f"Which skills are associated with CSAT ({where})", loc="left", fontsize=13)
    handles = [Patch(color=BLUE, label="positive"), Patch(color=VERMILLION, label="negative"),
               Patch(color=GREY, label="not significant (q ≥ 0.05)")]
    if has_within.any():
        handles.append(Line2D([], [], marker="D", linestyle="none", markerfacecolor="white",
                              markeredgecolor="#111111", label="within channel & brand"))
    ax.legend(handles=handles, loc="best", fontsize=8.5, frameon=False)
    negative = (rows.get("polarity", pd.Series(dtype=str)) == "negative").any()
    visible = notes is not None and notes.csat_visible > 0
    _caption(fig,
             "Bars: Spearman correlation between each skill's score and the customer's CSAT. "
             + N_MEANS + " " + _whisker_note(rows) + " Grey bars are not significant after "
             "correcting for testing many skills at once (Benjamini-Hochberg q ≥ 0.05). Fewer "
             "than 250 interactions: unstable."
             + (" Diamonds: the correlation within each channel and brand, pooled." if channel == ALL else ""),
             OCCURRENCE_NOTE if negative else "",
             _interval_note(rows), CAUSATION,
             simpson_warning(correlations) if channel == ALL else "",
             f"Warning: graders could see CSAT while grading {notes.csat_visible:,} of these "
             "interactions, which can inflate these correlations." if visible else "",
             reliability_caption(reliability))
    return fig


def plot_channel_correlations(correlations: pd.DataFrame,
                              differences: pd.DataFrame | None = None, *,
                              figsize: tuple[float, float] | None = None) -> Figure:
    """Grouped horizontal bars: rho per skill for each channel, 95% CI whiskers; faded and
    hatched bars are not significant, cells with too few pairs are marked "too few". Skills
    whose association differs between channels (the difference holds, see
    `channel_differences`) are marked ≠ with the channels named beside the chart."""
    channels = [c for c in dict.fromkeys(correlations["channel"]) if c != ALL]
    pooled = correlations[correlations["channel"] == ALL].set_index("skill")
    many = len(pooled) > MANY_ROWS
    fig = _figure(figsize or ((FIGSIZE[0], max(FIGSIZE[1], 0.3 * len(pooled) + 2.2)) if many else FIGSIZE))
    ax = fig.add_subplot()
    if not channels:
        return _empty(fig, ax, "No channel to compare.")
    skills = list(pooled["rho"].fillna(-np.inf).sort_values(kind="stable").index)
    polarity = pooled["polarity"] if "polarity" in pooled else pd.Series("positive", index=pooled.index)
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
        lo, hi = rows["adj_ci_low"].to_numpy(float), rows["adj_ci_high"].to_numpy(float)
        whisk = shown & np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(rho[whisk], y[whisk], xerr=[rho[whisk] - lo[whisk], hi[whisk] - rho[whisk]],
                    fmt="none", ecolor="#333333", elinewidth=0.9, capsize=2)
        for yi, n, note in zip(y[~shown], rows["n"].fillna(0).astype(int)[~shown], rows["note"].fillna("")[~shown]):
            ax.text(0, yi, " " + _missing_text(n, note), va="center", ha="left", fontsize=7,
                    style="italic", color=colour)
    marks = _difference_marks(differences)
    labels = [skill_label(s, polarity.get(s)) + ("  ≠" if s in marks else "") for s in skills]
    ax.set_yticks(np.arange(len(skills)), labels, fontsize=8 if many else 9)
    for tick, skill in zip(ax.get_yticklabels(), skills):
        if skill in marks:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.5, len(skills) - 0.5)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlabel("Spearman rho with CSAT")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    left, right = ax.get_xlim()
    span = right - left
    ax.set_xlim(left, right + span * (0.45 if marks else 0.05))
    for yi, skill in enumerate(skills):
        if skill in marks:
            ax.text(right + span * 0.03, yi, "≠ " + marks[skill], va="center", ha="left",
                    fontsize=7.5, color="#222222")
    ax.set_title("Association with CSAT by channel", loc="left", fontsize=13)
    handles = [Patch(color=SERIES[i % len(SERIES)], label=channel_label(c)) for i, c in enumerate(channels)]
    handles.append(Patch(facecolor="white", edgecolor="#666666", hatch="///",
                         label="not significant"))
    ax.legend(handles=handles, loc="lower right", fontsize=8.5, frameon=False)
    n = correlations[correlations["channel"] != ALL].groupby("channel")["n"].max()
    _caption(fig,
             "Each bar: Spearman correlation of the skill with CSAT within one channel ("
             + ", ".join(f"{c}: up to n={n.get(c, 0):,}" for c in channels) + "). "
             + _whisker_note(correlations) + " Faded, hatched bars: not significant (q ≥ 0.05). "
             "≠: the skill's association differs between those channels, tested directly "
             "(difference of the two correlations, corrected for testing every skill and pair).",
             channel_sentence(differences, dict(polarity)) if differences is not None else "",
             CAUSATION)
    return fig


def _difference_marks(differences: pd.DataFrame | None) -> dict[str, str]:
    """Skill -> "phone > email, chat" for the differences that hold."""
    if differences is None or differences.empty:
        return {}
    order = list(dict.fromkeys([*differences["channel_a"], *differences["channel_b"]]))
    marks: dict[str, dict[str, list[str]]] = {}
    for found in differing_skills(differences):  # "high > low": the bars' order on the chart
        marks.setdefault(found.skill, {}).setdefault(found.high, []).append(found.low)
    return {s: "; ".join(f"{high} > {', '.join(sorted(low, key=order.index))}" for high, low in v.items())
            for s, v in marks.items()}


def _unit(table: pd.DataFrame) -> tuple[str, str, float]:
    """Column suffix, axis words and scale for CSAT differences: survey points when the
    selection has one scale, else CSAT 0..1."""
    scale = table["csat_scale"].dropna()
    name = scale.iloc[0] if len(scale) else ""
    if name and name != "mixed":
        return "_points", f"CSAT points on the {name} scale", 1.0
    return "", "CSAT (0 to 1)", 1.0


def plot_effects(effects: pd.DataFrame, channel: str = ALL, *,
                 figsize: tuple[float, float] | None = None) -> Figure:
    """Per skill: CSAT with the skill minus without it (met vs not met; for a behaviour to
    avoid, happened vs did not), in survey points, with 95% CI whiskers and n per side."""
    rows = effects[effects["channel"] == channel]
    size, many = _tall(len(rows), figsize)
    fig = _figure(size)
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, "No skills to compare.")
    if rows["n_surveyed_with"].fillna(0).sum() + rows["n_surveyed_without"].fillna(0).sum() == 0:
        return _empty(fig, ax, "No CSAT survey in this selection: the cost of a missed skill "
                               "cannot be measured.")
    suffix, words, _ = _unit(rows)
    diff = rows[f"csat_diff{suffix}"].to_numpy(float)
    rows = rows.assign(_key=np.nan_to_num(diff, nan=-np.inf)).sort_values("_key", kind="stable")
    diff = rows[f"csat_diff{suffix}"].to_numpy(float)
    low = rows[f"csat_diff{suffix}_ci_low"].to_numpy(float)
    high = rows[f"csat_diff{suffix}_ci_high"].to_numpy(float)
    y = np.arange(len(rows))
    shown = np.isfinite(diff)
    clear = (low > 0) | (high < 0)
    colours = np.where(~clear, GREY, np.where(diff >= 0, BLUE, VERMILLION))
    ax.barh(y[shown], diff[shown], color=colours[shown], height=0.65)
    ax.errorbar(diff[shown], y[shown], xerr=[diff[shown] - low[shown], high[shown] - diff[shown]],
                fmt="none", ecolor="#222222", elinewidth=1.2, capsize=3)
    labels = [f"{label}{'  ' if many else chr(10)}with {w:,} · without {wo:,}"
              for label, w, wo in zip(_labels(rows), rows["n_surveyed_with"], rows["n_surveyed_without"])]
    ax.set_yticks(y, labels, fontsize=8 if many else 9)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    extent = np.r_[low[shown], high[shown], 0.0]
    left, right = min(-0.05, np.nanmin(extent)), max(0.05, np.nanmax(extent))
    pad = (right - left) * 0.03
    for yi, d, note, ok in zip(y, diff, rows["note"], shown):
        if not ok:
            ax.text(0, yi, "  " + (note or "no difference to measure"), va="center", ha="left",
                    fontsize=8.5, style="italic", color="#555555")
            continue
        edge = max(d, high[yi]) + pad if d >= 0 else min(d, low[yi]) - pad
        ax.text(edge, yi, _signed(d), va="center", ha="left" if d >= 0 else "right", fontsize=8.5)
    ax.set_xlim(left - pad * 5, right + pad * 5)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlabel(f"CSAT with the skill minus without ({words})")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    where = "all channels" if channel == ALL else f"channel: {channel_label(channel)}"
    ax.set_title(f"CSAT when a skill is met vs not met, per interaction ({where})", loc="left", fontsize=12)
    negative = (rows["polarity"] == "negative").any()
    _caption(fig,
             "Each bar: mean CSAT of the interactions where the skill was met (more than half its "
             "points: yes/no Yes, a 1-5 scale 4 or 5) minus those where it was not; for a "
             "behaviour to avoid, where it happened minus where it did not. A rarely missed "
             "skill can have a small correlation and still a large difference here. Whiskers: 95% "
             "CI; grey: the interval includes 0. with/without: surveyed interactions on each side.",
             OCCURRENCE_NOTE if negative else "", _interval_note(rows), CAUSATION)
    return fig


def plot_dose_response(dose: pd.DataFrame, channel: str = ALL,
                       skills: Sequence[str] | None = None) -> Figure:
    """Small multiples: mean CSAT (95% CI) at each score level of every skill with more than
    two levels (scales), in survey points when the selection has one scale."""
    rows = dose[dose["channel"] == channel]
    names = list(dict.fromkeys(rows["skill"])) if skills is None else [s for s in skills if s in set(rows["skill"])]
    fig = _figure()
    if not names:
        return _empty(fig, fig.add_subplot(), "No skill with more than two score levels (scales) "
                                               "in this selection.")
    names = names[:12]
    columns = min(4, len(names))
    lines = int(np.ceil(len(names) / columns))
    grid = fig.add_gridspec(lines, columns)
    axes = np.empty((lines, columns), dtype=object)  # only the cells that show a skill get axes
    for k in range(len(names)):
        axes.flat[k] = fig.add_subplot(grid[k // columns, k % columns],
                                       sharey=axes.flat[0] if k else None)
    scale = rows["csat_scale"].dropna()
    points = len(scale) and scale.iloc[0] not in ("", "mixed")
    value, low, high = (("csat_points", "points_ci_low", "points_ci_high") if points
                        else ("csat_mean", "ci_low", "ci_high"))
    for ax, skill in zip(axes.ravel(), names):
        mine = rows[rows["skill"] == skill].sort_values("level")
        x, v = mine["level"].to_numpy(float), mine[value].to_numpy(float)
        lo, hi = mine[low].to_numpy(float), mine[high].to_numpy(float)
        ok = np.isfinite(v)
        ax.plot(x[ok], v[ok], "-", color=BLUE, linewidth=1.2)
        ax.errorbar(x[ok], v[ok], yerr=[v[ok] - lo[ok], hi[ok] - v[ok]], fmt="o", color=BLUE,
                    ecolor="#444444", markersize=4, capsize=2, elinewidth=0.9)
        for xi, n in zip(x, mine["n_surveyed"]):
            ax.annotate(f"{int(n):,}", (xi, 0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", fontsize=6.5, color="#666666")
        polarity = mine["polarity"].iloc[0] if len(mine) else "positive"
        ax.set_title(textwrap.shorten(skill_label(skill, polarity), 30), fontsize=9, loc="left")
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "¼", "½", "¾", "1"], fontsize=8)
        ax.set_xlim(-0.12, 1.12)
        ax.grid(color="#EEEEEE")
        ax.tick_params(axis="y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    unit = f"mean CSAT ({scale.iloc[0]} scale)" if points else "mean CSAT (0 to 1)"
    for ax in axes[:, 0]:
        ax.set_ylabel(unit, fontsize=8.5)
    for k in range(len(names)):
        if k % columns:  # shared y: its scale once per line, as subplots(sharey=True) draws it
            axes.flat[k].tick_params(axis="y", labelleft=False)
    where = "all channels" if channel == ALL else f"channel: {channel_label(channel)}"
    fig.suptitle(f"Mean CSAT at each score level ({where})", x=0.01, ha="left", fontsize=12)
    _caption(fig,
             "x: the skill's score as a share of its points (on a 1-5 scale: 1, 2, 3, 4, 5; a "
             "behaviour to avoid: how much of it happened), rounded to quarters. Points: mean "
             "CSAT of the interactions at that level, whiskers 95% CI; small numbers: surveyed "
             "interactions (levels under 30 have no point).", CAUSATION)
    return fig


def plot_drivers(drivers: pd.DataFrame, channel: str = ALL) -> Figure:
    """Horizontal bars of each skill's share of R^2 with 95% jackknife whiskers; R^2, n and the
    method actually used in the title and caption."""
    rows = drivers[drivers["channel"] == channel]
    fig = _figure()
    ax = fig.add_subplot()
    shown = rows[rows["share"].notna()]
    if shown.empty:
        n = int(rows["n"].max()) if len(rows) else 0
        return _empty(fig, ax, f"Too few complete interactions (CSAT and every skill graded) to "
                               f"estimate how the skills share CSAT's variance (n={n:,}).")
    shown = shown.sort_values("share", kind="stable")
    r2, n, method = shown["r2"].iloc[0], int(shown["n"].iloc[0]), shown["method"].iloc[0]
    y = np.arange(len(shown))
    share = shown["share_of_r2"].to_numpy(float) * 100
    ax.barh(y, share, color=BLUE, height=0.65)
    if "share_ci_low" in shown:
        low = shown["share_ci_low"].to_numpy(float) / r2 * 100
        high = shown["share_ci_high"].to_numpy(float) / r2 * 100
        ok = np.isfinite(low) & np.isfinite(high)
        ax.errorbar(share[ok], y[ok], xerr=[np.clip(share[ok] - low[ok], 0, None),
                                            np.clip(high[ok] - share[ok], 0, None)],
                    fmt="none", ecolor="#222222", elinewidth=1.1, capsize=3)
    else:
        high = share
    top = np.nanmax(np.r_[share, high])
    for yi, pct, raw, hi in zip(y, share, shown["share"], high):
        ax.text(max(pct, hi if np.isfinite(hi) else pct) + top * 0.01, yi,
                f" {pct:.0f}% of R²  ({raw:.3f})", va="center", fontsize=8.5)
    ax.set_yticks(y, _labels(shown), fontsize=9)
    ax.set_xlim(0, max(top * 1.3, 1))
    ax.set_xlabel("Share of the explained variance (% of R²), 95% interval")
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    where = "all channels" if channel == ALL else f"channel: {channel_label(channel)}"
    r2_low, r2_high = shown["r2_ci_low"].iloc[0], shown["r2_ci_high"].iloc[0]
    interval = f" (95% CI {r2_low:.3f} to {r2_high:.3f})" if np.isfinite(r2_low) else ""
    ax.set_title(f"How the skills share CSAT's variance ({where})\nTogether the skills are "
                 f"associated with R² = {r2:.3f}{interval}, {r2:.0%} of CSAT's variance;\n"
                 f"n={n:,} complete interactions", loc="left", fontsize=11)
    how = ("each skill's average gain in R² when added to a linear regression of CSAT on the "
           "skills, over every order of adding them (exact Shapley / LMG); the shares add up to R²"
           if method == LMG else
           "Johnson's relative weights (used above 15 skills instead of the exact LMG, which would "
           "need 2^k regressions): each skill's part of R² through uncorrelated stand-ins; the "
           "weights add up to R² and are close to LMG")
    replicates = int(shown["replicates"].iloc[0]) if "replicates" in shown else 0
    _caption(fig,
             f"Method: {method}: {how}. Skills that move together split the credit. Whiskers: 95% "
             f"interval, leaving out one of {replicates} groups of agents at a time (delete-a-group "
             "jackknife). Computed on interactions with "
             "CSAT and every included skill graded.",
             ("Not included (graded on too few surveyed interactions, or never varying): "
              + ", ".join(_labels(rows[rows["share"].isna()])) + ".")
             if rows["share"].isna().any() else "",
             "These shares describe association ('which skills go with CSAT'), not what drives "
             "it. " + CAUSATION)
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
    """Importance-performance chart of one entity (level "all", "team" or "agent"): x is
    performance on each skill against the same skill's reference (the rest of the team, or
    everyone else), y the CSAT that goes with meeting the skill."""
    rows = ipa[(ipa["level"] == level) & (ipa["team"] == team) & (ipa["agent"] == agent)]
    rows = rows[rows["performance"].notna() & rows["importance"].notna()]
    name = {"all": "everyone in the filter", "team": team, "agent": f"{agent} ({team})"}[level]
    fig = _figure()
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, f"No importance-performance data for {name} (importance needs "
                               "CSAT; performance needs graded interactions).")
    relative = level != ALL
    scale = 100.0  # percentage points / percent
    x = rows["performance"].to_numpy(float) * scale
    y = rows["importance"].to_numpy(float)
    lo, hi = rows["ci_low"].to_numpy(float) * scale, rows["ci_high"].to_numpy(float) * scale
    colours = [QUADRANT_COLOURS.get(q, "#555555") for q in rows["quadrant"]]
    ax.errorbar(x, y, xerr=[np.nan_to_num(x - lo), np.nan_to_num(hi - x)], fmt="none",
                ecolor="#999999", elinewidth=1, capsize=2, zorder=1)
    ax.scatter(x, y, c=colours, s=60, zorder=2, edgecolors="white", linewidths=0.8)
    y_cut = rows["y_cut"].iloc[0]
    ax.axhline(y_cut, color="#666666", linestyle="--", linewidth=0.9)
    if relative:
        ax.axvline(0, color="#666666", linestyle="--", linewidth=0.9)
        reach = max(5.0, np.nanmax(np.abs(np.r_[lo, hi])) * 1.15)
        ax.set_xlim(-reach, reach)
    else:
        x_pad = max(5.0, (np.nanmax(hi) - np.nanmin(lo)) * 0.15)
        ax.set_xlim(max(0, np.nanmin(lo) - x_pad), min(102, np.nanmax(hi) + x_pad))
    y_pad = max(0.02, (np.nanmax(y) - np.nanmin(y)) * 0.2)
    ax.set_ylim(min(np.nanmin(y), y_cut) - y_pad, max(np.nanmax(y), y_cut) + y_pad)
    labels = [f"{label} (n={n:,})" for label, n in zip(_labels(rows), rows["n"])]
    _label_points(ax, x, y, labels, spans=(lo, hi))
    if relative:
        corners = ((0.01, 0.99, "left", "top", CONCENTRATE), (0.99, 0.99, "right", "top", KEEP_UP),
                   (0.01, 0.01, "left", "bottom", LOW_PRIORITY), (0.99, 0.01, "right", "bottom", OVERKILL))
        for cx, cy, ha, va, label in corners:
            ax.text(cx, cy, label, transform=ax.transAxes, ha=ha, va=va, fontsize=10,
                    color=QUADRANT_COLOURS[label], weight="bold", alpha=0.8)
        reference = rows["compared_with"].iloc[0] if "compared_with" in rows else "reference"
        ax.set_xlabel(f"Performance vs {reference} on the same skill (percentage points, "
                      "better →), 95% CI")
    else:
        ax.set_xlabel("Share of interactions where the skill was met (or the behaviour avoided), %, 95% CI")
    ax.set_ylabel("Importance: CSAT gained per interaction when\nmet / avoided (CSAT 0 to 1, all filtered interactions)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Importance-performance: {name}", loc="left", fontsize=13)
    _caption(fig,
             "Importance: how much higher CSAT is, per interaction, when the skill is met (or the "
             "behaviour avoided), measured on every interaction in the filter, never on one agent "
             "alone. Dashed line across: the mean importance."
             + (" Across: the same skill's rate against the reference (0 = the same); 'Concentrate "
                "here': important and clearly below the reference (the interval lies below 0)."
                if relative else " Choose a team or an agent to compare each skill with its own "
                "reference (quadrants)."),
             CAUSATION)
    return fig


def plot_agent_heatmap(matrix: pd.DataFrame, counts: pd.DataFrame | None = None,
                       polarity: Mapping[str, str] | None = None, *, sort_by: str | None = None,
                       max_agents: int = 30, figsize: tuple[float, float] = FIGSIZE,
                       n_elsewhere: str = "") -> Figure:
    """Agents x skills: each cell the agent's (shrunk) rate minus the rest of their team's, in
    percentage points, with n; colours say better (purple) or worse (orange) than the team, in
    the skill's good direction (for a behaviour to avoid, happening more often is worse).
    `figsize` (inches at 100 dpi) is the size the chart will be shown at: cells write their
    number and n when both fit, the number alone when only it fits. `n_elsewhere` names where
    the n of each cell is written instead (e.g. the report's CSV file): the cells then hold the
    number alone (a file has no "Show table"; half the text to draw)."""
    data = matrix.sort_values(sort_by, kind="stable") if sort_by else matrix
    total = len(data)
    data = data.iloc[:max_agents]
    fig = _figure(figsize)
    ax = fig.add_subplot()
    if data.empty:
        return _empty(fig, ax, "No agents in the filter.")
    polarity = dict(polarity or {})
    sign = np.array([-1.0 if polarity.get(c) == "negative" else 1.0 for c in data.columns])
    values = data.to_numpy(float) * 100
    better = values * sign[None, :]
    limit = max(5.0, float(np.nanmax(np.abs(better))) if np.isfinite(better).any() else 5.0)
    image = ax.imshow(better, cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    if isinstance(data.index, pd.MultiIndex):
        labels = [f"{agent} ({team})" for team, agent in data.index]
    else:
        labels = [str(i) for i in data.index]
    n = counts.reindex(index=data.index, columns=data.columns).to_numpy(float) if counts is not None else None
    # room per cell: the axes take about 60% of the height, and the width the agents' names and
    # the colour bar leave; labels as large as their rows and columns allow (a point is 1.39 px
    # at 100 dpi), so that names never overlap in a small window
    cell_h = figsize[1] * 100 * 0.6 / len(data)
    row_font = float(np.clip(cell_h / 1.45, 5.5, 9.0))
    names_in = max(len(label) for label in labels) * row_font * 0.58 / 72
    cell_w = max(figsize[0] - names_in - 1.1, 1.0) * 100 / data.shape[1]
    column_font = float(np.clip(cell_w / 2.2, 6.0, 9.0))
    ax.set_yticks(np.arange(len(data)), labels, fontsize=row_font)
    ax.set_xticks(np.arange(data.shape[1]), [skill_label(c, polarity.get(c)) for c in data.columns],
                  rotation=30 if cell_w >= 40 else 45, ha="right", rotation_mode="anchor", fontsize=column_font)
    fontsize = 7.0 if cell_h >= 11 else 6.0
    char_w = fontsize * 0.62  # px per character at 100 dpi
    with_n = n is not None and not n_elsewhere and cell_w >= 9 * char_w
    if cell_w >= 3.5 * char_w and cell_h >= 8:
        for (i, j), v in np.ndenumerate(values):
            if not np.isfinite(v):
                continue
            text = f"{v:+.0f}" if round(v) else "0"
            if with_n and np.isfinite(n[i, j]):
                text += f" ({int(n[i, j])})"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, in_layout=False,  # inside its cell
                    color="white" if abs(better[i, j]) > limit * 0.6 else "#222222")
    if isinstance(data.index, pd.MultiIndex):  # a line between teams
        teams = data.index.get_level_values(0)
        for i in np.flatnonzero(teams[1:] != teams[:-1]):
            ax.axhline(i + 0.5, color="#222222", linewidth=1.2)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    small = figsize[1] < 4.5 or figsize[0] < 7
    colorbar.set_label("← worse · better than the team →" if small else
                       "worse than the team  ←  →  better (percentage points)", fontsize=8 if small else 10)
    colorbar.ax.tick_params(labelsize=7 if small else 9)
    fig.suptitle("Each agent against the rest of their team", x=0.01, ha="left", fontsize=10 if small else 13)
    shown = f"Showing {len(data)} of {total} agents; filter by team to see others. " if total > len(data) else ""
    where_n = ("In brackets: n, the agent's interactions graded on the skill. " if with_n else
               f"n per cell (the agent's interactions graded on the skill): in {n_elsewhere}. " if n_elsewhere else
               "n per cell: in the table behind the chart (Show table), or widen the chart. ")
    _caption(fig,
             shown + "Numbers: the agent's rate of meeting the skill (for a behaviour to avoid: "
             "of it happening) minus the rest of the team's, in percentage points, the agent's "
             "rate shrunk towards the team's when they have few interactions. " + where_n +
             "Purple: better than the team; orange: worse. Blank: not graded.")
    return fig


def plot_trends(trends: pd.DataFrame, *, agent: str = "", team: str = "",
                metrics: Sequence[str] | None = None,
                polarity: Mapping[str, str] | None = None) -> Figure:
    """Mean score per period for each skill (and CSAT, dashed black) of everyone (no agent)
    or one agent, with a shaded 95% interval; points resting on fewer than 30 interactions are
    hollow."""
    level = "agent" if agent else "all"
    rows = trends[(trends["level"] == level) & (trends["agent"] == agent)]
    if team:
        rows = rows[rows["team"] == team]
    fig = _figure()
    ax = fig.add_subplot()
    if rows.empty:
        return _empty(fig, ax, "No dated interactions to show a trend.")
    polarity = dict(polarity or {})
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
        label = metric if is_csat else skill_label(metric, polarity.get(metric))
        ax.plot(line["period"], line["mean"], style, color=colour, linewidth=2.4 if is_csat else 1.5,
                label=label)
        if "ci_low" in line and (is_csat or len(skills) <= 2):  # more bands would hide the lines
            ax.fill_between(line["period"], line["ci_low"].clip(0, 1), line["ci_high"].clip(0, 1),
                            color=colour, alpha=0.10 if is_csat else 0.14, linewidth=0)
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
             "Shaded: 95% interval of each period's mean (for CSAT, and for the skills when one "
             "or two are drawn): a change smaller than the band is within period-to-period noise. "
             "Hollow points rest on fewer than 30 interactions. A change over time is associated "
             "with whatever else changed at the same time."
             + (f" {hidden} more skill(s) not drawn; every skill is in the trends table." if hidden else ""))
    return fig
