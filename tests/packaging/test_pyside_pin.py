"""Why pyproject.toml pins PySide6-Essentials below 6.12, as a test that can lift the pin.

PySide6 6.12.0 drops a reference to None on every call of a void Qt method under CPython 3.11:
after enough calls None's reference count reaches zero and the interpreter aborts ("deallocating
None"), minutes into a session. On 6.12.0 each check below moves the count by -1,000 and the
process aborts at exit. To try a newer release, install it in .venv and run this file: when it
passes, the pin can be raised. (From CPython 3.12 None is immortal and the count never moves.)
"""

from __future__ import annotations

import json
import subprocess
import sys

CALLS = 1000
CHECK = f"""
import json, sys
from PySide6.QtCore import QObject, QPoint, QSize, QTimer
obj, point, size, timer = QObject(), QPoint(), QSize(), QTimer()
void_methods = {{"QObject.setObjectName": (obj.setObjectName, ("x",)), "QPoint.setX": (point.setX, (3,)),
                "QSize.setWidth": (size.setWidth, (2,)), "QTimer.setInterval": (timer.setInterval, (5,))}}
moved = {{}}
for name, (method, args) in void_methods.items():
    method(*args)  # warm up: first-call caches are not what this measures
    before = sys.getrefcount(None)
    for _ in range({CALLS}):
        method(*args)
    moved[name] = sys.getrefcount(None) - before
print(json.dumps(moved))
"""


def test_void_qt_calls_leave_the_reference_count_of_none_alone():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the interpreter died: {done.stderr[-500:]}"
    moved = json.loads(done.stdout)
    assert len(moved) == 4
    assert all(abs(delta) <= 10 for delta in moved.values()), (
        f"None's reference count moved over {CALLS} void calls: {moved}; keep PySide6 pinned below this release")
