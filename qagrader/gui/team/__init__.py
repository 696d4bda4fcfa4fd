"""The team's screens and dialogs: who is grading, merging workspaces, the team folder, and
the lead's agent, team and grader profiles."""
