"""Reading alerts: the queue (filtered, newest first, paged by id) and one alert in full."""

from typing import Any

import sqlalchemy as sa

from redflags.audit.records import iso
from redflags.exc import NotFoundError, QueryError
from redflags.store import tables as t

STATUSES = ("open", "true_match", "false_positive", "escalated", "review_required", "delisted")
KINDS = ("direct", "linked")
LINKED_PREFIX = "linked:"
"""The listed id of an alert on a linked party: ``linked:<the listed party's id>``."""
PAGE_MAX = 1000


def _alert_dict(row: Any, brief: bool = True) -> dict[str, Any]:
    linked = row["listed_id"].startswith(LINKED_PREFIX)
    out = {"id": row["id"], "kind": "linked" if linked else "direct", "status": row["status"],
           "party": {"id": row["party_id"], "key": row.get("key")},
           "listed_id": row["listed_id"], "caption": row["caption"], "lists": row["lists"], "score": row["score"],
           "last_score": row["last_score"], "decision_id": row["decision_id"], "pending_id": row["pending_id"],
           "run_id": row["run_id"], "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
           "version": row["version"], "assignee": row.get("assignee")}
    if linked and isinstance(row.get("hit"), dict) and row["hit"].get("link"):
        link = row["hit"]["link"]
        out["link"] = {k: link.get(k) for k in ("path", "relation", "parent", "source", "on", "date_basis", "rules")}
    if not brief:
        out.update(hit=row["hit"], changes=row["changes"], listed_records=row["listed_records"],
                   party_fingerprint=row["party_fingerprint"], listed_fingerprint=row["listed_fingerprint"])
    return out


SORTS = ("newest", "score")


def list_alerts(store: Any, status: str | None = None, run: str | None = None, listed: str | None = None,
                party: str | None = None, min_score: float | None = None, before: int | None = None,
                limit: int = 100, kind: str | None = None, *, lists: str | None = None,
                max_score: float | None = None, portfolio: str | None = None, assignee: str | None = None,
                sort: str = "newest", before_score: float | None = None,
                after: int | None = None) -> list[dict[str, Any]]:
    """The queue, newest first (``sort="score"``: highest best score first), paged by keyset:
    ``before`` (an alert id, with ``before_score`` when sorted by score) pages on in constant time,
    however long the queue. ``kind``: only alerts on listed parties (``direct``) or on linked ones
    (``linked``); ``lists``: on this list; ``portfolio``: of parties screened from it;
    ``assignee``: assigned to this analyst (``""``: to nobody); ``after``: the alerts newer than
    this one, oldest first (the way back up the queue)."""
    if status is not None and status not in STATUSES:
        raise QueryError(f"an alert status is one of {', '.join(STATUSES)}, not {status!r}")
    if kind is not None and kind not in KINDS:
        raise QueryError(f"an alert kind is one of {', '.join(KINDS)}, not {kind!r}")
    if sort not in SORTS:
        raise QueryError(f"the queue is sorted by one of {', '.join(SORTS)}, not {sort!r}")
    a, p = t.alerts, t.parties
    query = sa.select(a, p.c.key).join(p, p.c.id == a.c.party_id)
    if after is not None:
        query = query.where(a.c.id > after).order_by(a.c.id)
    elif sort == "score":
        query = query.order_by(a.c.score.desc(), a.c.id.desc())
    else:
        query = query.order_by(a.c.id.desc())
    query = query.limit(max(1, min(limit, PAGE_MAX)))
    if status:
        query = query.where(a.c.status == status)
    if run:
        query = query.where(a.c.run_id == run)
    if listed:
        query = query.where(a.c.listed_id == listed)
    if party:
        query = query.where(p.c.key == party)
    if portfolio:
        query = query.where(p.c.source == portfolio)
    # newest first, a score band is checked on the rows read in id order (the band is wide: reading
    # it through the score index and sorting it by id would read a fifth of the queue)
    scored = a.c.score if sort == "score" else a.c.score + 0
    if min_score is not None:
        query = query.where(scored >= min_score)
    if max_score is not None:
        query = query.where(scored <= max_score)
    if assignee is not None:
        query = query.where(a.c.assignee.is_(None) if assignee == "" else a.c.assignee == assignee)
    if lists:
        query = query.where(sa.cast(a.c.lists, sa.Text).contains(_json_string(lists), autoescape=True))
    if before is not None:
        if sort == "score" and before_score is not None:
            query = query.where(sa.or_(a.c.score < before_score, sa.and_(a.c.score == before_score, a.c.id < before)))
        else:
            query = query.where(a.c.id < before)
    if kind == "linked":
        query = query.where(a.c.listed_id.startswith(LINKED_PREFIX, autoescape=True))
    elif kind == "direct":
        query = query.where(sa.not_(a.c.listed_id.startswith(LINKED_PREFIX, autoescape=True)))
    with store.engine.connect() as conn:
        return [_alert_dict(dict(r)) for r in conn.execute(query).mappings()]


QUEUE_FILTERS = ("status", "run", "listed", "min_score", "kind", "lists", "max_score", "portfolio", "assignee")
"""The ``list_alerts`` filters a queue is defined by."""


def neighbours(store: Any, alert_id: int, **filters: Any) -> tuple[int | None, int | None]:
    """The alerts just newer and just older than ``alert_id`` in the queue these ``filters``
    (``QUEUE_FILTERS``) select, newest first: where ``k`` and ``j`` go from an alert."""
    wanted = {k: v for k, v in filters.items() if k in QUEUE_FILTERS and v not in (None, "")}
    newer = list_alerts(store, limit=1, after=alert_id, **wanted)
    older = list_alerts(store, limit=1, before=alert_id, **wanted)
    return (newer[0]["id"] if newer else None), (older[0]["id"] if older else None)


def _json_string(text: str) -> str:
    """A list name as the alerts' ``lists`` JSON writes it (quoted, escaped)."""
    import json

    return json.dumps(text)


def alert_detail(store: Any, alert_id: int) -> dict[str, Any]:
    """The alert, its party, every decision (with approvals) newest first, and the party's
    screenings that saw it."""
    a, p, d, ap, s = t.alerts, t.parties, t.decisions, t.approvals, t.screenings
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(a, p.c.key).join(p, p.c.id == a.c.party_id).where(a.c.id == alert_id)
                           ).mappings().first()
        if row is None:
            raise NotFoundError(f"no alert {alert_id}")
        party = conn.execute(sa.select(p).where(p.c.id == row["party_id"])).mappings().one()
        approvals = {r["decision_id"]: r for r in conn.execute(
            sa.select(ap).join(d, d.c.id == ap.c.decision_id).where(d.c.alert_id == alert_id)).mappings()}
        decisions = []
        for dec in conn.execute(sa.select(d).where(d.c.alert_id == alert_id).order_by(d.c.id.desc())).mappings():
            approval = approvals.get(dec["id"])
            decisions.append({"id": dec["id"], "decision": dec["decision"], "reason": dec["reason"],
                              "comment": dec["comment"], "actor": dec["actor"], "role": dec["role"],
                              "at": iso(dec["at"]), "score": dec["score"], "supersedes": dec["supersedes"],
                              "needs_approval": dec["needs_approval"],
                              "in_force": dec["id"] == row["decision_id"], "pending": dec["id"] == row["pending_id"],
                              "approval": None if approval is None else {"actor": approval["actor"],
                                                                         "role": approval["role"],
                                                                         "at": iso(approval["at"])}})
        screenings = [{"id": r["id"], "at": iso(r["at"]), "actor": r["actor"], "run": r["run_id"], "row": r["row"],
                       "status": r["status"], "versions": r["versions"], "matcher": r["matcher"],
                       "score": next((h["score"] for h in r["hits"] if h["id"] == row["listed_id"]), None)}
                      for r in conn.execute(sa.select(s).where(s.c.party_id == row["party_id"])
                                            .order_by(s.c.id.desc()).limit(50)).mappings()]
    out = _alert_dict(dict(row), brief=False)
    out["party"] = {"id": party["id"], "key": party["key"], "source": party["source"], "input_id": party["input_id"],
                    "properties": party["properties"], "purged_at": iso(party["purged_at"])}
    out["decisions"] = decisions
    out["screenings"] = [x for x in screenings if x["score"] is not None]
    return out
