"""The Analysis tab's background work: load the workspace's analysed grades (once, until the
data change), filter them in memory and run the analysis.

No Qt here: `compute` runs in a `workers.Task` on its own workspace connection. It imports
`qagrader.analysis` (pandas, scipy) itself, so that the first opening of the tab imports scipy
in the worker while the GUI thread imports matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from qagrader.analysis import AnalysisResult
    from qagrader.analysis.dataset import FilterOptions
    from qagrader.analysis.frames import Grades
    from qagrader.analysis.report import DataNotes
    from qagrader.core.storage.workspace import Workspace

FilterValues = Mapping[str, Any]
"""Keyword arguments of `AnalysisFilters` (None = no restriction)."""


@dataclass(frozen=True)
class FirstLook:
    """The correlations alone: computed first on the tab's first opening, so that its opening
    chart appears while the rest of the analysis runs."""

    correlations: "pd.DataFrame"


@dataclass(frozen=True)
class Computed:
    """What one run produced. `result` is None when nothing matched (or the filter is bad)."""

    filters: FilterValues
    submitted_total: int            # submitted evaluations in the whole workspace
    n_evaluations: int              # interactions with submitted grades matching the filters
    n_with_csat: int                # ... of which with a CSAT survey
    result: "AnalysisResult | FirstLook | None"
    problem: str = ""               # a filter that cannot be used, in plain words
    options: "FilterOptions | None" = field(default=None)
    notes: "DataNotes | None" = None  # what the numbers rest on (grades, CSAT, blind, agents)
    grades: "Grades | None" = field(default=None, repr=False)  # what the next filter change reuses
    reliability: "pd.DataFrame | None" = None  # each skill's calibration alpha (closed sessions)

    @property
    def complete(self) -> bool:
        return self.result is not None and not isinstance(self.result, FirstLook)


def compute(ws: "Workspace | None", filters: FilterValues, *, with_options: bool,
            progress: Callable[[float], None], cancelled: Callable[[], bool],
            first_look: Callable[[Computed], None] | None = None, grades: "Grades | None" = None,
            reliability: "pd.DataFrame | None" = None) -> Computed:
    """The whole analysis of `filters`: on `grades` (the workspace's analysed grades, loaded
    by an earlier run) and its `reliability` (the skills' calibration alphas) when given, else
    both loaded from `ws` first (`frames.load_grades`, the analysis-ready store;
    `calibration.skill_alphas`); with `first_look`, hand it the correlations as soon as they
    are known (a few ms), first. Filters are applied in memory; the result carries the grades
    and alphas for the next run (`Computed.grades`, `Computed.reliability`).

    Raises `AnalysisCancelled` when `cancelled()` turns true between steps."""
    from qagrader.analysis import AnalysisCancelled, AnalysisFilters, run_analysis
    from qagrader.analysis.calibration import skill_alphas
    from qagrader.analysis.dataset import FilterError
    from qagrader.analysis.frames import load_grades
    from qagrader.analysis.report import data_notes

    def check() -> None:
        if cancelled():
            raise AnalysisCancelled("The analysis was cancelled.")

    if grades is None:
        assert ws is not None
        grades = load_grades(ws)
        reliability = skill_alphas(ws)
    options = grades.options() if with_options else None
    total = grades.total
    check()
    progress(0.05)
    try:
        frame = grades.frame(AnalysisFilters(**filters))
    except FilterError as error:
        return Computed(filters, total, 0, 0, None, str(error), options, grades=grades, reliability=reliability)
    check()
    progress(0.2)
    n_csat = int(frame["csat"].notna().sum())
    if frame.empty:
        return Computed(filters, total, 0, 0, None, "", options, grades=grades, reliability=reliability)
    notes = data_notes(frame)
    if first_look is not None:
        from qagrader.analysis.correlation import skill_correlations

        first_look(Computed(filters, total, len(frame), n_csat,
                            FirstLook(skill_correlations(frame)), "", options, notes, grades, reliability))
    result = run_analysis(frame, lambda f: progress(0.2 + 0.8 * f), cancelled)
    return Computed(filters, total, len(frame), n_csat, result, "", options, notes, grades, reliability)
