"""Start the desktop app: `run()` (the `qagrader-gui` command, `qagrader` without a command, and
`python main.py [--db PATH]`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from qagrader import __version__
from qagrader.core.errors import QAGraderError
from qagrader.core.paths import APP_NAME, default_workspace_path
from qagrader.core.resources import resource_path

from .messages import install_excepthook, setup_logging
from .theme import THEMES, apply_theme, theme_preference
from .workers import Task

log = logging.getLogger(__name__)

DESKTOP_FILE = "qagrader"  # resources/qagrader.desktop, as installed on Linux


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qagrader-gui", description="QA Grader desktop app")
    parser.add_argument("--db", help="workspace file to open (default: the last one)")
    parser.add_argument("--theme", choices=THEMES, default=None,
                        help="colour theme (default: the one chosen in Preferences, else the system's)")
    parser.add_argument("--smoke", action="store_true",
                        help="open the main window and every screen, then quit (checks an installation)")
    parser.add_argument("--version", action="version", version=f"qagrader {__version__}")
    args, _qt_args = parser.parse_known_args(list(argv)[1:])
    return args


def app_icon() -> QIcon:
    """The application icon in every size shipped in resources/icons."""
    icon = QIcon()
    for png in sorted(resource_path("icons").glob("qagrader-*.png")):
        icon.addFile(str(png))
    return icon


def main() -> int:
    """The `qagrader-gui` command (no console window on Windows)."""
    return run()


def run(db_path: str | Path | None = None, argv: Sequence[str] | None = None) -> int:
    """Run the app until the window closes; returns the exit code.

    Opens `db_path` (or `--db`), else the last workspace, else the default one. With `--smoke`,
    checks every screen and quits instead (see `qagrader.gui.smoke`)."""
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv)
    setup_logging()
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(DESKTOP_FILE)
    try:
        app.setWindowIcon(app_icon())
    except QAGraderError as error:  # a broken install still runs, without its icon
        log.warning("%s", error)
    apply_theme(app, args.theme or theme_preference())
    if args.theme is None:  # the system's scheme changed: follow it if Preferences say so
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app, theme_preference()))
    install_excepthook()

    from .main_window import LAST_KEY, MainWindow

    window = MainWindow()
    explicit = db_path or args.db
    if explicit:  # --db: open it, creating it when new
        window.open_workspace(default_workspace_path(explicit))
    else:  # the last workspace if it is still there, else the default one
        last = QSettings().value(LAST_KEY)
        if not (last and Path(str(last)).is_file() and window.open_workspace(Path(str(last)), create=False)):
            window.open_workspace(default_workspace_path())
    window.show()
    window.start()
    from .team.grader_prompt import grader_known

    if not grader_known() and not args.smoke:  # first start: who is grading?
        window.ask_who_is_grading()
    log.info("QA Grader started on %s", window.ws.path if window.ws else "no workspace")
    if args.smoke:
        from .smoke import run_smoke

        return run_smoke(app, window)
    QTimer.singleShot(PREWARM_DELAY_MS, _prewarm_analysis)
    return app.exec()


PREWARM_DELAY_MS = 3000


def _prewarm_analysis() -> None:
    """Import the analysis stack (pandas, scipy.stats, matplotlib: ~1 s) in the background once
    the app is idle, so that opening the Analysis tab later shows its first chart at once."""

    def load(progress, cancelled) -> None:
        import qagrader.analysis  # noqa: F401
        import qagrader.analysis.plots  # noqa: F401

    Task(load).start(priority=-1)
