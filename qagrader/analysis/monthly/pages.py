"""The monthly report drawn as A4 pages (`report_pages`): the newsletter a team reads in print.

Page by page: the month at a glance (the tip of the month, the QA score against last month, the
top agent and team, the most improved agent, the distribution of scores); teams and agents;
skills and CSAT (the strongest associations with their intervals, channel differences); where
to act (each team's biggest gaps, coaching follow-ups due, disputes, calibration). Every page
carries the footer (workspace, filters, "association, not causation"). Charts use black and
greys, with hatching and outlines, so that they read on a black-and-white printer.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..coaching_follow_up import CAVEAT, COMPARED
from ..summary import grades_sentence, skill_label
from .content import CAUSATION, MonthlyReport
from .sheet import BODY, DARK, INK, LIGHT, MID, Column, Sheet


def _score(mean: float, low: float, high: float) -> str:
    if not np.isfinite(mean):
        return "–"
    interval = f" ({low:.1f}–{high:.1f})" if np.isfinite(low) and np.isfinite(high) else ""
    return f"{mean:.1f}%{interval}"


def _change(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{value:+.1f}"


def _signed(value: float, digits: int = 2) -> str:
    return "–" if not np.isfinite(value) else f"{value:+.{digits}f}"


def _amount(value: float, n: int, measure: str) -> str:
    if not n:
        return "none"
    return f"{value:.0%} ({n})" if measure == "pass rate" else f"{value:.2f} ({n})"


def _difference(row) -> str:
    if row.status != COMPARED:
        return "-"
    if row.measure == "pass rate":
        return f"{_points(row.difference)} pp ({_points(row.ci_low)} to {_points(row.ci_high)})" \
            if np.isfinite(row.ci_low) else f"{_points(row.difference)} pp"
    interval = f" ({row.ci_low:+.2f} to {row.ci_high:+.2f})" if np.isfinite(row.ci_low) else ""
    return f"{row.difference:+.2f}{interval}"


def _points(share: float) -> str:
    """A difference of shares in percentage points, whole unless that would read as 0."""
    value = share * 100
    return f"{value:+.0f}" if round(value) != 0 or value == 0 else f"{value:+.1f}"


def report_pages(report: MonthlyReport) -> list[Figure]:
    """The report's pages (A4 figures, not yet saved)."""
    sheet = Sheet(report.footer, f"Monthly quality report · {report.label}")
    _glance(sheet, report)
    _people(sheet, report)
    _skills(sheet, report)
    _actions(sheet, report)
    return sheet.finish()


# ---------------------------------------------------------------------------- at a glance

def _glance(sheet: Sheet, report: MonthlyReport) -> None:
    sheet.text("Monthly quality report", size=20, weight="bold")
    sheet.text(f"{report.label}  ·  {report.workspace}  ·  {report.filters}", size=10, color=DARK)
    sheet.text(f"Made on {report.generated:%d %B %Y}; compared with {report.previous_label}.", size=8, color=MID)
    sheet.space(0.15)
    tip = report.tip

    def draw_tip() -> None:
        sheet.text("TIP OF THE MONTH", size=8, weight="bold", color=DARK, indent=0.05)
        if tip is None:
            sheet.text("No question's failures went with lower CSAT beyond noise this month, so there is no tip: "
                       "keep up the good work.", size=10, indent=0.05)
            return
        sheet.text(tip.headline, size=15, weight="bold", indent=0.05)
        if tip.do:
            sheet.text(f"What good looks like: {tip.do}", size=10, indent=0.05)
        if tip.avoid:
            sheet.text(tip.avoid + ("" if tip.avoid.endswith(".") else "."), size=10, indent=0.05)
        sheet.space(0.04)
        sheet.text(f"Why: {tip.why(report.label)}", size=8.5, color=DARK, indent=0.05)
        sheet.text(f"From the guideline of '{tip.question}' ({tip.scorecard}).", size=7.5, color=MID, indent=0.05)

    sheet.box(draw_tip)
    sheet.heading("The month at a glance")
    now, before = report.overall, report.previous
    change = now.mean - before.mean if before.n else float("nan")
    sheet.text(f"Average QA score: {now.text()} in {report.label}, against "
               f"{before.text() if before.n else 'no evaluations'} in {report.previous_label}"
               + (f" ({change:+.1f} points)." if np.isfinite(change) else "."), size=10)
    sheet.text("A team's or everyone's interval allows for each agent's scores going together.", size=7.5, color=MID)
    sheet.space(0.05)
    for line in report.top.sentences():
        sheet.text(line, size=BODY)
    improved = report.improved
    if improved is not None:
        sheet.text(f"Most improved: {improved.agent} ({improved.team}), {improved.previous_mean:.1f}% "
                   f"(n = {improved.previous_n}) in {report.previous_label} to {improved.mean:.1f}% (n = {improved.n}):"
                   f" {improved.change:+.1f} points (95% CI {improved.ci_low:+.1f} to {improved.ci_high:+.1f}; "
                   f"agents with at least 10 evaluations in both months).", size=BODY)
    else:
        sheet.text(f"Most improved: {report.improved_note}", size=BODY)
    sheet.space(0.1)
    sheet.text(f"Distribution of QA scores, {report.label} against {report.previous_label}", size=10, weight="bold",
               keep=2.8)
    _distribution(sheet.axes(2.6, left=0.5, right=0.1), report)
    _in_brief(sheet, report)


def _distribution(ax, report: MonthlyReport) -> None:
    bins = np.arange(0, 105, 5)
    now = np.clip(report.scores, 0, 100)
    before = np.clip(report.previous_scores, 0, 100)
    weights_now = np.full(len(now), 100 / max(len(now), 1))
    ax.hist(now, bins=bins, weights=weights_now, color=LIGHT, edgecolor=DARK, linewidth=0.6, hatch="///",
            label=f"{report.label} (n = {len(now):,})")
    if len(before):
        ax.hist(before, bins=bins, weights=np.full(len(before), 100 / len(before)), histtype="step",
                color=INK, linewidth=1.4, label=f"{report.previous_label} (n = {len(before):,})")
    ax.set_xlim(0, 100)
    ax.set_xlabel("QA score (%)", fontsize=8)
    ax.set_ylabel("share of evaluations (%)", fontsize=8)
    ax.tick_params(labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7.5, frameon=False, loc="upper left")


def _in_brief(sheet: Sheet, report: MonthlyReport) -> None:
    """Where to look first, pointing at the pages that follow."""
    lines = []
    if len(report.skills):
        first = report.skills.iloc[0]
        lines.append(f"Most associated with CSAT: {first['label']} (rho {first['rho']:+.2f}, n = {first['n']:,}).")
    if len(report.gaps):
        worst = report.gaps.sort_values("priority", ascending=False).iloc[0]
        lines.append(f"Biggest gap that goes with CSAT: {worst['team']}, {worst['label']} "
                     f"({worst['rate']:.0%} against {worst['team_rate']:.0%} for everyone else).")
    due = len(report.follow_ups)
    if due:
        late = sum(n.overdue(report.generated) for n in report.follow_ups)
        lines.append(f"Coaching follow-ups due: {due}" + (f", {late} overdue." if late else "."))
    if report.disputes.raised:
        lines.append(f"Disputes: {report.disputes.raised} raised, {report.disputes.accepted} accepted.")
    if not lines:
        return
    sheet.text("In brief", size=10, weight="bold", keep=0.3)
    for line in lines:
        sheet.text(f"·  {line}", size=BODY, indent=0.05)


# ---------------------------------------------------------------------------- teams and agents

def _people(sheet: Sheet, report: MonthlyReport) -> None:
    sheet.new_page()
    sheet.heading("Teams")
    previous = f"{report.previous_label[:3]} (n)"
    sheet.table(
        [Column("Team", 0.30), Column("Agents", 0.08, "right"), Column("n", 0.08, "right"),
         Column("QA score (95% CI)", 0.22, "right"), Column(f"Last month: {previous}", 0.2, "right"),
         Column("Change", 0.12, "right")],
        [(r.team, str(r.agents), f"{r.n:,}", _score(r.mean, r.ci_low, r.ci_high),
          f"{r.previous_mean:.1f}% ({r.previous_n:,})" if r.previous_n else "–", _change(r.change))
         for r in report.teams.itertuples()])
    sheet.heading("Agents")
    sheet.text("By QA score this month; an agent with fewer than 10 evaluations has a wide interval.", size=7.5,
               color=MID)
    sheet.space(0.04)
    sheet.table(
        [Column("Agent", 0.24), Column("Team", 0.2), Column("n", 0.07, "right"),
         Column("QA score (95% CI)", 0.21, "right"), Column("Last month (n)", 0.17, "right"),
         Column("Change", 0.11, "right")],
        [(r.agent, r.team, f"{r.n:,}", _score(r.mean, r.ci_low, r.ci_high),
          f"{r.previous_mean:.1f}% ({r.previous_n:,})" if r.previous_n else "–", _change(r.change))
         for r in report.agents.itertuples()])


# ---------------------------------------------------------------------------- skills and CSAT

def _skills(sheet: Sheet, report: MonthlyReport) -> None:
    sheet.new_page()
    sheet.heading("Skills most associated with CSAT this month")
    if report.notes is not None:
        sheet.text("Analysed " + grades_sentence(report.notes), size=8, color=DARK)
    for warning in report.warnings:
        sheet.text(f"Note: {warning}", size=8, color=DARK)
    skills = report.skills
    if skills.empty:
        sheet.text("No skill's association with CSAT holds this month (none has q < 0.05), or there is no CSAT "
                   "to relate the grades to.", size=BODY)
    else:
        height = 0.3 + 0.3 * len(skills)
        longest = max(len(f"{label}  (n = {n:,})") for label, n in zip(skills["label"], skills["n"]))
        sheet.space(0.12)
        _associations(sheet.axes(height, left=min(3.4, 0.2 + longest * 8 * 0.56 / 72), right=0.2), skills)
        unit = skills["csat_unit"].iloc[0]
        scale = f", {report.csat_scale}" if unit == "points" and report.csat_scale else ""
        sheet.table(
            [Column("Skill", 0.31), Column("rho (95% CI)", 0.23, "right"), Column("n", 0.09, "right"),
             Column(f"CSAT with - without ({unit}{scale})", 0.37, "right")],
            [(r.label, f"{r.rho:+.2f} ({r.ci_low:+.2f} to {r.ci_high:+.2f})", f"{r.n:,}",
              f"{_signed(r.csat_diff)} ({_signed(r.csat_diff_ci_low)} to {_signed(r.csat_diff_ci_high)})"
              if np.isfinite(r.csat_diff) else "too few to compare")
             for r in skills.itertuples()])
        sheet.text("n: interactions with a grade and a CSAT survey. Intervals allow for each agent's interactions "
                   "going together. '(happened)': a behaviour to avoid, measured as how often it happened, so its "
                   "association is negative when avoiding it goes with higher CSAT.", size=7.5, color=MID)
    sheet.heading("Channels")
    sheet.text(report.channels or "One channel only: nothing to compare.", size=BODY)
    if len(report.channel_rows):
        sheet.space(0.05)
        sheet.table(
            [Column("Skill", 0.4), Column("Stronger on", 0.2), Column("than on", 0.2),
             Column("Difference in rho", 0.2, "right")],
            [(r.skill, r.stronger if not r.opposite else f"{r.stronger} (positive)",
              r.weaker if not r.opposite else f"{r.weaker} (negative)", f"{r.difference:.2f}")
             for r in report.channel_rows.itertuples()])
    sheet.space(0.1)
    sheet.text(CAUSATION, size=8, color=DARK)


def _associations(ax, skills) -> None:
    y = np.arange(len(skills))[::-1]
    ax.axvline(0, color=MID, linewidth=0.8)
    ax.errorbar(skills["rho"], y, xerr=[skills["rho"] - skills["ci_low"], skills["ci_high"] - skills["rho"]],
                fmt="o", color=INK, ecolor=DARK, elinewidth=1.4, capsize=3, markersize=5)
    ax.set_yticks(y, [f"{label}  (n = {n:,})" for label, n in zip(skills["label"], skills["n"])], fontsize=8)
    ax.set_ylim(-0.6, len(skills) - 0.4)
    low = min(-0.1, float(skills["ci_low"].min()) - 0.05)
    high = max(0.1, float(skills["ci_high"].max()) + 0.05)
    ax.set_xlim(low, high)
    ax.set_xlabel("Spearman rho with CSAT, 95% CI (right: higher CSAT)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ---------------------------------------------------------------------------- where to act

def _actions(sheet: Sheet, report: MonthlyReport) -> None:
    sheet.space(0.1)
    sheet.heading("Each team's biggest gaps")
    sheet.text("Skills where a team is below everyone else beyond noise, on skills that go with CSAT. Gap: "
               "percentage points against everyone else (for a behaviour to avoid, a positive gap means it happened "
               "more often); the last column is the CSAT per interaction, in points of the survey's scale, that "
               "reaching everyone else's level goes with.", size=8, color=DARK, keep=0.6)
    unit = "points" if report.csat_scale and report.csat_scale != "mixed" else "CSAT 0..1"
    column = "priority_points" if unit == "points" else "priority"
    sheet.table(
        [Column("Team", 0.19), Column("Skill", 0.25), Column("Team (n)", 0.13, "right"),
         Column("Others", 0.1, "right"), Column("Gap, pp (95% CI)", 0.19, "right"),
         Column("CSAT " + ("pts" if unit == "points" else "0..1"), 0.14, "right")],
        [(r.team, r.label, f"{r.rate:.0%} ({r.n:,})", f"{r.team_rate:.0%}",
          f"{_points(r.gap)} ({_points(r.gap_ci_low)} to {_points(r.gap_ci_high)})",
          _signed(getattr(r, column))) for r in report.gaps.itertuples()],
        empty="No team is below everyone else beyond noise on a skill that goes with CSAT.")
    sheet.heading("Coaching follow-ups due")
    done = f"{report.followed_up} follow-up{'s' if report.followed_up != 1 else ''} done in {report.label}. "
    sheet.text(done + "Due by the end of next month, overdue ones first:", size=8, color=DARK)
    today = report.generated
    sheet.table(
        [Column("Agent", 0.2), Column("Team", 0.18), Column("Skills", 0.24), Column("Coached", 0.13, "right"),
         Column("Follow up", 0.14, "right"), Column("", 0.11, "right")],
        [(n.agent, n.team or "–", ", ".join(n.skills), n.coached_on, n.follow_up_on,
          "overdue" if n.overdue(today) else "") for n in report.follow_ups],
        empty="None due.")
    if len(report.coaching_results):
        sheet.space(0.08)
        sheet.text(f"Followed up in {report.label}: the coached skills in the 4 weeks before and after the "
                   "coaching. " + CAVEAT, size=8, color=DARK, keep=0.6)
        sheet.table(
            [Column("Agent", 0.17), Column("Skill", 0.23), Column("Before (n)", 0.11, "right"),
             Column("After (n)", 0.11, "right"), Column("Change (95% CI)", 0.24, "right"),
             Column("", 0.14, "right")],
            [(r.agent, skill_label(r.skill, r.polarity), _amount(r.before, r.before_n, r.measure),
              _amount(r.after, r.after_n, r.measure), _difference(r), r.direction or r.status)
             for r in report.coaching_results.itertuples()])
    sheet.heading("Disputes")
    d = report.disputes
    if d.raised:
        top = (f" The question disputed most often: {d.top_question} ({d.top_question_count})."
               if d.top_question else "")
        sheet.text(f"{d.raised} grade{'s' if d.raised != 1 else ''} disputed in {report.label}: {d.accepted} accepted "
                   f"and re-graded, {d.rejected} rejected, {d.still_open} still open.{top} A question disputed often "
                   "may need a clearer guideline.", size=BODY)
    else:
        sheet.text(f"No grade was disputed in {report.label}.", size=BODY)
    if report.calibration is not None:
        _calibration(sheet, report)


def _calibration(sheet: Sheet, report: MonthlyReport) -> None:
    calibration = report.calibration
    sheet.heading("Calibration")
    sheet.text("Do the graders read the scorecard alike? Per closed session, the median of its questions' "
               "Krippendorff's alpha (0.800 or more reliable, 0.667 or more tentative) and their mean percent "
               "agreement.", size=8, color=DARK)
    sheet.table(
        [Column("Session", 0.34), Column("Held on", 0.14, "right"), Column("Items", 0.1, "right"),
         Column("Graders", 0.1, "right"), Column("Agreement", 0.14, "right"), Column("Median alpha", 0.18, "right")],
        [(r.session, str(r.held_on), str(r.items), str(r.graders),
          "–" if not np.isfinite(r.percent_agreement) else f"{r.percent_agreement:.0f}%",
          "–" if not np.isfinite(r.alpha) else f"{r.alpha:.2f} {r.reading}".strip())
         for r in calibration.sessions.itertuples()],
        empty="No calibration session this month.")
    for line in calibration.lines:
        sheet.text(line, size=BODY)

