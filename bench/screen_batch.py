"""Batch screening end to end: ``redflags screen`` on a large vendor file built from real names.

The file is built from the dev queries (../shared/bench/queries_dev.csv: listed names rewritten
the way vendor files carry them, and real unlisted companies and people), each row perturbed at
random (case, legal forms, dropped or misspelt words, branch suffixes), so most rows are distinct.
It runs the command as a user would (a subprocess, CSV in, CSV out, CSL 2022 + UN loaded) and
samples the memory of the whole process tree (RSS, and PSS, which counts pages shared by the
forked workers once). Beside it, in the same run, the nomenklatura logic-v2 reference and
redflags itself screen a 2,000-row slice one query at a time.

    .venv/bin/python bench/screen_batch.py [--rows 1000000] [--workers N] [--no-reference] [--dask 1 2]
"""

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared"
OUT = HERE / "out"
LISTS = [SHARED / "data/lists/us_csl/consolidated-2022-05.csv.gz", SHARED / "data/lists/un_sc/UN_consolidated-2026-02.xml"]
LEGAL = ["Inc", "Inc.", "LLC", "Ltd", "Co., Ltd.", "Company Limited", "GmbH", "S.A.", "Corp", "Corporation",
         "Limited", "PLC", "Holdings", "Group", "Pte Ltd", "SARL", "AG", "B.V."]
SUFFIXES = ["- Shanghai Branch", "(USA)", "Intl", "International", "- DO NOT USE", "Trading", "Services",
            "(HK)", "Europe", "North America", "Logistics", "#2", "Dept 4", "c/o Accounts Payable"]


def perturb(name: str, rng: random.Random) -> str:
    words = name.split()
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        op = rng.random()
        if op < 0.2:
            name = rng.choice((str.upper, str.lower, str.title))(name)
        elif op < 0.4:
            name = f"{name} {rng.choice(LEGAL)}"
        elif op < 0.55 and len(words) >= 3:
            words.pop(rng.randrange(len(words)))
            name = " ".join(words)
        elif op < 0.8 and name:
            i = rng.randrange(len(name))
            kind = rng.random()
            if kind < 0.33:
                name = name[:i] + name[i + 1:]
            elif kind < 0.66:
                name = name[:i] + rng.choice("aeiourstnlm") + name[i:]
            else:
                name = name[:i] + name[i + 1:i + 2] + name[i:i + 1] + name[i + 2:]
        else:
            name = f"{name} {rng.choice(SUFFIXES)}"
        words = name.split()
    return name


def build_file(path: Path, rows: int) -> int:
    base = list(csv.DictReader((SHARED / "bench" / "queries_dev.csv").open(encoding="utf-8")))
    rng = random.Random(7)
    names = set()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Vendor ID", "Vendor Name", "Country", "Type"])
        for n in range(rows):
            src = rng.choice(base)
            name = perturb(src["name"], rng)
            names.add(name)
            writer.writerow([f"V{n + 1:08d}", name, src["country"], src["schema"]])
    return len(names)


def inputs_missing() -> bool:
    """True (and says so) when the dev queries or the CSL/UN snapshots are not there."""
    if (SHARED / "bench" / "queries_dev.csv").exists() and all(p.exists() for p in LISTS):
        return False
    print(f"SKIP: {SHARED / 'bench'} or the CSL/UN snapshots in {SHARED / 'data'} are missing")
    return True


def vendor_file(rows: int) -> Path:
    """The vendor file of ``rows`` rows in bench/out, built the first time."""
    OUT.mkdir(exist_ok=True)
    source = OUT / f"vendors-{rows}.csv"
    if not source.exists():
        build_file(source, rows)
    return source


class Sampler(threading.Thread):
    """Peak RSS (every 0.5 s) and PSS (every 5 s: reading smaps is itself costly) of a process
    and its children, and the parent's CPU time."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak_rss = self.peak_pss = 0
        self.parent_cpu = 0.0
        self.stop = False

    def run(self) -> None:
        tick = 0
        while not self.stop:
            rss = pss = 0
            try:
                times = self.proc.cpu_times()
                self.parent_cpu = times.user + times.system
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs)
                if tick % 10 == 0:
                    pss = sum(getattr(p.memory_full_info(), "pss", 0) for p in procs)
            except psutil.Error:
                pass
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            tick += 1
            time.sleep(0.5)


def ensure_store(db: Path) -> str:
    url = f"sqlite:///{db}"
    from redflags import ingest
    from redflags.store import Store

    store = Store(url)
    if not store.active_versions():
        ingest.load(store, LISTS)
    store.close()
    return url


def run_screen(url: str, source: Path, target: Path, workers: int | None, fmt: str = "csv",
               extra: list[str] | None = None) -> tuple[float, Sampler]:
    cmd = [str(Path(sys.executable).parent / "redflags"), "--db", url, "screen", str(source), "-o", str(target),
           "--format", fmt, "--restart", *(extra or [])]
    if workers:
        cmd += ["--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    sampler = Sampler(proc.pid)
    sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    sampler.stop = True
    sampler.join()
    if code:
        raise SystemExit(f"redflags screen failed with exit code {code}")
    return elapsed, sampler


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--dask", type=int, nargs="*", default=None, metavar="WORKERS",
                        help="also run --engine dask on a LocalCluster of each number of worker processes")
    args = parser.parse_args()
    if inputs_missing():
        return 0
    OUT.mkdir(exist_ok=True)
    source = OUT / f"vendors-{args.rows}.csv"
    if not source.exists():
        start = time.perf_counter()
        distinct = build_file(source, args.rows)
        print(f"built {source.name}: {args.rows:,} rows, {distinct:,} distinct names, "
              f"{source.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - start:.0f} s")
    url = ensure_store(OUT / "bench.db")
    # Index build and load time are part of the end-to-end figure: it is one command.
    target = OUT / f"results-{args.rows}.{args.format}"
    elapsed, mem = run_screen(url, source, target, args.workers, args.format)
    print(f"redflags screen, {args.rows:,} rows, workers={args.workers or 'cores'}: {elapsed:,.1f} s = "
          f"{args.rows / elapsed:,.0f} rows/s end to end; peak RSS {mem.peak_rss / 2**20:,.0f} MB "
          f"(PSS {mem.peak_pss / 2**20:,.0f} MB) for the process tree; output {target.stat().st_size / 1e6:,.0f} MB")
    print(f"  the parent process (index build, reading, ordering, writing, the final {args.format} pass) used "
          f"{mem.parent_cpu:,.1f} s of CPU: {mem.parent_cpu / args.rows * 1e6:,.0f} µs per row")

    for nworkers in args.dask or ():
        from dask.distributed import LocalCluster

        with LocalCluster(n_workers=nworkers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            elapsed, mem = run_screen(url, source, target, None, args.format,
                                      ["--engine", "dask", "--scheduler", cluster.scheduler_address])
            print(f"dask engine, LocalCluster of {nworkers} worker processes: {elapsed:,.1f} s = "
                  f"{args.rows / elapsed:,.0f} rows/s end to end (index built on each worker); client used "
                  f"{mem.parent_cpu / args.rows * 1e6:,.0f} µs of CPU per row")

    slice_rows = list(csv.DictReader(source.open(encoding="utf-8")))[:2000] if args.rows <= 2_000_000 else []
    if not slice_rows:
        with source.open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            slice_rows = [next(reader) for _ in range(2000)]
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "slice.csv"
        with small.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "name", "schema", "country"])
            for row in slice_rows:
                writer.writerow([row["Vendor ID"], row["Vendor Name"], row["Type"], row["Country"]])
        seconds, _mem = run_screen(url, small, Path(tmp) / "slice-out.csv", 1)
        print(f"redflags, 2,000-row slice, one worker, end to end (index build included): {seconds:.1f} s")
        if not args.no_reference:
            sys.path.insert(0, str(HERE))
            from match_dev import run_reference

            from redflags.store import Store

            store = Store(url)
            records = list(store.iter_records())
            empty = Path(tmp) / "pairs.yml"
            empty.write_text("checks: []\n", encoding="utf-8")
            ref = run_reference(records, small, empty, tmp)
            if ref is not None:
                print(f"reference nomenklatura logic-v2, same 2,000-row slice, one process: "
                      f"{len(slice_rows) / ref['seconds']:,.1f} rows/s (matching only, index build "
                      f"{ref.get('build_seconds', 0):.1f} s not counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
