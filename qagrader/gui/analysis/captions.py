"""Plain-language captions and warnings of the Analysis tab (rich text for QLabels)."""

from __future__ import annotations

from html import escape

import pandas as pd

from .compute import Computed

CAUSATION = ("<b>Correlation is not causation</b>: a skill <i>associated with</i> higher CSAT "
             "does not necessarily cause it (the topic, brand or customer can drive both).")
N_AND_WHISKERS = ("<b>n</b>: evaluations with the skill graded and a CSAT survey (under 30: “too "
                  "few”; under 250: unstable). <b>Whiskers</b>: 95% confidence interval, the range "
                  "the true value plausibly lies in.")
NO_EVALUATIONS = (
    "<h3>No submitted evaluations yet</h3>"
    "<p>The analysis needs graded interactions. To get some:</p><ul>"
    "<li><b>Grade</b> interactions in the Grade screen and submit them;</li>"
    "<li><b>import evaluations</b> graded elsewhere (File › Import › Evaluations CSV…);</li>"
    "<li>or try the app on the <b>demo workspace</b>: run <code>qagrader demo --open</code> in a "
    "terminal (2,400 interactions, about 2,000 graded).</li></ul>")
NO_WORKSPACE = "<h3>No workspace open</h3><p>Open or create a workspace (File menu) to analyse it.</p>"
LOADING = "<h3>Reading the graded evaluations…</h3>"
NO_MATCH = ("<h3>No submitted evaluations match these filters</h3>"
            "<p>The workspace has {total:,} submitted evaluations, none with this combination "
            "of date range, channel, team, agent, brand, scorecard and grader. Widen a filter or "
            "reset them all.</p>")
BAD_FILTER = "<h3>These filters cannot be used</h3><p>{problem}</p>"
BLIND_OFF = ("<b>Blind grading is off</b> (Edit › Preferences): graders may have seen the "
             "customer's CSAT while grading, which inflates the skill–CSAT correlations below.")


def analysed(computed: Computed) -> str:
    """The number of evaluations behind every chart."""
    few = " — few: read every number with care" if computed.n_evaluations < 250 else ""
    return (f"Analysed: <b>{computed.n_evaluations:,}</b> submitted evaluations matching the "
            f"filters, {computed.n_with_csat:,} of them with a CSAT survey{few}.")


def join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def lines(*paragraphs: str) -> str:
    """Short paragraphs, one per line."""
    return "<br>".join(p for p in paragraphs if p)


def simpson_banner(correlations: pd.DataFrame) -> str:
    """A warning naming the skills flagged by the Simpson check ("" when none)."""
    pooled = correlations[correlations["channel"] == "all"]
    flagged = pooled[pooled["simpson_flag"].fillna(False).astype(bool)]
    if flagged.empty:
        return ""
    names = ", ".join(f"<b>{escape(str(s))}</b> (n={int(n):,})"
                      for s, n in zip(flagged["skill"], flagged["n"]))
    noisy = (" With so few evaluations the flip may also be noise."
             if bool(flagged["unstable"].all()) else "")
    return (f"<b>Simpson's paradox</b> for {names}: pooled over all channels and brands, the "
            "association with CSAT has the opposite sign to the one within each channel and "
            "brand. The pooled bar is misleading; read the “By channel” chart." + noisy)


def correlations(computed: Computed, channel: str) -> str:
    where = "pooled over all channels" if channel == "all" else f"on the {escape(channel)} channel only"
    within = (" Diamonds: the same association measured within each channel and brand (what "
              "remains when differences between channels and brands are taken out)."
              if channel == "all" else "")
    return lines(
        f"Each bar: how strongly a skill's score is <i>associated with</i> the customer's CSAT, "
        f"{where} (Spearman rho, −1 to +1). Blue: higher skill goes with higher CSAT; "
        "vermillion: with lower CSAT; grey: not significant once every skill and channel is "
        "tested together." + within, N_AND_WHISKERS, join(CAUSATION, analysed(computed)))


def channels(computed: Computed, table: pd.DataFrame) -> str:
    counts = table[table["channel"] != "all"].groupby("channel", sort=False)["n"].max()
    per = ", ".join(f"{escape(str(c))}: up to n={n:,}" for c, n in counts.items())
    return lines(
        "The same association with CSAT measured within each channel separately: a skill can "
        "matter much more on the phone than in email or chat. Faded, hatched bars are not "
        f"significant. Pairs per channel: {per}.", N_AND_WHISKERS,
        join(CAUSATION, analysed(computed)))


def drivers(computed: Computed, table: pd.DataFrame, channel: str) -> str:
    rows = table[(table["channel"] == channel) & table["share"].notna()]
    if rows.empty:
        fit = "Too few evaluations have CSAT and every skill graded to estimate the drivers."
    else:
        r2, n = float(rows["r2"].iloc[0]), int(rows["n"].iloc[0])
        fit = (f"Together the skills explain <b>R² = {r2:.2f}</b> ({r2:.0%}) of the variation in "
               f"CSAT, on n={n:,} evaluations with CSAT and every skill graded.")
    return lines(
        join(fit, "Each bar is a skill's share of that R²: its average gain in R² when added to "
             "the others, over every order of adding them (Shapley / LMG), so the shares add up "
             "to R² and skills that move together split the credit."),
        join(CAUSATION, analysed(computed)))


def ipa(computed: Computed, who: str) -> str:
    single = ("<b>The Agent filter keeps one agent</b>, so here importance rests on their "
              "evaluations alone: clear that filter and pick the agent in “For:” instead."
              if computed.filters.get("agents") else "")
    return lines(single,
        f"Each point is a skill. Across: how well <b>{escape(who)}</b> performs on it (pass rate "
        "for yes/no skills, mean score otherwise; whiskers: 95% confidence interval; n: "
        "evaluations graded on the skill). Up: how strongly the skill is associated with CSAT, "
        "measured on all filtered evaluations, never on one agent alone. “Concentrate here” "
        "(top left): associated with CSAT and below this entity's usual level.",
        join(CAUSATION, analysed(computed)))


def heatmap(computed: Computed, shown: int, total: int) -> str:
    more = f" Showing {shown} of {total} agents; filter by team to see the others." if shown < total else ""
    return lines(
        "Each cell: the agent's mean score on the skill minus their team's mean (scores 0 to 1). "
        "Purple: above the team; orange: below; blank: not graded. <b>Click an agent's row</b> "
        "(or choose one on the right) for their coaching priorities and trend. Differences "
        "resting on few evaluations are noisy: check n in the coaching table." + more,
        analysed(computed))


def trends(computed: Computed, period: str) -> str:
    return lines(
        f"Lines: mean skill score per {period}; dashed black: mean CSAT (scaled 0 to 1). Hollow "
        "points rest on fewer than 30 evaluations. A change over time is <i>associated with</i> "
        "whatever else changed at the same time (new agents, a new product, a new scorecard): "
        "it does not show what caused it.", analysed(computed))


def agent_summary(rows: pd.DataFrame, agent: str, team: str) -> str:
    """Who, how many evaluations, and what to coach first."""
    if rows.empty:
        return f"No evaluations of {escape(agent)} in the filter."
    evaluations = int(rows["evaluations"].iloc[0])
    text = (f"<b>{escape(agent)}</b> ({escape(team)}): {evaluations:,} evaluations in the filter.")
    if bool(rows["few_evaluations"].iloc[0]):
        return text + (" <span style='color:#B34700'><b>Too few evaluations</b> to act on: the "
                       "gaps below are mostly noise.</span>")
    first = rows[(rows["priority"] > 0)].head(3)["skill"].tolist()
    if first:
        text += " Coach first: " + ", ".join(f"<b>{escape(s)}</b>" for s in first) + "."
    else:
        text += " No skill associated with CSAT is below the team's level."
    return text
