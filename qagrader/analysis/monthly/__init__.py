"""The monthly quality report: its content, its A4 pages, and writing it as PDF, PNG or CSV."""
