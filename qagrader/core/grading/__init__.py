"""Grading: evaluations (drafts, submit, edit history) and the grading queue."""
