"""Start the QA Grader desktop app: `python main.py [--db PATH] [--theme system|light|dark]`."""

import sys

from qagrader.gui.app import run

if __name__ == "__main__":
    sys.exit(run())
