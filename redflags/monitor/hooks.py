"""Webhooks: JSON POSTs signed with HMAC-SHA256 over ``timestamp.body``.

The ``Redflags-Signature`` header is ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``, one ``v1`` per
active secret, so a receiver keeps working while secrets are rotated (add the new one, update
the receiver, remove the old one). A receiver checks that one ``v1`` matches and that ``t`` is
recent. Failed deliveries are retried with exponential backoff; the events of one portfolio
reach a hook in the order they happened (a later one waits while an earlier one is retried);
after ``MAX_ATTEMPTS`` a delivery is dead-lettered (``status: dead``, kept with its last error)
and the next one goes.
"""

import hashlib
import hmac
import secrets as secrets_module
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.exc import NotFoundError, QueryError
from redflags.monitor.events import EVENT_KINDS
from redflags.store import tables as t

MAX_ATTEMPTS = 8
BASE_DELAY = 2.0
"""Seconds before the first retry; doubled each time (2 s, 4 s, ... about 4 minutes for the 8th)."""
TIMEOUT = 10.0
PARTY_FIELDS = ("names", "schema", "countries", "identifiers", "birth_dates")


def sign(secrets: list[str], body: bytes, timestamp: int) -> str:
    macs = [hmac.new(s.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
            for s in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={m}" for m in macs)])


def add_hook(store: Any, url: str, events: list[str] | None, actor: str, secret: str | None = None,
             party_fields: list[str] | None = None) -> dict[str, Any]:
    if not url.startswith(("http://", "https://", "mailto:")) or (url.startswith("mailto:") and "@" not in url):
        raise QueryError(f"a webhook is an http:// or https:// URL, or mailto:ADDRESS for e-mail digests, "
                         f"not {url[:40]!r}")
    kinds = list(events or EVENT_KINDS)
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise QueryError(f"unknown event {unknown[0]!r}; one of {', '.join(EVENT_KINDS)}")
    fields = list(party_fields or [])
    if any(f not in PARTY_FIELDS for f in fields):
        raise QueryError(f"party fields are some of {', '.join(PARTY_FIELDS)}")
    secret = secret or "whsec_" + secrets_module.token_urlsafe(24)
    with audited(store.engine) as log:
        # a new hook hears of what happens from now on
        cursor = log.conn.execute(sa.select(sa.func.max(t.events.c.id))).scalar() or 0
        hook_id = log.conn.execute(t.hooks.insert().values(
            url=url, events=kinds, secrets=[secret], party_fields=fields, cursor=cursor,
            created_at=datetime.now(UTC))).inserted_primary_key[0]  # type: ignore[index]
        log.add("hook.created", f"hook:{hook_id}", actor, {"url": url, "events": kinds, "party_fields": fields})
    return {"id": hook_id, "url": url, "events": kinds, "secret": secret, "party_fields": fields}


def rotate_secret(store: Any, hook_id: int, actor: str, keep_old: bool = True) -> str:
    """A new signing secret; the old ones stay active (both sign) until removed with keep_old False."""
    secret = "whsec_" + secrets_module.token_urlsafe(24)
    with audited(store.engine) as log:
        row = log.conn.execute(sa.select(t.hooks.c.secrets).where(t.hooks.c.id == hook_id)).first()
        if row is None:
            raise NotFoundError(f"no webhook {hook_id}")
        kept = list(row[0])[:2] if keep_old else []
        log.conn.execute(t.hooks.update().where(t.hooks.c.id == hook_id).values(secrets=[secret, *kept]))
        log.add("hook.secret_rotated", f"hook:{hook_id}", actor, {"active_secrets": 1 + len(kept)})
    return secret


def hooks(store: Any) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.hooks).order_by(t.hooks.c.id)).mappings().all()
    return [{"id": r["id"], "url": r["url"], "events": r["events"], "party_fields": r["party_fields"],
             "secrets": len(r["secrets"]), "disabled": r["disabled_at"] is not None} for r in rows]


def remove_hook(store: Any, hook_id: int, actor: str) -> None:
    with audited(store.engine) as log:
        done = log.conn.execute(t.hooks.update().where(t.hooks.c.id == hook_id, t.hooks.c.disabled_at.is_(None))
                                .values(disabled_at=datetime.now(UTC)))
        if done.rowcount == 0:
            raise NotFoundError(f"no active webhook {hook_id}")
        log.add("hook.removed", f"hook:{hook_id}", actor, {})


def deliveries(store: Any, hook_id: int | None = None, status: str | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
    d, e = t.deliveries, t.events
    query = (sa.select(d, e.c.kind, e.c.subject).join(e, e.c.id == d.c.event_id).order_by(d.c.id.desc())
             .limit(limit))
    if hook_id is not None:
        query = query.where(d.c.hook_id == hook_id)
    if status is not None:
        query = query.where(d.c.status == status)
    with store.engine.connect() as conn:
        return [{"id": r["id"], "hook": r["hook_id"], "event": r["event_id"], "kind": r["kind"],
                 "subject": r["subject"], "portfolio": r["portfolio"], "status": r["status"],
                 "attempts": r["attempts"], "last_status": r["last_status"], "last_error": r["last_error"],
                 "next_attempt_at": _iso(r["next_attempt_at"]), "delivered_at": _iso(r["delivered_at"])}
                for r in conn.execute(query).mappings()]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def _queue(store: Any, now: datetime) -> None:
    """New events become pending deliveries for each hook that wants them."""
    with store.engine.begin() as conn:
        for hook in conn.execute(sa.select(t.hooks).where(t.hooks.c.disabled_at.is_(None))).mappings().all():
            events = conn.execute(sa.select(t.events.c.id, t.events.c.kind, t.events.c.portfolio)
                                  .where(t.events.c.id > hook["cursor"]).order_by(t.events.c.id)).all()
            if not events:
                continue
            wanted = [{"hook_id": hook["id"], "event_id": eid, "portfolio": portfolio, "status": "pending",
                       "attempts": 0, "next_attempt_at": now} for eid, kind, portfolio in events if kind in hook["events"]]
            if wanted:
                conn.execute(t.deliveries.insert(), wanted)
            conn.execute(t.hooks.update().where(t.hooks.c.id == hook["id"], t.hooks.c.cursor == hook["cursor"])
                         .values(cursor=events[-1][0]))


def _body(store: Any, hook: Any, event: Any, delivery_id: int) -> bytes:
    payload = dict(event["payload"])
    party = payload.get("party")
    if isinstance(party, dict) and hook["party_fields"] and party.get("id"):
        with store.engine.connect() as conn:
            props = conn.execute(sa.select(t.parties.c.properties).where(t.parties.c.id == party["id"])).scalar()
        payload["party"] = {**party, **{f: (props or {}).get(f) for f in hook["party_fields"]}}
    return orjson.dumps({"id": f"evt_{event['id']}", "delivery": delivery_id, "type": event["kind"],
                         "created_at": _iso(event["created_at"]), "data": payload})


def deliver_pending(store: Any, client: Any = None, now: datetime | None = None,
                    max_attempts: int = MAX_ATTEMPTS, base_delay: float = BASE_DELAY) -> dict[str, int]:
    """Send what is due: per hook and portfolio, in event order, stopping at the first that fails."""
    import httpx

    now = now or datetime.now(UTC)
    _queue(store, now)
    counts = {"delivered": 0, "failed": 0, "dead": 0, "waiting": 0}
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    d, e, h = t.deliveries, t.events, t.hooks
    try:
        with store.engine.connect() as conn:
            pending = conn.execute(sa.select(d.c.id, d.c.hook_id, d.c.portfolio, d.c.attempts, d.c.next_attempt_at,
                                             d.c.event_id).where(d.c.status == "pending").order_by(d.c.id)).all()
            hook_rows = {r["id"]: r for r in conn.execute(sa.select(h)).mappings()}
        blocked: set[tuple[int, str | None]] = set()
        mail = [row for row in pending if str(hook_rows.get(row[1], {}).get("url", "")).startswith("mailto:")]
        if mail:
            _send_digests(store, mail, hook_rows, now, counts, max_attempts, base_delay)
        for delivery_id, hook_id, portfolio, attempts, due, event_id in pending:
            if str(hook_rows.get(hook_id, {}).get("url", "")).startswith("mailto:"):
                continue
            lane = (hook_id, portfolio)
            hook = hook_rows.get(hook_id)
            if lane in blocked or hook is None or hook["disabled_at"] is not None:
                counts["waiting"] += 1
                continue
            if (due if due.tzinfo else due.replace(tzinfo=UTC)) > now:
                blocked.add(lane)  # an earlier event of this portfolio waits for its retry: so do the later ones
                counts["waiting"] += 1
                continue
            with store.engine.connect() as conn:
                event = conn.execute(sa.select(e).where(e.c.id == event_id)).mappings().one()
            body = _body(store, hook, event, delivery_id)
            status, error = _post(client, hook, event["kind"], delivery_id, body)
            if _record(store, delivery_id, attempts, status, error, now, counts, max_attempts, base_delay) == "failed":
                blocked.add(lane)
    finally:
        if own:
            client.close()
    return counts


def _record(store: Any, delivery_id: int, attempts: int, status: int | None, error: str | None, now: datetime,
            counts: dict[str, int], max_attempts: int, base_delay: float) -> str:
    """Record an attempt: delivered, failed (retried after a doubling delay) or dead (no more
    attempts); returns which."""
    values: dict[str, Any] = {"attempts": attempts + 1, "last_status": status, "last_error": error}
    if error is None:
        outcome = "delivered"
        values.update(status="delivered", delivered_at=datetime.now(UTC))
    elif attempts + 1 >= max_attempts:
        outcome = "dead"
        values.update(status="dead")
    else:
        outcome = "failed"
        values.update(next_attempt_at=now + timedelta(seconds=base_delay * 2 ** attempts))
    counts[outcome] += 1
    with store.engine.begin() as conn:
        conn.execute(t.deliveries.update().where(t.deliveries.c.id == delivery_id).values(**values))
    return outcome


def _post(client: Any, hook: Any, kind: str, delivery_id: int, body: bytes) -> tuple[int | None, str | None]:
    import httpx

    headers = {"Content-Type": "application/json", "User-Agent": "redflags-webhooks/1",
               "Redflags-Event": kind, "Redflags-Delivery": str(delivery_id),
               "Redflags-Signature": sign(list(hook["secrets"]), body, int(time.time()))}
    try:
        response = client.post(hook["url"], content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def ping_hook(store: Any, hook_id: int, client: Any = None) -> dict[str, Any]:
    """Send a signed ``ping`` now (not queued, not retried): whether the receiver answers 2xx."""
    import httpx

    with store.engine.connect() as conn:
        hook = conn.execute(sa.select(t.hooks).where(t.hooks.c.id == hook_id)).mappings().first()
    if hook is None:
        raise NotFoundError(f"no webhook {hook_id}")
    body = orjson.dumps({"id": "evt_ping", "type": "ping", "created_at": datetime.now(UTC).isoformat(), "data": {}})
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT)
    try:
        status, error = _post(client, hook, "ping", 0, body)
    finally:
        if own:
            client.close()
    return {"hook": hook_id, "url": hook["url"], "status": status, "ok": error is None, "error": error}


def _send_digests(store: Any, pending: list[Any], hook_rows: dict[int, Any], now: datetime, counts: dict[str, int],
                  max_attempts: int, base_delay: float) -> None:
    """One e-mail per ``mailto:`` hook with every event due for it, in order."""
    from redflags.monitor.digest import compose, send

    by_hook: dict[int, list[Any]] = {}
    for row in pending:
        hook = hook_rows.get(row[1])
        due = row[4] if row[4].tzinfo else row[4].replace(tzinfo=UTC)
        if hook is None or hook["disabled_at"] is not None or due > now:
            counts["waiting"] += 1
            continue
        by_hook.setdefault(row[1], []).append(row)
    e = t.events
    for hook_id, rows in by_hook.items():
        hook = hook_rows[hook_id]
        with store.engine.connect() as conn:
            events = [dict(r) for r in conn.execute(sa.select(e).where(e.c.id.in_([r[5] for r in rows]))
                                                    .order_by(e.c.id)).mappings()]
        for event in events:
            event["body"] = orjson.loads(_body(store, hook, event, 0))
        error = send(compose(hook["url"][len("mailto:"):], events))
        for delivery_id, _hook, _portfolio, attempts, _due, _event in rows:
            _record(store, delivery_id, attempts, None, error, now, counts, max_attempts, base_delay)
