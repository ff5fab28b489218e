"""Retention: after ``retention.years`` the screened parties' own details are purged. What stays
is what proves the diligence: screenings, alerts, decisions, and the audit chain, which holds
hashes (with nonces) of those details, never only the details, and so still verifies."""

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.review.config import get_config
from redflags.store import tables as t

KEPT_ACTIONS = ("list.", "key.", "config.", "retention.")
"""Audit entries whose payloads carry no screened party's details."""


def purge(store: Any, actor: str, years: int | None = None, before: datetime | None = None) -> dict[str, Any]:
    """Purge what is older than ``before`` (default: now less ``retention.years``)."""
    if before is None:
        years = years or int(get_config(store, "retention.years"))
        before = datetime.now(UTC) - timedelta(days=round(365.25 * years))
    stamp = before.isoformat(timespec="microseconds")
    with audited(store.engine) as log:
        conn = log.conn
        parties = conn.execute(t.parties.update().where(t.parties.c.updated_at < before,
                                                        t.parties.c.properties.is_not(None))
                               .values(properties=None, purged_at=datetime.now(UTC))).rowcount
        snapshots = conn.execute(t.snapshots.update().where(t.snapshots.c.created_at < before,
                                                            t.snapshots.c.properties.is_not(None))
                                 .values(properties=None)).rowcount
        kept = sa.or_(*(t.audit_log.c.action.startswith(a) for a in KEPT_ACTIONS))
        payloads = conn.execute(t.audit_log.update().where(t.audit_log.c.at < stamp, t.audit_log.c.payload.is_not(None),
                                                           sa.not_(kept)).values(payload=None)).rowcount
        counts = {"before": stamp, "parties": parties, "snapshots": snapshots, "audit_payloads": payloads}
        log.add("retention.purged", f"before:{stamp}", actor, counts)
    return counts
