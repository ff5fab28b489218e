"""The few reads on the start-up path of every matching command, without SQLAlchemy.

``redflags match`` needs one thing of the database before it can answer from the index on
disk: which list versions and judgements are current (``Store.index_state``). For SQLite this
module reads them with the standard library's driver, read-only, in a few milliseconds and
without importing SQLAlchemy; anything it cannot read (another database, an older schema, a
missing file) returns None and the caller opens the store as usual.
"""

import sqlite3
from contextlib import closing
from typing import Any

_VERSIONS = ("SELECT dataset, id, CAST(finished_at AS VARCHAR) FROM versions WHERE status = 'active' "
             "ORDER BY dataset")
_JUDGEMENTS = "SELECT count(*), max(id) FROM judgements"


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (``sqlite:///relative`` or ``sqlite:////absolute``)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url[len("sqlite:///"):]
    return path if path and path != ":memory:" else None


def index_state(url: str) -> dict[str, Any] | None:
    """``Store.index_state()`` of a SQLite store, read without SQLAlchemy; None if it cannot be."""
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
            versions = [[d, i, at] for d, i, at in conn.execute(_VERSIONS)]
            count, newest = conn.execute(_JUDGEMENTS).fetchone()
    except sqlite3.Error:  # no such file or table yet, locked, damaged: the store will say
        return None
    return state(url, versions, count, newest)


def state(url: str, versions: list[list[Any]], count: int, newest: int | None) -> dict[str, Any]:
    """The one shape of the state, whichever way it was read."""
    return {"store": url, "versions": [[d, int(i), None if at is None else str(at)] for d, i, at in versions],
            "judgements": [int(count), newest]}
