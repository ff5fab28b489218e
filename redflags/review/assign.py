"""Assigning alerts to analysts: one audit entry per assignment, in the same transaction."""

from typing import Any

import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.exc import NotFoundError, QueryError
from redflags.store import tables as t

MAX_ASSIGNEE = 200


def assign(store: Any, alert_ids: list[int], assignee: str | None, actor: str) -> int:
    """Assign the alerts to ``assignee`` (None or "": unassign them); the number assigned."""
    name = (assignee or "").strip() or None
    if name is not None and len(name) > MAX_ASSIGNEE:
        raise QueryError(f"an assignee's name has at most {MAX_ASSIGNEE} characters")
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        return 0
    a = t.alerts
    with audited(store.engine) as log:
        found = set(log.conn.execute(sa.select(a.c.id).where(a.c.id.in_(ids))).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(f"no alert {missing[0]}")
        log.conn.execute(a.update().where(a.c.id.in_(ids)).values(assignee=name))
        for alert_id in ids:
            log.add("alert.assigned", f"alert:{alert_id}", actor, {"assignee": name})
    return len(ids)
