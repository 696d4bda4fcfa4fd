"""Calibration: sessions in which several graders grade the same interactions blind
(`sessions`, `grading`, `sampling`, `grades`) and their tables' merge steps (`merging`); their
row writers are in `core/storage/writers.py` with every other table's. The statistics are in `qagrader.analysis.calibration`."""
