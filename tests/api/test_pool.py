"""Many-query /match requests spread over forked helper processes, and the access log."""

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from fastapi.testclient import TestClient

from redflags import ingest
from redflags.api import create_app
from redflags.api.keys import create_key
from redflags.api.pool import SPREAD_FROM

NAMES = ["Hangzhou Hikvision Digital Technology", "Hikvision", "Rim Abbas", "ARIMERO HOLDING", "Acefrosty Ltd",
         "Arimero Holdings Limited", "Hik Vision Digital", "Nobody In Particular GmbH", "ABBAS Rim", "Acme Widgets"]
BATCH = {"queries": {f"q{n}": {"schema": "LegalEntity" if n % 3 else "Company",
                               "properties": {"name": [NAMES[n % len(NAMES)] + ("" if n < 10 else f" {n}")]}}
                     for n in range(3 * SPREAD_FROM)}}


def started(store: Any, processes: int) -> TestClient:
    client = TestClient(create_app(store, processes=processes))
    client.__enter__()
    deadline = time.monotonic() + 30
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    return client


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Iterator[Any]:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    yield store


def helpers() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_large_request_is_spread_over_helpers_with_the_same_answer(loaded: Any) -> None:
    key = {"Authorization": f"Bearer {create_key(loaded, 'analyst')[1]}"}
    alone = started(loaded, processes=0)
    spread = started(loaded, processes=2)
    try:
        before = helpers()
        expected = alone.post("/match/default", json=BATCH, headers=key)
        assert helpers() == before  # processes=0 forks nothing
        got = spread.post("/match/default", json=BATCH, headers=key)
        forked = helpers() - before
        assert len(forked) == 2
        assert got.status_code == expected.status_code == 200
        assert got.json() == expected.json()
        assert list(got.json()["responses"]) == list(BATCH["queries"])  # in the request's order
        assert got.json()["responses"]["q1"]["results"][0]["match"] is True
        # Helpers killed (for memory, say): the next request is still answered in full, and new
        # helpers are forked for the one after.
        victims = [psutil.Process(pid) for pid in forked]
        for victim in victims:
            victim.terminate()  # SIGTERM: helpers do not inherit the server's handler, which ignores it
        assert psutil.wait_procs(victims, timeout=10)[1] == []
        again = spread.post("/match/default", json=BATCH, headers=key)
        assert again.status_code == 200 and again.json() == expected.json()
        assert spread.post("/match/default", json=BATCH, headers=key).json() == expected.json()
        assert helpers() - before - forked
    finally:
        alone.__exit__(None, None, None)
        spread.__exit__(None, None, None)
    # Closing the app stops its helpers.
    deadline = time.monotonic() + 10
    while helpers() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not helpers() - before


def test_access_log_names_the_key_of_each_request(loaded: Any, caplog: pytest.LogCaptureFixture) -> None:
    key_id, key = create_key(loaded, "viewer")
    client = started(loaded, processes=0)
    try:
        with caplog.at_level(logging.INFO, logger="redflags.access"):
            client.get("/lists", headers={"Authorization": f"ApiKey {key}"})
            client.get("/search/default", params={"q": "hikvision"}, headers={"Authorization": "Bearer nope"})
    finally:
        client.__exit__(None, None, None)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "redflags.access"]
    assert [(x["path"], x["status"], x["key"]) for x in lines] == [("/lists", 200, key_id),
                                                                    ("/search/default", 401, None)]
    assert lines[0]["route"] == "/lists" and lines[0]["ms"] > 0 and lines[0]["method"] == "GET"
    assert "hikvision" not in json.dumps(lines)  # what was searched for stays out of the log
