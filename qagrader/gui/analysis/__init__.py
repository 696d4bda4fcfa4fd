"""The Analysis tab: filters, charts of which skills go with CSAT, and per-agent coaching."""

from .tab import AnalysisTab

__all__ = ["AnalysisTab"]
