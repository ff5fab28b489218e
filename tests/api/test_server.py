"""``redflags serve`` as a real server on loopback: lists swapped under load, slow clients."""

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from redflags import ingest
from redflags.api.keys import create_key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(store: Any, tmp_path: Path, env: dict[str, str], stderr: Any = subprocess.DEVNULL
          ) -> tuple[subprocess.Popen[bytes], str]:
    """``redflags serve --workers 2`` on a free loopback port, once every process answers."""
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "redflags"), "--db", store.url, "serve", "--port",
                             str(port), "--workers", "2"],
                            env={"REDFLAGS_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", **env},
                            stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    ready = 0  # each process builds its own index: new connections must keep finding one ready
    while ready < 10:
        try:
            ready = ready + 1 if httpx.get(f"{base}/readyz", timeout=1).status_code == 200 else 0
        except httpx.HTTPError:
            ready = 0
        assert proc.poll() is None and time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.01 if ready else 0.2)
    return proc, base


@pytest.fixture
def server(store: Any, fixture_path: Any, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    keys = {role: create_key(store, role)[1] for role in ("analyst", "admin")}
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"un_sc": {
        "dataset": "un_sc", "format": "un_sc_xml", "files": [{"url": "http://127.0.0.1:9/un.xml", "name": "un.xml"}]}}}))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(fixture_path("un_sc/good.xml"), mirror / "un.xml")
    proc, base = serve(store, tmp_path, {"REDFLAGS_SOURCES": str(sources), "REDFLAGS_API_RATE_LIMIT": "0"})
    try:
        yield base, keys, mirror
    finally:
        proc.terminate()
        proc.wait(10)


def test_rate_limit_holds_across_server_processes(store: Any, fixture_path: Any, tmp_path: Path) -> None:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    key_id, key = create_key(store, "viewer")
    log = tmp_path / "access.log"
    with log.open("wb") as stderr:
        proc, base = serve(store, tmp_path, {"REDFLAGS_API_RATE_LIMIT": "10"}, stderr)
        try:
            # a new connection each time, so the kernel hands them to both processes
            codes = [httpx.get(f"{base}/lists", headers={"Authorization": f"Bearer {key}"}).status_code
                     for _ in range(24)]
        finally:
            proc.terminate()
            proc.wait(10)
    assert codes.count(200) == 10 and codes.count(429) == 14, codes
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    answered = [x for x in lines if x["path"] == "/lists"]
    assert len(answered) == 24 and {x["key"] for x in answered} == {key_id}
    assert len({x["pid"] for x in answered}) == 2  # both processes served, and shared one limit


def test_lists_swap_atomically_under_load(server: tuple[str, dict[str, str], Path]) -> None:
    base, keys, mirror = server
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Hikvision Digital Technology"]}}}}
    failures: list[str] = []
    answered = [0]
    seen: set[str] = set()
    before = httpx.get(f"{base}/readyz").json()["lists"]
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys['analyst']}"}, timeout=30) as c:
            while not stop.is_set():
                resp = c.post("/match/default", json=body)
                if resp.status_code != 200 or not resp.json()["responses"]["q"]["results"]:
                    failures.append(f"{resp.status_code} {resp.text[:200]}")
                seen.add(resp.headers.get("X-Redflags-Lists", "none"))
                answered[0] += 1

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1)
    resp = httpx.post(f"{base}/lists/update", json={"sources": ["un_sc"], "mirror": str(mirror), "force": True},
                      headers={"Authorization": f"Bearer {keys['admin']}"}, timeout=120)
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()
    assert resp.status_code == 200, resp.text
    assert failures == [] and answered[0] > 50
    # every answer names the one index it came from: the old lists, or the old and the new
    after = f"un_sc:{resp.json()['results'][0]['version']},{before}"
    assert before in seen and seen <= {before, after}
    # the other server process picks the new version up on its own refresh; this one swapped at once
    ready = httpx.get(f"{base}/readyz").json()
    assert "un_sc" in ready["lists"] or resp.json()["index_swapped"]


def test_a_slow_client_does_not_block_others(server: tuple[str, dict[str, str], Path]) -> None:
    base, keys, _mirror = server
    host, port = base.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)))
    # headers promising a body that trickles in far too slowly
    slow.sendall(b"POST /match/default HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + keys["analyst"].encode() + b"\r\nContent-Length: 100000\r\n\r\n{")
    try:
        start = time.monotonic()
        for _ in range(20):
            resp = httpx.get(f"{base}/healthz", timeout=5)
            assert resp.status_code == 200
        assert time.monotonic() - start < 5
    finally:
        slow.close()


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_no_process_outlives_the_server(store: Any, fixture_path: Any, tmp_path: Path, how: str) -> None:
    import psutil

    from redflags.api.pool import SPREAD_FROM

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    key = create_key(store, "analyst")[1]
    proc, base = serve(store, tmp_path, {"REDFLAGS_API_RATE_LIMIT": "0", "REDFLAGS_API_MATCH_PROCESSES": "1"})
    try:
        body = {"queries": {f"q{n}": {"schema": "Company", "properties": {"name": [f"Hikvision {n}"]}}
                            for n in range(SPREAD_FROM * 2)}}
        for _ in range(4):  # new connections, so both server processes get a large request
            resp = httpx.post(f"{base}/match/default", json=body, headers={"Authorization": f"Bearer {key}"},
                              timeout=60)
            assert resp.status_code == 200
        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= 3  # two server processes and at least one helper
    finally:
        if how == "kill":  # the whole family at once: no process gets to stop its helpers
            for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=False)]:
                p.kill()  # the server and its worker processes, not the helpers they forked
        else:
            proc.terminate()
        proc.wait(20)
    gone, alive = psutil.wait_procs(family, timeout=15)
    assert alive == [], [p.cmdline() for p in alive]
