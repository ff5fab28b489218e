"""Portfolios, webhooks and monitoring metrics over the HTTP API."""

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from redflags import ingest
from redflags.api import create_app
from redflags.api.keys import create_key
from tests.monitor.test_story import NEW_ROW
from tests.review.conftest import changed_csl, vendor_file


def test_portfolios_hooks_and_metrics_over_the_api(loaded: Any, fixture_path: Any, tmp_path: Path) -> None:
    keys = {role: {"Authorization": f"Bearer {create_key(loaded, role)[1]}"} for role in ("viewer", "analyst", "admin")}
    with TestClient(create_app(loaded)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        parties = {"parties": [{"id": "C-1", "name": "Brightstar Optics Company Limited", "country": "CN"},
                               {"id": "C-2", "name": "Arimero Holding Ltd", "country": "CY"}]}
        assert client.post("/portfolios/crm", json=parties, headers=keys["viewer"]).status_code == 403
        made = client.post("/portfolios/crm", json=parties, headers=keys["analyst"])
        assert made.status_code == 200, made.text
        assert made.json()["added"] == 2 and made.json()["alerts"]["alert"] == 1
        upload = vendor_file(tmp_path / "suppliers.csv").read_bytes()
        synced = client.post("/portfolios/crm?sync=true", files={"file": ("suppliers.csv", upload, "text/csv")},
                             headers=keys["analyst"])
        assert synced.status_code == 200, synced.text
        assert (synced.json()["added"], synced.json()["retired"]) == (3, 2)
        assert client.post("/portfolios/crm", json={"parties": "x"}, headers=keys["analyst"]).status_code == 400
        listed = client.get("/portfolios", headers=keys["viewer"]).json()["portfolios"]
        assert listed[0]["name"] == "crm" and listed[0]["parties"] == 3

        hook = client.post("/hooks", json={"url": "http://127.0.0.1:9/x", "events": ["alert.created"]},
                           headers=keys["admin"])
        assert hook.status_code == 201 and hook.json()["secret"].startswith("whsec_")
        assert client.post("/hooks", json={"url": "ftp://x"}, headers=keys["admin"]).status_code == 400

        csl = changed_csl(fixture_path, tmp_path, "\n21944,", "\n" + NEW_ROW.replace("Brightstar", "Acme Widgets")
                          .replace("Optics Co., Ltd.", "Inc") + "21944,")
        ingest.load(loaded, [csl], dataset="us_csl", force=True)
        from redflags.monitor.rescreen import rescreen

        (run,) = rescreen(loaded)
        assert run["alert_rows"] == 1
        metrics = client.get("/metrics", headers=keys["viewer"]).text
        assert 'redflags_monitor_rescreen_parties{dataset="us_csl",portfolio="crm"} 1.0' in metrics
        assert 'redflags_alerts{status="open"}' in metrics
        assert client.delete("/portfolios/crm", headers=keys["analyst"]).status_code == 403
        assert client.delete("/portfolios/crm", headers=keys["admin"]).json()["parties_unwatched"] == 3
