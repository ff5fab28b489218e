"""Screening: retrieve candidates from the index, score them, shape the hits."""

from redflags.screen.screen import Screener, compare, make_query

__all__ = ["Screener", "compare", "make_query"]
