"""The Analysis screen (built lazily by the main window); it lives in `qagrader.gui.analysis`."""

from qagrader.gui.analysis import AnalysisTab

__all__ = ["AnalysisTab"]
