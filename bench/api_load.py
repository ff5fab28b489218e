"""HTTP API under load, on loopback: ``redflags serve`` with CSL 2022 + UN, and a load generator.

Prints, for single-query ``POST /match/default`` with names from ../shared/bench/queries_dev.csv:

1. one client (closed loop): latency with no queueing;
2. C concurrent clients (closed loop, default 50): each sends its next request as soon as the
   last is answered, so this is the server's saturation rate; by Little's law p50 is then about
   C / rate, whatever the server does;
3. C connections at fixed offered rates (open loop, like wrk2): request k of the run is due at
   k / rate, and its latency counts from when it was due, so a server that falls behind is
   charged for the wait (no coordinated omission);

and for batch ``POST /match/default`` with 500 queries per request, queries/s with the helper
processes on and, as the same-run baseline, off (``REDFLAGS_API_MATCH_PROCESSES=0``), beside
the in-process matching rate of the same queries with no HTTP at all.

The load generator is a minimal asyncio HTTP/1.1 client (pre-encoded requests, keep-alive) in
one process on the same 2 cores, so it takes some CPU from the server; its latencies are upper
bounds. Request counts are bounded and it talks to 127.0.0.1 only.

    .venv/bin/python bench/api_load.py [--workers 2] [--clients 50] [--requests 4000]
                                       [--rates 200,400,600,800] [--batches 8]
"""

import argparse
import asyncio
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared"
LISTS = [SHARED / "data/lists/us_csl/consolidated-2022-05.csv.gz", SHARED / "data/lists/un_sc/UN_consolidated-2026-02.xml"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def example(row: dict[str, str]) -> dict:
    props = {"name": [row["name"]]}
    if row["country"]:
        props["country"] = [row["country"]]
    return {"schema": row["schema"] or "LegalEntity", "properties": props}


def encode(port: int, key: str, body: dict) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode()
    return (f"POST /match/default HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


class Connection:
    """One keep-alive HTTP/1.1 connection; the server answers with a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def closed_loop(port: int, requests: list[bytes], clients: int, total: int) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    counter = iter(range(total))
    errors = 0

    async def client() -> None:
        nonlocal errors
        conn = await Connection.open(port)
        for n in counter:
            t0 = time.perf_counter()
            status, _ = await conn.send(requests[n % len(requests)])
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - start, errors


async def open_loop(port: int, requests: list[bytes], clients: int, rate: float, total: int
                    ) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05

    async def client(c: int) -> None:
        nonlocal errors
        conn = await Connection.open(port)
        for n in range(c, total, clients):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, _ = await conn.send(requests[n % len(requests)])
            latencies.append(time.perf_counter() - due)
            errors += status != 200
        conn.close()

    await asyncio.gather(*(client(c) for c in range(clients)))
    return latencies, time.perf_counter() - start, errors


async def batches(port: int, requests: list[bytes], count: int) -> tuple[float, list[float]]:
    conn = await Connection.open(port)
    seconds = []
    start = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        status, body = await conn.send(requests[n % len(requests)])
        assert status == 200, body[:300]
        seconds.append(time.perf_counter() - t0)
    conn.close()
    return count * 500 / (time.perf_counter() - start), seconds


def start_server(url: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "redflags"), "--db", url, "serve", "--port", str(port),
                               "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, **env})
    start = time.perf_counter()
    ready = 0  # each worker process builds its own index: wait until new connections keep finding one
    while ready < 20 and time.perf_counter() - start < 180:
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            ok = False
        ready = ready + 1 if ok else 0
        time.sleep(0.01 if ok else 0.2)
    print(f"server ready in {time.perf_counter() - start:.1f} s ({workers} worker processes, {env})")
    return server, port


def memory(pid: int) -> str:
    """RSS and PSS (shared pages divided among their sharers) of the server's processes."""
    try:
        import psutil
    except ImportError:
        return "memory: psutil not installed"
    family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    rss = pss = 0
    for proc in family:
        info = proc.memory_full_info()
        rss += info.rss
        pss += info.pss
    return (f"memory of the {len(family)} server processes (supervisor, workers, helpers): RSS {rss / 2**20:,.0f} MB, "
            f"PSS {pss / 2**20:,.0f} MB")


def line(label: str, lat: list[float], elapsed: float, errors: int) -> str:
    failed = f", {errors} failed" if errors else ""
    return (f"  {label}: {len(lat) / elapsed:,.0f} requests/s; p50 {statistics.median(lat) * 1000:.1f} ms, "
            f"p99 {percentile(lat, 0.99) * 1000:.1f} ms, max {max(lat) * 1000:.0f} ms{failed}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rates", default="200,400,600,800")
    parser.add_argument("--batches", type=int, default=8)
    args = parser.parse_args()
    queries = SHARED / "bench" / "queries_dev.csv"
    if not queries.exists() or not all(p.exists() for p in LISTS):
        print(f"SKIP: {queries} or the CSL/UN snapshots are missing")
        return 0
    rows = list(csv.DictReader(queries.open(encoding="utf-8")))
    (HERE / "out").mkdir(exist_ok=True)
    url = f"sqlite:///{HERE / 'out' / 'bench.db'}"
    from redflags import ingest
    from redflags.api.keys import create_key
    from redflags.screen.screen import Screener, make_query
    from redflags.store import Store

    store = Store(url)
    if not store.active_versions():
        ingest.load(store, LISTS)
    key = create_key(store, "analyst", "bench/api_load.py")[1]

    # The ceiling: the same batch queries matched in this process, with no HTTP.
    screener = Screener.from_store(store)
    batch_rows = [rows[n % len(rows)] for n in range(args.batches * 500)]
    start = time.perf_counter()
    for row in batch_rows:
        ex = example(row)["properties"]
        screener.match(make_query(ex["name"], row["schema"] or "LegalEntity", ex.get("country", [])), limit=8,
                       threshold=0.73, cutoff=0.5)
    in_process = len(batch_rows) / (time.perf_counter() - start)
    del screener

    env = {"REDFLAGS_API_RATE_LIMIT": "0"}  # the load generator is one key
    server, port = start_server(url, args.workers, env)
    singles = [encode(port, key, {"queries": {"q": example(r)}}) for r in rows]
    big = [encode(port, key, {"queries": {f"q{i}": example(batch_rows[n * 500 + i]) for i in range(500)}})
           for n in range(args.batches)]
    try:
        asyncio.run(closed_loop(port, singles, 10, 400))  # warm-up: every worker answers a few
        print("single-query /match:")
        print(line("1 client, closed loop", *asyncio.run(closed_loop(port, singles, 1, args.requests // 4))))
        print(line(f"{args.clients} clients, closed loop (saturation)",
                   *asyncio.run(closed_loop(port, singles, args.clients, args.requests))))
        for rate in (float(r) for r in args.rates.split(",")):
            lat, elapsed, errors = asyncio.run(open_loop(port, singles, args.clients, rate, args.requests))
            print(line(f"{args.clients} connections, offered {rate:,.0f}/s, open loop", lat, elapsed, errors))
        asyncio.run(batches(port, big, 1))
        qps, secs = asyncio.run(batches(port, big, args.batches))
        print(f"batch /match, 500 queries a request, {args.batches} requests one after another: {qps:,.0f} queries/s "
              f"(request p50 {statistics.median(secs):.2f} s), helper processes on")
        print(memory(server.pid))
    finally:
        server.terminate()
        server.wait(20)
    server, port = start_server(url, args.workers, {**env, "REDFLAGS_API_MATCH_PROCESSES": "0"})
    big = [encode(port, key, {"queries": {f"q{i}": example(batch_rows[n * 500 + i]) for i in range(500)}})
           for n in range(args.batches)]
    try:
        asyncio.run(batches(port, big, 1))
        qps, secs = asyncio.run(batches(port, big, args.batches))
        print(f"batch /match, baseline with no helper processes (one core a request): {qps:,.0f} queries/s "
              f"(request p50 {statistics.median(secs):.2f} s)")
    finally:
        server.terminate()
        server.wait(20)
    print(f"baseline, the same batch queries matched in-process with no HTTP (one core): {in_process:,.0f} queries/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
