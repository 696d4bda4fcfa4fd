"""Import a scorecard JSON file or an evaluations CSV: pick a file, write it through
`operations` (off the GUI thread, with progress), report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from qagrader.core.errors import CancelledError, CsvImportError, QAGraderError, ScorecardError
from qagrader.gui.messages import show_error

from .problems import ProblemsDialog
from .run import write_with_progress


def import_scorecard_file(parent: QWidget | None, ws, path: str | Path | None = None) -> bool:
    """Ask for a scorecard JSON file (unless `path` is given), import it, and say what happened.
    Returns True when a scorecard was added or changed."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import scorecard", str(Path.home()),
                                              "Scorecard JSON (*.json);;All files (*)")
        if not path:
            return False
    path = Path(path)
    try:
        result = write_with_progress(parent, "Import scorecard", f"Importing {path.name}…", ws,
                                     _import_scorecard, path)
    except CancelledError:
        return False
    except ScorecardError as error:
        where = f" (at {error.field})" if error.field else ""
        show_error(parent, QAGraderError(f"{path.name} is not a valid scorecard{where}: {error.message}"))
        return False
    except QAGraderError as error:
        show_error(parent, error)
        return False
    stored = result.scorecard
    if not result.changed:
        text = f"'{stored.name}' v{stored.version} is already in the workspace with the same questions."
    elif result.new_version:
        text = (f"Imported '{stored.name}' as v{stored.version}: the previous version has evaluations, "
                f"which keep it.")
    else:
        text = f"Imported scorecard '{stored.name}' (v{stored.version})."
    QMessageBox.information(parent, "Import scorecard", text)
    return result.changed


def import_evaluations_file(parent: QWidget | None, ws, path: str | Path | None = None) -> bool:
    """Ask for an evaluations CSV (the wide export shape), import it in a worker, and show the
    result, or every problem with the option to import only the good rows. Returns True when
    anything was written."""
    from qagrader.gui.grading.settings import grader_name

    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import evaluations", str(Path.home()),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if not path:
            return False
    path = Path(path)
    editor = grader_name() or None  # whoever imports is who edits the submitted evaluations it changes
    skip = False
    while True:
        try:
            report = write_with_progress(parent, "Import evaluations", f"Importing {path.name}…", ws,
                                         _import_evaluations, path, skip, editor)
        except CancelledError:
            QMessageBox.information(parent, "Import evaluations", "Import cancelled; nothing was written.")
            return False
        except CsvImportError as error:
            problems = error.problems
            fatal = any(p.row is None or p.row == 1 for p in problems)
            rows = len({p.row for p in problems})
            summary = (f"<b>{path.name}</b> has {len(problems):,} problem{'s' if len(problems) != 1 else ''} "
                       f"and nothing was imported.")
            if fatal:
                summary += " Fix the file's header or columns and try again."
            dialog = ProblemsDialog("Import evaluations", summary, problems,
                                    None if fatal else f"Skip {rows:,} bad rows and import the rest", parent)
            dialog.exec()
            if dialog.skip and not skip:
                skip = True
                continue
            return False
        except QAGraderError as error:
            show_error(parent, error)
            return False
        break
    QMessageBox.information(parent, "Import evaluations", report.summary())
    return bool(report.created or report.updated)


def _import_scorecard(ws, path: Path, *, progress, cancelled):
    return ws.scorecards.import_file(path)


def _import_evaluations(ws, path: Path, skip_bad_rows: bool, editor: str | None, *, progress, cancelled):
    from qagrader.core.importing.evaluations import import_evaluations

    return import_evaluations(ws, path, skip_bad_rows=skip_bad_rows, editor=editor, progress=progress,
                              cancelled=cancelled)
