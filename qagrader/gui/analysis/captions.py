"""Plain-language captions and warnings of the Analysis tab (rich text for QLabels). The
sentences about the data and the findings come from `qagrader.analysis.summary`, so the tab and
`qagrader analyze` say the same thing. (It is imported inside the functions: they run once a
result exists, and importing the analysis package here would load scipy on the GUI thread when
the tab opens.)"""

from __future__ import annotations

from html import escape

import pandas as pd

from qagrader.core.interactions.channels import channel_label

from .compute import Computed

CAUSATION = ("<b>Correlation is not causation</b>: a skill <i>associated with</i> higher CSAT "
             "does not necessarily cause it (the topic, brand or customer can drive both).")
N_MEANS = ("<b>n</b>: interactions with the skill graded and a CSAT survey; an interaction graded "
           "several times counts once, with the mean of its grades (under 30: “too few”; under "
           "250: unstable).")
WHISKERS = ("<b>Whiskers</b>: where the true value plausibly lies, widened for testing every skill "
            "and channel at once (Benjamini–Yekutieli), so a whisker clears zero exactly when its "
            "bar is coloured.")
POLARITY = ("<b>“(happened)”</b>: a behaviour to avoid, measured as how often it happened: a "
            "negative association means it goes with <i>lower</i> CSAT.")
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


def analysed(computed: Computed) -> str:
    """The number of interactions behind every chart."""
    from qagrader.analysis.summary import grades_sentence

    notes = computed.notes
    if notes is None:
        return ""
    few = " — few: read every number with care" if notes.interactions < 250 else ""
    return "Analysed: " + escape(grades_sentence(notes)) + few


def clustering(computed: Computed) -> str:
    """How the intervals treat agents."""
    notes = computed.notes
    if notes is None or notes.agents == 0:
        return ""
    if notes.clustered:
        return (f"Intervals allow for each agent's interactions going together ({notes.agents} "
                "agents; delete-one-agent jackknife).")
    return (f"<b>Only {notes.agents} agent{'s' if notes.agents != 1 else ''}</b>: intervals treat "
            "interactions as independent and may be too narrow.")


def join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def lines(*paragraphs: str) -> str:
    """Short paragraphs, one per line."""
    return "<br>".join(p for p in paragraphs if p)


def _has_negative(table: pd.DataFrame) -> bool:
    return "polarity" in table and bool((table["polarity"] == "negative").any())


def correlations(computed: Computed, channel: str) -> str:
    table = computed.result.correlations
    where = "pooled over all channels" if channel == "all" else f"on the {escape(channel_label(channel))} channel only"
    within = (" Diamonds: the same association measured within each channel and brand (what "
              "remains when differences between channels and brands are taken out)."
              if channel == "all" else "")
    return lines(
        f"Each bar: how strongly a skill's score is <i>associated with</i> the customer's CSAT, "
        f"{where} (Spearman rho, −1 to +1). Blue: higher skill goes with higher CSAT; "
        "vermillion: with lower CSAT; grey: not significant once every skill and channel is "
        "tested together." + within, POLARITY if _has_negative(table) else "",
        join(N_MEANS, WHISKERS), join(clustering(computed), CAUSATION), calibration(computed), analysed(computed))


def calibration(computed: Computed) -> str:
    """What the calibration alphas beside the skills mean (the chart names the weak skills)."""
    from qagrader.analysis.calibration import reliability_caption

    return escape(reliability_caption(computed.reliability))


def channels(computed: Computed) -> str:
    from qagrader.analysis.summary import channel_sentence

    result = computed.result
    counts = result.correlations[result.correlations["channel"] != "all"].groupby("channel", sort=False)["n"].max()
    per = ", ".join(f"{escape(str(c))}: up to n={n:,}" for c, n in counts.items())
    found = channel_sentence(result.channel_differences, result.polarity)
    return lines(
        "The same association with CSAT measured within each channel separately. Whether a skill "
        "matters more in one channel is tested directly (the difference of the two "
        "correlations, corrected for testing every skill and pair): <b>≠</b> marks the "
        "differences that hold. Faded, hatched bars are not significant. "
        f"Interactions per channel: {per}.",
        f"<b>{escape(found)}</b>" if found else "",
        join(WHISKERS, clustering(computed)), join(CAUSATION, analysed(computed)))


def effects(computed: Computed, kind: str) -> str:
    table = computed.result.effects
    scale = table["csat_scale"].iloc[0] if len(table) else ""
    unit = (f"points of the {escape(scale)} CSAT scale" if scale and scale != "mixed"
            else "CSAT scaled 0 to 1 (the selection mixes survey scales)")
    if kind == "dose":
        text = ("For each skill scored on a scale: mean CSAT of the interactions at each score level "
                f"(in {unit}), with its 95% interval and the number of surveyed interactions below. "
                "A line that rises steadily says more of the skill goes with more CSAT.")
    else:
        text = ("What missing a skill goes with, per interaction: mean CSAT when the skill was met "
                "(more than half its points: yes/no Yes, 1–5 scale 4 or 5) minus when it was not, in "
                f"{unit}; for a behaviour to avoid, when it happened minus when it did not. A rarely "
                "missed skill (a wrong name in 3% of calls) can have a small correlation and still a "
                "large cost here. Whiskers: 95% interval; grey: it includes zero.")
    return lines(text, POLARITY if _has_negative(table) else "", clustering(computed),
                 join(CAUSATION, analysed(computed)))


def drivers(computed: Computed, table: pd.DataFrame, channel: str) -> str:
    rows = table[(table["channel"] == channel) & table["share"].notna()]
    if rows.empty:
        fit = "Too few interactions have CSAT and every skill graded to split CSAT's variance."
        method = ""
    else:
        r2, n = float(rows["r2"].iloc[0]), int(rows["n"].iloc[0])
        low, high = float(rows["r2_ci_low"].iloc[0]), float(rows["r2_ci_high"].iloc[0])
        fit = (f"Together the skills are <i>associated with</i> <b>R² = {r2:.2f}</b> ({r2:.0%}; 95% "
               f"interval {low:.2f} to {high:.2f}) of the variation in CSAT, on n={n:,} interactions "
               "with CSAT and every skill graded.")
        name = str(rows["method"].iloc[0])
        method = (f"Method: <b>{escape(name)}</b>: " + (
            "each bar is a skill's average gain in R² when added to the others, over every order "
            "of adding them (exact Shapley values), so the shares add up to R² and skills that "
            "move together split the credit." if name.startswith("LMG") else
            "with more than 15 skills the exact Shapley split (2^k regressions) is replaced by "
            "Johnson's relative weights, which also add up to R² and come close to it.")
            + " Whiskers: 95% intervals from leaving out one group of agents at a time "
            f"({int(rows['replicates'].iloc[0])} groups; delete-a-group jackknife).")
    return lines(join(fit, method),
                 "These are shares of an <i>association</i> (“key drivers” in the survey "
                 "trade): they say which skills go with CSAT, not what would move it.",
                 join(CAUSATION, analysed(computed)))


def ipa(computed: Computed, who: str, level: str) -> str:
    single = ("<b>The Agent filter keeps one agent</b>, so here importance rests on their "
              "interactions alone: clear that filter and pick the agent in “For:” instead."
              if computed.filters.get("agents") else "")
    across = ("Across: how <b>{who}</b> does on each skill compared with the same skill's rate in "
              "the rest of the {ref} (percentage points; right = better; whiskers: 95% interval). "
              "“Concentrate here” (top left): important to CSAT and clearly below that reference."
              if level != "all" else
              "Across: the share of <b>{who}</b>'s interactions where each skill was met (or the "
              "behaviour avoided). Choose a team or an agent in “For:” to compare each skill with "
              "its own reference and see the quadrants.")
    return lines(single,
        "Each point is a skill. Up: its importance, how much higher CSAT is per interaction when "
        "it is met (or the behaviour avoided), measured on all filtered interactions, never on one "
        "agent alone. " + across.format(who=escape(who), ref="team" if level == "agent" else "interactions"),
        join(CAUSATION, analysed(computed)))


def heatmap(computed: Computed, shown: int, total: int) -> str:
    more = f" Showing {shown} of {total} agents; filter by team to see the others." if shown < total else ""
    return lines(
        "Each cell: the agent's rate of meeting the skill minus the rest of their team's, in "
        "percentage points (for a behaviour to avoid: how much more often it happened); n, the "
        "agent's interactions graded on it, in brackets where the cells have room and always in "
        "the table (Show table). Agents with few interactions are "
        "pulled towards their team (empirical Bayes), so small samples do not look extreme. "
        "Purple: better than the team; orange: worse. <b>Click an agent's row</b> (or choose one "
        "on the right) for their coaching priorities and trend." + more,
        analysed(computed))


def trends(computed: Computed, period: str) -> str:
    return lines(
        f"Lines: mean skill score per {period}; dashed black: mean CSAT (scaled 0 to 1). Shaded: "
        "the 95% interval of each point (CSAT's, and a skill's when you choose one or two): a "
        f"change within the band is {period}-to-{period} noise. Hollow points rest on fewer than "
        "30 interactions. A change over time is <i>associated with</i> "
        "whatever else changed at the same time (new agents, a new product, a new scorecard): "
        "it does not show what caused it.", analysed(computed))


def agent_summary(rows: pd.DataFrame, agent: str, team: str) -> str:
    """Who, how many interactions, and what to coach first."""
    from qagrader.analysis.summary import skill_label

    if rows.empty:
        return f"No interactions of {escape(agent)} in the filter."
    evaluations = int(rows["evaluations"].iloc[0])
    text = f"<b>{escape(agent)}</b> ({escape(team)}): {evaluations:,} interactions in the filter."
    if bool(rows["few_evaluations"].iloc[0]):
        return text + (" <span style='color:#B34700'><b>Too few interactions</b> to act on: the "
                       "gaps below are mostly noise.</span>")
    if rows["effect"].isna().all():
        return text + " No CSAT in the selection, so no priorities: the gaps below are not ranked."
    ranked = rows[rows["rank"].notna()].sort_values("rank")
    if ranked.empty:
        return text + (" No skill that clearly goes with CSAT is clearly below the rest of the team "
                       "(every such gap's interval includes zero).")
    first = ranked.head(3)
    named = ", ".join(f"<b>{escape(skill_label(s, p))}</b> (+{g:.2f})"
                      for s, p, g in zip(first["skill"], first["polarity"], first["priority_points"].fillna(first["priority"])))
    return text + f" Coach first (expected CSAT gain in points if they reached the team's level): {named}."
