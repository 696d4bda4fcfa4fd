"""Importing: the interaction CSV wizard and the scorecard / evaluation file imports."""

from .file_imports import import_evaluations_file, import_scorecard_file
from .problems import ProblemsDialog, ProblemsModel, ProblemsView
from .wizard import InteractionImportWizard

__all__ = ["InteractionImportWizard", "ProblemsDialog", "ProblemsModel", "ProblemsView",
           "import_evaluations_file", "import_scorecard_file"]
