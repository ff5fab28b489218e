"""Recording screenings (issue 13): ``redflags screen`` of the same large vendor file without
recording (``--no-record``, the baseline) and with it (every row a screening, alerts opened,
an audit entry per chunk), in the same run, on the same lists and machine; then ``audit verify``
over everything recorded.

The second recorded run meets every party again (the path of a monthly re-screen: parties
found, alerts updated, nothing new opened). The file and lists are those of screen_batch.py.

    .venv/bin/python bench/review_record.py [--rows 1000000] [--workers N]
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from screen_batch import OUT, ensure_store, inputs_missing, run_screen, vendor_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if inputs_missing():
        return 0
    source = vendor_file(args.rows)
    base = OUT / "bench.db"
    ensure_store(base)
    db = OUT / "review-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, db)
    url = f"sqlite:///{db}"
    target = OUT / f"review-results-{args.rows}.csv"
    # the index is built by the baseline run and reused by the others (same lists, same matcher)
    runs = [("without recording (baseline)", ["--no-record"]), ("recording, first screening of every party", []),
            ("recording, every party screened before", []), ("without recording (baseline, again)", ["--no-record"])]
    before = db.stat().st_size
    for label, extra in runs:
        elapsed, mem = run_screen(url, source, target, args.workers, "csv", extra)
        print(f"{label}: {elapsed:,.1f} s = {args.rows / elapsed:,.0f} rows/s end to end; parent CPU "
              f"{mem.parent_cpu / args.rows * 1e6:,.0f} µs/row; database {db.stat().st_size / 1e6:,.0f} MB "
              f"(+{(db.stat().st_size - before) / 1e6:,.0f} MB)", flush=True)
    from redflags.audit import verify
    from redflags.store import Store

    store = Store(url)
    start = time.perf_counter()
    report = verify(store.engine)
    print(f"audit verify: {'ok' if report.ok else report.problems[0].message}; {report.entries:,} entries, "
          f"rows checked {report.checked} in {time.perf_counter() - start:,.1f} s")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
