"""The store's side of merging parties: analysts' judgements, and what an index is built from."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from redflags.audit.chain import Entry, append_entries
from redflags.exc import QueryError
from redflags.store import quick
from redflags.store import tables as t

JUDGEMENTS = ("positive", "negative")


class JudgementsMixin:
    engine: Engine
    url: str

    def judge(self, left_id: str, right_id: str, judgement: str, actor: str, reason: str = "") -> dict[str, Any]:
        """Record that two records are the same party (``positive``) or not (``negative``). The
        newest judgement of a pair is the one in force; the older ones stay, as its history."""
        if judgement not in JUDGEMENTS:
            raise QueryError(f"a judgement is one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
        left, right = sorted((left_id.strip(), right_id.strip()))
        if not left or left == right:
            raise QueryError("a judgement needs two different record ids")
        row = {"left_id": left, "right_id": right, "judgement": judgement, "actor": actor or "unknown",
               "reason": reason or None, "created_at": datetime.now(UTC)}
        with self.engine.begin() as conn:
            inserted = conn.execute(t.judgements.insert().values(**row)).inserted_primary_key
            row["id"] = inserted[0] if inserted else None
            append_entries(conn, [Entry(f"records.{'linked' if judgement == 'positive' else 'unlinked'}",
                                        f"judgement:{row['id']}", str(row["actor"]),
                                        {"left": left, "right": right, "reason": reason or None})])
        return _judgement_dict(row)

    def judgements(self, record_id: str | None = None, history: bool = False) -> list[dict[str, Any]]:
        """The judgements in force (the newest of each pair), or every one with ``history``;
        of one record, or of all."""
        query = sa.select(t.judgements).order_by(t.judgements.c.id)
        if record_id is not None:
            query = query.where(sa.or_(t.judgements.c.left_id == record_id, t.judgements.c.right_id == record_id))
        with self.engine.connect() as conn:
            rows = [_judgement_dict(r) for r in conn.execute(query).mappings()]
        if history:
            return rows
        newest = {(r["left_id"], r["right_id"]): r for r in rows}
        return sorted(newest.values(), key=lambda r: r["id"])

    def record_exists(self, record_id: str) -> bool:
        """Whether an active list version has a record of this id."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.entities.c.entity_id)
                                .join(t.versions, t.versions.c.id == t.entities.c.version_id)
                                .where(t.entities.c.entity_id == record_id, t.versions.c.status == "active")
                                .limit(1)).first() is not None

    def index_state(self) -> dict[str, Any]:
        """What the index of the active lists is built from, cheaply: the store, each active
        version (id and load time: a recreated database reuses ids), and the judgements. The
        same as ``quick.index_state`` reads for SQLite without SQLAlchemy."""
        with self.engine.connect() as conn:
            versions = conn.execute(sa.select(t.versions.c.dataset, t.versions.c.id,
                                              sa.cast(t.versions.c.finished_at, sa.String))
                                    .where(t.versions.c.status == "active").order_by(t.versions.c.dataset)).all()
            count, newest = conn.execute(sa.select(sa.func.count(), sa.func.max(t.judgements.c.id))).one()
        return quick.state(self.url, [list(v) for v in versions], count, newest)


def _judgement_dict(row: Any) -> dict[str, Any]:
    at = row["created_at"]
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return {"id": row["id"], "left_id": row["left_id"], "right_id": row["right_id"], "judgement": row["judgement"],
            "actor": row["actor"], "reason": row["reason"],
            "created_at": at.isoformat(timespec="seconds") if at else None}
