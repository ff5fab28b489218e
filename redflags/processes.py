"""Pools of forked worker processes (index builds, batch screening, re-screens).

A worker starts with SIGTERM and SIGINT at their defaults: it would otherwise inherit a handler the
parent installed (a load turns SIGTERM into an exception), and a worker that handles the signal
instead of dying can be left waiting on the pool's queue lock, so that the pool's exit waits for it
forever. On Linux a worker also dies with its parent: an orphaned worker keeps the files its parent
had open, a screening job's results lock among them, and the job then looks busy forever and is
never resumed. A pool whose work is done is closed and joined (its workers leave on their own);
only a pool left by an error is terminated.
"""

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool

PR_SET_PDEATHSIG = 1


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the worker could ask to follow it
        os._exit(1)


@contextmanager
def fork_pool(workers: int) -> Iterator[Pool]:
    pool = mp.get_context("fork").Pool(workers, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
