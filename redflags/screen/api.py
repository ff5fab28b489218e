"""``redflags.match`` and ``redflags.compare``: the library entry points for matching."""

from collections.abc import Iterable
from typing import Any

from redflags.exc import NotFoundError
from redflags.match import THRESHOLD
from redflags.screen.screen import Screener, compare, make_query

_SCREENERS: dict[str, tuple[str, Screener]] = {}


def screener_for(store: Any) -> Screener:
    """The screener of the store's active lists: its index mapped from disk (built on first use
    of a set of list versions), and kept for as long as they stay active."""
    from redflags.index.persist import index_key

    key = index_key(store)
    cached = _SCREENERS.get(store.url)
    if cached is None or cached[0] != key:
        _SCREENERS.clear()
        _SCREENERS[store.url] = (key, Screener.from_store(store, key))
    return _SCREENERS[store.url][1]


def current_screener(db: str | None = None) -> Screener:
    """The screener of the active lists of the store at ``db`` (default: the configured one):
    straight from the index on disk when it is built, else through the store (which builds it)."""
    from redflags import settings
    from redflags.index.persist import open_built

    url = db or settings.database_url()
    built = open_built(url)
    if built is not None:
        key, index = built
        cached = _SCREENERS.get(url)
        if cached is None or cached[0] != key:
            _SCREENERS.clear()
            _SCREENERS[url] = (key, Screener.linking(index))
        return _SCREENERS[url][1]
    from redflags.store import open_store

    store = open_store(url)
    try:
        if not store.active_version_ids():
            raise NotFoundError("no lists loaded; load them with `redflags lists load FILE` or `redflags lists update`")
        return screener_for(store)
    finally:
        store.close()


def match(name: str | Iterable[str], schema: str | None = None, countries: Iterable[str] = (),
          identifiers: Iterable[str] = (), birth_dates: Iterable[str] = (), limit: int = 5,
          threshold: float = THRESHOLD, store: Any = None, db: str | None = None,
          on: str | None = None) -> list[dict[str, Any]]:
    """Screen one party against every active list of ``store`` (or of the store at the URL
    ``db``; default: the configured one): the direct hits (``kind: direct``), then the linked
    parties (``kind: linked``) judged on ``on`` (the transaction date; default today)."""
    query = make_query(name, schema, countries, identifiers, birth_dates, on)
    screener = screener_for(store) if store is not None else current_screener(db)
    return screener.match(query, limit=limit, threshold=threshold)


__all__ = ["compare", "current_screener", "match"]
