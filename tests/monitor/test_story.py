"""The whole monitoring story, on SQLite and PostgreSQL: watch a vendor file; a list version in
which a watched vendor becomes listed; the alert appears and a signed webhook reaches a receiver
on loopback (down at first, then up); the analyst clears another alert; a later version changes
that listed record and it comes back as ``review_required``; a removed record is delisted."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from redflags import ingest
from redflags.audit import verify
from redflags.batch import Options
from redflags.monitor import add_hook, deliver_pending
from redflags.monitor.portfolios import portfolios, watch
from redflags.monitor.rescreen import rescreen
from redflags.review import alert_detail, decide, list_alerts
from redflags.store import tables as t
from tests.monitor.test_hooks import Receiver, free_port
from tests.review.conftest import changed_csl, vendor_file

NEW_ROW = ('99999,Entity List (EL) - Bureau of Industry and Security,,,,"Brightstar Optics Co., Ltd.",,'
           '"1 Jiangnan Road, Wuhan, CN",90 FR 1,2026-11-01,,,For all items subject to the EAR.,'
           'Presumption of denial.,,,,,,,,http://bit.ly/x,,,,,,http://bit.ly/x,\n')


def test_monitoring_story(any_store: Any, fixture_path: Any, tmp_path: Path) -> None:
    store = any_store
    rows = [("V1", "HIKVISION DIGITAL TECH CO LTD", "CN"), ("V2", "Acme Widgets Inc", "US"),
            ("V3", "Arimero Holding Ltd", "CY"), ("V4", "Brightstar Optics Company Limited", "CN")]
    counts = watch(store, vendor_file(tmp_path / "vendors.csv", rows), "suppliers", Options(workers=1), "alice")
    assert counts["added"] == 4 and counts["alerts"]["alert"] == 2  # Hikvision, Arimero
    port = free_port()
    hook = add_hook(store, f"http://127.0.0.1:{port}/hook", ["alert.created", "alert.review_required"], "admin")

    # a version in which a watched vendor becomes listed
    csl = changed_csl(fixture_path, tmp_path, "\n21944,", "\n" + NEW_ROW + "21944,")
    ingest.load(store, [csl], dataset="us_csl", force=True)
    (run,) = rescreen(store)
    assert run["kind"] == "changes" and run["changed_records"] == 1
    assert run["parties_screened"] == 1 and run["alert_rows"] == 1  # only the vendor the change concerns
    (brightstar,) = list_alerts(store, party="suppliers/V4")
    assert brightstar["caption"] == "Brightstar Optics Co., Ltd." and brightstar["status"] == "open"
    assert rescreen(store) == []  # each (portfolio, version) once

    now = datetime.now(UTC)
    assert deliver_pending(store, now=now)["failed"] == 1  # the receiver is down
    receiver = Receiver(port, [hook["secret"]])
    try:
        assert deliver_pending(store, now=now + timedelta(seconds=3))["delivered"] == 1
        (arimero,) = list_alerts(store, party="suppliers/V3")
        decide(store, arimero["id"], "false_positive", "different_entity", None, "alice", None, arimero["version"])
        # a later version changes the cleared listed record, and removes the new one
        (tmp_path / "v3").mkdir()
        later = changed_csl(fixture_path, tmp_path / "v3", "Agiou Andreou, 332, Limassol, 3035, CY",
                            "Agiou Andreou, 332, Limassol, 3035, CY; 5 Tverskaya, Moscow, RU")
        ingest.load(store, [later], dataset="us_csl", force=True)
        (run,) = rescreen(store)
        assert run["review_required"] == 1 and run["delisted"] == 1
        assert alert_detail(store, arimero["id"])["status"] == "review_required"
        assert alert_detail(store, brightstar["id"])["status"] == "delisted"
        assert deliver_pending(store, now=now + timedelta(seconds=10))["delivered"] == 1
    finally:
        receiver.close()
    assert [(r["type"], r["data"]["party"]["key"]) for r in receiver.received] == [
        ("alert.created", "suppliers/V4"), ("alert.review_required", "suppliers/V3")]
    assert receiver.bad_signatures == 0
    (listed,) = portfolios(store)
    assert listed["parties"] == 4 and listed["rescreened"]["us_csl"]["kind"] == "changes"
    assert verify(store.engine).ok


def test_sync_retires_and_updates(loaded: Any, tmp_path: Path) -> None:
    watch(loaded, vendor_file(tmp_path / "v.csv"), "p", Options(workers=1), "alice")
    moved = [("V1", "HIKVISION DIGITAL TECH CO LTD", "CN"), ("V3", "Arimero Holding Ltd", "RU")]
    counts = watch(loaded, vendor_file(tmp_path / "v.csv", moved), "p", Options(workers=1), "alice", sync=True)
    assert (counts["added"], counts["updated"], counts["retired"], counts["unchanged"]) == (0, 1, 1, 1)
    with loaded.engine.connect() as conn:
        active = conn.execute(sa.select(sa.func.count()).select_from(t.watched)
                              .where(t.watched.c.retired_at.is_(None))).scalar_one()
    assert active == 2
