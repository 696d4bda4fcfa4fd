"""Merging workspaces: bring another workspace's work into this one, by stable ids.

`merge.merge_workspace` (one file) and `merge.merge_folder` (a team folder) run the ordered
per-table steps of `steps.MERGE_STEPS` inside one transaction; `fingerprint.fingerprint` says
whether two workspaces hold the same work; `team_folder` publishes a copy of this workspace to
the team's shared folder. Features with tables of their own add a step (see `steps`).
"""
