"""The interaction import wizard: file -> preview -> columns -> options -> dry run -> import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

from .options_page import OptionsPage
from .run_pages import DryRunPage, ImportPage
from .source_pages import FilePage, MappingPage, PreviewPage


class InteractionImportWizard(QWizard):
    """Import interactions from a CSV export. Emits `imported(ImportReport)` after a successful
    import. All file reading and writing happens in worker threads."""

    imported = Signal(object)

    def __init__(self, ws, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = ws
        self.preview = None  # ImportPreview of the chosen file
        self.mapping: dict[str, str] = {}  # field -> column
        self.channel_map: dict[str, str] = {}  # raw value -> channel
        self.keep: list[str] = []  # columns no field reads, kept as custom fields
        self.rejects_override: Path | None = None
        self.setWindowTitle("Import interactions")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self)
        self.mapping_page = MappingPage(self)
        self.options_page = OptionsPage(self)
        self.dry_run_page = DryRunPage(self)
        self.import_page = ImportPage(self)
        for page in (self.file_page, self.preview_page, self.mapping_page, self.options_page,
                     self.dry_run_page, self.import_page):
            self.addPage(page)
        self.resize(900, 660)
        self.setMinimumSize(760, 560)

    def set_file(self, path: str | Path) -> None:
        """Choose the file (as Browse would)."""
        self.file_page.set_path(str(path))

    def rejects_path(self) -> Path:
        if self.rejects_override is not None:
            return self.rejects_override
        path = self.preview.path
        return path.with_name(f"{path.stem}.rejects.csv")

    def import_options(self, dry_run: bool) -> Any:
        from qagrader.core.importing.interaction_fields import MAPPABLE
        from qagrader.core.importing.interactions import ImportOptions

        chosen = self.options_page.options()
        skip = self.dry_run_page.skip.isChecked() and not dry_run
        return ImportOptions(
            mapping={field: self.mapping.get(field) for field in MAPPABLE},
            default_channel=chosen["default_channel"],
            csat_scale=chosen["csat_scale"],
            channel_map=chosen["channel_map"],
            date_order=chosen["date_order"],
            dry_run=dry_run,
            skip_bad_rows=skip or dry_run,
            rejects_path=self.rejects_path() if skip else None,
            keep_columns=tuple(self.keep),
        )

    def reject(self) -> None:
        """Closing cancels any running work (an import in progress rolls back)."""
        for page in (self.file_page, self.options_page, self.dry_run_page):
            page.tasks.cancel()
        self.import_page.cancel()
        super().reject()
