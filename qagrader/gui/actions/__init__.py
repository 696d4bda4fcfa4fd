"""Disputes and coaching in the desktop app: the Disputes & coaching screen, the dispute bar of
the grading screen, the coaching notes of an agent's profile and the monthly report dialog."""
