"""Benchmark: every page of the web UI with 1,000,000 alerts stored, on SQLite and on a real
PostgreSQL server (started here, as the tests do). Prints p50 and p95 per page (in-process
requests through the whole app: guard, session, query, template), against the 200 ms target.

The alerts are made up and written with one INSERT ... SELECT each (a generated series): 200,000
parties in 20 portfolios, five alerts per party on 997 listed parties, a mix of statuses,
scores, lists, assignees and runs like a queue that has been worked for a year.

    .venv/bin/python bench/ui_pages.py [--alerts N] [--only sqlite|postgresql] [--repeat R]
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
LINKS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "links" / "csl.csv"
TARGET_MS = 200

HIT = ('{"kind": "direct", "id": "us_csl-lk-dahua-el", "caption": "Dahua Technology", "schema": "LegalEntity", '
       '"lists": ["Entity List"], "score": 0.94, "match": true, "matched_name": "Dahua Technology", '
       '"explanation": {"tokens": [{"query": "dahua", "listed": "dahua", "how": "exact", "similarity": 1.0, '
       '"weight": 9.1}, {"query": "technology", "listed": "technology", "how": "exact", "similarity": 1.0, '
       '"weight": 1.2}], "features": [], "summary": "\'dahua\'=\'dahua\'; \'technology\'=\'technology\'"}}')


def fill(store: Any, alerts: int) -> float:
    """``alerts`` alerts on ``alerts // 5`` parties, written by the database itself."""
    import sqlalchemy as sa

    parties = max(alerts // 5, 1)
    postgres = store.engine.dialect.name == "postgresql"

    def numbers(n: int) -> str:
        if postgres:
            return f"SELECT i FROM generate_series(1, {n}) AS g(i)"
        return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) SELECT i FROM n"

    start = time.perf_counter()
    with store.engine.begin() as conn:
        parties_sql, alerts_sql = numbers(parties), numbers(alerts)
        now = "now()" if postgres else "CURRENT_TIMESTAMP"

        def j(expression: str) -> str:
            return f"CAST({expression} AS json)" if postgres else expression

        conn.execute(sa.text(
            "INSERT INTO parties (key, source, input_id, fingerprint, properties, created_at, updated_at) "
            "SELECT 'p' || (i % 20) || '/V' || i, 'p' || (i % 20), 'V' || i, 'fp' || i, "
            + j("'{\"names\": [\"Vendor ' || i || ' Trading Co\"], \"countries\": [\"cn\"]}'") + f", {now}, {now} "
            f"FROM ({parties_sql}) AS s"))
        empty = j("'{}'")
        statuses = ("CASE WHEN i % 20 < 9 THEN 'open' WHEN i % 20 < 15 THEN 'false_positive' WHEN i % 20 < 17 "
                    "THEN 'true_match' WHEN i % 20 < 18 THEN 'escalated' ELSE 'review_required' END")
        lists = ("CASE i % 4 WHEN 0 THEN '[\"Entity List\"]' WHEN 1 THEN '[\"SDN List\"]' WHEN 2 THEN "
                 "'[\"NS-CMIC List\", \"Entity List\"]' ELSE '[\"UFLPA Entity List\"]' END")
        listed = ("CASE WHEN i % 50 = 0 THEN 'linked:us_csl-L' ELSE 'us_csl-L' END || (i % 997) || '-' || "
                  f"((i - 1) / {parties})")
        conn.execute(sa.text(
            "INSERT INTO alerts (party_id, listed_id, caption, lists, status, score, last_score, hit, "
            "party_fingerprint, listed_fingerprint, listed_records, run_id, created_at, updated_at, version, assignee) "
            f"SELECT ((i - 1) % {parties}) + 1, {listed}, 'Listed party ' || (i % 997), {j(lists)}, {statuses}, "
            f"0.73 + (i % 27) / 100.0, 0.73 + (i % 27) / 100.0, {j(':hit')}, 'fp', 'lfp', {empty}, "
            f"'run' || (i % 40), {now}, {now}, 1, CASE WHEN i % 7 = 0 THEN 'bob' WHEN i % 7 = 1 THEN 'carol' "
            f"ELSE NULL END FROM ({alerts_sql}) AS s"), {"hit": HIT})
    with store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - start


def measure(client: Any, path: str, repeat: int) -> tuple[float, float, int]:
    times = []
    status = 0
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        status = answer.status_code
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], status


def run(url: str, alerts: int, repeat: int, label: str) -> list[tuple[str, float, float, int]]:
    from fastapi.testclient import TestClient

    from redflags import ingest
    from redflags.api import create_app
    from redflags.api.keys import create_key
    from redflags.store import Store

    store = Store(url)
    ingest.load(store, [LINKS], force=True)
    seconds = fill(store, alerts)
    print(f"\n== {label}: {alerts:,} alerts written in {seconds:.0f} s ==")
    key = create_key(store, "analyst", "bench")[1]
    rng = random.Random(7)
    with TestClient(create_app(store)) as client:
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        client.post("/ui/login", data={"api_key": key})
        deep = alerts // 3
        pages = [("queue", "/ui/alerts"), ("queue, escalated", "/ui/alerts?status=escalated"),
                 ("queue, list", "/ui/alerts?lists=UFLPA+Entity+List"),
                 ("queue, score band", "/ui/alerts?min_score=0.90&max_score=0.95"),
                 ("queue, portfolio", "/ui/alerts?portfolio=p7"), ("queue, assignee", "/ui/alerts?assignee=carol"),
                 ("queue, run", "/ui/alerts?run=run13"), ("queue, linked", "/ui/alerts?kind=linked"),
                 ("queue, by score", "/ui/alerts?sort=score"),
                 ("queue, page deep", f"/ui/alerts?before={deep}"),
                 ("queue, open + list + band", "/ui/alerts?status=open&lists=Entity+List&min_score=0.8"),
                 ("queue JSON", "/ui/alerts.json?status=open"),
                 ("alert", None), ("search", "/ui/search?q=Dahua+Technology"), ("lists", "/ui/lists"),
                 ("audit", "/ui/audit"), ("portfolios", "/ui/portfolios")]
        out = []
        for name, path in pages:
            if path is None:
                ids = [rng.randint(1, alerts) for _ in range(repeat)]
                times = []
                for alert_id in ids:
                    start = time.perf_counter()
                    status = client.get(f"/ui/alerts/{alert_id}").status_code
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                out.append((name, statistics.median(times), times[int(len(times) * 0.95)], status))
                continue
            client.get(path)  # warm
            out.append((name, *measure(client, path, repeat)))
    store.close()
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8}  status")
    for name, p50, p95, status in out:
        flag = "" if p95 <= TARGET_MS else f"  OVER {TARGET_MS} ms"
        print(f"{name:32} {p50:8.1f} {p95:8.1f}  {status}{flag}")
    return out


def postgres() -> tuple[str, Any]:
    import glob
    import socket

    def binary(name: str) -> str | None:
        found = shutil.which(name) or (sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [None])[-1]
        return found

    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL binaries not installed")
    root = Path(tempfile.mkdtemp(prefix="redflags-bench-pg-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(prefix + [initdb, "-D", str(root / "data"), "-U", "redflags", "--auth=trust", "-E", "UTF8",
                             "--locale=C"], check=True, capture_output=True)
    subprocess.run(prefix + [pg_ctl, "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o",
                             f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"], check=True,
                   capture_output=True)

    def stop() -> None:
        subprocess.run(prefix + [pg_ctl, "-D", str(root / "data"), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)

    return f"postgresql+psycopg://redflags@127.0.0.1:{port}/postgres", stop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REDFLAGS_HOME"] = tmp
        from redflags import settings

        settings.HOME = Path(tmp)
        if args.only in (None, "sqlite"):
            run(f"sqlite:///{tmp}/bench.db", args.alerts, args.repeat, "SQLite")
        if args.only in (None, "postgresql"):
            try:
                url, stop = postgres()
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                print(f"SKIP PostgreSQL: {exc}")
                return 0
            try:
                run(url, args.alerts, args.repeat, "PostgreSQL")
            finally:
                stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
