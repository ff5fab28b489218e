"""The store on a real PostgreSQL server that the test starts itself (initdb + pg_ctl).

Skipped, with the reason, when no PostgreSQL binaries are installed (test.sh installs
them with apt where it can).
"""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from redflags import ingest
from redflags.store import Store
from tests.test_ingest import write_csl


def test_versions_and_diff_on_postgres(pg_store: Store, tmp_path: Path,
                                       fixture_path: Any) -> None:
    first = ingest.load(pg_store, [write_csl(tmp_path / "a.csv", 1200)])[0].summary
    assert first["entity_count"] == 1200
    lines = (tmp_path / "a.csv").read_text().splitlines()
    del lines[5]
    (tmp_path / "b.csv").write_text("\n".join(lines) + "\n")
    second = ingest.load(pg_store, [tmp_path / "b.csv"])[0].summary
    assert (second["added"], second["removed"], second["modified"]) == (0, 1, 0)
    assert pg_store.diff("us_csl")["changes"]["removed"][0]["id"] == "us_csl-id4"
    ingest.load(pg_store, [fixture_path("un_sc/good.xml")], force=True)
    assert pg_store.entity("un_sc-6908473")["properties"]["alias"] == ["Umm Layth"]


def test_failed_write_rolls_back_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    v1 = ingest.load(pg_store, [write_csl(tmp_path / "a.csv", 1200)])[0].summary["version"]
    with pg_store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION fail_midway() RETURNS trigger AS $$ BEGIN "
            "IF NEW.entity_id = 'us_csl-id600' THEN RAISE EXCEPTION 'disk full'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql")
        conn.exec_driver_sql("CREATE TRIGGER fail_midway BEFORE INSERT ON entities "
                             "FOR EACH ROW EXECUTE FUNCTION fail_midway()")
    with pytest.raises(sa.exc.DBAPIError, match="disk full"):
        ingest.load(pg_store, [write_csl(tmp_path / "b.csv", 1300)])
    assert pg_store.active_version("us_csl") == v1
    assert len(list(pg_store.iter_records("us_csl"))) == 1200


def test_screening_runs_on_postgres_locally_and_on_dask(pg_store: Store, tmp_path: Path, fixture_path: Any) -> None:
    """What the README recommends for a cluster: Dask workers reading the index from PostgreSQL."""
    from redflags.batch import Options, screen_file

    ingest.load(pg_store, [fixture_path("us_csl/good.csv")], force=True)
    source = tmp_path / "v.csv"
    source.write_text("name,country\nHIKVISION DIGITAL TECH CO LTD,CN\nAcme Widgets,US\n,US\n" * 30, encoding="utf-8")
    local = screen_file(pg_store, source, tmp_path / "local.jsonl", Options(workers=1, chunk=16))
    assert local.run["counts"] == pg_store.run(local.run["id"])["counts"]
    assert (local.run["counts"]["alert"], local.run["counts"]["error"]) == (30, 30)
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        screen_file(pg_store, source, tmp_path / "dask.jsonl",
                    Options(engine="dask", scheduler=cluster.scheduler_address, chunk=16))
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert [r["status"] for r in pg_store.runs()] == ["done", "done"]
