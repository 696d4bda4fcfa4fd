"""Browsing: the interactions browser's SQL (filters, sorting, fast first pages, display rows)."""
