"""Benchmark: load the issue's four sources into a fresh SQLite store.

Prints per-source load time, entities, peak RSS so far, and a baseline measured in the
same run: the time to merely read and tokenize the same file (gzip/CSV reader, lxml
iterparse, openpyxl rows) with no entity building, which is the floor any loader pays.

    .venv/bin/python bench/load_lists.py [--db URL]
"""

import argparse
import csv
import gzip
import resource
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lists"
SOURCES = [
    "us_csl/consolidated-2022-05.csv.gz",
    "un_sc/UN_consolidated-2026-02.xml",
    "ofac_cons/cons_prim.csv",
    "uk_ofsi/ConList-2025-04.xlsx",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(path: Path) -> float:
    """Seconds to read the file's rows/elements without building anything."""
    start = time.perf_counter()
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        for _ in book.worksheets[0].iter_rows(values_only=True):
            pass
        book.close()
    elif path.suffix == ".xml":
        from lxml import etree

        for _, elem in etree.iterparse(str(path), events=("end",)):
            elem.clear()
    else:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
            for _ in csv.reader(fh):
                pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: real list snapshots not found at {DATA}")
        return 0
    from redflags import ingest
    from redflags.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.db or f"sqlite:///{tmp}/bench.db")
        print(f"{'source':45} {'entities':>9} {'load s':>8} {'baseline s':>11} {'peak RSS MB':>12}")
        total = 0.0
        for rel in SOURCES:
            path = DATA / rel
            base = baseline(path)
            start = time.perf_counter()
            (result,) = ingest.load(store, [path])
            elapsed = time.perf_counter() - start
            total += elapsed
            print(f"{rel:45} {result.summary['entity_count']:>9,} {elapsed:>8.2f} "
                  f"{base:>11.2f} {peak_mb():>12.0f}")
        print(f"{'total':45} {'':>9} {total:>8.2f}   (target: < 60 s on 2 cores)")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
