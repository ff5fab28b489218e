"""HTTP API under load, on loopback: ``redflags serve`` with CSL 2022 + UN, and a load generator.

1. single-query ``POST /match/default``: C concurrent clients (closed loop, default 50), a bounded
   number of requests, names from ../shared/bench/queries_dev.csv; latency p50 / p99 and rate;
2. the same at a fixed offered rate (open loop), which is what latency under a given load means;
3. batch ``POST /match/default`` with 500 queries per request: queries/s.

The generator is one asyncio process on the same 2 cores, so it takes CPU from the server;
its figures are upper bounds on latency.

    .venv/bin/python bench/api_load.py [--workers 2] [--clients 50] [--requests 3000] [--rate 200]
"""

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared"
LISTS = [SHARED / "data/lists/us_csl/consolidated-2022-05.csv.gz", SHARED / "data/lists/un_sc/UN_consolidated-2026-02.xml"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def example(row: dict[str, str]) -> dict:
    props = {"name": [row["name"]]}
    if row["country"]:
        props["country"] = [row["country"]]
    return {"schema": row["schema"] or "LegalEntity", "properties": props}


async def closed_loop(base: str, key: str, rows: list[dict], clients: int, total: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    counter = iter(range(total))
    errors = 0

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal errors
        for n in counter:
            body = {"queries": {"q": example(rows[n % len(rows)])}}
            t0 = time.perf_counter()
            resp = await c.post("/match/default", json=body)
            latencies.append(time.perf_counter() - t0)
            errors += resp.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60,
                                 limits=limits) as c:
        start = time.perf_counter()
        await asyncio.gather(*(client(c) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    if errors:
        print(f"  {errors} requests failed")
    return latencies, elapsed


async def open_loop(base: str, key: str, rows: list[dict], rate: float, total: int) -> list[float]:
    latencies: list[float] = []

    async def one(c: httpx.AsyncClient, n: int) -> None:
        t0 = time.perf_counter()
        await c.post("/match/default", json={"queries": {"q": example(rows[n % len(rows)])}})
        latencies.append(time.perf_counter() - t0)

    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60,
                                 limits=httpx.Limits(max_connections=200)) as c:
        tasks = []
        start = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(c, n)))
        await asyncio.gather(*tasks)
    return latencies


async def batches(base: str, key: str, rows: list[dict], size: int, count: int) -> float:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300) as c:
        start = time.perf_counter()
        queries = 0

        async def one(n: int) -> None:
            nonlocal queries
            chunk = [rows[(n * size + i) % len(rows)] for i in range(size)]
            resp = await c.post("/match/default", json={"queries": {f"q{i}": example(r) for i, r in enumerate(chunk)}})
            assert resp.status_code == 200, resp.text[:300]
            queries += len(resp.json()["responses"])

        await asyncio.gather(*(one(n) for n in range(count)))
        return queries / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0)
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
    from redflags.store import Store

    store = Store(url)
    if not store.active_versions():
        ingest.load(store, LISTS)
    key = create_key(store, "analyst", "bench/api_load.py")[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REDFLAGS_API_RATE_LIMIT": "0"}  # the load generator is one key
    server = subprocess.Popen([str(Path(sys.executable).parent / "redflags"), "--db", url, "serve", "--port", str(port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env)
    try:
        start = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        print(f"server ready in {time.perf_counter() - start:.1f} s ({args.workers} worker processes)")
        asyncio.run(closed_loop(base, key, rows, 10, 200))  # warm-up: every worker answers a few
        lat, elapsed = asyncio.run(closed_loop(base, key, rows, args.clients, args.requests))
        print(f"single-query /match, {args.clients} concurrent clients (closed loop), {args.requests} requests: "
              f"{args.requests / elapsed:,.0f} requests/s; p50 {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {percentile(lat, 0.99) * 1000:.1f} ms")
        lat = asyncio.run(open_loop(base, key, rows, args.rate, args.requests))
        print(f"single-query /match at an offered {args.rate:.0f} requests/s (open loop): "
              f"p50 {statistics.median(lat) * 1000:.1f} ms, p99 {percentile(lat, 0.99) * 1000:.1f} ms")
        qps = asyncio.run(batches(base, key, rows, 500, 8))
        print(f"batch /match, 500 queries per request, 8 requests, {args.workers} workers: {qps:,.0f} queries/s")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
