"""The index a server process answers from, and its swap when new list versions arrive."""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson

from redflags.api.errors import ApiError
from redflags.api.pool import MatchPool
from redflags.batch.engine import versions_key
from redflags.index.persist import key_of
from redflags.screen.screen import Screener

log = logging.getLogger("redflags.api")

NO_DATES = {"first_seen": None, "last_seen": None, "last_change": None}


@dataclass
class Served:
    """One index being served. Everything a response says of a hit (properties, topics, yente's
    dates) is in the index: answering a query touches no database."""

    key: str
    """The list versions it was built from ("un_sc:2,us_csl:1")."""
    index_key: str
    """The key of the index on disk (list versions, judgements and matcher version)."""
    screener: Screener
    pool: MatchPool

    @classmethod
    def build(cls, store: Any, key: str, index_key: str, processes: int) -> "Served":
        screener = Screener.from_store(store, index_key)
        return cls(key, index_key, screener, MatchPool(screener, processes))

    def _number(self, entity_id: str) -> int | None:
        return self.screener.index.number(entity_id)

    def properties_json(self, entity_id: str) -> bytes:
        """A party's properties as JSON (all its source records' values)."""
        number = self._number(entity_id)
        return b"{}" if number is None else self.screener.index.properties_json(number)

    def entity_json(self, entity_id: str) -> orjson.Fragment:
        return orjson.Fragment(self.properties_json(entity_id))

    def dates_of(self, entity_id: str) -> dict[str, str | None]:
        number = self._number(entity_id)
        if number is None:
            return dict(NO_DATES)
        first, last, change = self.screener.index.entity(number).dates
        return {"first_seen": first, "last_seen": last, "last_change": change}

    def topics_of(self, entity_id: str) -> frozenset[str]:
        number = self._number(entity_id)
        return frozenset() if number is None else frozenset(self.screener.index.entity(number).topics)


class IndexHolder:
    """The index of the store's active list versions. A new one is opened aside (mapped from
    disk, or built there first) when the versions or the judgements change, and swapped in with
    one assignment, so a request sees the old index or the new one, never half of either."""

    def __init__(self, store: Any, processes: int = 0) -> None:
        self.store = store
        self.processes = processes
        self.current: Served | None = None
        self._lock = threading.Lock()

    def get(self) -> Served:
        current = self.current
        if current is None:
            raise ApiError(503, "no lists loaded yet; load them with `redflags lists load` or POST /lists/update")
        return current

    def refresh(self) -> bool:
        with self._lock:
            state = self.store.index_state()
            versions = versions_key({dataset: {"version": vid} for dataset, vid, _at in state["versions"]})
            index_key = key_of(state)
            if not versions or (self.current is not None and self.current.index_key == index_key):
                return False
            start = time.perf_counter()
            previous, self.current = self.current, Served.build(self.store, versions, index_key, self.processes)
            if previous is not None:
                previous.pool.close()
            log.info("index %s ready in %.1f s", versions, time.perf_counter() - start)
            return True

    def close(self) -> None:
        if self.current is not None:
            self.current.pool.close()
