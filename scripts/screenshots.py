"""Render each main screen of a demo workspace to PNG files, offscreen.

    .venv/bin/python scripts/screenshots.py OUT_DIR [--size 1440x900 ...] [--theme light|dark ...] [--all]

Builds a demo workspace in a temporary folder (`qagrader.core.demo.build.build_demo`) and writes
grade.png (an interaction half graded), interactions.png, scorecards.png, agents.png,
import-wizard.png (the column mapping page with the shared call-centre CSV, drawn over the
window as the user sees it), analysis.png, calibration.png (all closed sessions pooled),
follow-up.png (the disputes list) and monthly-report.png (the first page of the demo's last full
month's quality report, rendered as the report's PNG format renders it).

With several sizes or themes (e.g. ``--size 1024x640 1280x800 1366x768 1440x900 --theme light
dark``) each combination goes into its own folder, OUT_DIR/1280x800-dark/, from one window
resized and re-themed as a user would. ``--all`` adds what a first-time user meets beyond the
README's set: the Grade screen's empty states (a new workspace without a scorecard; nothing
open), every Analysis page, the Scorecards editor on a question (and its Preview tab when the
window is narrow) and every dialog. ``--dialogs`` renders only the editor states and the dialogs:
export, Preferences, shortcuts, each import wizard page, merge and team folder, the monthly
report, disputes, coaching notes and follow-ups, agent merge, the grader prompt, the calibration
dialogs and a file's problems.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = tempfile.mkdtemp(prefix="qagrader-shots-")
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):  # never touch the user's settings
    os.environ[_name] = os.path.join(_HOME, _name.lower())

CALL_CENTRE = ROOT.parent / "shared" / "data" / "call-center-5000.csv"
GRADER = "Priya Raman"


def spin(app, seconds: float, until=None) -> None:
    """Process events for `seconds`, or until `until()` is true."""
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


def fallback_csv(folder: Path) -> Path:
    """A small export with foreign column names, when the shared file is missing."""
    path = folder / "helpdesk-export.csv"
    lines = ["Ticket ID,Channel,Assignee,Group,Created at,Satisfaction,Subject"]
    for i in range(1, 201):
        lines.append(f"T-{i:04d},{('Email', 'Chat', 'Inbound call')[i % 3]},{('Ann', 'Bob', 'Cy')[i % 3]},"
                     f"{('Billing', 'Support')[i % 2]},2024-03-{i % 28 + 1:02d} 10:{i % 60:02d},{i % 5 + 1},"
                     f"Question {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description="Render the main screens to PNG files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", nargs="+", default=["1440x900"], metavar="WxH")
    parser.add_argument("--theme", nargs="+", choices=("light", "dark"), default=["light"])
    parser.add_argument("--all", action="store_true", help="also the empty states, every Analysis page and the dialogs")
    parser.add_argument("--dialogs", action="store_true", help="only the scorecard editor's states and the dialogs")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in args.size]
    combos = [(size, theme) for theme in args.theme for size in sizes]
    args.out_dir.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from qagrader.core.demo.build import build_demo
    from qagrader.gui.theme import apply_theme

    app = QApplication.instance() or QApplication(["qagrader"])
    app.setOrganizationName("QA Grader")
    app.setApplicationName("QA Grader")
    apply_theme(app, combos[0][1])
    QSettings().setValue("grading/grader", GRADER)

    from qagrader.gui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="qagrader-demo-"))
    summary = build_demo(folder / "demo.qagrader")
    print(summary)
    window = MainWindow()
    (width, height), _theme = combos[0]
    window.resize(width, height)
    window.open_workspace(folder / "demo.qagrader")
    window.show()
    window.activateWindow()
    spin(app, 2, window.isActiveWindow)
    print("window active:", window.isActiveWindow())
    window.start()
    csv = CALL_CENTRE if CALL_CENTRE.exists() else fallback_csv(folder)
    first = True
    for (width, height), theme in combos:
        out = args.out_dir if len(combos) == 1 else args.out_dir / f"{width}x{height}-{theme}"
        out.mkdir(parents=True, exist_ok=True)
        apply_theme(app, theme)
        window.resize(width, height)
        spin(app, 0.5)
        shots = Shots(app, window, out, QTest, Qt)
        if args.dialogs:
            shots.editor()
            shots.dialogs(folder, csv)
            first = False
            continue
        shots.readme(first, csv)
        if args.all:
            shots.editor()
            shots.dialogs(folder, csv)
            shots.first_time_user(folder)
        first = False
    window.close()
    return 0


class Shots:
    """Screens of one window at its current size and theme, saved into `out`."""

    def __init__(self, app, window, out: Path, QTest, Qt):
        self.app, self.window, self.out, self.QTest, self.Qt = app, window, out, QTest, Qt

    def save(self, name: str, pixmap=None) -> None:
        path = self.out / f"{name}.png"
        (pixmap or self.window.grab()).save(str(path))
        print("wrote", path)

    def readme(self, grade_first: bool, csv: Path) -> None:
        app, window, QTest, Qt = self.app, self.window, self.QTest, self.Qt
        # Grade: the next call of the queue, half answered with the keyboard, one comment.
        window.show_screen("interactions")
        spin(app, 10, lambda: window.interactions.model.complete)
        window.show_screen("grade")
        grading = window.grading
        if grade_first:
            grading.open_next()
            questions = grading.form.questions
            for question in questions[: len(questions) // 2]:
                first = "y" if question.question.type == "yes_no" else (
                    question.question.labels[-1] if question.question.type == "scale" else "1")
                QTest.keyClick(question, first)
            questions[2].comment.setFocus()
            QTest.keyClicks(questions[2].comment, "Used the name from the account, well done")
            QTest.keyClick(questions[2].comment, Qt.Key.Key_Escape)
            grading.form.focus_first_unanswered()
        spin(app, 0.6)
        self.save("grade")

        window.show_screen("interactions")
        view = window.interactions
        spin(app, 10, lambda: view.model.complete and view.agent.count() > 1)
        view.table.selectRow(3)
        spin(app, 0.2)
        self.save("interactions")

        for key, select in (("scorecards", "Phone QA"), ("agents", None)):
            window.show_screen(key)
            if select and hasattr(window.screen(key), "select"):
                window.screen(key).select(select)
            spin(app, 1.0)
            if key == "agents":  # the first agent's profile, with its trend chart
                profile = getattr(window.screen(key), "profile", None)
                spin(app, 15, lambda: profile is None or profile.canvas is not None)
                spin(app, 0.3)
            self.save(key)

        window.show_screen("analysis")
        spin(app, 20.0, lambda: _analysis_settled(window))
        spin(app, 0.5)
        self.save("analysis")

        # Calibration: the three closed sessions pooled, agreement per question.
        window.show_screen("calibration")
        calibration = window.screen("calibration")
        if hasattr(calibration, "results_stack"):
            calibration.sessions.setCurrentItem(calibration.sessions.topLevelItem(0))
            spin(app, 20, lambda: calibration.results_stack.currentWidget() is calibration.results)
            spin(app, 0.5)
        self.save("calibration")

        # Follow-up: every dispute, the first one in full, and the rates per grader and question.
        window.show_screen("actions")
        follow_up = window.screen("actions")
        if hasattr(follow_up, "disputes"):
            follow_up.disputes.status.setCurrentText("All")
            spin(app, 10, lambda: follow_up.disputes.graders_rates.rowCount() > 0)
            spin(app, 0.3)
        self.save("follow-up")
        if grade_first:  # a file, the same at every size and theme
            monthly_report_page(window.ws, self.out / "monthly-report.png")

        self.save("import-wizard", wizard_over_window(app, window, csv))

    def editor(self) -> None:
        """The Scorecards editor on a question with answer options; in a narrow window (Edit /
        Preview tabs) also its Preview tab."""
        window = self.window
        window.show_screen("scorecards")
        view = window.screen("scorecards")
        view.select("Phone QA")
        editor = view.editor
        editor.select(("question", 1, 0))
        editor.show_pane(0)
        spin(self.app, 0.5)
        self.save("scorecards-question")
        if not editor.side_by_side:
            editor.show_pane(1)
            spin(self.app, 0.4)
            self.save("scorecards-preview")
            editor.show_pane(0)
        editor.select(("card",))

    def dialogs(self, folder: Path, csv: Path) -> None:
        """Every dialog, over the window."""
        _Dialogs(self, folder, csv).all()

    def first_time_user(self, folder: Path) -> None:
        """The screens and dialogs a new user meets, beyond the README's set."""
        app, window = self.app, self.window
        window.show_screen("analysis")
        tab = window.screen("analysis")
        for index, page in enumerate(getattr(tab, "pages", [])):
            tab.tabs.setCurrentIndex(index)
            spin(app, 3.0, lambda: _analysis_settled(window))
            spin(app, 0.4)
            self.save(f"analysis-{index + 1}-{_slug(page.title)}")
        if getattr(tab, "pages", None):
            tab.tabs.setCurrentIndex(0)

        # The Grade screen with nothing open, then a new workspace without a scorecard.
        window.show_screen("grade")
        grading = window.grading
        if hasattr(grading, "close_interaction"):
            grading.close_interaction()
        spin(app, 0.4)
        self.save("grade-nothing-open")
        demo = window.ws.path
        empty = folder / f"empty-{self.out.name}.qagrader"
        window.open_workspace(empty)
        window.show_screen("grade")
        spin(app, 0.6)
        self.save("grade-no-scorecard")
        for key in ("interactions", "scorecards", "agents", "analysis", "calibration", "actions"):
            window.show_screen(key)
            spin(app, 1.0)
            self.save(f"empty-{key}")
        window.open_workspace(demo)
        spin(app, 1.0)


SHORTCUTS_TITLE = "Keyboard shortcuts"


class _Dialogs:
    """Every dialog of the app, each drawn over the dimmed window as the user meets it."""

    def __init__(self, shots: "Shots", folder: Path, csv: Path):
        self.shots, self.folder, self.csv = shots, folder, csv
        self.app, self.window = shots.app, shots.window
        self.ws = shots.window.ws

    def show(self, name: str, dialog, settle=None, seconds: float = 0.4) -> None:
        dialog.show()
        spin(self.app, 15 if settle else seconds, settle)
        spin(self.app, seconds)
        self.shots.save(name, over_window(self.window, dialog))
        dialog.reject()
        spin(self.app, 0.1)

    def all(self) -> None:
        for render in (self.export, self.preferences, self.shortcuts, self.import_wizard, self.problems,
                       self.merge, self.team_folder, self.monthly_report, self.disputes, self.coaching,
                       self.agent_merge, self.grader_prompt, self.calibration):
            try:
                render()
            except Exception as error:  # one broken dialog must not hide the others
                print(f"could not render {render.__name__}: {type(error).__name__}: {error}")

    def export(self) -> None:
        from qagrader.gui.export_dialog import ExportDialog

        self.show("dialog-export", ExportDialog(self.ws, self.window))

    def preferences(self) -> None:
        from qagrader.gui.grading.settings import PreferencesDialog

        self.show("dialog-preferences", PreferencesDialog(self.window))

    def shortcuts(self) -> None:
        from PySide6.QtWidgets import QDialog

        self.window.show_shortcuts()
        spin(self.app, 0.4)
        for dialog in self.window.findChildren(QDialog):
            if dialog.isVisible() and dialog.windowTitle() == SHORTCUTS_TITLE:
                self.shots.save("dialog-shortcuts", over_window(self.window, dialog))
                dialog.reject()

    def import_wizard(self) -> None:
        from qagrader.gui.importing import InteractionImportWizard

        self.window.show_screen("interactions")
        wizard = InteractionImportWizard(self.ws, self.window)
        wizard.resize(min(1000, self.window.width() - 120), min(720, self.window.height() - 100))
        wizard.show()
        spin(self.app, 0.4)
        self.shots.save("dialog-import-1-file", over_window(self.window, wizard))
        wizard.set_file(self.csv)
        spin(self.app, 15, lambda: wizard.preview is not None)
        names = ("dialog-import-2-preview", "dialog-import-3-columns", "dialog-import-4-options",
                 "dialog-import-5-dry-run")
        for name in names:
            wizard.next()
            spin(self.app, 1.0)
            if name.endswith("dry-run"):
                spin(self.app, 30, lambda: wizard.currentPage().isComplete())
                spin(self.app, 0.4)
            self.shots.save(name, over_window(self.window, wizard))
        wizard.reject()

    def problems(self) -> None:
        from qagrader.core.errors import CsvProblem
        from qagrader.gui.importing.problems import ProblemsDialog

        problems = [CsvProblem(12, "answer_empathy", "'Maybe' is not an answer of 'Acknowledged how the customer "
                                                     "felt' (Yes, Partial, No or N/A)"),
                    CsvProblem(40, "graded_at", "'31/02/2024' is not a date (YYYY-MM-DD HH:MM:SS)"),
                    CsvProblem(41, None, "the row has 14 cells; the header has 15")]
        self.show("dialog-problems", ProblemsDialog("Import evaluations", "3 rows of grades.csv cannot be "
                                                    "imported; the other 1,204 can.", problems,
                                                    "Import the 1,204 good rows", self.window))

    def merge(self) -> None:
        import shutil

        from qagrader.gui.team.merge_dialog import MergeWorkspaceDialog

        other = self.folder / "colleague.qagrader"
        if not other.exists():
            shutil.copyfile(self.ws.path, other)
        dialog = MergeWorkspaceDialog(self.ws, other, self.window)
        dialog.preview()
        self.show("dialog-merge", dialog, lambda: dialog.progress.isHidden())

    def team_folder(self) -> None:
        from qagrader.gui.team.merge_dialog import TeamFolderDialog

        self.show("dialog-team-folder", TeamFolderDialog(self.ws, self.window))

    def monthly_report(self) -> None:
        from qagrader.gui.actions.report_dialog import MonthlyReportDialog

        self.show("dialog-monthly-report", MonthlyReportDialog(self.ws, self.window))

    def disputes(self) -> None:
        from qagrader.gui.actions.dialogs import RaiseDisputeDialog, ResolveDisputeDialog

        dispute = self.ws.disputes.list()[0]
        evaluation = self.ws.evaluations.get(dispute.evaluation_id)
        card = self.ws.scorecards.get_by_id(dispute.scorecard_id).card
        self.show("dialog-dispute-raise", RaiseDisputeDialog(card, evaluation.answers, GRADER, self.window))
        self.show("dialog-dispute-resolve", ResolveDisputeDialog(dispute, card, evaluation.answers, GRADER,
                                                                 self.window))

    def coaching(self) -> None:
        from qagrader.gui.actions.dialogs import CoachingNoteDialog, FollowUpDialog

        skills = self.ws.scorecards.all_skills()
        self.show("dialog-coaching-note", CoachingNoteDialog("Dana Whitfield", skills, GRADER, self.window,
                                                             chosen=skills[:2]))
        self.show("dialog-follow-up", FollowUpDialog("Dana Whitfield", skills[:2], self.window))

    def agent_merge(self) -> None:
        from qagrader.gui.agents_view import MergeDialog

        agents = self.ws.interactions.agents()  # as the Manage agents page lists them
        if len(agents) > 1:
            self.show("dialog-agent-merge", MergeDialog(agents, agents[:2], self.window))

    def grader_prompt(self) -> None:
        from qagrader.gui.team.grader_prompt import GraderPrompt

        self.show("dialog-grader", GraderPrompt(self.window))

    def calibration(self) -> None:
        from qagrader.gui.calibration.dialogs import EditSessionDialog, NewSessionDialog, SampleDialog

        self.show("dialog-calibration-new", NewSessionDialog(self.ws, (), self.window))
        self.show("dialog-calibration-sample", SampleDialog(self.ws, self.window))
        self.show("dialog-calibration-edit", EditSessionDialog("March calibration", "2024-03-28",
                                                               "Phone QA, the hold questions", self.window))


def monthly_report_page(ws, target: Path) -> None:
    """The first page of the quality report of the workspace's last complete month, as PNG."""
    import shutil

    from qagrader.analysis.monthly.content import build_monthly_report
    from qagrader.analysis.monthly.output import write_report

    last = ws.conn.execute("SELECT max(substr(occurred_at, 1, 7)) FROM interactions").fetchone()[0]
    year, month = (int(v) for v in last.split("-"))
    previous = f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"
    folder = Path(tempfile.mkdtemp(prefix="qagrader-report-"))
    pages = write_report(build_monthly_report(ws, previous), folder / "report.png", "png")
    shutil.copyfile(pages[0], target)
    print("wrote", target, f"(page 1 of {len(pages)}, {previous})")


def _slug(text: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


def over_window(window, dialog):
    """`dialog` drawn over the dimmed main window, as the user sees it."""
    from PySide6.QtGui import QColor, QPainter

    shot = window.grab()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    picture = dialog.grab()
    painter.drawPixmap((shot.width() - picture.width()) // 2, (shot.height() - picture.height()) // 2, picture)
    painter.end()
    return shot


def _analysis_settled(window) -> bool:
    """True once the analysis screen has nothing left to compute (a placeholder never has)."""
    from qagrader.gui.main_window import Placeholder

    widget = window.screen("analysis")
    return isinstance(widget, Placeholder) or not widget.is_busy()


def wizard_over_window(app, window, csv: Path):
    """The import wizard on its column-mapping page, drawn over the dimmed main window."""
    window.show_screen("interactions")
    try:
        from qagrader.gui.importing import InteractionImportWizard
    except ImportError:
        return window.grab()
    wizard = InteractionImportWizard(window.ws, window)
    wizard.resize(min(1000, window.width() - 120), min(720, window.height() - 100))
    wizard.show()
    if hasattr(wizard, "set_file"):
        wizard.set_file(csv)
        spin(app, 15, lambda: getattr(wizard, "preview", None) is not None)
    for _ in range(2):  # file -> preview -> mapping
        wizard.next()
        spin(app, 1.0)
    shot = over_window(window, wizard)
    wizard.reject()
    return shot


if __name__ == "__main__":
    sys.exit(main())
