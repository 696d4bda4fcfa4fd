"""Interactions, the agents and teams they belong to, and the known channels."""
