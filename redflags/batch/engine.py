"""Screening chunks of rows in parallel: local processes, or workers of a Dask cluster.

Both engines run the same ``screen_chunk`` on the same chunks and write the results in
input order, so their output is identical. Only a bounded number of chunks is in flight,
so memory stays flat whatever the size of the input.
"""

import itertools
import multiprocessing as mp
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import orjson

from redflags import settings
from redflags.batch.columns import ColumnMap
from redflags.exc import RedflagsError
from redflags.processes import fork_pool
from redflags.screen.screen import Screener, make_query, status_of

HISTOGRAM_BINS = 20

Row = tuple[int, dict[str, Any], str | None]
"""(row number, input values, read error)"""
T = TypeVar("T")


@dataclass(frozen=True)
class Params:
    threshold: float
    cutoff: float
    limit: int
    columns: ColumnMap

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "cutoff": self.cutoff, "limit": self.limit, **self.columns.to_dict()}


@dataclass
class Stats:
    """What the summary and the report need, gathered as results are made."""

    rows: int = 0
    status: Counter[str] = field(default_factory=Counter)
    lists: Counter[str] = field(default_factory=Counter)
    """Rows with an alert on each list."""
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)
    """Rows by best score, in bins of 0.05."""

    def add_result(self, status: str, hits: list[dict[str, Any]]) -> None:
        self.rows += 1
        self.status[status] += 1
        if hits:
            best = max(h["score"] for h in hits)
            self.histogram[min(int(best * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
        else:
            self.histogram[0] += 1
        if status in ("suppressed", "clear", "error"):
            return
        for name in sorted({n for h in hits if h["match"] and h.get("kind", "direct") == "direct"
                            for n in h["lists"]}):
            self.lists[name] += 1

    def merge(self, other: "Stats") -> None:
        self.rows += other.rows
        self.status.update(other.status)
        self.lists.update(other.lists)
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "alert": self.status["alert"], "linked": self.status["linked"],
                "clear": self.status["clear"],
                "error": self.status["error"], "review_required": self.status["review_required"],
                "suppressed": self.status["suppressed"], "alerts_by_list": dict(self.lists.most_common()),
                "score_histogram": self.histogram}


class ChunkScreener:
    """Screens rows against one index; remembers the hits of queries seen before."""

    def __init__(self, screener: Screener, params: Params) -> None:
        self.screener = screener
        self.params = params
        self._hits = lru_cache(maxsize=settings.SCREEN_CACHE)(self._screen)

    def _screen(self, key: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
        names, schema, countries, identifiers, birth_dates = key
        query = make_query(list(names), schema, countries, identifiers, birth_dates)
        p = self.params
        return tuple(self.screener.match(query, limit=p.limit, threshold=p.threshold, cutoff=p.cutoff))

    def hits(self, query: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """The row's hits: its names screened once whatever the row's transaction date (a ledger
        names one supplier many times), then its linked hits judged on that date."""
        key = (tuple(query["names"]), query["schema"], tuple(query["countries"]), tuple(query["identifiers"]),
               tuple(query["birth_dates"]))
        hits = self._hits(key)
        linker = self.screener.linker
        if query.get("date") and linker is not None and any(h.get("kind") == "linked" for h in hits):
            return tuple(linker.on_day(hits, query["date"]))
        return hits

    def screen_chunk(self, rows: list[Row]) -> tuple[bytes, Stats]:
        lines = []
        stats = Stats()
        for number, values, read_error in rows:
            row_id, query, error = self.params.columns.query(values)
            error = read_error or error
            hits: tuple[dict[str, Any], ...] = ()
            if error is None and query is not None:
                try:
                    hits = self.hits(query)
                except RedflagsError as exc:
                    error = f"cannot be screened: {exc.detail}"
            status = "error" if error else status_of(hits)
            stats.add_result(status, list(hits))
            result = {"row": number, "id": number if row_id is None else row_id, "query": query,
                      "status": status, "error": error, "hits": hits, "input": values}
            lines.append(orjson.dumps(result, default=str, option=orjson.OPT_APPEND_NEWLINE))
        return b"".join(lines), stats


def chunked(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_order(submit: Callable[[Any], Any], result: Callable[[Any], T], chunks: Iterable[Any],
             window: int) -> Iterator[T]:
    """Submit chunks with at most ``window`` in flight; yield their results in input order."""
    pending: deque[Any] = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


# --- local processes ----------------------------------------------------------------

_FORKED: ChunkScreener | None = None


def _forked_chunk(rows: list[Row]) -> tuple[bytes, Stats]:
    assert _FORKED is not None
    return _FORKED.screen_chunk(rows)


def run_local(screener: Screener, params: Params, chunks: Iterable[list[Row]],
              workers: int) -> Iterator[tuple[bytes, Stats]]:
    """``workers`` forked processes sharing the parent's index (its mapped pages, and whatever
    the parent loaded before forking). The parent screens the first chunk itself: a small file
    needs no processes at all, and the workers of a large one start with the dictionaries and
    tables the first chunk made it load."""
    global _FORKED
    local = ChunkScreener(screener, params)
    rest = iter(chunks)
    first = next(rest, None)
    if first is None:
        return
    yield local.screen_chunk(first)
    second = next(rest, None)
    if second is None:
        return
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        for chunk in itertools.chain([second], rest):
            yield local.screen_chunk(chunk)
        return
    _FORKED = local
    try:
        with fork_pool(workers) as pool:
            yield from in_order(lambda c: pool.apply_async(_forked_chunk, (c,)), lambda r: r.get(),
                                itertools.chain([second], rest), window=workers * 3)
    finally:
        _FORKED = None


# --- Dask ---------------------------------------------------------------------------

_WORKER_STATE: dict[str, Any] = {}
"""Per Dask worker process: the index of one store version, and the chunk screener (with its
cache of queries seen) of the current run's parameters."""


def worker_screener(store_url: str, versions: str) -> Screener:
    """On a Dask worker: the screener of the store's lists, built once per worker process; an
    error if the store's active versions are no longer ``versions``."""
    from redflags.store import open_store

    key = (store_url, versions)
    if _WORKER_STATE.get("key") != key:
        store = open_store(store_url)
        try:
            found = versions_key(store.active_versions())
            if found != versions:
                raise RedflagsError(f"worker {os.getpid()}: the store's active lists changed during the run "
                                    f"({found} instead of {versions}); run it again")
            _WORKER_STATE.clear()
            _WORKER_STATE.update(key=key, screener=Screener.from_store(store))
        finally:
            store.close()
    screener: Screener = _WORKER_STATE["screener"]
    return screener


def dask_chunk(rows: list[Row], store_url: str, versions: str, params: Params) -> tuple[bytes, Stats]:
    """Runs on a Dask worker: builds the index once per worker process, then screens."""
    screener = worker_screener(store_url, versions)
    chunker = _WORKER_STATE.get("chunker")
    if chunker is None or chunker.params != params:
        chunker = _WORKER_STATE["chunker"] = ChunkScreener(screener, params)
    return chunker.screen_chunk(rows)


def versions_key(active: dict[str, dict[str, Any]]) -> str:
    return ",".join(f"{name}:{info['version']}" for name, info in sorted(active.items()))


@contextmanager
def dask_client(scheduler: str | Any, store_url: str) -> Iterator[Any]:
    """A client of an existing cluster (an address, or a ``Client`` used as it is)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise RedflagsError("the Dask engine needs dask.distributed: pip install 'redflags[dask]'") from exc
    if store_url.startswith("sqlite") and ":memory:" in store_url:
        raise RedflagsError("Dask workers cannot reach an in-memory database; use a file or PostgreSQL")
    own = not isinstance(scheduler, Client)
    try:
        client: Any = Client(scheduler, timeout="20s") if own else scheduler
    except OSError as exc:
        raise RedflagsError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        yield client
    finally:
        if own:
            client.close()


def dask_map(client: Any, func: Callable[..., T], items: Iterable[Any], *args: Any) -> Iterator[T]:
    """``func(item, *args)`` of each item on the cluster's workers, in order, a few per worker in flight."""
    nworkers = max(len(client.scheduler_info().get("workers", {})), 1)
    return in_order(lambda item: client.submit(func, item, *args, pure=False), lambda f: f.result(), items,
                    window=nworkers * 4)


def run_dask(scheduler: str | Any, store_url: str, versions: str, params: Params,
             chunks: Iterable[list[Row]]) -> Iterator[tuple[bytes, Stats]]:
    """Chunks go to the workers of an existing cluster (an address, or a ``Client``)."""
    with dask_client(scheduler, store_url) as client:
        yield from dask_map(client, dask_chunk, chunks, store_url, versions, params)
