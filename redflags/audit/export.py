"""The log for an examiner: every entry in a time range, as JSON lines or CSV."""

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from redflags.store import tables as t

COLUMNS = ("seq", "at", "actor", "action", "subject", "record_hash", "payload_hash", "prev_hash", "entry_hash",
           "payload")


def last_seq(engine: Engine) -> int:
    """The sequence number of the newest entry (0: the log is empty)."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(t.audit_log.c.seq))).scalar() or 0)


def entries(engine: Engine, since: str | None = None, until: str | None = None, action: str | None = None,
            after: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Entries in sequence order; times compare as ISO 8601 UTC text (a date is its midnight)."""
    log = t.audit_log
    query = sa.select(log).where(log.c.seq > after).order_by(log.c.seq)
    if since:
        query = query.where(log.c.at >= since)
    if until:
        query = query.where(log.c.at < until)
    if action:
        query = query.where(log.c.action.startswith(action))
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=2000).execute(query).mappings():
            item = {str(k): v for k, v in row.items()}
            item["payload"] = json.loads(row["payload"]) if row["payload"] is not None else None
            yield item


def export_entries(engine: Engine, out: IO[str], fmt: str = "jsonl", since: str | None = None,
                   until: str | None = None) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for item in entries(engine, since, until):
            payload = item["payload"]
            writer.writerow([*(item[c] for c in COLUMNS[:-1]),
                             "" if payload is None else json.dumps(payload, ensure_ascii=False, sort_keys=True)])
            count += 1
    else:
        for item in entries(engine, since, until):
            out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
