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
YENTE_EXAMPLE = {
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
    assert "pinyin initials" in top["explanation"]["summary"]
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    only = client.post("/match/default?exclude_entity_ids=" + top["id"], json=body, headers=auth(keys["analyst"]))
    assert top["id"] not in {r["id"] for r in only.json()["responses"]["q"]["results"]}


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
    client.app.state  # noqa: B018 - the same app; its key cache lasts a few seconds
    from redflags.api import app as app_module

    deadline = time.monotonic() + app_module.KEY_CACHE_SECONDS + 2
    while client.get("/lists", headers=auth(key)).status_code != 401:
        assert time.monotonic() < deadline, "a revoked key still works"
        time.sleep(0.2)


@pytest.mark.parametrize("body, query, status, detail", [
    ({"queries": {}}, "", 400, "no queries given"),
    ({"queries": {"q": {"schema": "Planet", "properties": {"name": ["x"]}}}}, "", 400, "unknown schema 'Planet'"),
    ({"queries": {"q": {"schema": "Company", "properties": {"country": ["cn"]}}}}, "", 400, "a query needs a name"),
    ({"queries": {"q": {"schema": "Company", "properties": {"name": ["x" * 5000]}}}}, "", 400, "longer than 1,000"),
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
    resp = client.post("/match/nowhere", json=YENTE_EXAMPLE, headers=auth(keys["analyst"]))
    assert resp.status_code == 404 and "no dataset 'nowhere'" in resp.json()["detail"]
    resp = client.get("/entities/nothing-here", headers=auth(keys["viewer"]))
    assert resp.status_code == 404 and resp.json()["status"] == 404


def test_health_needs_no_key_and_openapi_is_served(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["entities"] > 0
    spec = client.get("/openapi.json").json()
    assert "/match/{dataset}" in spec["paths"]


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
