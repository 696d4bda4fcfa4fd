"""Import wizard and file imports (see `qagrader.gui.importing`)."""

from qagrader.gui.importing import (
    InteractionImportWizard,
    ProblemsDialog,
    import_evaluations_file,
    import_scorecard_file,
)

__all__ = ["InteractionImportWizard", "ProblemsDialog", "import_evaluations_file", "import_scorecard_file"]
