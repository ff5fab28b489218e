"""Monitoring (issue 14): re-screening a large watched portfolio against a list change, beside a
full re-screen of the same portfolio, in the same run.

A portfolio of N vendors (the screen_batch.py file: listed names rewritten as vendor files carry
them, and real unlisted companies and people) is watched against CSL 2022 + UN. Then a new CSL
version modifies 250 listed records (an alias added) and adds 250 (Entity List rows named after
unlisted companies the portfolio's vendors were made from, the way a buyer's supplier gets listed). Printed: the
change-based re-screen (index of the watched parties built before, as at watch time), the number
of new alerts; then a full re-screen of the whole portfolio against the same version, and whether
it found any alert the change-based one missed.

    .venv/bin/python bench/monitor_changes.py [--parties 1000000]
"""

import argparse
import csv
import gzip
import random
import shutil
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from screen_batch import LISTS, OUT, SHARED, ensure_store, inputs_missing, vendor_file  # noqa: E402


def changed_csl(source: Path, target: Path, vendors: list[str], rng: random.Random) -> None:
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rng.sample(rows, 250):
        row["alt_names"] = "; ".join(x for x in (row["alt_names"], f"{row['name']} Trading") if x)
    for n, name in enumerate(vendors):
        rows.append({**{f: "" for f in fields}, "_id": f"bench{n:05d}", "name": name,
                     "source": "Entity List (EL) - Bureau of Industry and Security", "addresses": "Shenzhen, CN",
                     "federal_register_notice": "90 FR 1", "start_date": "2026-11-01"})
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields)
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=1_000_000)
    args = parser.parse_args()
    if inputs_missing():
        return 0
    source = vendor_file(args.parties)
    ensure_store(OUT / "bench.db")
    db = OUT / "monitor-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(OUT / "bench.db", db)

    from redflags import ingest, settings
    from redflags.batch import Options

    settings.HOME = OUT / "home-monitor"
    from redflags.monitor.portfolios import watch
    from redflags.monitor.rescreen import _watched, portfolio_index, rescreen
    from redflags.store import Store

    store = Store(f"sqlite:///{db}")
    start = time.perf_counter()
    watch(store, source, "bench", Options(), "bench")
    watched_s = time.perf_counter() - start
    print(f"watch add: {args.parties:,} parties screened and recorded in {watched_s:,.0f} s "
          f"({args.parties / watched_s:,.0f} rows/s): the full screen of the portfolio", flush=True)
    start = time.perf_counter()
    rss = psutil.Process().memory_info().rss
    parties = _watched(store, "bench")
    index = portfolio_index("bench", parties)
    size = sum(f.stat().st_size for f in (settings.HOME / "portfolio-index").rglob("*") if f.is_file())
    print(f"index of the watched parties: built in {time.perf_counter() - start:,.0f} s, {size / 2**20:,.0f} MB on "
          f"disk (mapped); process RSS +{(psutil.Process().memory_info().rss - rss) / 2**20:,.0f} MB", flush=True)
    del parties, index

    rng = random.Random(13)
    # unlisted companies the vendor file was built from (each behind many rows, rewritten): listed now
    unlisted = [r["name"] for r in csv.DictReader((SHARED / "bench" / "queries_dev.csv").open(encoding="utf-8"))
                if not r["expected"] and r["schema"] != "Person"]
    vendors = rng.sample(unlisted, min(250, len(unlisted)))
    changed = OUT / "csl-changed.csv"
    changed_csl(LISTS[0], changed, vendors, rng)
    ingest.load(store, [changed], dataset="us_csl", force=True)
    start = time.perf_counter()
    (run,) = rescreen(store, "bench")
    seconds = time.perf_counter() - start
    print(f"change of {run['changed_records']:,} listed records (+{run['removed_records']} removed): "
          f"{run['parties_screened']:,} parties screened, {run['alert_rows']:,} alert rows, "
          f"{run['review_required']} review required, in {seconds:,.1f} s end to end (index of the lists rebuilt "
          f"for the new version included)", flush=True)
    by_change = _open_alerts(store)
    # the same version, the whole portfolio: the baseline
    from redflags.store import tables as t

    with store.engine.begin() as conn:
        conn.execute(t.monitor_runs.update().values(matcher="bench-full"))
    start = time.perf_counter()
    (full,) = rescreen(store, "bench")
    full_s = time.perf_counter() - start
    by_full = _open_alerts(store)
    missed = by_full - by_change
    print(f"full re-screen of the portfolio against the same version: {full['parties_screened']:,} parties in "
          f"{full_s:,.0f} s; the change-based re-screen took {seconds / full_s:.1%} of that "
          f"({full_s / seconds:,.0f}x faster) and missed {len(missed)} of the {len(by_full):,} alerts the full one "
          f"has", flush=True)
    store.close()
    return 0


def _open_alerts(store: object) -> set[tuple[int, str]]:
    import sqlalchemy as sa

    from redflags.store import tables as t

    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return set(conn.execute(sa.select(t.alerts.c.party_id, t.alerts.c.listed_id)).all())


if __name__ == "__main__":
    raise SystemExit(main())
