"""What monitoring has done, for ``/metrics`` and ``watch list``: the last re-screen of each
(portfolio, list) with its duration and counts, deliveries by status, alerts by status."""

from typing import Any

import sqlalchemy as sa

from redflags.store import tables as t


def snapshot(store: Any) -> dict[str, Any]:
    r, d, a = t.monitor_runs, t.deliveries, t.alerts
    with store.engine.connect() as conn:
        last: dict[tuple[str, str], Any] = {}
        for run in conn.execute(sa.select(r).where(r.c.status == "done").order_by(r.c.id)).mappings():
            last[(run["portfolio"], run["dataset"])] = run
        deliveries = dict(conn.execute(sa.select(d.c.status, sa.func.count()).group_by(d.c.status)).all())
        alerts = dict(conn.execute(sa.select(a.c.status, sa.func.count()).group_by(a.c.status)).all())
    runs = [{"portfolio": p, "dataset": ds, "version": run["version_id"], "kind": run["kind"],
             "finished_at": run["finished_at"], "seconds": (run["counts"] or {}).get("seconds"),
             "parties_screened": (run["counts"] or {}).get("parties_screened")} for (p, ds), run in last.items()]
    return {"runs": runs, "deliveries": deliveries, "alerts": alerts}
