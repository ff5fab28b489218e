"""Proof of screening: a statement of every screening of one party (date, actor, lists and their
versions, result) and every decision on its alerts (who, when, why, who approved), with the
audit log's head at the time it was written, so that an examiner can check it against the log."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from redflags.audit.records import iso
from redflags.audit.verify import verify
from redflags.exc import NotFoundError
from redflags.review.alerts import alert_detail
from redflags.store import tables as t


def find_party(store: Any, ref: str) -> dict[str, Any]:
    """A party by its key, its number, or its input id when one party has it."""
    p = t.parties
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(p).where(p.c.key == ref)).mappings().first()
        if row is None and ref.isascii() and ref.isdigit() and int(ref) <= 2**31 - 1:  # a party number
            row = conn.execute(sa.select(p).where(p.c.id == int(ref))).mappings().first()
        if row is None:
            rows = conn.execute(sa.select(p).where(p.c.input_id == ref).limit(2)).mappings().all()
            if len(rows) > 1:
                raise NotFoundError(f"several parties have the input id {ref!r}; give the key "
                                    "(<portfolio or file>/<id>, see `redflags alerts list`)")
            row = rows[0] if rows else None
    if row is None:
        raise NotFoundError(f"no screened party {ref!r} (a key such as vendors.csv/V-1001, or a party number)")
    return dict(row)


def certificate_data(store: Any, ref: str) -> dict[str, Any]:
    party = find_party(store, ref)
    s, a, v = t.screenings, t.alerts, t.versions
    with store.engine.connect() as conn:
        screenings = [dict(r) for r in conn.execute(sa.select(s).where(s.c.party_id == party["id"])
                                                    .order_by(s.c.id)).mappings()]
        alert_ids = conn.execute(sa.select(a.c.id).where(a.c.party_id == party["id"]).order_by(a.c.id)).scalars().all()
        wanted = {int(pair.rsplit(":", 1)[1]) for r in screenings for pair in r["versions"].split(",") if ":" in pair}
        versions = {r["id"]: dict(r) for r in conn.execute(
            sa.select(v.c.id, v.c.dataset, v.c.data_date, v.c.finished_at, v.c.entity_count)
            .where(v.c.id.in_(sorted(wanted)))).mappings()} if wanted else {}
    alerts = [alert_detail(store, aid) for aid in alert_ids]
    captions = {al["listed_id"]: al["caption"] for al in alerts}
    rows = []
    for r in screenings:
        lists = []
        for pair in r["versions"].split(","):
            if ":" not in pair:
                continue
            name, number = pair.rsplit(":", 1)
            info = versions.get(int(number), {})
            lists.append({"dataset": name, "version": int(number), "data_date": info.get("data_date"),
                          "loaded_at": iso(info.get("finished_at")), "entities": info.get("entity_count")})
        hits = [{**h, "caption": captions.get(h["id"], h["id"])} for h in r["hits"] if h.get("match")]
        rows.append({"id": r["id"], "at": iso(r["at"]), "actor": r["actor"], "run": r["run_id"], "row": r["row"],
                     "status": r["status"], "matcher": r["matcher"], "lists": lists, "hits": hits})
    report = verify(store.engine, rows=False)  # the chain; `audit verify` also rehashes every row
    return {"party": {"id": party["id"], "key": party["key"], "source": party["source"],
                      "input_id": party["input_id"], "properties": party["properties"],
                      "purged_at": iso(party["purged_at"]), "fingerprint": party["fingerprint"]},
            "screenings": rows, "alerts": alerts, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "audit": {"seq": report.head_seq, "entry_hash": report.head_hash, "verified": report.ok,
                      "problems": [p.message for p in report.problems[:3]]}}


def render_html(data: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("redflags.review", "templates"), autoescape=select_autoescape(["j2"]))
    return env.get_template("certificate.html.j2").render(**data)


def render_pdf(data: dict[str, Any], path: Any) -> None:
    """The same statement as a PDF (reportlab; Chinese names in its built-in CID font)."""
    from redflags.review.certificate_pdf import write_pdf

    write_pdf(data, path)
