"""Engine creation and the few places where SQLite and PostgreSQL differ."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from redflags.exc import StoreError


def _json_dumps(value: Any) -> str:
    """JSON columns written by orjson (several times faster than json; the same text for the
    values redflags stores, read back by any JSON reader)."""
    import orjson

    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def make_engine(url: str) -> Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 60}, json_serializer=_json_dumps)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)
    except ImportError as exc:
        raise StoreError(
            f"no driver for {parsed.drivername}: pip install 'redflags[postgres]'") from exc


def insert_ignore(engine: Engine, table: sa.Table) -> Any:
    """INSERT that skips rows whose primary key exists (content-addressed blobs)."""
    name = engine.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise StoreError(f"unsupported database dialect {name!r}")


def lock_dataset(conn: Any, table: sa.Table, dataset: str) -> None:
    """Serialise activations of one dataset: the first statement of the transaction that
    activates a version. PostgreSQL locks the dataset's row until the transaction ends; SQLite
    takes its database write lock now (a write as the first statement), before anything is
    read, so a second loader waits and then reads what the first committed."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(table.c.name).where(table.c.name == dataset).with_for_update())
    else:
        conn.execute(table.update().where(table.c.name == dataset).values(name=table.c.name))
