"""Benchmark: screen ../shared/bench/queries_dev.csv against the 2022 CSL + UN lists.

Prints recall, false-alert rate and top-1 per subset prefix, queries/s and p50 latency,
and index build time. The OpenSanctions reference (nomenklatura logic-v2) is not yet run
in the same process; its published figures from ../shared/bench/README.md are printed
beside ours for orientation.

    .venv/bin/python bench/match_dev.py [--threshold T]
"""

import argparse
import csv
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--show-misses", type=int, default=0)
    args = parser.parse_args()
    queries_path = SHARED / "bench" / "queries_dev.csv"
    if not queries_path.exists():
        print(f"SKIP: {queries_path} not found")
        return 0
    from redflags import ingest
    from redflags.match import THRESHOLD
    from redflags.screen import Screener, make_query
    from redflags.store import Store

    threshold = args.threshold if args.threshold is not None else THRESHOLD
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        ingest.load(store, [SHARED / "data/lists/us_csl/consolidated-2022-05.csv.gz",
                            SHARED / "data/lists/un_sc/UN_consolidated-2026-02.xml"])
        screener = Screener.from_store(store)
    print(f"index: {len(screener.index):,} entities built in {screener.build_seconds:.2f} s")
    rows = list(csv.DictReader(open(queries_path, encoding="utf-8")))
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # pos, found, top1, neg_alerts/negs
    negs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    latencies = []
    misses = []
    start = time.perf_counter()
    for row in rows:
        q = make_query(row["name"], row["schema"] or None, [row["country"]] if row["country"] else [])
        t0 = time.perf_counter()
        hits = screener.match(q, limit=5, threshold=threshold)
        latencies.append(time.perf_counter() - t0)
        parts = row["subset"].split(":")
        subset = ":".join(parts[:2])
        prefix = parts[0]
        expected = [e for e in row["expected"].split("|") if e]
        alerts = [h for h in hits if h["match"]]
        if expected:
            def is_expected(h: dict, expected: list[str] = expected) -> bool:
                ids = [h["id"], *h["referents"]]
                return any(re.search(rf"(^|[-_:]){re.escape(e)}($|[-_:])", i) for i in ids for e in expected)
            found = any(is_expected(h) for h in alerts)
            top1 = bool(hits) and is_expected(hits[0]) and hits[0]["match"]
            for key in {prefix, "all"} | ({subset} if prefix == "cjk" else set()):
                s = stats[key]
                s[0] += 1
                s[1] += found
                s[2] += top1
            if not found:
                best = (hits[0]["caption"], hits[0]["score"]) if hits else ("-", 0)
                misses.append((row["name"], row["expected_name"], *best))
        else:
            for key in {subset, "all"}:
                negs[key][0] += 1
                negs[key][1] += bool(alerts)
    elapsed = time.perf_counter() - start
    print(f"threshold {threshold}")
    print(f"{'positives':20} {'n':>5} {'recall':>7} {'top-1':>7}")
    for key in sorted(stats):
        n, f, t1, _ = stats[key]
        print(f"{key:20} {n:>5} {f / n:>7.3f} {t1 / n:>7.3f}")
    print(f"{'negatives':20} {'n':>5} {'false-alert rate':>17}")
    for key in sorted(negs):
        n, a = negs[key]
        print(f"{key:20} {n:>5} {a / n:>16.2%}")
    print(f"queries/s (one process, sequential): {len(rows) / elapsed:,.0f}; "
          f"p50 {statistics.median(latencies) * 1000:.2f} ms, "
          f"p99 {sorted(latencies)[int(len(latencies) * 0.99)] * 1000:.2f} ms")
    print("reference (bench/README, nomenklatura logic-v2 @0.70): recall 0.939, "
          "false alerts 1.35 %, top-1 0.886, CJK 0/6, ~25 q/s")
    for miss in misses[: args.show_misses]:
        print("MISS", miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
