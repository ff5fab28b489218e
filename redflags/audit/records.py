"""Hashes of the rows the log records: a decision, an approval, a batch of screenings. ``verify``
recomputes them from the rows, so an edit to the tables themselves is caught, not only an edit
to the log. Row ids are left out (the log's subject names them), times are hashed as UTC ISO."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from redflags.audit.chain import canonical, sha256_hex

SCREENING = ("party_id", "run_id", "row", "at", "actor", "versions", "matcher", "party_fingerprint", "status",
             "hits")
DECISION = ("alert_id", "decision", "reason", "comment", "actor", "role", "at", "score", "party_fingerprint",
            "listed_fingerprint", "listed_records", "supersedes", "needs_approval")
APPROVAL = ("decision_id", "actor", "role", "at")


def iso(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


@lru_cache(maxsize=256)
def _iso(value: datetime) -> str:
    """(The rows of one batch share one time: formatted once.)"""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(row: Any, fields: tuple[str, ...]) -> str:
    return sha256_hex(canonical([iso(row[f]) for f in fields]))


def screening_hash(row: Any) -> str:
    return row_hash(row, SCREENING)


def decision_hash(row: Any) -> str:
    return row_hash(row, DECISION)


def approval_hash(row: Any) -> str:
    return row_hash(row, APPROVAL)


def batch_hash(hashes: list[str]) -> str:
    """Of the screenings one entry records, in id order: a row deleted, added or changed shows."""
    return sha256_hex("\n".join(hashes).encode("ascii"))


def now() -> datetime:
    """A time as stored and hashed: UTC, to the microsecond."""
    return datetime.now(UTC)
