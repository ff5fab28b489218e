"""Re-screening portfolios when lists change: the change against the portfolio, not the
portfolio against the whole list.

For each portfolio and each dataset whose active version it has not processed: the records
added or modified since the version it last processed (from the stored versions) are matched
against an index of the portfolio's watched parties, loosely, to find the parties they could
concern; those parties alone are then screened against the lists as usual and recorded (new
hits open alerts, cleared alerts whose listed record changed need review). Records removed close
their open alerts with a system decision (``delisted``). When the matcher changed, the whole
portfolio is screened instead. Each (portfolio, version) is processed once: its record is
``running`` until the last batch is in, and a run resumed after a crash replays the parties
already recorded (the review's run/row idempotence) instead of recording them twice.
"""

import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from redflags.audit.chain import audited
from redflags.audit.records import decision_hash, now
from redflags.processes import fork_pool
from redflags.store import owner as owners
from redflags.store import tables as t

log = logging.getLogger(__name__)

BATCH = 250
CHUNK = 20_000
"""Parties read from the store at a time (a whole portfolio is never held in memory)."""


def mark_baseline(conn: Connection, portfolio: str, active: dict[str, dict[str, Any]]) -> None:
    """A new portfolio was just screened against the active versions: they count as processed."""
    from redflags.index.persist import matcher_version

    at = now()
    conn.execute(t.monitor_runs.insert(), [
        {"portfolio": portfolio, "dataset": ds, "version_id": info["version"],
         "matcher": matcher_version(scoring=True), "kind": "baseline", "status": "done", "counts": None,
         "started_at": at, "finished_at": at}
        for ds, info in active.items()])


def rescreen(store: Any, actor: str = "monitor", portfolio: str | None = None,
             scheduler: Any = None) -> list[dict[str, Any]]:
    """Process every (portfolio, active version) not processed yet; what each did. With a Dask
    ``scheduler`` (an address or a client) the parties are screened on its workers."""
    names = [portfolio] if portfolio else [p for (p,) in _rows(store, sa.select(t.portfolios.c.name))]
    if not names:
        return []
    if scheduler is None:
        return _rescreen(store, actor, names, None)
    from redflags.batch.engine import dask_client

    with dask_client(scheduler, store.url) as client:
        return _rescreen(store, actor, names, client)


def _rescreen(store: Any, actor: str, names: list[str], client: Any) -> list[dict[str, Any]]:
    from redflags.index.persist import matcher_version

    done: list[dict[str, Any]] = []
    active = store.active_versions()
    matcher = matcher_version(scoring=True)
    for name in names:
        runs = [dict(r) for r in _rows(store, sa.select(t.monitor_runs).where(t.monitor_runs.c.portfolio == name)
                                       .order_by(t.monitor_runs.c.id), mappings=True)]
        finished = [r for r in runs if r["status"] == "done"]
        kind = "full" if finished and finished[-1]["matcher"] != matcher else "changes"
        for dataset, info in sorted(active.items()):
            version = info["version"]
            mine = [r for r in runs if r["dataset"] == dataset]
            current = next((r for r in mine if r["version_id"] == version), None)
            if current is not None and current["status"] == "done" and current["matcher"] == matcher:
                continue
            if current is not None and current["status"] == "running" and not owners.is_dead(current["owner"]):
                continue  # another process is on it
            previous = max((r["version_id"] for r in mine if r["status"] == "done" and r["version_id"] != version),
                           default=None)
            try:
                done.append(_process(store, name, dataset, version, previous, matcher, kind, actor, current,
                                     client))
            except sa.exc.IntegrityError:
                continue  # another process started it a moment ago
            if kind == "full":  # the whole portfolio was screened against every list: every version is done
                _mark_done(store, name, active, matcher, done[-1])
                break
    return done


def _mark_done(store: Any, portfolio: str, active: dict[str, dict[str, Any]], matcher: str,
               counts: dict[str, Any]) -> None:
    r = t.monitor_runs
    with store.engine.begin() as conn:
        have = set(conn.execute(sa.select(r.c.version_id).where(r.c.portfolio == portfolio)).scalars())
        at = now()
        conn.execute(r.update().where(r.c.portfolio == portfolio, r.c.version_id.in_(
            [i["version"] for i in active.values()])).values(status="done", matcher=matcher, finished_at=at))
        missing = [{"portfolio": portfolio, "dataset": ds, "version_id": i["version"], "matcher": matcher,
                    "kind": "full", "status": "done", "counts": {"full_rescreen_recorded_with": counts["dataset"]},
                    "started_at": at,
                    "finished_at": at} for ds, i in active.items() if i["version"] not in have]
        if missing:
            conn.execute(r.insert(), missing)


def _rows(store: Any, query: Any, mappings: bool = False) -> list[Any]:
    with store.engine.connect() as conn:
        result = conn.execute(query)
        return list(result.mappings() if mappings else result)


def _process(store: Any, portfolio: str, dataset: str, version: int, previous: int | None, matcher: str,
             kind: str, actor: str, current: dict[str, Any] | None, client: Any = None) -> dict[str, Any]:
    from redflags.batch.engine import versions_key
    from redflags.review.record import Item, Recorder
    from redflags.screen.api import screener_for
    from redflags.screen.screen import status_of

    started = time.perf_counter()
    run_id = _start(store, portfolio, dataset, version, matcher, kind, current)
    screener = screener_for(store)
    changed, removed = (_changes(store, dataset, previous, version) if kind == "changes" and previous is not None
                        else (None, []))
    wanted = _watched_ids(store, portfolio)
    if changed is not None:  # the change, not the whole portfolio
        wanted = sorted(set(wanted) & _concerned(store, portfolio, changed, screener.index))
    versions = versions_key(store.active_versions())
    recorder = Recorder(store, portfolio, actor, versions, matcher, f"m{run_id}", resumed=True)
    dask = None if client is None else (client, store.url, versions)
    opened = review = suppressed = 0
    for start in range(0, len(wanted), CHUNK):
        parties = _properties(store, wanted[start:start + CHUNK])
        ids = [pid for pid in wanted[start:start + CHUNK] if pid in parties]
        batches = [[(pid, parties[pid][0]) for pid in ids[at:at + BATCH]] for at in range(0, len(ids), BATCH)]
        for batch, hits_of in zip(batches, _screened(screener, batches, dask), strict=True):
            items = []
            for (pid, props), hits in zip(batch, hits_of, strict=True):
                key = parties[pid][1]
                status = status_of(hits)
                input_id = key.split("/", 1)[1] if "/" in key else None
                items.append(Item(pid, input_id, props, status, hits))
            for status, _hits in recorder.record(items):
                opened += status == "alert"
                review += status == "review_required"
                suppressed += status == "suppressed"
    closed = _close_delisted(store, removed, screener, actor) if removed else 0
    counts = {"changed_records": None if changed is None else len(changed), "removed_records": len(removed),
              "parties_screened": len(wanted), "alert_rows": opened, "review_required": review,
              "suppressed": suppressed, "delisted": closed, "seconds": round(time.perf_counter() - started, 2)}
    with audited(store.engine) as audit:
        audit.conn.execute(t.monitor_runs.update().where(t.monitor_runs.c.id == run_id)
                           .values(status="done", counts=counts, finished_at=now(), owner=None))
        audit.add("portfolio.rescreened", f"portfolio:{portfolio}", actor,
                  {"dataset": dataset, "version": version, "previous": previous, "kind": kind, **counts})
    return {"portfolio": portfolio, "dataset": dataset, "version": version, "kind": kind, **counts}


_SCREENER: Any = None


def _screen_batch(batch: list[tuple[int, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    from redflags.screen.screen import make_query

    out = []
    for _pid, props in batch:
        query = make_query(props.get("names") or [], props.get("schema"), props.get("countries") or [],
                           props.get("identifiers") or [], props.get("birth_dates") or [])
        out.append(_SCREENER.match(query, limit=5, cutoff=0.5))
    return out


def _dask_batch(batch: list[tuple[int, dict[str, Any]]], store_url: str, versions: str) -> list[list[dict[str, Any]]]:
    """Runs on a Dask worker (its screener built once per worker process)."""
    from redflags.batch.engine import worker_screener

    global _SCREENER
    _SCREENER = worker_screener(store_url, versions)
    return _screen_batch(batch)


def _screened(screener: Any, batches: list[list[tuple[int, dict[str, Any]]]],
              dask: tuple[Any, str, str] | None = None) -> Iterator[list[list[dict[str, Any]]]]:
    """The hits of each batch of parties, in order: in forked processes sharing the mapped index
    when there are many (the parent records while they screen), or on the workers of a Dask
    cluster (``dask``: its client, the store's URL and the active versions)."""
    import multiprocessing as mp

    if dask is not None and len(batches) > 1:
        from redflags.batch.engine import dask_map

        client, url, versions = dask
        yield from dask_map(client, _dask_batch, batches, url, versions)
        return
    global _SCREENER
    _SCREENER = screener
    try:
        workers = os.cpu_count() or 1
        if len(batches) < 8 or workers < 2 or "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
            yield from (_screen_batch(b) for b in batches)
            return
        with fork_pool(workers) as pool:
            yield from pool.imap(_screen_batch, batches)
    finally:
        _SCREENER = None


def _start(store: Any, portfolio: str, dataset: str, version: int, matcher: str, kind: str,
           current: dict[str, Any] | None) -> int:
    with store.engine.begin() as conn:
        if current is not None:  # resumed (a crash), or re-done for a new matcher
            taken = conn.execute(t.monitor_runs.update().where(t.monitor_runs.c.id == current["id"],
                                                               t.monitor_runs.c.owner == current["owner"])
                                 .values(status="running", matcher=matcher, kind=kind, owner=owners.current()))
            if taken.rowcount != 1:
                raise sa.exc.IntegrityError("taken", None, Exception("taken by another process"))
            return int(current["id"])
        return int(conn.execute(t.monitor_runs.insert().values(
            portfolio=portfolio, dataset=dataset, version_id=version, matcher=matcher, kind=kind, status="running",
            owner=owners.current(), started_at=datetime.now(UTC))).inserted_primary_key[0])  # type: ignore[index]


def _changes(store: Any, dataset: str, previous: int, version: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of ``version`` added or modified since ``previous``; ids removed since."""
    import json

    e, d = t.entities, t.entity_data
    old = e.alias("old")
    with store.engine.connect() as conn:
        changed = [json.loads(data) for (data,) in conn.execute(
            sa.select(d.c.data).select_from(e.join(d, d.c.hash == e.c.hash)
                                            .outerjoin(old, sa.and_(old.c.version_id == previous,
                                                                    old.c.entity_id == e.c.entity_id)))
            .where(e.c.version_id == version, sa.or_(old.c.hash.is_(None), old.c.hash != e.c.hash)))]
        new = e.alias("new")
        removed = list(conn.execute(
            sa.select(e.c.entity_id).select_from(e.outerjoin(new, sa.and_(new.c.version_id == version,
                                                                          new.c.entity_id == e.c.entity_id)))
            .where(e.c.version_id == previous, new.c.entity_id.is_(None))).scalars())
    return changed, removed


def _watched_ids(store: Any, portfolio: str) -> list[int]:
    w = t.watched
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(w.c.party_id).where(w.c.portfolio == portfolio,
                                                                  w.c.retired_at.is_(None))).scalars())


def _properties(store: Any, ids: list[int]) -> dict[int, tuple[dict[str, Any], str]]:
    """Screened properties and key of the parties ``ids``."""
    p = t.parties
    out: dict[int, tuple[dict[str, Any], str]] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 900):
            out.update((pid, (props or {}, key)) for pid, props, key in conn.execute(
                sa.select(p.c.id, p.c.properties, p.c.key).where(p.c.id.in_(ids[start:start + 900]))))
    return out


def _concerned(store: Any, portfolio: str, changed: list[dict[str, Any]], lists: Any) -> set[int]:
    """The watched parties a change could concern: those the portfolio's index finds near a
    changed record, and those with an alert on the listed party of one (a cleared alert whose
    listed record changed needs review, whatever the names now score)."""
    from redflags.match.logic import THRESHOLD
    from redflags.monitor.reverse import concerned, portfolio_index

    if not changed:
        return set()
    found = concerned(portfolio_index(store, portfolio), changed, lists, THRESHOLD)
    listed = set()
    for record in changed:
        number = lists.number(record["id"])
        if number is not None:
            listed.add(lists.entity(number).id)
    a = t.alerts
    ordered = sorted(listed)
    with store.engine.connect() as conn:  # by the alerts' index on listed_id; the caller keeps the watched ones
        for start in range(0, len(ordered), 900):
            found.update(conn.execute(sa.select(a.c.party_id).where(
                a.c.listed_id.in_(ordered[start:start + 900]))).scalars())
    return found


def _close_delisted(store: Any, removed: Iterable[str], screener: Any, actor: str) -> int:
    """Open alerts on a listed party that no list carries any more are closed, by the system."""
    from redflags.monitor.events import alert_payload, emit

    gone = [rid for rid in removed if screener.index.number(rid) is None]
    if not gone:
        return 0
    a = t.alerts
    closed = 0
    with audited(store.engine) as audit:
        conn = audit.conn
        rows = conn.execute(sa.select(a, t.parties.c.key, t.parties.c.source)
                            .join(t.parties, t.parties.c.id == a.c.party_id)
                            .where(a.c.listed_id.in_(gone), a.c.status.in_(("open", "review_required", "escalated",
                                                                               "true_match")))).mappings().all()
        for alert in rows:
            row = {"alert_id": alert["id"], "decision": "delisted", "reason": "delisted", "comment":
                   "the listed record was removed from its list", "actor": "system", "role": None, "at": now(),
                   "score": alert["last_score"], "party_fingerprint": alert["party_fingerprint"],
                   "listed_fingerprint": alert["listed_fingerprint"], "listed_records": alert["listed_records"],
                   "supersedes": alert["decision_id"], "needs_approval": False}
            row["hash"] = decision_hash(row)
            did = conn.execute(t.decisions.insert().values(**row)).inserted_primary_key[0]  # type: ignore[index]
            conn.execute(a.update().where(a.c.id == alert["id"]).values(
                status="delisted", decision_id=did, pending_id=None, version=alert["version"] + 1, updated_at=now()))
            audit.add("alert.delisted", f"decision:{did}", "system", {"alert": alert["id"], "listed": alert["listed_id"],
                                                                     "by": actor}, record_hash=row["hash"])
            emit(conn, [("alert.decided", alert["source"], f"alert:{alert['id']}",
                         alert_payload({**dict(alert), "status": "delisted"}, alert["key"], alert["source"],
                                       decision={"id": did, "decision": "delisted", "reason": "delisted",
                                                 "actor": "system"}))])
            closed += 1
    return closed
