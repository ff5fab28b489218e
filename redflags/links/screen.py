"""Linked-party hits: the query against the names of brands, subsidiaries and affiliates, each
found name followed to the listed party it belongs to.

The linked names have an index of their own (built with the lists' index and kept beside it, see
``index.persist``; in memory for an index built in memory) and are scored with the lists' own word
weights, so that a word common in the lists counts as little here as there.
A linked hit names its path (``EZVIZ → subsidiary of → Hangzhou Hikvision…``), the relation's
dates judged on the row's transaction date or today, the source, and each list's rule. It is
reported apart from direct hits and never raises one.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from redflags.links.model import Link
from redflags.links.rules import rules_for

PARENT_SCORE = 0.9
"""How close a listed party's name must be to a link's ``parent`` for the link to reach it."""

SCREEN_FLOOR = 45.0
"""A linked name is scored only when one of its names is this close to the query at character level
(``closeness``, 0-100): the linked names are few, so their index retrieves nearly every query, and
scoring each would cost as much as the direct screening. A brand inside a longer name (``EZVIZ`` in
``EZVIZ Network``) comes to about 55."""

PARENT_MARGIN = 0.05
"""Listed parties within this of the best are all reached (one firm listed twice, on two lists)."""


def link_records(links: Iterable[Link]) -> list[dict[str, Any]]:
    """The linked names as records to index, numbered in ``links`` order (``link-<n>``)."""
    return [{"id": f"link-{n}", "schema": link.schema, "caption": link.caption, "lists": [],
             "properties": {"name": [link.names[0]], "alias": list(link.names[1:]), "country": list(link.countries)}}
            for n, link in enumerate(links)]


class LinkScreener:
    """The links of a screener's lists (``links``), resolved against it (``direct``). ``index``:
    the linked names' index built with the lists' (``persist``), else one is built here."""

    def __init__(self, links: Iterable[Link], direct: Any, index: Any = None) -> None:
        from redflags.screen.screen import Screener

        self.links = [link for link in links if link.names]
        self.direct = direct
        if index is not None:
            self.screener: Any = Screener(index, weights=direct.index)
        else:
            records = link_records(self.links)
            self.screener = Screener(records, weights=direct.index) if records else None
        self._parents: dict[Link, list[dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self.links)

    def parents(self, link: Link) -> list[dict[str, Any]]:
        """The listed parties ``link`` points at: by record id where the source gives one, else by
        name (the closest listed parties at ``PARENT_SCORE`` or above)."""
        if link in self._parents:
            return self._parents[link]
        from redflags.screen.screen import make_query

        index = self.direct.index
        found: list[dict[str, Any]] = []
        for record_id in link.parent_ids:
            number = index.number(record_id)
            if number is not None:
                cand = index.entity(number)
                found.append({"id": cand.id, "caption": cand.caption, "schema": cand.schema,
                              "datasets": list(cand.datasets), "lists": list(cand.lists),
                              "referents": list(cand.referents), "score": 1.0})
        if not found and link.parent:
            hits = [h for name in (link.parent, *link.parent_aliases)
                    for h in self.direct.match(make_query(name), limit=5, linked=False)]
            best = max((h["score"] for h in hits), default=0.0)
            found = [{k: h[k] for k in ("id", "caption", "schema", "datasets", "lists", "referents", "score")}
                     for h in sorted(hits, key=lambda h: -h["score"])
                     if h["score"] >= PARENT_SCORE and h["score"] >= best - PARENT_MARGIN]
        unique = {p["id"]: p for p in found}
        self._parents[link] = list(unique.values())
        return self._parents[link]

    def match(self, query: Any, threshold: float, limit: int = 5) -> list[dict[str, Any]]:
        """Linked hits for ``query`` whose name scores at ``threshold`` or above, best first; one per
        listed party reached (its best link). ``match`` is false where the relation did not hold
        on the day (the hit is kept: it says why the party was not flagged)."""
        if self.screener is None:
            return []
        on, basis = _day(getattr(query, "on", None))
        by_parent: dict[str, dict[str, Any]] = {}
        for hit in self.screener.match(query, limit=limit, threshold=threshold, cutoff=threshold, linked=False,
                                       floor=SCREEN_FLOOR):
            link = self.links[int(hit["id"].removeprefix("link-"))]
            for parent in self.parents(link):
                path = f"{hit['matched_name']} → {link.reads()} → {parent['caption']} ({', '.join(parent['lists'])})"
                linked = {"party": link.caption, "names": list(link.names), "relation": link.relation,
                          "reads": link.reads(), "parent": parent["caption"], "parent_id": parent["id"],
                          "path": path, "share": link.share, "start": link.start, "end": link.end,
                          "source": link.source, "origin": link.origin, "link_id": link.id, "note": link.note,
                          "parent_score": parent["score"], "name_match": bool(hit["match"]),
                          "name_summary": hit["explanation"]["summary"]}
                entry = {"kind": "linked", "id": f"linked:{parent['id']}", "referents": parent["referents"],
                         "caption": f"{link.caption} → {parent['caption']}", "schema": parent["schema"],
                         "datasets": parent["datasets"], "lists": parent["lists"], "score": hit["score"],
                         "matched_name": hit["matched_name"], "link": linked,
                         "explanation": dict(hit["explanation"])}
                entry = judge(entry, link, on, basis)
                known = by_parent.get(entry["id"])
                if known is None or (entry["match"], entry["score"]) > (known["match"], known["score"]):
                    by_parent[entry["id"]] = entry
        return sorted(by_parent.values(), key=lambda h: (not h["match"], -h["score"], h["id"]))[:limit]

    def on_day(self, hits: Iterable[dict[str, Any]], day: str | None) -> list[dict[str, Any]]:
        """``hits`` (as ``match`` answered them on another day) judged on ``day`` (ISO): whether
        each link held then, and the rules then in force. Matching names does not depend on the day,
        so a file of many transactions by one party is screened once."""
        on, basis = _day(day)
        hits = list(hits)
        by_id = {link.id: link for link in self.links}
        direct = [h for h in hits if h.get("kind") != "linked"]
        linked = [judge(h, by_id[h["link"]["link_id"]], on, basis) for h in hits
                  if h.get("kind") == "linked" and h["link"]["link_id"] in by_id]
        return direct + sorted(linked, key=lambda h: (not h["match"], -h["score"], h["id"]))


def judge(hit: dict[str, Any], link: Link, on: dt.date, basis: str) -> dict[str, Any]:
    """A linked hit judged on ``on``: whether the relation held, the rules, the summary."""
    held, why = link.in_force(on)
    info = hit["link"]
    rules = rules_for(hit["lists"], link, on)
    rule_text = "; ".join(f"{r['title']}: {r['status']}, reaches it: {r['reaches']} ({r['why']})"
                          for r in rules) or "no rule on record for these lists"
    explanation = {**hit["explanation"], "summary": f"LINKED: {info['path']}; {why} ({basis}); source {link.source}"
                   f" | rules: {rule_text} | name: {info['name_summary']}"}
    return {**hit, "match": bool(info["name_match"] and held), "explanation": explanation,
            "link": {**info, "on": on.isoformat(), "date_basis": basis, "in_force": held, "why": why, "rules": rules}}


def _day(on: str | None) -> tuple[dt.date, str]:
    if on:
        return dt.date.fromisoformat(str(on)[:10]), "transaction date"
    return dt.date.today(), "today"
