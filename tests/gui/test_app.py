"""The real `qagrader.gui.app.run`, in a process of its own (offscreen): it starts, grades, quits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from qagrader.core.scorecards.scoring import Answer

from .conftest import interaction_id

ROOT = Path(__file__).resolve().parents[2]

START_GRADE_QUIT = """
import sys
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
sys.path.insert(0, {root!r})
from tests.gui.conftest import use_settings_folder
app = QApplication([])
use_settings_folder(Path({settings!r}))

def shown():
    window = next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)
    if window is None or not window.isVisible():
        QTimer.singleShot(10, shown)
        return
    QSettings().setValue("grading/grader", "Tester")
    print(window.current_screen(), window.counts_label.text().split("  ")[0], flush=True)
    window.grading.open_interaction({target})
    QTest.keyClick(window.grading.form.questions[0], "n")
    window.close()  # the user quits: the answer is written before the window goes

QTimer.singleShot(0, shown)
from qagrader.gui.app import run
status = run({db!r}, argv=["qagrader"])
print("exit", status, flush=True)
sys.exit(status)
"""


def test_the_app_starts_grades_an_answer_and_quits_cleanly(workspace, isolated_settings):
    target = interaction_id(workspace, "T-004")
    script = START_GRADE_QUIT.format(root=str(ROOT), settings=str(isolated_settings), db=str(workspace.path),
                                     target=target)
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=str(ROOT)) as child:
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert "Traceback" not in err and "Error" not in err, err
    assert out.splitlines() == ["grade 30 interactions", "exit 0"]
    assert [dict(e.answers) for e in workspace.evaluations.for_interaction(target)] == [{"greeting": Answer("No")}]
