"""Pools of forked worker processes (index builds, batch screening, re-screens).

A worker starts with SIGTERM and SIGINT at their defaults: it would otherwise inherit a handler the
parent installed (a load turns SIGTERM into an exception), and a worker that handles the signal
instead of dying can be left waiting on the pool's queue lock, so that the pool's exit waits for it
forever. A pool whose work is done is closed and joined (its workers leave on their own); only a
pool left by an error is terminated.
"""

import multiprocessing as mp
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool


def _default_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def fork_pool(workers: int) -> Iterator[Pool]:
    pool = mp.get_context("fork").Pool(workers, initializer=_default_signals)
    try:
        yield pool
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
