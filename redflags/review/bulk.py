"""Deciding many alerts at once: every alert a queue filter selects (across all its pages), e.g.
"clear every alert on this listed party for parties outside its country". Each alert still gets
its own decision, audit entry and four-eyes check: a bulk decision is many decisions."""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from redflags.review.alerts import PAGE_MAX, QUEUE_FILTERS, list_alerts
from redflags.review.decide import decide
from redflags.store import tables as t

MAX_BULK = 10_000
"""At most this many alerts in one bulk decision (a filter that selects more is narrowed first)."""


def matching_alerts(store: Any, filters: dict[str, Any], outside_country: str | None = None,
                    limit: int = MAX_BULK + 1) -> Iterator[dict[str, Any]]:
    """The alerts the queue ``filters`` select (``QUEUE_FILTERS``), newest first, across
    every page; with ``outside_country``, only those whose screened party is not in that country
    (a party with no country is kept out: nothing says it is elsewhere)."""
    before: int | None = None
    found = 0
    country = _code(outside_country) if outside_country and outside_country.strip() else None
    queue: dict[str, Any] = {k: filters.get(k) for k in QUEUE_FILTERS}
    while found < limit:
        page = list_alerts(store, before=before, limit=PAGE_MAX, **queue)
        if not page:
            return
        countries = _countries(store, [a["party"]["id"] for a in page]) if country else {}
        for alert in page:
            if country:
                theirs = countries.get(alert["party"]["id"], set())
                if not theirs or country in theirs:
                    continue
            found += 1
            yield alert
            if found >= limit:
                return
        before = page[-1]["id"]


def _countries(store: Any, party_ids: list[int]) -> dict[int, set[str]]:
    p = t.parties
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.properties).where(p.c.id.in_(sorted(set(party_ids)))))
        return {pid: {_code(str(c)) for c in ((props or {}).get("countries") or [])} for pid, props in rows}


def _code(country: str) -> str:
    """A country's code however the file wrote it ("CN", "China", "cn")."""
    from redflags.screen.screen import _country

    return _country(country) or country.strip().casefold()


def decide_all(store: Any, alert_ids: list[int], decision: str, reason: str, comment: str | None, actor: str,
               role: str | None = None) -> list[dict[str, Any]]:
    """One decision per alert, in id order; the decisions made."""
    return [decide(store, alert_id, decision, reason, comment, actor, role) for alert_id in sorted(set(alert_ids))]
