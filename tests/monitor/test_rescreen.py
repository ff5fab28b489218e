"""Re-screening: exactly once per (portfolio, version), resumed after a real SIGKILL without a
party recorded twice; a new matcher re-screens everything; the CLI runs it after a load."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from redflags import ingest
from redflags.audit import verify
from redflags.batch import Options
from redflags.cli import main
from redflags.monitor.portfolios import watch
from redflags.monitor.rescreen import rescreen
from redflags.store import tables as t
from tests.monitor.test_story import NEW_ROW
from tests.review.conftest import changed_csl, vendor_file

RESCREEN = """
import sys
from redflags.store import Store
from redflags.monitor.rescreen import rescreen
print(rescreen(Store(sys.argv[1]), "monitor"))
"""


def many_vendors(tmp_path: Path, n: int) -> Path:
    rows = [(f"V{i}", f"Brightstar Optics Company Limited {i}", "CN") for i in range(n)]
    return vendor_file(tmp_path / "vendors.csv", rows)


def screenings_of_monitor(store: Any) -> tuple[int, int]:
    s = t.screenings
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(s.c.row)))
                            .where(s.c.run_id.like("m%"))).one()  # type: ignore[return-value]


def test_a_killed_rescreen_resumes_and_records_each_party_once(loaded: Any, fixture_path: Any, tmp_path: Path) -> None:
    watch(loaded, many_vendors(tmp_path, 3000), "big", Options(workers=1), "alice")
    csl = changed_csl(fixture_path, tmp_path, "\n21944,", "\n" + NEW_ROW + "21944,")
    ingest.load(loaded, [csl], dataset="us_csl", force=True)
    from redflags import settings

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), "REDFLAGS_HOME": str(settings.HOME)}
    proc = subprocess.Popen([sys.executable, "-c", RESCREEN, loaded.url], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and screenings_of_monitor(loaded)[0] < 500:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = screenings_of_monitor(loaded)[0]
    assert 0 < partial < 3000, "killed half-way"
    assert verify(loaded.engine).ok
    with loaded.engine.connect() as conn:
        assert conn.execute(sa.select(t.monitor_runs.c.status).where(t.monitor_runs.c.kind == "changes")).scalar() \
            == "running"
    (run,) = rescreen(loaded)
    assert run["parties_screened"] == 3000
    assert screenings_of_monitor(loaded) == (3000, 3000)
    with loaded.engine.connect() as conn:
        alerts, parties = conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(t.alerts.c.party_id)))
                                       .where(t.alerts.c.listed_id.like("%99999%"))).one()
    assert alerts == parties > 0 and rescreen(loaded) == []
    assert verify(loaded.engine).ok


def test_a_new_matcher_rescreens_the_whole_portfolio(loaded: Any, tmp_path: Path) -> None:
    watch(loaded, vendor_file(tmp_path / "v.csv"), "p", Options(workers=1), "alice")
    assert rescreen(loaded) == []
    with loaded.engine.begin() as conn:
        conn.execute(t.monitor_runs.update().values(matcher="an older matcher"))
    (run,) = rescreen(loaded)
    assert run["kind"] == "full" and run["parties_screened"] == 3
    assert rescreen(loaded) == []


def test_watch_and_monitor_on_the_command_line(loaded: Any, fixture_path: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    vendors = vendor_file(tmp_path / "v.csv", [("V4", "Brightstar Optics Company Limited", "CN")])
    added = runner.invoke(main, ["--db", loaded.url, "watch", "add", str(vendors), "--portfolio", "suppliers"])
    assert added.exit_code == 0 and "1 added" in added.output, added.output
    csl = changed_csl(fixture_path, tmp_path, "\n21944,", "\n" + NEW_ROW + "21944,")
    loaded_out = runner.invoke(main, ["--db", loaded.url, "lists", "load", str(csl), "--dataset", "us_csl",
                                      "--force"])
    assert loaded_out.exit_code == 0, loaded_out.output
    assert "re-screen suppliers against us_csl" in loaded_out.output and "1 alert" in loaded_out.output
    once = runner.invoke(main, ["--db", loaded.url, "monitor", "--once", "--no-update"])
    assert once.exit_code == 0 and "deliveries:" in once.output and "re-screen" not in once.output
    listed = runner.invoke(main, ["--db", loaded.url, "watch", "list"])
    assert "suppliers" in listed.output and "changes" in listed.output
    assert runner.invoke(main, ["--db", loaded.url, "watch", "remove", "suppliers"]).exit_code == 0


def test_a_change_concerns_the_vendors_it_could_name_and_no_others(loaded: Any, tmp_path: Path) -> None:
    from redflags.match.logic import THRESHOLD
    from redflags.monitor.reverse import concerned, portfolio_index
    from redflags.screen.api import screener_for

    rows = [("A", "Brightstar Optics Company Limited", "CN"), ("B", "BRIGHT STAR OPTICS CO LTD", "CN"),
            ("C", "Brightstr Optcs Co., Ltd.", ""), ("D", "Optics Holdings GmbH", "DE"),
            ("E", "Star Bright Bakery", "US"), ("F", "Siemens AG", "DE")]
    watch(loaded, vendor_file(tmp_path / "v.csv", rows), "p", Options(workers=1), "alice")
    record = {"id": "new-1", "schema": "Company",
              "properties": {"name": ["Brightstar Optics Company Limited"], "country": ["cn"]}}
    found = concerned(portfolio_index(loaded, "p"), [record], screener_for(loaded).index, THRESHOLD)
    with loaded.engine.connect() as conn:
        keys = set(conn.execute(sa.select(t.parties.c.key).where(t.parties.c.id.in_(found))).scalars())
    assert keys == {"p/A", "p/B", "p/C"}
    # the index is the portfolio's state: a sync that changes a name builds another one
    from redflags import settings
    from redflags.monitor.reverse import state_key

    root = settings.HOME / "portfolio-index"
    first = state_key(loaded, "p")
    assert [f.name for f in root.iterdir()] == [first]
    watch(loaded, vendor_file(tmp_path / "w.csv", [*rows[:5], ("F", "Brightstar Optics Ltd", "CN")]), "p",
          Options(workers=1), "alice", sync=True)
    found = concerned(portfolio_index(loaded, "p"), [record], screener_for(loaded).index, THRESHOLD)
    with loaded.engine.connect() as conn:
        keys = set(conn.execute(sa.select(t.parties.c.key).where(t.parties.c.id.in_(found))).scalars())
    assert keys == {"p/A", "p/B", "p/C", "p/F"}
    assert [f.name for f in root.iterdir()] == [state_key(loaded, "p")] != [first]


def _worker_store() -> str | None:
    from redflags.batch.engine import _WORKER_STATE

    key = _WORKER_STATE.get("key")
    return key[0] if key else None


def test_a_full_rescreen_on_a_dask_cluster(loaded: Any, tmp_path: Path) -> None:
    from dask.distributed import Client, LocalCluster

    watch(loaded, many_vendors(tmp_path, 600), "big", Options(workers=1), "alice")
    with loaded.engine.begin() as conn:
        conn.execute(t.monitor_runs.update().values(matcher="an older matcher"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        runner = CliRunner()
        out = runner.invoke(main, ["--db", loaded.url, "monitor", "--once", "--no-update", "--engine", "dask",
                                   "--scheduler", cluster.scheduler_address])
        assert out.exit_code == 0, out.output
        # the parties were screened on the cluster: its workers built a screener of the store's lists
        with Client(cluster) as client:
            built = client.run(_worker_store)
        assert loaded.url in set(built.values()), built
    assert "(full): 600 parties screened" in out.output
    assert screenings_of_monitor(loaded) == (600, 600)
    assert verify(loaded.engine).ok
