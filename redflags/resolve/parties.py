"""Records of the same party grouped: by shared publisher keys, and by analysts' judgements.

A positive judgement (``lists link A B``) joins two records whatever their keys; a negative one
(``lists unlink A B``) keeps them apart even when keys join them, directly or through other
records. Each party is named by its canonical record: the one from the most authoritative
publisher (OFAC's and the UN's own files before the lists that copy them), then the smallest id.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from redflags.resolve.keys import publisher_keys

PRIORITY = ("us_ofac_sdn", "us_ofac_cons", "un_sc", "gb_hmt", "eu_fsf", "us_bis_dpl", "us_csl")
"""Datasets in the order their record names a party: a publisher's own file first."""


@dataclass
class Party:
    """One listed party and the records that list it."""

    id: str
    records: list[dict[str, Any]]
    keys: set[str] = field(default_factory=set)
    """The publisher keys that joined the records ("ofac:30946")."""

    @property
    def referents(self) -> list[str]:
        return [r["id"] for r in self.records]


def _rank(record: dict[str, Any]) -> tuple[int, str]:
    dataset = record.get("dataset", "")
    return (PRIORITY.index(dataset) if dataset in PRIORITY else len(PRIORITY), record["id"])


class _Sets:
    """Union-find over record ids that refuses a union joining a negatively judged pair."""

    def __init__(self, ids: Iterable[str], apart: dict[str, set[str]]) -> None:
        self.parent = {i: i for i in ids}
        self.members = {i: {i} for i in self.parent}
        self.apart = apart

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, large = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if any(self.apart.get(m, set()) & self.members[large] for m in self.members[small]):
            return False
        self.parent[small] = large
        self.members[large] |= self.members.pop(small)
        return True


def parties(records: Iterable[dict[str, Any]], judgements: Iterable[dict[str, Any]] = ()) -> list[Party]:
    """The parties of ``records`` (stored record dicts), in the order of their first record."""
    by_id: dict[str, dict[str, Any]] = {}
    keys_of: dict[str, set[str]] = {}
    holders: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_id[record["id"]] = record
        keys = publisher_keys(record)
        keys_of[record["id"]] = keys
        for key in keys:
            holders[key].append(record["id"])
    apart: dict[str, set[str]] = defaultdict(set)
    links: list[tuple[str, str]] = []
    for judgement in judgements:
        left, right = judgement["left_id"], judgement["right_id"]
        if left not in by_id or right not in by_id:
            continue
        if judgement["judgement"] == "negative":
            apart[left].add(right)
            apart[right].add(left)
        else:
            links.append((left, right))
    sets = _Sets(by_id, apart)
    for left, right in links:  # an analyst's link first: it wins over what keys would refuse
        sets.union(left, right)
    for key in sorted(holders):
        ids = holders[key]
        for other in ids[1:]:
            sets.union(ids[0], other)
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id in by_id:
        groups[sets.find(record_id)].append(record_id)
    out = []
    for members in groups.values():
        recs = sorted((by_id[m] for m in members), key=_rank)
        keys = set.intersection(*(keys_of[r["id"]] for r in recs)) if len(recs) > 1 else keys_of[recs[0]["id"]]
        out.append(Party(recs[0]["id"], recs, keys))
    return out


def merged(party: Party) -> dict[str, Any]:
    """One stored-record dict for a party: the canonical record's id, schema and caption; the
    union of every record's properties, lists, identifiers and sanctions; ``referents`` and
    ``records`` saying which record each came from."""
    first = party.records[0]
    if len(party.records) == 1:
        return {**first, "referents": [first["id"]], "records": [_summary(first)]}
    props: dict[str, list[str]] = {}
    for record in party.records:
        for prop, values in (record.get("properties") or {}).items():
            bucket = props.setdefault(prop, [])
            bucket.extend(v for v in values if v not in bucket)
    out = dict(first)
    out["properties"] = props
    out["lists"] = list(dict.fromkeys(n for r in party.records for n in r.get("lists", [])))
    out["identifiers"] = [i for n, i in enumerate(x for r in party.records for x in r.get("identifiers", []))]
    out["sanctions"] = [s for r in party.records for s in r.get("sanctions", [])]
    out["datasets"] = list(dict.fromkeys(r.get("dataset", "") for r in party.records))
    out["referents"] = party.referents
    out["records"] = [_summary(r) for r in party.records]
    out["merged_by"] = sorted(party.keys)
    return out


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "dataset": record.get("dataset", ""), "lists": record.get("lists", []),
            "caption": record.get("caption", "")}
