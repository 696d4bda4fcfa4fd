"""The `qagrader` command: a thin argparse layer over the core and the analysis."""
