"""Scorecards screen: list, editor with forms and a live preview."""

from .editor import ScorecardEditor
from .view import ScorecardsView

__all__ = ["ScorecardEditor", "ScorecardsView"]
