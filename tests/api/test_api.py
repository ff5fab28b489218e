"""The HTTP API in-process (FastAPI's TestClient over the real app and a real SQLite store)."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from redflags import ingest
from redflags.api import create_app
from redflags.api.keys import create_key
from redflags.cli import main

# The two example queries of yente's /match documentation, as an existing client sends them.
YENTE_EXAMPLE: dict[str, Any] = {
    "queries": {
        "entity1": {"schema": "Person", "properties": {"name": ["John Doe"], "birthDate": ["1975-04-21"],
                                                        "nationality": ["us"]}},
        "entity2": {"schema": "Company", "properties": {"name": ["Brilliant Amazing Limited"], "jurisdiction": ["hk"],
                                                         "registrationNumber": ["84BA99810"]}},
    }
}


@pytest.fixture
def client(store: Any, fixture_path: Any) -> Iterator[TestClient]:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    app = create_app(store)
    with TestClient(app) as c:
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield c


@pytest.fixture
def keys(store: Any) -> dict[str, str]:
    return {role: create_key(store, role)[1] for role in ("viewer", "analyst", "admin")}


def app_state(client: TestClient) -> Any:
    return client.app.state  # type: ignore[attr-defined]


def auth(key: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {key}"}


def test_yente_request_round_trips(client: TestClient, keys: dict[str, str]) -> None:
    resp = client.post("/match/default", json=YENTE_EXAMPLE, headers=auth(keys["analyst"]))
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert set(data) >= {"responses", "matcher", "limit"}
    assert set(data["responses"]) == {"entity1", "entity2"}
    for name, answer in data["responses"].items():
        assert answer["status"] == 200
        assert answer["total"] == {"value": len(answer["results"]), "relation": "eq"}
        assert answer["query"]["schema"] == YENTE_EXAMPLE["queries"][name]["schema"]
        assert answer["query"]["properties"]["name"] == YENTE_EXAMPLE["queries"][name]["properties"]["name"]


def test_match_finds_and_explains(client: TestClient, keys: dict[str, str]) -> None:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": "杭州海康威视数字技术股份有限公司",
                                                                   "country": ["cn"]}}}}
    resp = client.post("/match/default?threshold=0.7", json=body, headers=auth(keys["analyst"], "ApiKey"))
    assert resp.status_code == 200, resp.text
    results = resp.json()["responses"]["q"]["results"]
    top = results[0]
    assert top["caption"] == "Hangzhou Hikvision Digital Technology Co., Ltd." and top["match"] is True
    assert top["properties"]["name"] and top["features"]["name"] > 0.8
    assert "alias from https://www.hikvision.com" in top["explanation"]["summary"]
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    only = client.post("/match/default?exclude_entity_ids=" + top["id"], json=body, headers=auth(keys["analyst"]))
    assert top["id"] not in {r["id"] for r in only.json()["responses"]["q"]["results"]}


def test_a_party_on_two_lists_is_one_result(store: Any, fixture_path: Any, keys: dict[str, str]) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    ingest.load(store, [fixture_path("ofac_cons/cons_prim.csv")], force=True)
    with TestClient(create_app(store)) as c:
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        body = {"queries": {"q": {"schema": "Company", "properties": {
            "name": ["HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."]}}}}
        results = c.post("/match/default?limit=10", json=body, headers=auth(keys["analyst"])).json()[
            "responses"]["q"]["results"]
        cmic = [r for r in results if "us_csl-30946" in r["referents"]]
        assert len(cmic) == 1
        hit = cmic[0]
        assert hit["id"] == "us_ofac_cons-30946" and set(hit["datasets"]) == {"us_csl", "us_ofac_cons"}
        assert set(hit["properties"]["name"]) >= {"HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.",
                                                   "Hangzhou Hikvision Digital Technology Co., Ltd."}
        assert hit["first_seen"] is not None
        # a hit cleared by the id of any of its source records stays cleared
        again = c.post("/match/default?limit=10&exclude_entity_ids=us_csl-30946", json=body,
                       headers=auth(keys["analyst"])).json()["responses"]["q"]["results"]
        assert not [r for r in again if "us_csl-30946" in r["referents"]]
        assert any(r["id"].startswith("us_csl-f095626c") for r in again)  # the Entity List row is another party
        ready = c.get("/readyz").json()
        assert ready["records"] == ready["entities"] + 1 and ready["merged_records"] == 2


def test_dates_and_changed_since(client: TestClient, keys: dict[str, str], store: Any, fixture_path: Any,
                                 tmp_path: Any) -> None:
    from datetime import UTC, datetime

    body = {"queries": {"hik": {"schema": "Company", "properties": {"name": ["Hikvision Digital Technology"]}},
                        "rim": {"schema": "Person", "properties": {"name": ["Rim Abbas"]}}}}

    def found(**params: str) -> dict[str, list[dict[str, Any]]]:
        resp = client.post("/match/default", params={"cutoff": "0.3", **params}, json=body,
                           headers=auth(keys["analyst"]))
        assert resp.status_code == 200, resp.text
        return {k: v["results"] for k, v in resp.json()["responses"].items()}

    first = found()
    assert first["hik"] and first["rim"]
    loaded = first["rim"][0]["first_seen"]
    assert loaded and first["rim"][0]["last_change"] == loaded and first["rim"][0]["last_seen"] == loaded
    assert found(changed_since="2000-01-01") == first
    time.sleep(1.1)  # load times are kept to the second
    between = datetime.now(UTC).isoformat(timespec="seconds")
    time.sleep(1.1)
    # A new version of the list in which only 'ABBAS, Rim' changed (a new title).
    text = fixture_path("us_csl/good.csv").read_text(encoding="utf-8")
    changed = tmp_path / "good.csv"
    changed.write_text(text.replace("Scientific Studies and Research Center Employee", "Director"), encoding="utf-8")
    ingest.load(store, [changed], force=True)
    assert app_state(client).holder.refresh() is True
    later = found(changed_since=between)
    assert later["hik"] == []  # not changed since
    rim = later["rim"][0]
    assert rim["id"] == first["rim"][0]["id"] and rim["last_change"] > between
    assert rim["first_seen"] == loaded and rim["last_seen"] == rim["last_change"]
    assert found(changed_since=between.replace("+00:00", "Z"))["rim"][0]["id"] == rim["id"]
    bad = client.post("/match/default", params={"changed_since": "last tuesday"}, json=body,
                      headers=auth(keys["analyst"]))
    assert bad.status_code == 400 and "changed_since" in bad.json()["detail"]


@pytest.mark.parametrize("path, method, role", [
    ("/lists", "get", "viewer"), ("/entities/us_csl-30946", "get", "viewer"), ("/match/default", "post", "analyst"),
])
def test_keys_and_roles(client: TestClient, keys: dict[str, str], store: Any, path: str, method: str, role: str) -> None:
    call = getattr(client, method)
    kwargs = {"json": YENTE_EXAMPLE} if method == "post" else {}
    missing = call(path, **kwargs)
    assert missing.status_code == 401 and missing.json() == {
        "status": 401, "detail": "an API key is required: send `Authorization: Bearer <key>`"}
    assert call(path, headers=auth("rf_nope_nope"), **kwargs).status_code == 401
    ranks = ["viewer", "analyst", "admin"]
    for held in ranks:
        resp = call(path, headers=auth(keys[held]), **kwargs)
        if ranks.index(held) >= ranks.index(role):
            assert resp.status_code == 200, (held, resp.text)
        else:
            assert resp.status_code == 403 and f"needs the {role} role" in resp.json()["detail"]


def test_revoked_key_is_refused(client: TestClient, store: Any) -> None:
    key_id, key = create_key(store, "viewer")
    assert client.get("/lists", headers=auth(key)).status_code == 200
    store.revoke_key(key_id)
    from redflags.api import guard as app_module

    # the app's key cache still holds the key for a few seconds

    deadline = time.monotonic() + app_module.KEY_CACHE_SECONDS + 2
    while client.get("/lists", headers=auth(key)).status_code != 401:
        assert time.monotonic() < deadline, "a revoked key still works"
        time.sleep(0.2)


@pytest.mark.parametrize("body, query, status, detail", [
    ({"queries": {}}, "", 400, "no queries given"),
    ({"queries": {"q": {"schema": "Planet", "properties": {"name": ["x"]}}}}, "", 400, "unknown schema 'Planet'"),
    ({"queries": {"q": {"schema": "Company", "properties": {"country": ["cn"]}}}}, "", 400, "a query needs a name"),
    ({"queries": {"q": {"schema": "Company", "properties": {"name": ["x" * 5000]}}}}, "", 400, "longer than 1,000"),
    ({"queries": {"q": {"schema": "Company", "properties": {"name": ["x" * 10_000_000]}}}}, "", 400, "longer than 1,000"),
    ({"queries": {"q": {"schema": "Company", "properties": {"name": ["x" * 11_000_000]}}}}, "", 413,
     "request body over 10,485,760 bytes"),
    ({"queries": {f"q{n}": {"schema": "Company", "properties": {"name": ["x"]}} for n in range(501)}}, "", 400,
     "too many queries in one request (501; at most 500)"),
    ({"nope": 1}, "", 400, "invalid request: body.queries"),
    ({"queries": {"q": {"schema": "Company", "properties": {"name": ["x"]}}}}, "?limit=0", 400, "invalid request: query.limit"),
])
def test_bad_match_requests_get_400_with_a_reason(client: TestClient, keys: dict[str, str], body: Any, query: str,
                                                   status: int, detail: str) -> None:
    resp = client.post("/match/default" + query, json=body, headers=auth(keys["analyst"]))
    assert resp.status_code == status
    assert detail in resp.json()["detail"] and resp.json()["status"] == status


def test_malformed_json_and_unknown_dataset(client: TestClient, keys: dict[str, str]) -> None:
    resp = client.post("/match/default", content=b"{not json", headers={**auth(keys["analyst"]),
                                                                        "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["detail"].startswith("invalid request")
    bad_utf8 = b'{"queries": {"q": {"schema": "Company", "properties": {"name": ["\xff\xfe"]}}}}'
    resp = client.post("/match/default", content=bad_utf8, headers={**auth(keys["analyst"]),
                                                                     "Content-Type": "application/json"})
    assert resp.status_code == 400 and "body" in resp.json()["detail"]
    resp = client.post("/match/nowhere", json=YENTE_EXAMPLE, headers=auth(keys["analyst"]))
    assert resp.status_code == 404 and "no dataset 'nowhere'" in resp.json()["detail"]
    resp = client.get("/entities/nothing-here", headers=auth(keys["viewer"]))
    assert resp.status_code == 404 and resp.json()["status"] == 404
    huge = client.get("/lists/un_sc/diff", params={"version": 2**63}, headers=auth(keys["viewer"]))
    assert huge.status_code == 400 and "version" in huge.json()["detail"]
    missing = client.get("/lists/un_sc/diff", params={"version": 2**63 - 1}, headers=auth(keys["viewer"]))
    assert missing.status_code == 404 and "no version" in missing.json()["detail"]


def test_health_needs_no_key_and_openapi_is_served(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["entities"] > 0
    spec = client.get("/openapi.json", headers=auth(keys["viewer"])).json()
    assert "/match/{dataset}" in spec["paths"]
    assert "multipart/form-data" in spec["paths"]["/screen"]["post"]["requestBody"]["content"]


def test_not_ready_without_lists(store: Any) -> None:
    with TestClient(create_app(store)) as c:
        resp = c.get("/readyz")
        assert resp.status_code == 503 and "no lists loaded" in resp.json()["detail"]


def test_keys_cli(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    made = CliRunner().invoke(main, ["--db", db, "keys", "create", "--role", "analyst", "--name", "erp"])
    assert made.exit_code == 0
    key = made.stdout.strip()
    assert key.startswith("rf_")
    listed = CliRunner().invoke(main, ["--db", db, "keys", "list", "--json"])
    import json

    rows = json.loads(listed.stdout)
    assert rows[0]["role"] == "analyst" and rows[0]["name"] == "erp" and key not in listed.stdout
    assert CliRunner().invoke(main, ["--db", db, "keys", "revoke", rows[0]["id"]]).exit_code == 0
    again = CliRunner().invoke(main, ["--db", db, "keys", "revoke", rows[0]["id"]])
    assert again.exit_code == 1 and "no active API key" in again.output


def test_search_ranks_and_filters(client: TestClient, keys: dict[str, str]) -> None:
    resp = client.get("/search/default", params={"q": "hikvision"}, headers=auth(keys["viewer"]))
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert results and results[0]["caption"].startswith("Hangzhou Hikvision")
    only_el = client.get("/search/default", params={"q": "hikvision", "lists": "Entity List"},
                         headers=auth(keys["viewer"])).json()["results"]
    assert only_el and all("Entity List" in r["lists"] for r in only_el)
    assert len(only_el) < len(results)
    persons = client.get("/search/default", params={"q": "hikvision", "schema": "Person"},
                         headers=auth(keys["viewer"])).json()["results"]
    assert persons == []
    assert client.get("/search/default", headers=auth(keys["viewer"])).status_code == 400


def test_metrics_count_requests(client: TestClient, keys: dict[str, str]) -> None:
    client.post("/match/default", json=YENTE_EXAMPLE, headers=auth(keys["analyst"]))
    text = client.get("/metrics", headers=auth(keys["viewer"])).text
    assert 'redflags_http_requests_total{method="POST",route="/match/{dataset}",status="200"}' in text
    assert "redflags_match_queries_total" in text and "redflags_index_entities" in text


def test_rate_limit_and_body_limit(store: Any, fixture_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from redflags import settings

    monkeypatch.setattr(settings, "API_RATE_LIMIT", 3)
    monkeypatch.setattr(settings, "API_MAX_BODY", 1000)
    key = create_key(store, "viewer")[1]
    with TestClient(create_app(store)) as c:
        codes = [c.get("/lists", headers=auth(key)).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        limited = c.get("/lists", headers=auth(key))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert c.get("/lists", headers=auth(create_key(store, "viewer")[1])).status_code == 200  # per key
        big = c.post("/match/default", content=b"x" * 2000, headers={**auth(key), "Content-Type": "application/json"})
        assert big.status_code == 413 and big.json()["detail"] == "request body over 1,000 bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts the bytes as they come
            yield from [b"x" * 400] * 4

        chunked = c.post("/match/default", content=chunks(), headers={**auth(key), "Content-Type": "application/json"})
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413 and chunked.json()["detail"] == "request body over 1,000 bytes"


def test_lists_update_swaps_the_index(client: TestClient, keys: dict[str, str], fixture_path: Any, tmp_path: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import yaml

    from redflags import settings

    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"un_sc": {
        "dataset": "un_sc", "format": "un_sc_xml", "files": [{"url": "http://127.0.0.1:9/un.xml", "name": "consolidated.xml"}]}}}))
    monkeypatch.setattr(settings, "SOURCES_FILE", str(sources))

    before = client.get("/readyz").json()["lists"]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(fixture_path("un_sc/good.xml"), mirror / "consolidated.xml")
    denied = client.post("/lists/update", json={"sources": ["un_sc"], "mirror": str(mirror)},
                         headers=auth(keys["analyst"]))
    assert denied.status_code == 403
    resp = client.post("/lists/update", json={"sources": ["un_sc"], "mirror": str(mirror), "force": True},
                       headers=auth(keys["admin"]))
    assert resp.status_code == 200, resp.text
    assert resp.json()["index_swapped"] is True and resp.json()["results"][0]["status"] == "loaded"
    after = client.get("/readyz").json()["lists"]
    assert after != before and "un_sc" in after


def _wait_for(client: TestClient, key: str, job_id: str, states: tuple[str, ...] = ("done", "failed"),
              seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status = client.get(f"/screen/{job_id}", headers=auth(key)).json()
        if status["status"] in states or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_screen_job_upload_poll_and_results(client: TestClient, keys: dict[str, str]) -> None:
    import csv
    import io

    body = "Vendor ID,Supplier Name,Country\nV1,HIKVISION DIGITAL TECH CO LTD,CN\nV2,Acme Widgets,US\nV3,,US\n"
    resp = client.post("/screen", files={"file": ("vendors.csv", body.encode(), "text/csv")},
                       data={"threshold": "0.73", "id_column": "Vendor ID"}, headers=auth(keys["analyst"]))
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    assert client.post("/screen", files={"file": ("v.csv", body.encode(), "text/csv")},
                       headers=auth(keys["viewer"])).status_code == 403
    status = _wait_for(client, keys["analyst"], job_id)
    assert status["status"] == "done", status
    assert status["run"]["counts"]["rows"] == 3 and status["run"]["counts"]["alert"] == 1
    assert status["run"]["params"]["threshold"] == 0.73
    jsonl = client.get(f"/screen/{job_id}/results", headers=auth(keys["analyst"]))
    assert [__import__("json").loads(line)["status"] for line in jsonl.text.splitlines()] == ["alert", "clear", "error"]
    flat = client.get(f"/screen/{job_id}/results?format=csv", headers=auth(keys["analyst"]))
    rows = list(csv.DictReader(io.StringIO(flat.text)))
    assert [r["Vendor ID"] for r in rows] == ["V1", "V2", "V3"] and rows[0]["status"] == "alert"
    html = client.get(f"/screen/{job_id}/results?format=html", headers=auth(keys["analyst"]))
    assert html.status_code == 200 and 'class="alert"' in html.text
    xlsx = client.get(f"/screen/{job_id}/results?format=xlsx", headers=auth(keys["analyst"]))
    assert xlsx.content[:2] == b"PK"
    assert client.get("/screen/nope", headers=auth(keys["analyst"])).status_code == 404
    # another analyst's key does not see the job at all; an admin's does
    other = create_key(app_state(client).store, "analyst")[1]
    assert client.get(f"/screen/{job_id}", headers=auth(other)).status_code == 404
    assert client.get(f"/screen/{job_id}/results", headers=auth(other)).status_code == 404
    assert client.get(f"/screen/{job_id}", headers=auth(keys["admin"])).json()["status"] == "done"
    assert client.get(f"/screen/{job_id}/results?format=pdf", headers=auth(keys["analyst"])).status_code == 400


def test_screen_job_survives_a_server_restart(store: Any, fixture_path: Any, keys: dict[str, str]) -> None:
    import os
    import signal
    import subprocess

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    body = "name,country\n" + "".join(f"Hikvision Vendor {n} Trading,CN\n" for n in range(40000))
    with TestClient(create_app(store)) as first:
        job_id = first.post("/screen", files={"file": ("big.csv", body.encode(), "text/csv")},
                            headers=auth(keys["analyst"])).json()["id"]
        running = _wait_for(first, keys["analyst"], job_id, ("running", "done", "failed"))
        assert running["status"] == "running"
    # The server and its job die together (a crash or a reboot), mid-run.
    from redflags import settings

    folder = settings.HOME / "jobs" / job_id
    deadline = time.monotonic() + 60
    partial = folder / "results.jsonl.partial.jsonl"
    while (not partial.exists() or partial.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    pids = [int(p) for p in subprocess.run(["pgrep", "-f", f"{folder}/input"], capture_output=True,
                                           text=True).stdout.split()]
    assert pids, "the job's process was not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    with TestClient(create_app(store)) as second:
        status = _wait_for(second, keys["analyst"], job_id, seconds=120)
        assert status["status"] == "done", status
        assert status["run"]["counts"]["rows"] == 40000
        lines = second.get(f"/screen/{job_id}/results", headers=auth(keys["analyst"])).text.splitlines()
        assert len(lines) == 40000
    assert "resumed after row" in " ".join((folder / "log.txt").read_text(encoding="utf-8").split())


def test_a_list_loaded_elsewhere_is_picked_up(store: Any, fixture_path: Any) -> None:
    # `redflags lists update` in another process: the server's refresher notices the new
    # active version and swaps a new index in, with no request in between failing.
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    with TestClient(create_app(store, refresh_seconds=0.2, processes=0)) as c:
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = c.get("/readyz").json()["lists"]
        ingest.load(store, [fixture_path("un_sc/good.xml")], force=True)
        key = create_key(store, "analyst")[1]
        seen = set()
        while time.monotonic() < deadline:
            resp = c.post("/match/default", json=YENTE_EXAMPLE, headers=auth(key))
            assert resp.status_code == 200
            seen.add(resp.headers["X-Redflags-Lists"])
            if "un_sc" in resp.headers["X-Redflags-Lists"]:
                break
        assert seen <= {before, c.get("/readyz").json()["lists"]} and "un_sc" in c.get("/readyz").json()["lists"]


def test_topics_filter_match_and_search(client: TestClient, keys: dict[str, str]) -> None:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Hangzhou Hikvision Digital Technology"]}}}}

    def matched(topic: str) -> list[str]:
        resp = client.post("/match/default", params={"topics": topic}, json=body, headers=auth(keys["analyst"]))
        return [r["id"] for r in resp.json()["responses"]["q"]["results"]]

    assert matched("export.control") == ["us_csl-f095626c9f8becc70b5948507fb6de6e443b257a"]  # the Entity List
    assert matched("sanction") == ["us_csl-30946"]  # the CMIC entry
    found = client.get("/search/default", params={"q": "hikvision", "topics": "sanction"},
                       headers=auth(keys["viewer"])).json()["results"]
    assert [r["id"] for r in found] == ["us_csl-30946"] and found[0]["properties"]["topics"] == ["sanction"]
