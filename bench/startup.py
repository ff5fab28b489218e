"""Benchmark: how fast a command starts and answers, with the index kept on disk.

Loads the five lists `run.sh` loads (CSL, UN, OFAC consolidated, UK, DPL) into a fresh
REDFLAGS_HOME, then measures, each the median of several runs of the real command:

- the baseline: `python -c pass` and `redflags --version` (a Python start and the CLI's imports);
- cold: the first `redflags match` after the load (it builds and writes the index), beside the
  in-memory build every matching command paid before the index was kept;
- warm: `redflags match` of an English and a Chinese name, `redflags screen` of a 15-row file,
  and opening the index in a process (mapping it);
- `redflags serve`: seconds until `/readyz` answers 200, and the proportional memory (PSS) of
  server processes: one process, then `--workers 2`, `3` and `4` (what each extra process adds),
  and a match helper forked for a large request.

    .venv/bin/python bench/startup.py [--runs 5]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "lists"
LISTS = ["us_csl/consolidated-2022-05.csv.gz", "un_sc/UN_consolidated-2026-02.xml", "ofac_cons/cons_prim.csv",
         "uk_ofsi/ConList-2025-04.xlsx", "bis_dpl/dpl-2023-11.txt"]
BIN = Path(sys.executable).parent
REDFLAGS = str(BIN / "redflags")


def wall(argv: list[str], env: dict[str, str], runs: int = 1) -> tuple[float, str]:
    """The median wall time of ``argv`` over ``runs`` runs, and the last run's stderr."""
    times, err = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-500:]}")
        err = done.stderr
    return statistics.median(times), err


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def family(pid: int) -> list[int]:
    """``pid`` and every process descending from it."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        children = []
        for task in Path(f"/proc/{current}/task").glob("*"):  # a thread's forks are its children
            try:
                children += (task / "children").read_text().split()
            except OSError:
                pass
        todo.extend(int(c) for c in children)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], workers: int, key: str) -> tuple[float, list[int], int]:
    """Start ``redflags serve``; seconds until ready, PSS of each process (kB) after a few
    requests, and the PSS of a match helper forked for a large request (0 if none)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([REDFLAGS, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit("the server did not become ready")
            time.sleep(0.02)
        ready = time.perf_counter() - start
        headers = {"Authorization": f"Bearer {key}"}
        small = {"queries": {"a": {"schema": "Company", "properties": {"name": ["Dahua Technology"]}},
                             "b": {"schema": "Company", "properties": {"name": ["大华技术股份有限公司"]}}}}
        for _ in range(8 * workers):  # new connections: every server process answers some
            httpx.post(f"{base}/match/default", json=small, headers=headers, timeout=60)
        before = set(family(proc.pid))
        large = {"queries": {f"q{n}": {"schema": "Company", "properties": {"name": [f"Hikvision {n}"]}}
                             for n in range(60)}}
        httpx.post(f"{base}/match/default", json=large, headers=headers, timeout=120)
        time.sleep(0.5)
        helpers = [p for p in family(proc.pid) if p not in before]
        sizes = [pss_kb(p) for p in sorted(before)]
        return ready, sizes, max((pss_kb(p) for p in helpers), default=0)
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"SKIP: {DATA} not found")
        return 0
    with tempfile.TemporaryDirectory(prefix="redflags-bench-") as tmp:
        env = {**os.environ, "REDFLAGS_HOME": tmp, "REDFLAGS_API_MATCH_PROCESSES": "1", "REDFLAGS_API_RATE_LIMIT": "0"}
        env.pop("REDFLAGS_DB", None)
        seconds, _ = wall([REDFLAGS, "lists", "load", *(str(DATA / p) for p in LISTS)], env)
        print(f"loaded the five lists in {seconds:.1f} s")
        vendors = Path(tmp) / "vendors15.csv"
        vendors.write_text((ROOT / "examples" / "vendors.csv").read_text(encoding="utf-8"), encoding="utf-8")
        runs = args.runs

        print("\nbaseline (same run):")
        py, _ = wall([sys.executable, "-c", "pass"], env, runs)
        version, _ = wall([REDFLAGS, "--version"], env, runs)
        print(f"  python -c pass                    {py:6.2f} s")
        print(f"  redflags --version                {version:6.2f} s")

        print("\ncold (the first command after a load builds the index):")
        memory_build, _ = wall([sys.executable, "-c", (
            "import time; from redflags.store import open_store; from redflags.index import build_index\n"
            "s = open_store(); t = time.perf_counter(); build_index(s.iter_records())\n"
            "print(time.perf_counter() - t)")], env)
        cold, err = wall([REDFLAGS, "match", "Hikvision"], env)
        print(f"  in-memory build in a process      {memory_build:6.2f} s  (what every command paid before)")
        print(f"  redflags match Hikvision          {cold:6.2f} s  (builds and writes the index)")
        print("  " + next((line for line in err.splitlines() if "built in" in line), "").strip())

        print(f"\nwarm (the index on disk; median of {runs}):")
        for label, argv in (("redflags match Hikvision", [REDFLAGS, "match", "Hikvision"]),
                            ("redflags match 海康威视数字技术", [REDFLAGS, "match", "海康威视数字技术"]),
                            ("redflags match 'HANGZHOU HIKVISION …'",
                             [REDFLAGS, "match", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."]),
                            ("redflags screen (15 rows)",
                             [REDFLAGS, "screen", str(vendors), "-o", str(Path(tmp) / "out.jsonl")])):
            seconds, _ = wall(argv, env, runs)
            print(f"  {label:34}{seconds:6.2f} s")
        probe = subprocess.run([sys.executable, "-c", (
            "import time, json; from redflags.store import open_store; from redflags.index.persist import "
            "open_index, index_root, index_key\n"
            "s = open_store(); t = time.perf_counter(); i = open_index(s)\n"
            "ms = (time.perf_counter() - t) * 1000\n"
            "size = sum(p.stat().st_size for p in (index_root() / index_key(s)).iterdir())\n"
            "print(json.dumps({'ms': ms, 'size': size, **i.stats}))")], env=env, capture_output=True, text=True)
        stats = json.loads(probe.stdout)
        print(f"  open_index in a process           {stats['ms']:6.1f} ms (maps {stats['size'] / 1e6:.0f} MB of "
              f"arrays: {stats['parties']:,} parties from {stats['records']:,} records, "
              f"{stats['merged_records']:,} merged into {stats['merged_parties']:,})")

        print("\nredflags serve:")
        key = subprocess.run([REDFLAGS, "keys", "create", "--role", "analyst"], env=env, capture_output=True,
                             text=True).stdout.strip()
        results = {}
        for workers in (1, 2, 3, 4):
            ready, sizes, helper = serve(env, workers, key)
            results[workers] = sum(sizes)
            print(f"  --workers {workers}: ready in {ready:.2f} s; PSS {sum(sizes) / 1024:,.0f} MB in "
                  f"{len(sizes)} processes ({', '.join(f'{s / 1024:.0f}' for s in sizes)} MB); "
                  f"a match helper {helper / 1024:.0f} MB")
        print(f"  each extra server process adds {(results[3] - results[2]) / 1024:,.0f} MB (2 -> 3 workers), "
              f"{(results[4] - results[3]) / 1024:,.0f} MB (3 -> 4); --workers 2 is a supervisor and two forked "
              f"workers, {(results[2] - results[1]) / 1024:,.0f} MB more than one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
