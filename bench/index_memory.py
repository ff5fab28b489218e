"""Benchmark: the screening index with every list in ../shared/data loaded at once.

Each snapshot file is loaded as its own dataset (so that all are active together, the
worst case for memory), then the index is built. Prints entities, names, build time,
resident memory after loading (the baseline: the process before any index exists) and
after building, and a sample of screening speed on the larger index.

    .venv/bin/python bench/index_memory.py
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lists"


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def main() -> int:
    if not DATA.is_dir():
        print(f"SKIP: {DATA} not found")
        return 0
    from redflags import ingest
    from redflags.exc import RedflagsError
    from redflags.screen import Screener, make_query
    from redflags.store import Store

    files = sorted(p for p in DATA.rglob("*") if p.is_file() and p.name != "MANIFEST.md")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/all.db")
        for path in files:
            try:
                jobs = ingest.plan([path])
            except RedflagsError as exc:
                print(f"  not a list file: {path.relative_to(DATA)} ({exc})")
                continue
            for job in jobs:
                if job.path != path:
                    continue  # a companion file is loaded with its primary
                job.dataset = f"{job.dataset}-{path.parent.name}-{path.stem}".replace(".", "_")
                try:
                    result = ingest.load_job(store, job, force=True)
                    print(f"  loaded {path.relative_to(DATA)}: {result.summary['entity_count']:,} entities")
                except RedflagsError as exc:
                    print(f"  refused {path.relative_to(DATA)}: {str(exc)[:100]}")
        import os

        os.environ.setdefault("REDFLAGS_HOME", tmp)
        from redflags import settings

        settings.HOME = Path(tmp)
        before = rss_mb()
        start = time.perf_counter()
        screener = Screener.from_store(store)
        build = time.perf_counter() - start
        after = rss_mb()
        from redflags.index.persist import index_key, index_root

        on_disk = sum(p.stat().st_size for p in (index_root() / index_key(store)).iterdir())
        start = time.perf_counter()
        mapped = Screener.from_store(store)
        load = time.perf_counter() - start
    stats = screener.index.stats
    print(f"index: {stats['parties']:,} parties from {stats['records']:,} records ({stats['merged_records']:,} "
          f"merged into {stats['merged_parties']:,}), built and written in {build:.1f} s, {on_disk / 1e6:,.0f} MB "
          f"on disk, mapped again in {load * 1000:.0f} ms")
    print(f"resident memory: {before:,.0f} MB before the index (baseline), {after:,.0f} MB after building "
          f"and mapping it (+{after - before:,.0f} MB; the build's own garbage included)")
    screener = mapped
    sample = ["Hikvision", "Huawei Technologies Co Ltd", "杭州海康威视数字技术股份有限公司",
              "Mohammed Ali", "Rosneft", "Zhejiang Dahua Technology", "Bank Melli Iran"] * 100
    queries = [make_query(n) for n in sample]
    start = time.perf_counter()
    for q in queries:
        screener.match(q)
    print(f"screening on this index: {len(queries) / (time.perf_counter() - start):,.0f} queries/s; resident "
          f"memory then {rss_mb():,.0f} MB (the mapped pages queries touched, and the parties decoded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
