"""Coaching notes: what a lead and an agent agreed on, and when to look again."""
