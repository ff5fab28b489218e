"""What differs between any two versions of one dataset (not only a version and the one before)."""

from typing import Any

import sqlalchemy as sa

from redflags.exc import NotFoundError
from redflags.store import tables as t

SHOWN = 500
"""Entities listed per kind of change; the counts are always complete."""


def diff_versions(store: Any, dataset: str, a: int | None = None, b: int | None = None) -> dict[str, Any]:
    """Entities added, removed and modified from version ``a`` to version ``b`` (default: the active
    version, and the version before it)."""
    v, e = t.versions, t.entities
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(v.c.id, v.c.status, v.c.previous_id, v.c.finished_at, v.c.entity_count)
                                .where(v.c.dataset == dataset).order_by(v.c.id)).mappings().all()
        if not versions:
            raise NotFoundError(f"no dataset {dataset!r}")
        by_id = {row["id"]: row for row in versions}
        if b is None:
            b = next((row["id"] for row in versions if row["status"] == "active"), versions[-1]["id"])
        if a is None:
            a = by_id[b]["previous_id"] if b in by_id else None
        for number in (a, b):
            if number is not None and number not in by_id:
                raise NotFoundError(f"dataset {dataset!r} has no version {number}")

        def hashes(version: int | None) -> dict[str, tuple[str, str]]:
            if version is None:
                return {}
            rows = conn.execute(sa.select(e.c.entity_id, e.c.hash, e.c.caption).where(e.c.version_id == version))
            return {r[0]: (r[1], r[2]) for r in rows}

        before, after = hashes(a), hashes(b)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    modified = sorted(i for i in set(before) & set(after) if before[i][0] != after[i][0])
    return {"dataset": dataset, "a": a, "b": b, "versions": [dict(r) for r in versions],
            "added": len(added), "removed": len(removed), "modified": len(modified),
            "changes": {"added": [{"id": i, "caption": after[i][1]} for i in added[:SHOWN]],
                        "removed": [{"id": i, "caption": before[i][1]} for i in removed[:SHOWN]],
                        "modified": [{"id": i, "caption": after[i][1]} for i in modified[:SHOWN]]}}
