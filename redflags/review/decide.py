"""Deciding alerts, and the second pair of eyes.

A decision names the alert version it was made on: if the alert moved since (another
analyst decided, a screening re-opened it), the decision is refused with a conflict and
nothing is written. Decisions are rows of their own, never updates: the newest in force is
the alert's ``decision_id``. Where four-eyes applies, a decision waits (``pending_id``) until a
different actor approves it.
"""

from typing import Any

import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.audit.records import approval_hash, decision_hash, now
from redflags.exc import ConflictError, ForbiddenError, NotFoundError, QueryError
from redflags.review.config import get_config
from redflags.review.record import DECISIONS, decision_brief
from redflags.store import tables as t
from redflags.store.db import insert_ignore


def needs_approval(rule: dict[str, Any], alert: dict[str, Any], decision: str) -> bool:
    if decision not in (rule.get("decisions") or []):
        return False
    min_score, lists = rule.get("min_score"), set(rule.get("lists") or [])
    on = {*alert["lists"], *((alert.get("hit") or {}).get("datasets") or [])}  # list names or dataset names
    return (min_score is not None and alert["score"] >= float(min_score)) or bool(lists & on)


def _locked_alert(conn: Any, alert_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(t.alerts).where(t.alerts.c.id == alert_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no alert {alert_id}")
    return dict(row)


def decide(store: Any, alert_id: int, decision: str, reason: str, comment: str | None, actor: str,
           role: str | None = None, version: int | None = None) -> dict[str, Any]:
    """Decide an alert. ``version`` is the alert's version the actor saw; a decision on an alert
    that moved since is refused (ConflictError), and nothing is written."""
    if decision not in DECISIONS:
        raise QueryError(f"a decision is one of {', '.join(DECISIONS)}, not {decision!r}")
    config = get_config(store)
    if reason not in config["review.reasons"]:
        raise QueryError(f"unknown reason {reason!r}; one of {', '.join(config['review.reasons'])} "
                         "(`redflags config show review.reasons`)")
    with audited(store.engine) as log:
        conn = log.conn
        alert = _locked_alert(conn, alert_id)
        if version is not None and alert["version"] != version:
            raise ConflictError(f"alert {alert_id} changed since you read it (version {version}, now "
                                f"{alert['version']}, {alert['status']}): read it again, then decide")
        pending = needs_approval(config["review.four_eyes"], alert, decision)
        row = {"alert_id": alert_id, "decision": decision, "reason": reason, "comment": comment or None,
               "actor": actor, "role": role, "at": now(), "score": alert["last_score"],
               "party_fingerprint": alert["party_fingerprint"], "listed_fingerprint": alert["listed_fingerprint"],
               "listed_records": alert["listed_records"], "supersedes": alert["decision_id"],
               "needs_approval": pending}
        row["hash"] = decision_hash(row)
        decision_id = conn.execute(t.decisions.insert().values(**row)).inserted_primary_key[0]  # type: ignore[index]
        _snapshot(conn, alert)
        values: dict[str, Any] = {"version": alert["version"] + 1, "updated_at": row["at"]}
        if pending:
            values["pending_id"] = decision_id
        else:
            values.update(decision_id=decision_id, status=decision, changes=None, pending_id=None)
        done = conn.execute(t.alerts.update().where(t.alerts.c.id == alert_id, t.alerts.c.version == alert["version"])
                            .values(**values))
        if done.rowcount != 1:
            raise ConflictError(f"alert {alert_id} changed while deciding it: read it again, then decide")
        if not pending:
            _announce(conn, {**alert, **values}, decision_id, decision, reason, actor)
        log.add("alert.decision_pending" if pending else "alert.decided", f"decision:{decision_id}", actor,
                {"alert": alert_id, "decision": decision, "reason": reason, "comment": comment or None,
                 "role": role, "score": alert["last_score"], "listed": alert["listed_id"],
                 "supersedes": alert["decision_id"]}, record_hash=row["hash"])
    return {**decision_brief({**row, "id": decision_id}), "alert": alert_id, "pending": pending,
            "alert_version": values["version"], "status": values.get("status", alert["status"])}


def approve(store: Any, alert_id: int, actor: str, role: str | None = None) -> dict[str, Any]:
    """Approve the decision pending on an alert: by another actor than the one who made it, with
    the approver role when one is given (the API); the CLI is the operator's own."""
    rule = get_config(store, "review.four_eyes")
    with audited(store.engine) as log:
        conn = log.conn
        alert = _locked_alert(conn, alert_id)
        if not alert["pending_id"]:
            raise ConflictError(f"alert {alert_id} has no decision waiting for approval")
        decision = conn.execute(sa.select(t.decisions).where(t.decisions.c.id == alert["pending_id"])).mappings().one()
        if decision["actor"] == actor:
            raise ForbiddenError(f"{actor} made decision {decision['id']}: a second, different person must approve it")
        wanted = rule.get("approver_role") or "admin"
        if role is not None and role != wanted and not (wanted == "analyst" and role == "admin"):
            raise ForbiddenError(f"approving needs the {wanted} role; this key has {role}")
        row = {"decision_id": decision["id"], "actor": actor, "role": role, "at": now()}
        row["hash"] = approval_hash(row)
        approval_id = conn.execute(t.approvals.insert().values(**row)).inserted_primary_key[0]  # type: ignore[index]
        version = alert["version"] + 1
        conn.execute(t.alerts.update().where(t.alerts.c.id == alert_id).values(
            decision_id=decision["id"], status=decision["decision"], pending_id=None, changes=None, version=version,
            updated_at=row["at"]))
        _announce(conn, {**alert, "status": decision["decision"], "version": version}, decision["id"],
                  decision["decision"], decision["reason"], decision["actor"], approved_by=actor)
        log.add("decision.approved", f"approval:{approval_id}", actor,
                {"alert": alert_id, "decision": decision["id"], "role": role}, record_hash=row["hash"])
    return {"approval": approval_id, "alert": alert_id, "decision": decision_brief(decision), "actor": actor,
            "status": decision["decision"], "alert_version": version}


def _announce(conn: Any, alert: dict[str, Any], decision_id: int, decision: str, reason: str, actor: str,
              **extra: Any) -> None:
    from redflags.monitor.events import alert_payload, emit

    party = conn.execute(sa.select(t.parties.c.key, t.parties.c.source).where(t.parties.c.id == alert["party_id"])).one()
    emit(conn, [("alert.decided", party[1], f"alert:{alert['id']}",
                 alert_payload(alert, party[0], party[1], decision={"id": decision_id, "decision": decision,
                                                                     "reason": reason, "actor": actor, **extra}))])


def _snapshot(conn: Any, alert: dict[str, Any]) -> None:
    """Keep the party's screened properties the decision was made on: what a later change of
    them is shown against."""
    props = conn.execute(sa.select(t.parties.c.properties).where(
        t.parties.c.id == alert["party_id"], t.parties.c.fingerprint == alert["party_fingerprint"])).scalar()
    if props is not None:
        conn.execute(insert_ignore(conn.engine, t.snapshots).values(
            fingerprint=alert["party_fingerprint"], properties=props, created_at=now()))
