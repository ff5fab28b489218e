"""Portfolios: named, stored sets of watched parties (vendors, customers, holdings).

``watch`` screens a file into a portfolio (the same formats, column detection and recording as
``redflags screen``: adding a party screens it at once); with ``sync`` the file is the truth and
the portfolio's parties that are not in it are retired. Parties are the review's parties (key
``<portfolio>/<id>``), so their alerts and decisions are the ones the review keeps.
"""

import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from redflags.audit.chain import audited
from redflags.exc import NotFoundError, QueryError
from redflags.store import tables as t


def watch(store: Any, source: str | Path, portfolio: str, options: Any, actor: str, sync: bool = False,
          progress: Any = None) -> dict[str, Any]:
    """Screen ``source`` into ``portfolio``; return what changed (added, updated, retired...)."""
    from redflags.batch import screen_file
    from redflags.monitor.rescreen import mark_baseline
    from redflags.monitor.reverse import portfolio_index

    name = portfolio.strip()
    if not name or "/" in name:
        raise QueryError("a portfolio name is not empty and has no '/'")
    started = datetime.now(UTC)
    before = _fingerprints(store, name)
    with tempfile.TemporaryDirectory(prefix="redflags-watch-") as tmp:
        options = replace(options, portfolio=name, record=True, actor=actor, output_format="jsonl")
        result = screen_file(store, source, Path(tmp) / "results.jsonl", options, progress=progress)
    run_id = result.run["id"]
    s, w, p = t.screenings, t.watched, t.parties
    with audited(store.engine) as log:
        conn = log.conn
        exists = conn.execute(sa.select(t.portfolios.c.name).where(t.portfolios.c.name == name)).first()
        if exists is None:
            conn.execute(t.portfolios.insert().values(name=name, created_at=started, updated_at=started,
                                                      options=result.run["params"]))
        else:
            conn.execute(t.portfolios.update().where(t.portfolios.c.name == name)
                         .values(updated_at=started, options=result.run["params"]))
        in_file = set(conn.execute(sa.select(s.c.party_id).where(s.c.run_id == run_id).distinct()).scalars())
        current = dict(conn.execute(sa.select(w.c.party_id, w.c.retired_at).where(w.c.portfolio == name)).all())
        added = sorted(in_file - {pid for pid, retired in current.items() if retired is None})
        back = [pid for pid in added if pid in current]
        fresh = [pid for pid in added if pid not in current]
        if fresh:
            conn.execute(w.insert(), [{"portfolio": name, "party_id": pid, "added_at": started} for pid in fresh])
        if back:
            conn.execute(w.update().where(w.c.portfolio == name, w.c.party_id.in_(back)).values(retired_at=None))
        retired: list[int] = []
        if sync:
            retired = sorted(pid for pid, gone in current.items() if gone is None and pid not in in_file)
            for start in range(0, len(retired), 500):
                conn.execute(w.update().where(w.c.portfolio == name, w.c.party_id.in_(retired[start:start + 500]))
                             .values(retired_at=started))
        after = dict(conn.execute(sa.select(p.c.id, p.c.fingerprint).join(w, w.c.party_id == p.c.id)
                                  .where(w.c.portfolio == name)).all())
        updated = sum(1 for pid in in_file if pid in before and before[pid] != after.get(pid))
        counts = {"portfolio": name, "run": run_id, "rows": result.run["counts"]["rows"], "parties": len(in_file),
                  "added": len(added), "updated": updated, "retired": len(retired),
                  "unchanged": len(in_file) - len(added) - updated, "alerts": result.run["counts"]}
        log.add("portfolio.synced" if sync else "portfolio.added", f"portfolio:{name}", actor,
                {k: v for k, v in counts.items() if k != "alerts"})
        if exists is None:
            mark_baseline(conn, name, store.active_versions())
    portfolio_index(store, name)  # built now, so that a list change finds it ready
    return counts


def _fingerprints(store: Any, name: str) -> dict[int, str]:
    w, p = t.watched, t.parties
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.select(p.c.id, p.c.fingerprint).join(w, w.c.party_id == p.c.id)
                                 .where(w.c.portfolio == name, w.c.retired_at.is_(None))).all())


def portfolios(store: Any) -> list[dict[str, Any]]:
    w, r = t.watched, t.monitor_runs
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.portfolios).order_by(t.portfolios.c.name)).mappings().all()
        sizes = dict(conn.execute(sa.select(w.c.portfolio, sa.func.count()).where(w.c.retired_at.is_(None))
                                  .group_by(w.c.portfolio)).all())
        last = {}
        for run in conn.execute(sa.select(r).order_by(r.c.id)).mappings():
            last[(run["portfolio"], run["dataset"])] = run
    out = []
    for row in rows:
        out.append({"name": row["name"], "parties": sizes.get(row["name"], 0),
                    "created_at": row["created_at"].isoformat(timespec="seconds"),
                    "updated_at": row["updated_at"].isoformat(timespec="seconds"),
                    "rescreened": {ds: {"version": run["version_id"], "kind": run["kind"], "status": run["status"],
                                        "counts": run["counts"]}
                                   for (name, ds), run in last.items() if name == row["name"]}})
    return out


def remove(store: Any, name: str, actor: str) -> int:
    """Stop watching a portfolio: its parties, screenings, alerts and decisions stay on record."""
    from redflags.monitor.reverse import drop_index

    with audited(store.engine) as log:
        conn = log.conn
        if conn.execute(sa.select(t.portfolios.c.name).where(t.portfolios.c.name == name)).first() is None:
            raise NotFoundError(f"no portfolio {name!r}")
        count = conn.execute(sa.select(sa.func.count()).select_from(t.watched).where(
            t.watched.c.portfolio == name, t.watched.c.retired_at.is_(None))).scalar_one()
        conn.execute(t.monitor_runs.delete().where(t.monitor_runs.c.portfolio == name))
        conn.execute(t.watched.delete().where(t.watched.c.portfolio == name))
        conn.execute(t.portfolios.delete().where(t.portfolios.c.name == name))
        log.add("portfolio.removed", f"portfolio:{name}", actor, {"parties": count})
    drop_index(name)
    return int(count)
