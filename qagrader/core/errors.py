"""Exceptions with messages a QA specialist understands.

The GUI and CLI catch `QAGraderError` at their edge and show `str(error)`; anything else is a
bug and is logged.
"""

from __future__ import annotations


class QAGraderError(Exception):
    """Base of every error caused by user input or workspace state."""


class WorkspaceError(QAGraderError):
    """The workspace file cannot be opened, migrated or written."""


class WorkspaceBusy(WorkspaceError):
    """Another program held the workspace's write lock longer than the wait; nothing changed."""


class WorkspaceReadOnly(WorkspaceError):
    """The workspace (or its folder) cannot be written: a write is refused, nothing changed."""


class WorkspaceDamaged(WorkspaceError):
    """The workspace file is damaged (a table missing, pages unreadable); it was not changed."""


class ScorecardError(QAGraderError):
    """A scorecard definition is invalid. `field` names where, e.g. `sections[0].questions[2].type`."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class NotFound(QAGraderError):
    """A named record does not exist."""


class EvaluationError(QAGraderError):
    """An evaluation cannot be saved or submitted as it is."""


class DisputeError(QAGraderError):
    """A dispute cannot be raised, accepted or rejected as asked."""


class CoachingError(QAGraderError):
    """A coaching note cannot be saved as it is."""


class CancelledError(QAGraderError):
    """Long work was cancelled by the user; nothing was written."""

    def __init__(self, message: str = "Cancelled; nothing was written."):
        super().__init__(message)


class CsvProblem(QAGraderError):
    """One bad cell or row of a CSV file. Rows count as in a spreadsheet: header = row 1."""

    def __init__(self, row: int | None, column: str | None, message: str):
        self.row = row
        self.column = column
        self.message = message
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class CsvImportError(QAGraderError):
    """A CSV import found problems; nothing was written. Carries every problem found."""

    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        first = str(problems[0]) if problems else "unknown problem"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}; nothing was imported.")
