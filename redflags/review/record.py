"""Recording screenings: every screened row becomes a screening of a party, each hit at or above
the threshold an alert (opened once per party and listed party), and decisions already made
decide what the hit is reported as: ``alert``, ``suppressed`` or ``review_required``.

One transaction per batch of rows: the parties, the screenings, the alerts and the audit entry
that commits to the screenings are written together, or not at all.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from redflags.audit.chain import audited, canonical, sha256_hex
from redflags.audit.records import batch_hash, iso, now, screening_hash
from redflags.review.changes import since_decision
from redflags.review.config import get_config
from redflags.review.fingerprint import listed_fingerprint, party_key, screened
from redflags.store import tables as t

ALERTING = ("open", "true_match", "escalated")
"""Alert statuses that make a row an alert."""
DECISIONS = ("false_positive", "true_match", "escalated")


@dataclass
class Item:
    """One screened row: what was asked, what the screener answered."""

    row: int | None
    input_id: Any
    query: dict[str, Any] | None
    status: str
    hits: list[dict[str, Any]]
    error: str | None = None


def decision_brief(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "decision": row["decision"], "reason": row["reason"], "comment": row["comment"],
            "actor": row["actor"], "at": iso(row["at"])}


def row_status(status: str, hits: Iterable[dict[str, Any]]) -> str:
    """A row is an alert if any alert on a direct hit is open, confirmed or escalated; else
    ``linked`` if one on a linked party is; else it needs review if any alert does; else, with hits
    at the threshold, all of them are suppressed."""
    hits = [h for h in hits if h.get("match") and h.get("review")]
    states = [h["review"]["status"] for h in hits]
    if not states or status == "error":
        return status
    if any(h["review"]["status"] in ALERTING and h.get("kind", "direct") == "direct" for h in hits):
        return "alert"
    if any(s in ALERTING for s in states):
        return "linked"
    if "review_required" in states:
        return "review_required"
    return "suppressed"


class Recorder:
    """Records the screenings of one run (or of single matches) in the store."""

    def __init__(self, store: Any, source: str, actor: str, versions: str, matcher: str, run_id: str | None = None,
                 resumed: bool = False) -> None:
        self.store = store
        self.source = source
        self.actor = actor
        self.versions = versions
        self.matcher = matcher
        self.run_id = run_id
        self.resumed = resumed
        self.margin = float(get_config(store, "review.rescore_margin"))
        self._keys: dict[int, str] = {}
        """Party id -> key, of the parties recorded."""
        self._listed: dict[str, str] = {}
        """Record id -> content hash in the active versions (fixed for the run)."""

    def record(self, items: list[Item]) -> list[tuple[str, list[dict[str, Any]]]]:
        """Each item's status and hits, the hits at the threshold annotated with their alert."""
        out: list[tuple[str, list[dict[str, Any]]]] = [(i.status, i.hits) for i in items]
        todo = [n for n, i in enumerate(items) if i.query is not None and i.error is None]
        if not todo:
            return out
        with audited(self.store.engine) as log:
            conn = log.conn
            done = self._recorded(conn, [items[n].row for n in todo]) if self.resumed and self.run_id else {}
            fresh = [n for n in todo if items[n].row not in done]
            for n in todo:
                if items[n].row in done:
                    out[n] = _replay(items[n], *done[items[n].row])
            if not fresh:
                return out
            at = now()
            parties = self._parties(conn, [items[n] for n in fresh], at)
            self._load_listed(conn, [h for n in fresh for h in items[n].hits if h["match"]])
            alerts, decisions = self._alerts(conn, {pid for pid, _ in parties})
            opened: list[int] = []
            reopened: list[int] = []
            suppressed = 0
            changed: dict[int, dict[str, Any]] = {}
            created: dict[tuple[int, str], dict[str, Any]] = {}
            pending: list[tuple[dict[str, Any], tuple[int, str]]] = []
            screened_rows = []
            for n, (party_id, fp) in zip(fresh, parties, strict=True):
                item = items[n]
                hits = [dict(h) for h in item.hits]
                for hit in hits:
                    if not hit["match"]:
                        continue
                    review = self._review(conn, party_id, fp, item.query or {}, hit, alerts, decisions, changed,
                                          created, reopened, at)
                    if review["alert"] is None:
                        pending.append((review, (party_id, hit["id"])))
                    hit["review"] = review
                    suppressed += review["suppressed"]
                status = row_status(item.status, hits)
                out[n] = (status, hits)
                screened_rows.append((party_id, item, fp, status, hits))
            if created:
                # new alerts in one statement; their ids go into the hits that opened them
                conn.execute(t.alerts.insert(), list(created.values()))
                a = t.alerts
                found = conn.execute(sa.select(a.c.id, a.c.party_id, a.c.listed_id).where(
                    a.c.party_id.in_(sorted({k[0] for k in created})))).all()
                new_ids = {(pid, lid): aid for aid, pid, lid in found if (pid, lid) in created}
                for review, key in pending:
                    review["alert"] = new_ids[key]
                opened = sorted(new_ids.values())
            rows = []
            for party_id, item, fp, status, hits in screened_rows:
                row = {"party_id": party_id, "run_id": self.run_id, "row": item.row, "at": at, "actor": self.actor,
                       "versions": self.versions, "matcher": self.matcher, "party_fingerprint": fp,
                       "status": status, "hits": [_compact(h) for h in hits]}
                row["hash"] = screening_hash(row)
                rows.append(row)
            # the log is locked: the rows inserted now are the ones after the highest id before
            s = t.screenings
            last = conn.execute(sa.select(sa.func.max(s.c.id))).scalar() or 0
            conn.execute(s.insert(), rows)
            stored = conn.execute(sa.select(s.c.id, s.c.hash).where(s.c.id > last).order_by(s.c.id)).all()
            ids = [r[0] for r in stored]
            if changed:
                conn.execute(t.alerts.update().where(t.alerts.c.id == sa.bindparam("_id")),
                             [{"_id": aid, **values} for aid, values in changed.items()])
            log.add("screening.recorded", f"screenings:{min(ids)}-{max(ids)}", self.actor,
                    {"run": self.run_id, "source": self.source, "rows": len(rows), "versions": self.versions,
                     "matcher": self.matcher, "alerts_opened": opened, "review_required": reopened,
                     "suppressed": suppressed},
                    record_hash=batch_hash([str(r[1]) for r in stored]))
            for aid in reopened:
                log.add("alert.review_required", f"alert:{aid}", "system",
                        {"changes": changed.get(aid, {}).get("changes")})
            self._announce(conn, created, new_ids if created else {}, alerts, reopened)
        return out

    def _announce(self, conn: Connection, created: dict[tuple[int, str], dict[str, Any]],
                  new_ids: dict[tuple[int, str], int], alerts: dict[tuple[int, str], dict[str, Any]],
                  reopened: list[int]) -> None:
        """Events for what this batch opened or re-opened, in its transaction (the outbox)."""
        from redflags.monitor.events import alert_payload, emit

        rows = [("alert.created", self.source, f"alert:{new_ids[k]}",
                 alert_payload({**v, "id": new_ids[k]}, self._keys.get(k[0], ""), self.source, run=self.run_id))
                for k, v in created.items()]
        by_id = {a["id"]: a for a in alerts.values() if a.get("id")}
        rows += [("alert.review_required", self.source, f"alert:{aid}",
                  alert_payload(by_id[aid], self._keys.get(by_id[aid]["party_id"], ""), self.source,
                                changed=sorted({f"{c['side']} {c['field']}" for c in by_id[aid].get("changes") or []})))
                 for aid in reopened if aid in by_id]
        emit(conn, rows)

    # --- the parts of a batch --------------------------------------------------------

    def _recorded(self, conn: Connection, rows: list[Any]) -> dict[Any, tuple[str, list[dict[str, Any]]]]:
        """Rows of a resumed run that were recorded before it was killed."""
        s = t.screenings
        found = conn.execute(sa.select(s.c.row, s.c.status, s.c.hits)
                             .where(s.c.run_id == self.run_id, s.c.row.in_([r for r in rows if r is not None])))
        return {r: (status, hits) for r, status, hits in found}

    def _parties(self, conn: Connection, items: list[Item], at: Any) -> list[tuple[int, str]]:
        """(party id, fingerprint) per item: new parties inserted, changed ones updated."""
        p = t.parties
        wanted = []
        for item in items:
            props = screened(item.query or {})
            fp = sha256_hex(canonical(props))
            wanted.append((party_key(self.source, item.input_id, fp), fp, props, item))
        known = {key: [pid, fp] for pid, key, fp in conn.execute(
            sa.select(p.c.id, p.c.key, p.c.fingerprint).where(p.c.key.in_(sorted({w[0] for w in wanted}))))}
        new: dict[str, dict[str, Any]] = {}
        updates: dict[int, dict[str, Any]] = {}
        for key, fp, props, item in wanted:
            if key in known:
                if known[key][1] != fp:
                    known[key][1] = fp
                    updates[known[key][0]] = {"_id": known[key][0], "fingerprint": fp, "properties": props,
                                              "updated_at": at, "purged_at": None}
            elif key in new:
                new[key].update(fingerprint=fp, properties=props)
            else:
                input_id = None if item.input_id is None else str(item.input_id)
                new[key] = {"key": key, "source": self.source, "input_id": input_id, "fingerprint": fp,
                            "properties": props, "created_at": at, "updated_at": at}
        if new:
            conn.execute(p.insert(), list(new.values()))
            for pid, key in conn.execute(sa.select(p.c.id, p.c.key).where(p.c.key.in_(sorted(new)))):
                known[key] = [pid, new[key]["fingerprint"]]
        if updates:
            conn.execute(p.update().where(p.c.id == sa.bindparam("_id")), list(updates.values()))
        # a key seen twice in the batch with other properties: each screening keeps its own fingerprint
        self._keys.update({known[w[0]][0]: w[0] for w in wanted})
        return [(known[w[0]][0], w[1]) for w in wanted]

    def _load_listed(self, conn: Connection, hits: list[dict[str, Any]]) -> None:
        wanted = {rid for h in hits for rid in (h.get("referents") or [h["id"]])} - set(self._listed)
        if not wanted:
            return
        e, v = t.entities, t.versions
        for start in range(0, len(wanted), 500):
            part = sorted(wanted)[start:start + 500]
            for rid, digest in conn.execute(sa.select(e.c.entity_id, e.c.hash).join(v, v.c.id == e.c.version_id)
                                            .where(v.c.status == "active", e.c.entity_id.in_(part))):
                self._listed[rid] = digest

    def _alerts(self, conn: Connection, party_ids: set[int]) -> tuple[dict[tuple[int, str], dict[str, Any]],
                                                                      dict[int, Any]]:
        a, d = t.alerts, t.decisions
        alerts = {(r["party_id"], r["listed_id"]): dict(r) for r in conn.execute(
            sa.select(a).where(a.c.party_id.in_(sorted(party_ids)))).mappings()}
        wanted = sorted({r["decision_id"] for r in alerts.values() if r["decision_id"]})
        decisions = {r["id"]: r for r in conn.execute(sa.select(d).where(d.c.id.in_(wanted))).mappings()} \
            if wanted else {}
        return alerts, decisions

    def _review(self, conn: Connection, party_id: int, fp: str, query: dict[str, Any], hit: dict[str, Any],
                alerts: dict[tuple[int, str], dict[str, Any]], decisions: dict[int, Any],
                changed: dict[int, dict[str, Any]], created: dict[tuple[int, str], dict[str, Any]],
                reopened: list[int], at: Any) -> dict[str, Any]:
        records = {rid: self._listed.get(rid, "") for rid in (hit.get("referents") or [hit["id"]])}
        listed_fp = listed_fingerprint(records)
        score = float(hit["score"])
        current = {"party_fingerprint": fp, "listed_fingerprint": listed_fp, "listed_records": records,
                   "last_score": score, "hit": _stored_hit(hit), "caption": hit["caption"], "lists": hit["lists"],
                   "run_id": self.run_id, "updated_at": at}
        key = (party_id, hit["id"])
        if key in created:  # opened earlier in this batch (the party is twice in the file)
            created[key].update(current, score=max(created[key]["score"], score))
            return {"alert": None, "status": "open", "suppressed": False, "decision": None, "changes": None}
        alert = alerts.get(key)
        if alert is None:
            created[key] = {"party_id": party_id, "listed_id": hit["id"], "status": "open", "score": score,
                            "changes": None, "decision_id": None, "pending_id": None, "created_at": at, "version": 1,
                            **current}
            return {"alert": None, "status": "open", "suppressed": False, "decision": None, "changes": None}
        decision = decisions.get(alert["decision_id"]) if alert["decision_id"] else None
        status, changes, suppressed = alert["status"], alert.get("changes"), False
        if decision is not None and status in ("false_positive", "review_required"):
            changes = since_decision(conn, decision, fp, query, listed_fp, records, score, self.margin)
            if status == "false_positive" and not changes:
                suppressed = True
            elif status == "false_positive":
                status = "review_required"
                reopened.append(alert["id"])
        moved = (status != alert["status"] or listed_fp != alert["listed_fingerprint"]
                 or fp != alert["party_fingerprint"])
        if moved or score != alert["last_score"] or (changes or None) != alert.get("changes"):
            # a screening that changes nothing of an alert does not rewrite it (a monthly re-screen
            # of a large portfolio would otherwise rewrite every alert)
            alert.update(current, status=status, changes=changes or None, score=max(alert["score"], score),
                         version=alert["version"] + (1 if moved else 0))
            changed[alert["id"]] = {k: alert[k] for k in (*current, "status", "changes", "score", "version")}
        return {"alert": alert["id"], "status": status, "suppressed": suppressed,
                "decision": decision_brief(decision) if decision is not None else None,
                "changes": changes or None}


def _stored_hit(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hit.items() if k != "review"}


def _compact(hit: dict[str, Any]) -> dict[str, Any]:
    out = {"id": hit["id"], "score": hit["score"], "match": hit["match"]}
    review = hit.get("review")
    if review:
        out["alert"] = review["alert"]
        out["review"] = "suppressed" if review["suppressed"] else review["status"]
        if review.get("decision"):
            out["decision"] = review["decision"]["id"]
    return out


def _replay(item: Item, status: str, stored: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A row recorded before a kill: the same answer, from what was recorded."""
    by_id = {h["id"]: h for h in stored}
    hits = []
    for hit in item.hits:
        hit = dict(hit)
        saved = by_id.get(hit["id"])
        if hit["match"] and saved and "alert" in saved:
            review = saved["review"]
            hit["review"] = {"alert": saved["alert"], "status": "false_positive" if review == "suppressed" else review,
                             "suppressed": review == "suppressed", "decision": None, "changes": None,
                             "decision_id": saved.get("decision")}
        hits.append(hit)
    return status, hits


def record_match(store: Any, query: dict[str, Any], hits: list[dict[str, Any]], source: str, input_id: Any,
                 actor: str, versions: str, matcher: str) -> tuple[str, list[dict[str, Any]]]:
    """Record one screened party (``/match`` asked to record, the Python API)."""
    from redflags.screen.screen import status_of

    status = status_of(hits)
    return Recorder(store, source, actor, versions, matcher).record([Item(None, input_id, query, status, hits)])[0]
