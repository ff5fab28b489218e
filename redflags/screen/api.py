"""``redflags.match`` and ``redflags.compare``: the library entry points for matching."""

from collections.abc import Iterable
from typing import Any

from redflags.match import THRESHOLD
from redflags.screen.screen import Screener, compare, make_query

_SCREENERS: dict[str, Screener] = {}


def screener_for(store: Any) -> Screener:
    """One index per store URL and set of active versions, built on first use."""
    versions = tuple(sorted((d["dataset"], (d["active"] or {}).get("version"))
                            for d in store.status()))
    key = f"{store.url}|{versions}"
    if key not in _SCREENERS:
        _SCREENERS.clear()
        _SCREENERS[key] = Screener.from_store(store)
    return _SCREENERS[key]


def match(name: str | Iterable[str], schema: str | None = None, countries: Iterable[str] = (),
          identifiers: Iterable[str] = (), birth_dates: Iterable[str] = (), limit: int = 5,
          threshold: float = THRESHOLD, store: Any = None) -> list[dict[str, Any]]:
    """Screen one party against every active list of ``store`` (default: the configured one)."""
    if store is None:
        from redflags.store import open_store

        store = open_store()
    query = make_query(name, schema, countries, identifiers, birth_dates)
    return screener_for(store).match(query, limit=limit, threshold=threshold)


__all__ = ["compare", "match"]
