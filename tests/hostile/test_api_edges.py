"""The HTTP API against clients that do not play fair (issue 10, item 4 and Low): an upload
without a key is refused at its headers and never stored; slow headers and dripping bodies are
cut off; the docs need a key; odd dates are a 400, not a 500. A real ``redflags serve`` on
loopback, spoken to over raw sockets.
"""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from redflags import ingest
from redflags.api import create_app
from redflags.api.keys import create_key
from tests.api.test_server import serve


@pytest.fixture
def server(store: Any, fixture_path: Any, tmp_path: Path) -> Iterator[tuple[str, int, dict[str, str], Path]]:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    keys = {role: create_key(store, role)[1] for role in ("viewer", "analyst")}
    proc, base = serve(store, tmp_path, {"REDFLAGS_API_HEADER_TIMEOUT": "2", "REDFLAGS_API_BODY_TIMEOUT": "2",
                                         "REDFLAGS_API_MIN_BODY_RATE": "1024", "REDFLAGS_API_RATE_LIMIT": "0"})
    host, port = base.removeprefix("http://").split(":")
    try:
        yield host, int(port), keys, tmp_path / "home" / "jobs"
    finally:
        proc.terminate()
        proc.wait(10)


def _read_response(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection (or ``timeout``), and when it closed."""
    sock.settimeout(timeout)
    start, data = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data, time.monotonic() - start


UPLOAD_HEADERS = (b"POST /screen HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BOUND\r\n"
                  b"Content-Length: 500000000\r\n")


@pytest.mark.parametrize(("auth", "status"), [(None, b"401"), ("viewer", b"403")])
def test_an_upload_is_refused_before_its_body_is_read(server: tuple[str, int, dict[str, str], Path],
                                                      auth: str | None, status: bytes) -> None:
    host, port, keys, jobs = server
    with socket.create_connection((host, port)) as sock:
        header = UPLOAD_HEADERS + (f"Authorization: Bearer {keys[auth]}\r\n".encode() if auth else b"")
        sock.sendall(header + b"\r\n--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.csv\"\r\n\r\n"
                     + b"name\n" + b"A" * 100_000)
        data, _ = _read_response(sock, 5)
    assert data.startswith(b"HTTP/1.1 " + status), data[:200]
    assert not jobs.exists() or not any(jobs.iterdir())


def test_slow_headers_are_cut_off(server: tuple[str, int, dict[str, str], Path]) -> None:
    host, port, _keys, _jobs = server
    with socket.create_connection((host, port)) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        try:
            for _ in range(20):  # a header byte now and then, never the end of the headers
                sock.sendall(b"X")
                time.sleep(0.5)
        except OSError:
            pass  # the server closed the connection
        data, _ = _read_response(sock, 5)
        elapsed = time.monotonic() - start
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert elapsed < 8


def test_a_silent_connection_is_closed(server: tuple[str, int, dict[str, str], Path]) -> None:
    host, port, _keys, _jobs = server
    with socket.create_connection((host, port)) as sock:
        data, elapsed = _read_response(sock, 10)
    assert data.startswith(b"HTTP/1.1 408") and elapsed < 5


@pytest.mark.parametrize("how", ["stalled", "dripping"])
def test_a_slow_body_is_cut_off(server: tuple[str, int, dict[str, str], Path], how: str) -> None:
    host, port, keys, _jobs = server
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"POST /match/default HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + keys["analyst"].encode() + b"\r\nContent-Length: 100000\r\n\r\n{")
        start = time.monotonic()
        if how == "dripping":
            try:
                for _ in range(30):
                    sock.sendall(b" ")
                    time.sleep(0.3)
            except OSError:
                pass
        data, _ = _read_response(sock, 10)
        elapsed = time.monotonic() - start
    assert data.startswith(b"HTTP/1.1 408"), data[:300]
    assert b"connection: close" in data.lower()
    assert elapsed < 9


def test_the_docs_need_a_key(store: Any, fixture_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from redflags import settings

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    viewer = create_key(store, "viewer")[1]
    with TestClient(create_app(store)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 401
            assert client.get(path, headers={"Authorization": f"Bearer {viewer}"}).status_code == 200
    monkeypatch.setattr(settings, "API_PUBLIC_DOCS", 1)
    with TestClient(create_app(store)) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/lists").status_code == 401


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1-1-1", "x" * 50])
def test_changed_since_out_of_range_is_a_400(store: Any, fixture_path: Any, value: str) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    analyst = create_key(store, "analyst")[1]
    app = create_app(store)
    app.state.holder.refresh()
    with TestClient(app) as client:
        resp = client.post("/match/default", params={"changed_since": value},
                           json={"queries": {"q": {"schema": "Company", "properties": {"name": ["Hikvision"]}}}},
                           headers={"Authorization": f"Bearer {analyst}"})
    assert resp.status_code in (200, 400), resp.text
    if value.startswith("0001") or value.startswith("1-") or value.startswith("x"):
        assert resp.status_code == 400 and "changed_since" in resp.json()["detail"]


def test_a_name_without_letters_is_a_400(store: Any, fixture_path: Any) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    analyst = create_key(store, "analyst")[1]
    app = create_app(store)
    app.state.holder.refresh()
    with TestClient(app) as client:
        resp = client.post("/match/default", json={"queries": {"q": {"schema": "Company",
                                                                     "properties": {"name": ["\u200b😀"]}}}},
                           headers={"Authorization": f"Bearer {analyst}"})
    assert resp.status_code == 400 and "no letters or digits" in resp.json()["detail"]
