"""Appending to the chain. An entry's hash covers its sequence number, time, actor, action,
subject, the hash of the row it records, the hash of its payload and the previous entry's hash.

A payload carries a random nonce, so that once retention has emptied it the remaining hash
cannot be matched against guessed names.
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from redflags.store import tables as t

GENESIS = "0" * 64
"""The previous hash of the first entry."""


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(seq: int, at: str, actor: str, action: str, subject: str, record_hash: str | None,
               payload_hash: str, prev_hash: str) -> str:
    return sha256_hex(canonical([seq, at, actor, action, subject, record_hash, payload_hash, prev_hash]))


@dataclass(frozen=True)
class Entry:
    action: str
    """What happened: ``list.loaded``, ``screening.recorded``, ``alert.decided``, ..."""
    subject: str
    """What it happened to: ``alert:12``, ``screenings:40-289``, ``dataset:us_csl``."""
    actor: str
    payload: dict[str, Any]
    record_hash: str | None = None
    """The hash of the row this entry records, recomputed by ``verify`` from the row itself."""


def lock_head(conn: Connection) -> tuple[int, str]:
    """The first statement of an audited transaction: takes the log's write lock (the head row
    on PostgreSQL; SQLite's database lock, by writing first) and returns the head."""
    head = t.audit_head
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        conn.execute(insert(head).values(id=1, seq=0, entry_hash=GENESIS).on_conflict_do_nothing())
        row = conn.execute(sa.select(head.c.seq, head.c.entry_hash).where(head.c.id == 1).with_for_update()).one()
    else:
        if conn.execute(head.update().where(head.c.id == 1).values(seq=head.c.seq)).rowcount == 0:
            conn.execute(head.insert().values(id=1, seq=0, entry_hash=GENESIS))
        row = conn.execute(sa.select(head.c.seq, head.c.entry_hash).where(head.c.id == 1)).one()
    return int(row[0]), str(row[1])


def append_entries(conn: Connection, entries: list[Entry], head: tuple[int, str] | None = None) -> tuple[int, str]:
    """Append ``entries`` after the head (locked now unless given) and move the head."""
    seq, prev = head or lock_head(conn)
    if not entries:
        return seq, prev
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    rows = []
    for entry in entries:
        seq += 1
        payload = canonical({**entry.payload, "nonce": secrets.token_hex(16)})
        payload_hash = sha256_hex(payload)
        current = entry_hash(seq, at, entry.actor, entry.action, entry.subject, entry.record_hash, payload_hash, prev)
        rows.append({"seq": seq, "at": at, "actor": entry.actor, "action": entry.action, "subject": entry.subject,
                     "record_hash": entry.record_hash, "payload": payload.decode("utf-8"),
                     "payload_hash": payload_hash, "prev_hash": prev, "entry_hash": current})
        prev = current
    conn.execute(t.audit_log.insert(), rows)
    conn.execute(t.audit_head.update().where(t.audit_head.c.id == 1).values(seq=seq, entry_hash=prev))
    return seq, prev


class Log:
    """The entries of one audited transaction, appended when it commits."""

    def __init__(self, conn: Connection, head: tuple[int, str]) -> None:
        self.conn = conn
        self.head = head
        self.entries: list[Entry] = []

    def add(self, action: str, subject: str, actor: str, payload: dict[str, Any] | None = None,
            record_hash: str | None = None) -> None:
        self.entries.append(Entry(action, subject, actor or "unknown", payload or {}, record_hash))

    def flush(self) -> None:
        self.head = append_entries(self.conn, self.entries, self.head)
        self.entries = []


@contextmanager
def audited(engine: Engine) -> Iterator[Log]:
    """A transaction whose writes and audit entries commit together, or not at all."""
    with engine.begin() as conn:
        log = Log(conn, lock_head(conn))
        yield log
        log.flush()
