"""Candidate retrieval: an index over every name of every listed party, kept on disk as flat
arrays (``segment``), built once per set of list versions (``persist``) and mapped by every
process that screens.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from redflags.index.blocker import Index
from redflags.index.build import build_lists
from redflags.index.candidate import Candidate, RecordFacts, candidate_from_record


def build_index(records: Iterable[dict[str, Any]], judgements: Iterable[dict[str, Any]] = (),
                dates: Mapping[str, Any] | None = None) -> Index:
    """An index over ``records`` (stored record dicts) held in memory, not written anywhere."""
    return Index(build_lists(records, judgements, dates))


__all__ = ["Candidate", "Index", "RecordFacts", "build_index", "candidate_from_record"]
