"""Exporting: evaluations and scorecards to CSV that opens cleanly in Excel."""
