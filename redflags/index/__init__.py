"""Candidate retrieval: an in-memory inverted index over every name of every entity."""

from redflags.index.blocker import Candidate, Index

__all__ = ["Candidate", "Index"]
