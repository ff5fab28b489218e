"""Which list version is in force, whatever runs at once or dies midway (issue 10, item 2 and Low).

Real processes: several ``redflags lists load`` of one dataset started together, on SQLite
and on a real PostgreSQL server; loads killed by SIGKILL and SIGINT.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from redflags.store import Store
from redflags.store import tables as t
from tests.test_ingest import write_csl

LOADERS = 4


def _cli(db: str, *args: str, **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "redflags", "--db", db, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def _versions(store: Store, dataset: str, by: str = "id") -> list[dict[str, Any]]:
    """The versions of ``dataset`` in order of ``by`` (``finished_at``: the order they were activated in)."""
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t.versions).where(t.versions.c.dataset == dataset)
                                              .order_by(t.versions.c[by])).mappings()]


def _load_at_once(store: Store, tmp_path: Path) -> list[int]:
    """LOADERS files of different sizes loaded by as many processes started together."""
    sizes = [1200 + 40 * k for k in range(LOADERS)]
    files = [write_csl(tmp_path / f"csl{k}.csv", n) for k, n in enumerate(sizes)]
    procs = [_cli(store.url, "lists", "load", str(f), "--force") for f in files]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    return sizes


def _assert_one_active(store: Store, sizes: list[int]) -> None:
    versions = _versions(store, "us_csl", by="finished_at")
    active = [v for v in versions if v["status"] == "active"]
    assert len(active) == 1, [(v["id"], v["status"]) for v in versions]
    assert [v["status"] for v in versions].count("superseded") == LOADERS - 1
    # activated one after another: each against the version activated just before it
    assert [v["previous_id"] for v in versions] == [None] + [v["id"] for v in versions[:-1]]
    assert active[0]["id"] == versions[-1]["id"]
    ids = [r["id"] for r in store.iter_records("us_csl")]
    assert len(ids) == len(set(ids)) == active[0]["entity_count"]
    assert active[0]["entity_count"] in sizes


def test_loads_at_once_leave_one_active_version_on_sqlite(store: Store, tmp_path: Path) -> None:
    _assert_one_active(store, _load_at_once(store, tmp_path))


def test_loads_at_once_leave_one_active_version_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    _assert_one_active(pg_store, _load_at_once(pg_store, tmp_path))


def test_the_database_refuses_a_second_active_version(store: Store, tmp_path: Path) -> None:
    _load_at_once(store, tmp_path)
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(t.versions.update().where(t.versions.c.dataset == "us_csl").values(status="active"))


def test_the_migration_mends_a_database_with_several_active_versions(tmp_path: Path) -> None:
    """A database the old code left with two active versions opens with the newest active."""
    from alembic import command
    from alembic.config import Config

    from redflags.store.sql import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.exec_driver_sql("INSERT INTO datasets (name, created_at) VALUES ('us_csl', '2026-01-01')")
        for vid in (1, 2, 3):
            conn.exec_driver_sql(f"INSERT INTO versions (id, dataset, status, format, files, created_at, forced) "
                                 f"VALUES ({vid}, 'us_csl', 'active', 'us_csl_csv', '[]', '2026-01-01', 0)")
    engine.dispose()
    store = Store(url)
    assert store.active_version("us_csl") == 3
    assert [v["status"] for v in _versions(store, "us_csl")] == ["superseded", "superseded", "active"]
    store.close()


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(("sig", "ignored"), [(signal.SIGKILL, False), (signal.SIGINT, False),
                                              (signal.SIGTERM, False), (signal.SIGINT, True)])
def test_a_killed_load_is_failed_not_loading_forever(store: Store, tmp_path: Path, sig: int, ignored: bool) -> None:
    first = write_csl(tmp_path / "a.csv", 1200)
    proc = _cli(store.url, "lists", "load", str(first))
    assert proc.wait(timeout=120) == 0
    big = write_csl(tmp_path / "big.csv", 60000)
    # started with SIGINT ignored, as a child of a process that ignores it (a background job,
    # a test runner after some library set it): the load must stop on SIGINT all the same
    proc = _cli(store.url, "lists", "load", str(big), preexec_fn=_ignoring_sigint if ignored else None)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(v["status"] == "loading" for v in _versions(store, "us_csl")):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    versions = _versions(store, "us_csl")
    if sig == signal.SIGKILL:
        assert versions[-1]["status"] == "loading"  # nobody could record it yet
        status = _cli(store.url, "lists", "status")
        out, _err = status.communicate(timeout=60)
        versions = _versions(store, "us_csl")
    failed = [v for v in versions if v["status"] == "failed"]
    assert len(failed) == 1 and "interrupt" in failed[0]["error"], versions
    assert not [v for v in versions if v["status"] == "loading"]
    assert [v["entity_count"] for v in versions if v["status"] == "active"] == [1200]
