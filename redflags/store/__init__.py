"""The versioned entity store (SQLAlchemy; SQLite by default, PostgreSQL supported).

``Store`` and ``open_store`` are imported on first use: ``store.quick`` (what a matching
command reads at start) must not pay for SQLAlchemy.
"""

from typing import Any

__all__ = ["Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from redflags.store import sql

        return getattr(sql, name)
    raise AttributeError(f"module 'redflags.store' has no attribute {name!r}")
