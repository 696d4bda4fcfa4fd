"""Sample data shared by tests."""

from __future__ import annotations

# The scorecard of the core issue, with a section auto-fail and a bonus section added.
EXAMPLE = {
    "name": "Chat QA",
    "channels": ["chat"],
    "na_policy": "exclude",
    "sections": [
        {"name": "Soft skills", "questions": [
            {"key": "empathy", "text": "Acknowledged feelings", "skill": "Empathy", "type": "yes_no",
             "weight": 2, "allow_na": True},
            {"key": "tone", "text": "Friendly tone", "skill": "Friendly tone", "type": "scale",
             "min": 1, "max": 5, "weight": 1},
            {"key": "wrong_name", "text": "Right name", "skill": "Wrong customer name", "type": "options",
             "options": [{"label": "Yes", "points": 1}, {"label": "No", "points": 0}]},
            {"key": "data_leak", "text": "Shared data with unverified caller", "type": "options",
             "options": [{"label": "No", "points": 1}, {"label": "Yes", "points": 0, "auto_fail": "all"}]},
        ]},
        {"name": "Process", "questions": [
            {"key": "resolution", "text": "Resolved", "skill": "Accuracy", "type": "options",
             "options": [{"label": "Yes", "points": 2}, {"label": "Partial", "points": 1},
                         {"label": "No", "points": 0, "auto_fail": "section"}]},
        ]},
        {"name": "Bonus", "bonus": True, "questions": [
            {"key": "wow", "text": "Above and beyond", "type": "yes_no", "allow_na": True},
        ]},
    ],
}

# A small scorecard for tests of workspaces, graders and merging.
SIMPLE_CARD = {
    "name": "Simple QA",
    "channels": ["phone", "email", "chat"],
    "sections": [
        {"name": "Soft skills", "questions": [
            {"key": "empathy", "text": "Acknowledged feelings", "skill": "Empathy", "type": "yes_no"},
            {"key": "tone", "text": "Friendly tone", "skill": "Friendly tone", "type": "scale", "min": 1, "max": 5},
        ]},
        {"name": "Process", "questions": [
            {"key": "accuracy", "text": "Gave correct information", "skill": "Accuracy", "type": "yes_no"},
        ]},
    ],
}
