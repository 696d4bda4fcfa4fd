"""Scorecards: the model and its validation, the scoring rules, and versioned storage."""
