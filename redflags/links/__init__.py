"""Linked parties: brands, subsidiaries and affiliates of listed parties, and the rules that reach them.

``links_of(meta)`` are the links an index's lists state (read when it was built) and the table
shipped with redflags; ``LinkScreener`` finds them for a query and follows each to its listed
party. Works without HTTP or click: the CLI, the API and batch screening only call it.
"""

from typing import Any

from redflags.links.derive import curated, from_records, link_from_dict, link_of, link_to_dict
from redflags.links.model import RELATIONS, Link, parse_partial
from redflags.links.rules import load_rules, rules_for
from redflags.links.screen import LinkScreener


def links_of(meta: dict[str, Any]) -> list[Link]:
    """The links of an index's lists (from its metadata) plus the curated table, in the order the
    linked names' index numbers them."""
    stored = meta.get("links") or []
    return [link for link in (*curated(), *(link_from_dict(d) for d in stored)) if link.names]


def link_index(index: Any) -> Any:
    """The linked names' index built and kept beside the lists' index (None: build it in memory)."""
    from redflags.index.blocker import Index
    from redflags.index.segment import Damaged, Segment

    folder = getattr(index.segment, "folder", None)
    if folder is None or not (folder / LINKS_FOLDER).is_dir():
        return None
    try:
        return Index(Segment.open(folder / LINKS_FOLDER))
    except Damaged:
        return None


LINKS_FOLDER = "links"
"""Where, inside an index's folder, the index of its linked names is kept."""


__all__ = ["LINKS_FOLDER", "RELATIONS", "Link", "LinkScreener", "curated", "from_records", "link_from_dict",
           "link_index", "link_of", "link_to_dict", "links_of", "load_rules", "parse_partial", "rules_for"]
