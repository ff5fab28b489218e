"""A link between a party and a listed party: who, how, since and until when, and on whose word."""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

RELATIONS = {
    "brand": "brand of",
    "subsidiary": "subsidiary of",
    "former_subsidiary": "former subsidiary of",
    "affiliate": "affiliate of",
    "owned": "owned by",
    "linked": "linked to",
    "director": "directed by",
}
"""Relation codes and how a path reads them (``EZVIZ → brand of → Hikvision``)."""

OWNERSHIP = {"subsidiary", "former_subsidiary", "owned"}
"""Relations that are ownership, to which an ownership rule (50 percent) can apply."""

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def parse_partial(value: Any, end: bool = False) -> dt.date | None:
    """A date written as ``2020``, ``2020-11`` or ``2020-11-17``: the first day it can mean, or
    with ``end`` the last (a relation that ended "in 2023" lasted, at most, until 31 December)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _PARTIAL.match(str(value).strip()[:10])
    if not m:
        raise ValueError(f"not a date: {value!r} (write 2020, 2020-11 or 2020-11-17)")
    year, month, day = int(m[1]), m[2], m[3]
    if day:
        return dt.date(year, int(month), int(day))
    if month:
        first = dt.date(year, int(month), 1)
        if not end:
            return first
        following = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)


@dataclass(frozen=True)
class Link:
    """``names`` (in every script they are written in) are ``relation`` of ``parent``."""

    id: str
    names: tuple[str, ...]
    relation: str
    parent: str
    """The listed party as listed (a name), resolved against the active lists."""
    source: str
    """Where the link is documented: a URL, or the list record it was read from."""
    origin: str
    """curated | list | user: the table shipped with redflags, a list's own data, a loaded file."""
    parent_aliases: tuple[str, ...] = ()
    """Other names the lists give ``parent`` under (a firm listed by its short name)."""
    parent_ids: tuple[str, ...] = ()
    """The listed records of ``parent`` when the source names them (an FtM ownership does)."""
    share: float | None = None
    start: str | None = None
    end: str | None = None
    schema: str = "Company"
    countries: tuple[str, ...] = ()
    note: str | None = None
    named: bool = False
    """The list's own entry names this party (a subsidiary the UFLPA list names in an entry)."""

    @property
    def caption(self) -> str:
        return self.names[0]

    def reads(self) -> str:
        return RELATIONS.get(self.relation, self.relation.replace("_", " "))

    def in_force(self, on: dt.date) -> tuple[bool, str]:
        """Whether the relation held on ``on``, and why (for the explanation)."""
        start, end = parse_partial(self.start), parse_partial(self.end, end=True)
        if start and on < start:
            return False, f"began {self.start}, after {on.isoformat()}"
        if end and on > end:
            return False, f"ended {self.end}, before {on.isoformat()}"
        if end:
            return True, f"held on {on.isoformat()} (ended {self.end})"
        return True, f"held on {on.isoformat()}" + (f" (since {self.start})" if self.start else "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "names": list(self.names), "relation": self.relation,
                               "parent": self.parent, "source": self.source, "origin": self.origin}
        if self.named:
            out["named"] = True
        for key in ("share", "start", "end", "note"):
            if getattr(self, key) not in (None, ""):
                out[key] = getattr(self, key)
        if self.parent_ids:
            out["parent_ids"] = list(self.parent_ids)
        if self.parent_aliases:
            out["parent_aliases"] = list(self.parent_aliases)
        return out
