"""The PySide6 desktop app: a thin layer over `qagrader.core` and `qagrader.analysis`."""
