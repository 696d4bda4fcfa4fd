"""GUI tests: offscreen Qt, settings and user folders isolated, real workspaces in tmp_path."""

from __future__ import annotations

import os
import tempfile

# Before anything imports Qt: render offscreen, keep the user's folders out of tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_USER_DIRS = tempfile.mkdtemp(prefix="qagrader-gui-tests-")
for _name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
    os.environ[_name] = os.path.join(_USER_DIRS, _name.lower())

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402

from qagrader.core.storage.records import new_uuid, utc_now  # noqa: E402
from qagrader.core.storage.workspace import Workspace  # noqa: E402

GRADER = "Tester"

SUPPORT_CARD = {
    "name": "Support QA",
    "channels": ["chat", "email"],
    "sections": [
        {"name": "Opening", "questions": [
            {"key": "greeting", "text": "Greeted the customer by name", "type": "yes_no",
             "skill": "Etiquette", "guideline": "Yes: used the customer's name in the first reply."},
            {"key": "right_name", "text": "Used the right customer name", "type": "yes_no",
             "skill": "Wrong customer name", "auto_fail": "all", "allow_na": True,
             "guideline": "No if the agent called the customer by another name."},
        ]},
        {"name": "Soft skills", "questions": [
            {"key": "empathy", "text": "Acknowledged how the customer felt", "type": "options",
             "skill": "Empathy", "allow_na": True,
             "options": [{"label": "Yes", "points": 2}, {"label": "Partial", "points": 1},
                         {"label": "No", "points": 0}]},
            {"key": "tone", "text": "Friendly tone", "type": "scale", "min": 1, "max": 5,
             "skill": "Friendly tone"},
        ]},
        {"name": "Resolution", "questions": [
            {"key": "resolved", "text": "Resolved the issue", "type": "options", "skill": "Accuracy",
             "options": [{"label": "Yes", "points": 2}, {"label": "Partial", "points": 1},
                         {"label": "No", "points": 0, "auto_fail": "section"}]},
        ]},
    ],
}

PHONE_CARD = {
    "name": "Phone QA",
    "channels": ["phone"],
    "sections": [{"name": "Call", "questions": [
        {"key": "greeting", "text": "Brand greeting", "type": "yes_no"},
        {"key": "hold", "text": "Asked before hold", "type": "yes_no", "allow_na": True},
    ]}],
}

AGENTS = (("Ann", "Billing"), ("Bob", "Support"), ("Cy", "Support"))
CHANNELS = ("chat", "email", "phone")
BRANDS = ("Northwind", "Contoso")


def make_workspace(path: Path, n: int = 30) -> Workspace:
    """A small workspace: two scorecards and `n` interactions (i = 1..n, external id T-00i):
    channel cycles chat/email/phone, agent Ann/Bob/Cy, one a day from 2024-03-01, CSAT 1-5,
    a subject and a two-speaker transcript."""
    ws = Workspace.open(path)
    ws.scorecards.import_json(json.dumps(SUPPORT_CARD))
    ws.scorecards.import_json(json.dumps(PHONE_CARD))
    ids = {name: ws.interactions.ensure_agent(name, team) for name, team in AGENTS}
    teams = {name: ws.conn.execute("SELECT team_id FROM agents WHERE id = ?", (ids[name],)).fetchone()[0]
             for name in ids}
    now = utc_now()
    rows = []
    for i in range(1, n + 1):
        agent = AGENTS[(i - 1) % 3][0]
        csat = (i % 5) + 1
        subject = "Refund for a broken lamp" if i % 4 == 0 else f"Order question {i}"
        transcript = (f"Customer: Hi, my order {i} has a problem.\n"
                      f"Agent: Hello! I'm sorry to hear that, let me check order {i}.\n"
                      f"Customer: Thanks.\nAgent: It is fixed now. Anything else?")
        rows.append((new_uuid(), f"T-{i:03d}", CHANNELS[(i - 1) % 3], ids[agent], teams[agent],
                     BRANDS[i % 2], f"2024-03-{(i - 1) % 28 + 1:02d}T{9 + i % 8:02d}:00:00",
                     str(csat), "1-5", (csat - 1) / 4, int(csat >= 4), subject, transcript, now, now))
    with ws.transaction() as conn:
        conn.executemany(
            """INSERT INTO interactions (uuid, external_id, channel, agent_id, team_id, brand, occurred_at,
               csat_raw, csat_scale, csat_norm, satisfied, subject, transcript, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    return ws


def open_on(screen, ws: Workspace) -> None:
    """What the main window does when it opens `ws`: give it to the screen, announce it."""
    from qagrader.core.storage.changes import Changes
    from qagrader.gui.operations import operations

    screen.set_workspace(ws)
    operations().announce(Changes.everything())


def announce_writes(ws: Workspace) -> None:
    """Tell the screens what the test just wrote to `ws` directly (not through the GUI), as
    another program's writes would be: what the core recorded."""
    from qagrader.gui.operations import operations

    operations().announce(ws.take_changes())


def shown_main_window(qtbot, path: Path, *, size: tuple[int, int] | None = None, create: bool = True):
    """The desktop app opened on `path`, shown and active, so that keys reach it.
    (`qtbot.waitActive` is a context manager: called plainly it waits for nothing.)"""
    from qagrader.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    assert win.open_workspace(path, create=create)
    if size is not None:
        win.resize(*size)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
    return win


def interaction_id(ws: Workspace, external_id: str) -> int:
    return ws.interactions.by_external_id(external_id).id


def use_settings_folder(folder: Path) -> None:
    """Point QSettings at `folder` (also used by the subprocess of the kill test)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("QA Grader Tests")
    QCoreApplication.setApplicationName("QA Grader Tests")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory):
    """Each test gets empty settings in its own folder, with grader name 'Tester'."""
    folder = tmp_path_factory.mktemp("settings")
    use_settings_folder(folder)
    settings = QSettings()
    settings.clear()
    settings.setValue("grading/grader", GRADER)
    settings.sync()
    yield folder


@pytest.fixture(autouse=True)
def gui_isolated(request):
    """Widgets of earlier tests are gone (pytest-qt deletes them later), so they do not hear
    this test's announcements; after the test every write the GUI asked for has finished and
    the writers are gone."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from qagrader.gui.operations import operations

    if QApplication.instance() is not None:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    yield

    ops = operations()
    settled = ops.settle(timeout_s=20)
    ops.shutdown()
    assert settled, f"writes still pending after the test: {ops.pending()}"


@pytest.fixture
def workspace(tmp_path):
    ws = make_workspace(tmp_path / "fixture.qagrader")
    yield ws
    ws.close()
