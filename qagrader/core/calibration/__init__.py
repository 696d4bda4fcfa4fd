"""Calibration: sessions in which several graders grade the same interactions blind
(`sessions`, `grading`, `sampling`), their tables' row writers (`rows`) and merge steps
(`merging`). The statistics are in `qagrader.analysis.calibration`."""
