"""Disputes of submitted grades: raised for an agent, accepted (re-graded) or rejected."""
