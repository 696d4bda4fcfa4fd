"""Importing: reading any CSV, parsing its fields, and the interaction and evaluation imports."""
