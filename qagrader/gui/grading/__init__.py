"""The Grade screen (the one QA specialists use all day), split into small modules:
`view` (the screen), `form`/`question` (the scorecard form), `transcript`, `session`
(autosaving drafts), `queue` (what comes next), `panels`, `settings` (preferences)."""

from .view import GradingView

__all__ = ["GradingView"]
