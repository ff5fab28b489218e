"""The events outbox."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from redflags.store import tables as t

EVENT_KINDS = ("alert.created", "alert.review_required", "alert.decided", "list.updated")


def emit(conn: Connection, rows: Sequence[tuple[str, str | None, str, dict[str, Any]]]) -> None:
    """``(kind, portfolio, subject, payload)`` rows, in the caller's transaction."""
    if not rows:
        return
    at = datetime.now(UTC)
    conn.execute(t.events.insert(), [{"kind": kind, "portfolio": portfolio, "subject": subject, "payload": payload,
                                      "created_at": at} for kind, portfolio, subject, payload in rows])


def alert_payload(alert: dict[str, Any], party_key: str, portfolio: str | None, **extra: Any) -> dict[str, Any]:
    """What an alert event says: the alert and the listed party. The screened party's own
    details are added at delivery, as far as the hook allows (``party_fields``)."""
    return {"alert": alert["id"], "status": alert["status"], "party": {"key": party_key, "portfolio": portfolio,
                                                                        "id": alert["party_id"]},
            "listed": {"id": alert["listed_id"], "caption": alert["caption"], "lists": alert["lists"]},
            "score": alert.get("last_score", alert.get("score")), **extra}
