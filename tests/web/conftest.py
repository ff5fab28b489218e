"""A running API with the web UI over the links fixture lists (Hikvision, Dahua, Huawei, one SDN
entity), keys of each role, and a signed-in browser-like client."""

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from redflags import ingest
from redflags.api import create_app
from redflags.api.keys import create_key

LINKS = Path(__file__).parent.parent / "fixtures" / "links"


@pytest.fixture
def ui(store: Any) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    ingest.load(store, [LINKS / "csl.csv"], force=True)
    keys = {role: create_key(store, role, f"{role} one")[1] for role in ("viewer", "analyst", "admin")}
    keys["analyst2"] = create_key(store, "analyst", "analyst two")[1]
    with TestClient(create_app(store)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield client, keys, store


def sign_in(client: TestClient, key: str) -> str:
    """Sign in with ``key``; the session's CSRF token."""
    answer = client.post("/ui/login", data={"api_key": key, "next": "/ui/alerts"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/ui/alerts").text)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)
