"""Statistics and charts over graded evaluations: which skills go with CSAT, and where each
agent's gaps are. Pure functions of the analysis frame (`frames.load_skill_frame`); no Qt.

Charts live in `qagrader.analysis.plots` (imported on demand: it loads matplotlib).
"""

from .dataset import AnalysisFilters, skills_of, yes_no_skills
from .frames import load_skill_frame
from .report import AnalysisCancelled, AnalysisResult, run_analysis, write_report

__all__ = [
    "AnalysisCancelled", "AnalysisFilters", "AnalysisResult", "load_skill_frame",
    "run_analysis", "skills_of", "write_report", "yes_no_skills",
]
