"""The index a server process answers from, and its swap when new list versions arrive."""

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from redflags.api.errors import ApiError
from redflags.api.pool import MatchPool
from redflags.batch.engine import versions_key
from redflags.screen.screen import Screener
from redflags.store.sql import EntityDates

log = logging.getLogger("redflags.api")

NO_DATES = EntityDates(None, None, None)


@dataclass
class Served:
    """One index being served, and what responses need of each entity, gathered while it is
    built so that answering a query touches no database."""

    key: str
    """The list versions it was built from."""
    screener: Screener
    pool: MatchPool
    properties: dict[str, bytes]
    """Each entity's properties, as the JSON that goes into responses."""
    topics: dict[str, frozenset[str]]
    """The topics of the entities that have any."""
    dates: dict[str, EntityDates]

    @classmethod
    def build(cls, store: Any, key: str, processes: int) -> "Served":
        properties: dict[str, bytes] = {}
        topics: dict[str, frozenset[str]] = {}

        def records() -> Iterator[dict[str, Any]]:
            for record in store.iter_records():
                props = record.get("properties") or {}
                properties[record["id"]] = orjson.dumps(props)
                if props.get("topics"):
                    topics[record["id"]] = frozenset(props["topics"])
                yield record

        screener = Screener(records())
        return cls(key, screener, MatchPool(screener, processes), properties, topics, store.change_dates())

    def entity_json(self, entity_id: str) -> orjson.Fragment:
        return orjson.Fragment(self.properties.get(entity_id, b"{}"))

    def dates_of(self, entity_id: str) -> dict[str, str | None]:
        return self.dates.get(entity_id, NO_DATES)._asdict()


class IndexHolder:
    """The index of the store's active list versions. A new one is built aside when the
    versions change and swapped in with one assignment, so a request sees the old index or
    the new one, never half of either."""

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
            key = versions_key({d: {"version": v} for d, v in self.store.active_version_ids().items()})
            if not key or (self.current is not None and self.current.key == key):
                return False
            start = time.perf_counter()
            previous, self.current = self.current, Served.build(self.store, key, self.processes)
            if previous is not None:
                previous.pool.close()
            log.info("index %s ready in %.1f s", key, time.perf_counter() - start)
            return True

    def close(self) -> None:
        if self.current is not None:
            self.current.pool.close()
