"""Many-query ``/match`` requests spread over helper processes.

A server process answers a small request in its own thread. A request of many queries is
cut into slices: one is matched in the request's thread and the others by helper processes
forked from the server process. Forked after the index is built, a helper shares the
index's memory pages with its parent (copy on write) and needs no build of its own, and
the slices run on all cores instead of the one a Python thread can use.
"""

import logging
import math
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from redflags.screen.screen import Screener, make_query

log = logging.getLogger("redflags.api")

SPREAD_FROM = 24
"""Requests with fewer queries than this are matched in the request's own thread: below it,
handing slices to other processes costs more than it saves."""

QuerySpec = tuple[Any, ...]
"""What ``make_query`` takes: names, schema, countries, identifiers, birth dates (and the transaction
date, when the request gives one). Helpers are
sent these rather than analysed queries, which are larger to pickle than to rebuild."""

_INHERITED: Screener | None = None
"""The screener a helper process was forked with."""


def match_specs(screener: Screener, specs: Sequence[QuerySpec], limit: int, threshold: float,
                cutoff: float) -> list[list[dict[str, Any]]]:
    return [screener.match(make_query(*spec), limit=limit, threshold=threshold, cutoff=cutoff) for spec in specs]


def _helper(specs: Sequence[QuerySpec], limit: int, threshold: float, cutoff: float) -> list[list[dict[str, Any]]]:
    if _INHERITED is None:  # pragma: no cover - only reachable if the pool were not forked
        raise RuntimeError("helper process started without an index")
    return match_specs(_INHERITED, specs, limit, threshold, cutoff)


def _start_helper(parent: int) -> None:
    """In a new helper: the default signal handlers (not the server's, which only ask a server
    loop the helper does not run to stop), and exit once the server process that forked it is
    gone, however it went (a SIGKILL leaves it no chance to stop its helpers)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ready() -> bool:
    return _INHERITED is not None


class MatchPool:
    """Matches queries against one screener, spreading large requests over ``processes``
    helpers forked on the first large request (so a server that never gets one forks none)."""

    def __init__(self, screener: Screener, processes: int) -> None:
        self.screener = screener
        self.processes = max(0, processes)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor | None:
        global _INHERITED
        with self._lock:
            if self._executor is None and not self._closed:
                _INHERITED = self.screener
                executor = ProcessPoolExecutor(self.processes, mp_context=mp.get_context("fork"),
                                               initializer=_start_helper, initargs=(os.getpid(),))
                try:
                    # The helpers fork on the first task: make that happen now, while
                    # _INHERITED is this pool's screener.
                    executor.submit(_ready).result()
                    self._executor = executor
                except Exception:  # no helpers (no memory to fork, say): match in-thread
                    log.exception("could not start match helper processes")
                    executor.shutdown(wait=False, cancel_futures=True)
                finally:
                    _INHERITED = None
            return self._executor

    def match(self, specs: Sequence[QuerySpec], limit: int, threshold: float,
              cutoff: float) -> list[list[dict[str, Any]]]:
        """The hits of each query, in the order of ``specs``."""
        if self.processes == 0 or len(specs) < SPREAD_FROM:
            return match_specs(self.screener, specs, limit, threshold, cutoff)
        pool = self._pool()
        if pool is None:
            return match_specs(self.screener, specs, limit, threshold, cutoff)
        size = math.ceil(len(specs) / (self.processes + 1))
        slices = [specs[i:i + size] for i in range(0, len(specs), size)]
        try:
            futures = [pool.submit(_helper, part, limit, threshold, cutoff) for part in slices[1:]]
        except (BrokenProcessPool, RuntimeError):
            self._reset()
            return match_specs(self.screener, specs, limit, threshold, cutoff)
        results = match_specs(self.screener, slices[0], limit, threshold, cutoff)
        for part, future in zip(slices[1:], futures, strict=True):
            try:
                results.extend(future.result())
            except BrokenProcessPool:
                # A helper died (killed for memory, say): this request is finished here, and
                # the next large one forks new helpers.
                log.warning("a match helper process died; matching its slice in the server process")
                self._reset()
                results.extend(match_specs(self.screener, part, limit, threshold, cutoff))
        return results

    def _reset(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the helpers once the requests already given to them are done."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
