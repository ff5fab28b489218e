"""Linked parties: brands, subsidiaries and affiliates of listed parties, and the rules that reach them.

``links_of(index)`` are the links an index's lists state (read when it was built) and the table
shipped with redflags; ``LinkScreener`` finds them for a query and follows each to its listed
party. Works without HTTP or click: the CLI, the API and batch screening only call it.
"""

from typing import Any

from redflags.links.derive import curated, from_records, link_from_dict, link_of, link_to_dict
from redflags.links.model import RELATIONS, Link, parse_partial
from redflags.links.rules import load_rules, rules_for
from redflags.links.screen import LinkScreener


def links_of(index: Any) -> list[Link]:
    """The links of an index's lists plus the curated table."""
    stored = index.segment.meta.get("links") or []
    return [*curated(), *(link_from_dict(d) for d in stored)]


__all__ = ["RELATIONS", "Link", "LinkScreener", "curated", "from_records", "link_from_dict", "link_of",
           "link_to_dict", "links_of", "load_rules", "parse_partial", "rules_for"]
