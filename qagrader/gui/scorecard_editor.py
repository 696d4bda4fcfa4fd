"""Scorecards screen (see `qagrader.gui.scorecards`)."""

from qagrader.gui.scorecards import ScorecardEditor, ScorecardsView

__all__ = ["ScorecardEditor", "ScorecardsView"]
