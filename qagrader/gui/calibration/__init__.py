"""The Calibration screen: sessions, blind grading of one's own session items, and results."""

from .view import CalibrationView

__all__ = ["CalibrationView"]
