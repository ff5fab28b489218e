"""Monitoring (issue 14): re-screening a large watched portfolio against a list change, beside a
full re-screen of the same portfolio, in the same run.

A portfolio of N vendors with distinct names, as a vendor master has: each dev query
(../shared/bench/queries_dev.csv: listed names rewritten as vendor files carry them, real
unlisted companies and people) twice, perturbed, and the rest made of the words of the unlisted
companies and people recombined (with industries and legal forms), is watched against CSL 2022 +
UN (``watch add``: screened, recorded, its index built). Then a new CSL version modifies 250
listed records (an alias added) and adds 250 Entity List rows named after vendors of the
portfolio (half of them real unlisted companies, half made-up ones), the way a buyer's supplier
gets listed. Printed: the change-based re-screen end to end and its new alerts; then a full
re-screen of the whole portfolio against the same version, and the alerts the change-based one
missed, split into those on a changed record and those on unchanged records whose score moved
with the lists' word weights.

    .venv/bin/python bench/monitor_changes.py [--parties 1000000]
"""

import argparse
import csv
import gzip
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from screen_batch import LEGAL, LISTS, OUT, SHARED, ensure_store, inputs_missing, perturb  # noqa: E402

INDUSTRIES = ["Electronics", "Logistics", "Textiles", "Machinery", "Plastics", "Foods", "Chemicals", "Packaging",
              "Optics", "Components", "Metals", "Trading", "Software", "Printing", "Furniture", "Garments",
              "Ceramics", "Pharmaceutical", "Tools", "Instruments", "Auto Parts", "Paper", "Glass", "Rubber",
              "Lighting", "Solar", "Marine", "Medical", "Agricultural", "Minerals", "Consulting", "Engineering"]


def distinct_vendors(path: Path, rows: int) -> Path:
    """A vendor file of ``rows`` distinct names (built once, in bench/out)."""
    if path.exists():
        return path
    rng = random.Random(11)
    base = list(csv.DictReader((SHARED / "bench" / "queries_dev.csv").open(encoding="utf-8")))
    unlisted = [r for r in base if not r["expected"]]
    legal = {w.lower().strip(".,") for form in LEGAL for w in form.split()}
    company_words = sorted({w for r in unlisted if r["schema"] != "Person" for w in r["name"].split()
                            if w.isalpha() and len(w) >= 3 and w.lower() not in legal})
    people = [r["name"].split() for r in unlisted if r["schema"] == "Person" and len(r["name"].split()) >= 2]
    firsts, lasts = sorted({p[0] for p in people}), sorted({p[-1] for p in people})
    countries = sorted({r["country"] for r in base if r["country"]})
    seen: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Vendor ID", "Vendor Name", "Country", "Type"])
        n = 0
        for row in base * 2:
            name = perturb(row["name"], rng)
            if name not in seen:
                seen.add(name)
                n += 1
                writer.writerow([f"V{n:08d}", name, row["country"], row["schema"]])
        while n < rows:
            if rng.random() < 0.1:
                name, schema = f"{rng.choice(firsts)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(lasts)}", "Person"
            else:
                name = f"{rng.choice(company_words)} {rng.choice(company_words)} {rng.choice(INDUSTRIES)}"
                name, schema = f"{name} {rng.choice(LEGAL)}", "Company"
            if name in seen:
                continue
            seen.add(name)
            n += 1
            writer.writerow([f"V{n:08d}", name, rng.choice(countries), schema])
    return path


def changed_csl(source: Path, target: Path, vendors: list[str], rng: random.Random) -> list[str]:
    """Writes the new version; returns the ``_id`` of every row it modified or added."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    touched = []
    for row in rng.sample(rows, 250):
        touched.append(row["_id"])
        row["alt_names"] = "; ".join(x for x in (row["alt_names"], f"{row['name']} Trading") if x)
    for n, name in enumerate(vendors):
        rows.append({**{f: "" for f in fields}, "_id": f"bench{n:05d}", "name": name,
                     "source": "Entity List (EL) - Bureau of Industry and Security", "addresses": "Shenzhen, CN",
                     "federal_register_notice": "90 FR 1", "start_date": "2026-11-01"})
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields)
        writer.writeheader()
        writer.writerows(rows)
    return touched + [f"bench{n:05d}" for n in range(len(vendors))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="Start from the store the last run of the same size "
                        "kept after its watch add (skips the full screen of the portfolio; for development).")
    parser.add_argument("--changes-only", action="store_true", help="Skip the full re-screen (for development).")
    args = parser.parse_args()
    if inputs_missing():
        return 0
    source = distinct_vendors(OUT / f"distinct-vendors-{args.parties}.csv", args.parties)
    ensure_store(OUT / "bench.db")
    db = OUT / "monitor-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(OUT / "bench.db", db)

    from redflags import ingest, settings
    from redflags.batch import Options

    settings.HOME = OUT / "home-monitor"
    from redflags.monitor.portfolios import watch
    from redflags.monitor.rescreen import rescreen
    from redflags.store import Store

    kept = OUT / f"monitor-watched-{args.parties}.db"
    if args.reuse and kept.exists():
        shutil.copy(kept, db)
        print(f"watch add: reused {kept.name}", flush=True)
        store = Store(f"sqlite:///{db}")
    else:
        store = Store(f"sqlite:///{db}")
        start = time.perf_counter()
        watch(store, source, "bench", Options(), "bench")
        watched_s = time.perf_counter() - start
        print(f"watch add: {args.parties:,} parties screened and recorded in {watched_s:,.0f} s "
              f"({args.parties / watched_s:,.0f} rows/s): the full screen of the portfolio", flush=True)
        with sqlite3.connect(db) as src, sqlite3.connect(kept) as dst:
            src.backup(dst)
    from redflags.monitor.reverse import portfolio_index

    rss = psutil.Process().memory_info().rss
    start = time.perf_counter()
    index = portfolio_index(store, "bench")
    size = sum(f.stat().st_size for f in (settings.HOME / "portfolio-index").rglob("*") if f.is_file())
    print(f"index of the watched parties (built by watch add): opened in {time.perf_counter() - start:,.1f} s, "
          f"{size / 2**20:,.0f} MB on disk (mapped); process RSS +{(psutil.Process().memory_info().rss - rss) / 2**20:,.0f}"
          f" MB", flush=True)
    del index

    rng = random.Random(13)
    # unlisted companies the vendor file was built from (each behind many rows, rewritten): listed now
    unlisted = [r["name"] for r in csv.DictReader((SHARED / "bench" / "queries_dev.csv").open(encoding="utf-8"))
                if not r["expected"] and r["schema"] != "Person"]
    with source.open(encoding="utf-8") as fh:
        made_up = [r["Vendor Name"] for r in csv.DictReader(fh) if r["Type"] == "Company"][5000:]
    vendors = rng.sample(unlisted, min(125, len(unlisted))) + rng.sample(made_up, 125)
    changed = OUT / "csl-changed.csv"
    touched_rows = changed_csl(LISTS[0], changed, vendors, rng)
    from redflags.index.persist import index_root

    shutil.rmtree(index_root(), ignore_errors=True)  # the new version's index is built in the timed run, as it is live
    ingest.load(store, [changed], dataset="us_csl", force=True)
    start = time.perf_counter()
    (run,) = rescreen(store, "bench")
    seconds = time.perf_counter() - start
    print(f"change of {run['changed_records']:,} listed records (+{run['removed_records']} removed): "
          f"{run['parties_screened']:,} parties screened, {run['alert_rows']:,} alert rows, "
          f"{run['review_required']} review required, in {seconds:,.1f} s end to end (index of the lists rebuilt "
          f"for the new version included)", flush=True)
    by_change = _open_alerts(store)
    from redflags.screen.api import screener_for

    lists = screener_for(store).index
    touched = {lists.entity(n).id for n in (lists.number(f"us_csl-{i}") for i in touched_rows) if n is not None}
    print(f"the changed records are {len(touched)} listed parties", flush=True)
    if args.changes_only:
        return 0
    # the same version, the whole portfolio: the baseline
    from redflags.store import tables as t

    with store.engine.begin() as conn:
        conn.execute(t.monitor_runs.update().values(matcher="bench-full"))
    start = time.perf_counter()
    (full,) = rescreen(store, "bench")
    full_s = time.perf_counter() - start
    by_full = _open_alerts(store)
    missed = by_full - by_change
    on_changed = {(pid, lid) for pid, lid in missed if lid in touched}
    print(f"full re-screen of the portfolio against the same version: {full['parties_screened']:,} parties in "
          f"{full_s:,.0f} s; the change-based re-screen took {seconds / full_s:.1%} of that "
          f"({full_s / seconds:,.0f}x faster)", flush=True)
    print(f"alerts the full re-screen has and the change-based one does not: {len(on_changed)} on a changed "
          f"record (of {len({a for a in by_full if a[1] in touched}):,} such alerts), {len(missed) - len(on_changed)} on "
          f"unchanged records whose score moved with the new version's word weights (of {len(by_full):,} alerts "
          f"in all)", flush=True)
    store.close()
    return 0


def _open_alerts(store: object) -> set[tuple[int, str]]:
    import sqlalchemy as sa

    from redflags.store import tables as t

    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return set(conn.execute(sa.select(t.alerts.c.party_id, t.alerts.c.listed_id)).all())


if __name__ == "__main__":
    raise SystemExit(main())
