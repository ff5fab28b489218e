"""The versioned entity store (SQLAlchemy; SQLite by default, PostgreSQL supported)."""

from redflags.store.sql import Store, open_store

__all__ = ["Store", "open_store"]
