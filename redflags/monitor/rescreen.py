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

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from redflags import settings
from redflags.audit.chain import audited
from redflags.audit.records import decision_hash, now
from redflags.store import owner as owners
from redflags.store import tables as t

log = logging.getLogger(__name__)

REVERSE_TOP = 30
"""As many parties per changed record as a screening scores candidates per query."""
REVERSE_CLOSENESS = 70
"""Beyond those, how near (0-100) a party's name must be to one of the record's, word for word or
without spaces, for the party to be screened."""
REVERSE_LIMIT = 5000
"""Most watched parties one changed record may send to be screened (and scored to find them)."""
BATCH = 250


def mark_baseline(conn: Connection, portfolio: str, active: dict[str, dict[str, Any]]) -> None:
    """A new portfolio was just screened against the active versions: they count as processed."""
    from redflags.index.persist import matcher_version

    at = now()
    conn.execute(t.monitor_runs.insert(), [
        {"portfolio": portfolio, "dataset": ds, "version_id": info["version"], "matcher": matcher_version(),
         "kind": "baseline", "status": "done", "counts": None, "started_at": at, "finished_at": at}
        for ds, info in active.items()])


def rescreen(store: Any, actor: str = "monitor", portfolio: str | None = None) -> list[dict[str, Any]]:
    """Process every (portfolio, active version) not processed yet; what each did."""
    from redflags.index.persist import matcher_version

    done: list[dict[str, Any]] = []
    names = [portfolio] if portfolio else [p for (p,) in _rows(store, sa.select(t.portfolios.c.name))]
    if not names:
        return done
    active = store.active_versions()
    matcher = matcher_version()
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
                done.append(_process(store, name, dataset, version, previous, matcher, kind, actor, current))
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
             kind: str, actor: str, current: dict[str, Any] | None) -> dict[str, Any]:
    from redflags.batch.engine import versions_key
    from redflags.review.record import Item, Recorder
    from redflags.screen.api import screener_for
    started = time.perf_counter()
    run_id = _start(store, portfolio, dataset, version, matcher, kind, current)
    screener = screener_for(store)
    changed, removed = (_changes(store, dataset, previous, version) if kind == "changes" and previous is not None
                        else (None, []))
    parties = _watched(store, portfolio)
    if changed is None:  # the whole portfolio
        wanted = sorted(parties)
    else:
        wanted = sorted(_reverse(store, portfolio, parties, changed, screener.index))
    recorder = Recorder(store, portfolio, actor, versions_key(store.active_versions()), matcher, f"m{run_id}",
                        resumed=True)
    opened = review = suppressed = 0
    batches = [[(pid, parties[pid][0]) for pid in wanted[start:start + BATCH]] for start in range(0, len(wanted), BATCH)]
    for batch, hits_of in zip(batches, _screened(screener, batches), strict=True):
        items = []
        for (pid, props), hits in zip(batch, hits_of, strict=True):
            key = parties[pid][1]
            status = "alert" if any(h["match"] for h in hits) else "clear"
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


def _screened(screener: Any, batches: list[list[tuple[int, dict[str, Any]]]]) -> Iterator[list[list[dict[str, Any]]]]:
    """The hits of each batch of parties, in order: in forked processes sharing the mapped index
    when there are many (the parent records while they screen)."""
    import multiprocessing as mp

    global _SCREENER
    _SCREENER = screener
    try:
        workers = os.cpu_count() or 1
        if len(batches) < 8 or workers < 2 or "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
            yield from (_screen_batch(b) for b in batches)
            return
        with mp.get_context("fork").Pool(workers) as pool:
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


def _watched(store: Any, portfolio: str) -> dict[int, tuple[dict[str, Any], str]]:
    w, p = t.watched, t.parties
    with store.engine.connect() as conn:
        return {pid: (props or {}, key) for pid, props, key in conn.execution_options(yield_per=5000).execute(
            sa.select(p.c.id, p.c.properties, p.c.key).join(w, w.c.party_id == p.c.id)
            .where(w.c.portfolio == portfolio, w.c.retired_at.is_(None)))}


def _reverse(store: Any, portfolio: str, parties: dict[int, tuple[dict[str, Any], str]],
             records: list[dict[str, Any]], lists: Any) -> set[int]:
    """The watched parties a changed record could concern: those the index of the portfolio's
    parties retrieves for the record's names and identifiers by the keys (words, pinyin, glosses,
    sounds) that would retrieve the record in a screening: keys too common in the lists' index
    (``lists``) retrieve nothing there, so they are not looked up here either; a key common in
    the portfolio still counts (every vendor called "Brightstar" is screened when a Brightstar
    is listed). The parties are then screened the usual way: this decides who is looked at,
    never what a hit scores."""
    from redflags.index.keys import name_keys
    from redflags.screen.screen import make_query

    if not records or not parties:
        return set()
    index = portfolio_index(portfolio, parties)
    found: set[int] = set()
    for record in records:
        props = record.get("properties") or {}
        names = [*props.get("name", []), *props.get("alias", []), *props.get("previousName", []),
                 *props.get("weakAlias", [])]
        if not names:
            continue
        identifiers = [i for p in ("registrationNumber", "idNumber", "taxNumber", "leiCode", "imoNumber", "uscCode")
                       for i in props.get(p, [])]
        query = make_query(names[:50], record.get("schema"), identifiers=identifiers)
        common = lists.common_keys({k for form in query.forms for k in name_keys(form)})
        retrieved = index.candidates(query.forms, query.identifiers, limit=REVERSE_LIMIT, skip=common, grams=False,
                                     typos=True)
        for number in close_enough(index, query, retrieved):
            found.add(int(index.entity(number).id[1:]))
    return found


def close_enough(index: Any, query: Any, retrieved: list[tuple[int, float]]) -> list[int]:
    """The best ``REVERSE_TOP`` retrieved (what a screening would have scored), and every other
    one whose name is, character for character, near one of the record's (the screen a
    screening applies to its candidates before aligning words)."""
    from rapidfuzz import fuzz, process

    from redflags.match.features import closeness_all

    keep = [number for number, _score in retrieved[:REVERSE_TOP]]
    rest = retrieved[REVERSE_TOP:]
    if not rest:
        return keep
    bounds: list[tuple[int, int]] = []
    texts: list[str] = []
    for number, _score in rest:
        names = index.texts(number)
        bounds.append((len(texts), len(texts) + len(names)))
        texts.extend(names)
    screens = [closeness_all(form, texts) for form in query.forms]
    # the same without spaces: a word the record splits ("SCWorx" -> "scw orx") or glues
    glued = [t.replace(" ", "") for t in texts]
    for form in query.forms:
        screens.append([v for _t, v, _i in sorted(process.extract("".join(form.words), glued, scorer=fuzz.ratio,
                                                                   limit=None), key=lambda x: x[2])])
    for (number, _score), (start, end) in zip(rest, bounds, strict=True):
        if any(max(values[start:end], default=0.0) >= REVERSE_CLOSENESS for values in screens):
            keep.append(number)
    return keep


def _party_records(parties: dict[int, tuple[dict[str, Any], str]]) -> Iterator[dict[str, Any]]:
    for pid, (props, key) in parties.items():
        names = props.get("names") or []
        if not names:
            continue
        yield {"id": f"p{pid}", "dataset": "portfolio", "schema": props.get("schema") or "LegalEntity",
               "caption": names[0], "lists": [], "sanctions": [], "identifiers": [], "source_id": key,
               "properties": {"name": names, "country": [c.lower() for c in props.get("countries") or []],
                              "birthDate": props.get("birth_dates") or []}}


def portfolio_index(portfolio: str, parties: dict[int, tuple[dict[str, Any], str]]) -> Any:
    """The index of a portfolio's watched parties: built once per set of parties (and matcher),
    kept on disk and mapped like the lists' index."""
    from redflags.index.blocker import Index
    from redflags.index.build import build
    from redflags.index.persist import matcher_version
    from redflags.index.segment import Damaged, Segment

    digest = hashlib.sha256(f"{portfolio}\n{matcher_version()}".encode())
    for pid in sorted(parties):
        digest.update(f"{pid}:{parties[pid][0].get('names')}:{parties[pid][0].get('countries')}\n".encode())
    key = digest.hexdigest()[:24]
    root = settings.HOME / "portfolio-index"
    folder = root / key
    try:
        return Index(Segment.open(folder))
    except Damaged:
        pass
    start = time.perf_counter()
    segment = build(_party_records(parties), workers=os.cpu_count() or 1, keep_common=True)
    tmp = root / f".build-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    segment.write(tmp)
    if folder.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.rename(tmp, folder)
    for old in root.iterdir():  # one index per portfolio state is enough: drop those of other states
        if old.is_dir() and old.name != key and not old.name.startswith(".") and _owner(old) == portfolio:
            shutil.rmtree(old, ignore_errors=True)
    (folder / "portfolio").write_text(portfolio, encoding="utf-8")
    log.info("index of %s watched parties of %s built in %.1f s", f"{len(parties):,}", portfolio,
             time.perf_counter() - start)
    return Index(Segment.open(folder))


def _owner(folder: Path) -> str | None:
    try:
        return (folder / "portfolio").read_text(encoding="utf-8")
    except OSError:
        return None


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
