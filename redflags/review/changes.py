"""What changed since a decision: on the listed side (records added, removed or altered, by
property), on the party's side (screened properties), and in the score."""

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from redflags.review.fingerprint import party_changes
from redflags.store import tables as t


def listed_changes(conn: Connection, before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    from redflags.store.sql import diff_records

    changed = {rid for rid in set(before) | set(after) if before.get(rid) != after.get(rid)}
    hashes = {h for rid in changed for h in (before.get(rid), after.get(rid)) if h}
    data = dict(conn.execute(sa.select(t.entity_data.c.hash, t.entity_data.c.data)
                             .where(t.entity_data.c.hash.in_(sorted(hashes)))).all()) if hashes else {}
    out: list[dict[str, Any]] = []
    for rid in sorted(changed):
        old, new = before.get(rid), after.get(rid)
        if old is None:
            out.append({"side": "listed", "record": rid, "field": "*", "note": "a record joined the listed party"})
        elif new is None:
            out.append({"side": "listed", "record": rid, "field": "*", "note": "a record left the listed party"})
        elif old in data and new in data:
            diff = diff_records(json.loads(data[old]), json.loads(data[new]))
            for name, change in diff.items():
                out.append({"side": "listed", "record": rid, "field": name, **change})
            if not diff:
                out.append({"side": "listed", "record": rid, "field": "*",
                            "note": "the record's source data changed (values as published, not its properties)"})
        else:
            out.append({"side": "listed", "record": rid, "field": "*", "note": "the record changed"})
    return out


def since_decision(conn: Connection, decision: Any, party_fp: str, query: dict[str, Any] | None,
                   listed_fp: str, listed_records: dict[str, str], score: float, margin: float) -> list[dict[str, Any]]:
    """Empty when the decision still holds for this screening."""
    out: list[dict[str, Any]] = []
    if decision["party_fingerprint"] != party_fp:
        before = conn.execute(sa.select(t.snapshots.c.properties)
                              .where(t.snapshots.c.fingerprint == decision["party_fingerprint"])).scalar()
        out.extend(party_changes(before, query))
    if decision["listed_fingerprint"] != listed_fp:
        out.extend(listed_changes(conn, decision["listed_records"] or {}, listed_records))
    if score > decision["score"] + margin + 1e-9:
        out.append({"side": "score", "field": "score", "before": decision["score"], "after": score,
                    "note": f"the score rose by more than {margin}"})
    return out
