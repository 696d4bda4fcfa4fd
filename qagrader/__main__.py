"""`python -m qagrader`: the `qagrader` command."""

import sys

from qagrader.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
