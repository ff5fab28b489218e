"""Forked worker pools: workers start with default signal handlers, and a finished pool exits."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from redflags.processes import fork_pool


def _handlers(_n: int) -> tuple[Any, Any]:
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_workers_do_not_inherit_the_parents_sigterm_handler() -> None:
    """A load turns SIGTERM into an exception (``cli.common.stop_on_sigterm``); a worker forked after
    it must still die on terminate(), not handle the signal and wait on the pool's lock."""
    from redflags.cli.common import stop_on_sigterm

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stop_on_sigterm()
    try:
        with fork_pool(2) as pool:
            found = pool.map(_handlers, range(4))
        assert set(found) == {(signal.SIG_DFL, signal.SIG_DFL)}
        with pytest.raises(ZeroDivisionError), fork_pool(2) as pool:  # an error: terminated, not hung
            pool.map(_handlers, range(2))
            raise ZeroDivisionError
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])


SCRIPT = """
import os, sys, time
from redflags.processes import fork_pool

def pid(_n):
    time.sleep(0.2)
    return os.getpid()

with fork_pool(2) as pool:
    print(" ".join(str(p) for p in sorted(set(pool.map(pid, range(8))))), flush=True)
    pool.apply_async(time.sleep, (600,))
    time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    """A killed screening job must not leave workers holding its files (its results lock: the job
    would look busy forever and never be resumed)."""
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
