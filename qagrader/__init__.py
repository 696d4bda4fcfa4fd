"""QA Grader: offline customer-service QA grading with CSAT analysis."""

__version__ = "0.1.0"
