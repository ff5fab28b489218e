"""Shared fixtures.

- ``fixture_path(rel)``: a hand-written file in tests/fixtures/sources (official formats).
- ``store``: a fresh SQLite store in a temp dir, per test (the real engine, migrations run);
  ``loaded``: with the CSL fixture in it; ``any_store``: the same on SQLite, then PostgreSQL.
- ``shared_data``: ../shared/data/lists; tests that need it skip with a reason when absent.
- ``parse_file(path, fmt, dataset)``: run one parser and return (records, ctx).
- ``uk_xlsx``: writes a small OFSI XLSX in the 2022+ layout with openpyxl.
- ``pg_url``: a real PostgreSQL server started for the session (initdb + pg_ctl), skipped with
  the reason when the binaries are missing; ``pg_store`` a Store on it, emptied after each test.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lists"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from redflags import settings

    monkeypatch.setattr(settings, "HOME", tmp_path / "home")
    monkeypatch.delenv("REDFLAGS_DB", raising=False)


@pytest.fixture
def fixture_path() -> Any:
    return lambda rel: FIXTURES / rel


@pytest.fixture
def store(tmp_path: Path) -> Any:
    from redflags.store import Store

    s = Store(os.environ.get("REDFLAGS_TEST_DB") or f"sqlite:///{tmp_path / 'test.db'}")
    yield s
    s.close()


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    """The SQLite store with the CSL fixture loaded."""
    from redflags import ingest

    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    return store


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, store: Any, fixture_path: Any) -> Any:
    """The CSL fixture loaded into SQLite, then into a real PostgreSQL server."""
    from redflags import ingest

    chosen = store if request.param == "sqlite" else request.getfixturevalue("pg_store")
    ingest.load(chosen, [fixture_path("us_csl/good.csv")], force=True)
    return chosen


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real list snapshots not found at {SHARED}")
    return SHARED


@pytest.fixture
def parse_file() -> Any:
    from redflags.sources.base import ParseContext
    from redflags.sources.formats import FORMATS
    from redflags.sources.helpers import load_meta
    from redflags.sources.ofac_csv import find_companions

    def run(path: Path, fmt: str, dataset: str = "test") -> tuple[list[Any], ParseContext]:
        spec = FORMATS[fmt]
        ctx = ParseContext(Path(path), dataset, fmt, meta=load_meta(spec.meta))
        if fmt == "ofac_csv":
            ctx.companions = find_companions(Path(path))
        return list(spec.parse(ctx)), ctx

    return run


UK_NEW_HEADER = ["Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title",
                 "Name Non-Latin Script", "Non-Latin Script Type", "Non-Latin Script Language",
                 "DOB", "Town of Birth", "Country of Birth", "Nationality", "Passport Number",
                 "Passport Details", "National Identification Number",
                 "National Identification Details", "Position", "Address 1", "Address 2",
                 "Address 3", "Address 4", "Address 5", "Address 6", "Post/Zip Code", "Country",
                 "Other Information", "Group Type", "Alias Type", "Alias Quality", "Regime",
                 "Listed On", "UK Sanctions List Date Designated", "Last Updated", "Group ID"]


@pytest.fixture
def uk_xlsx(tmp_path: Path) -> Any:
    import openpyxl

    def make(rows: list[dict[str, Any]], name: str = "ConList.xlsx",
             header: list[str] | None = None) -> Path:
        header = header or UK_NEW_HEADER
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Data"
        sheet.append(["Last Updated", "14/04/2025"])
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(col) for col in header])
        path = tmp_path / name
        book.save(path)
        return path

    return make


def uk_rows(n_targets: int = 2) -> list[dict[str, Any]]:
    rows = [
        {"Name 6": "HAQ", "Name 1": "Mian", "Name 2": "Abdul", "Title": "Mr", "DOB": "01/02/1970",
         "Nationality": "Pakistan", "Country": "Pakistan", "Group Type": "Individual",
         "Alias Type": "Primary name", "Regime": "Global Human Rights",
         "Listed On": "09/12/2022", "UK Sanctions List Date Designated": "09/12/2022",
         "Last Updated": "09/12/2022", "Group ID": 15672,
         "Name Non-Latin Script": "میاں عبدالحق"},
        {"Name 6": "MITHOO", "Name 1": "Mian", "Group Type": "Individual",
         "Alias Type": "AKA", "Alias Quality": "Low quality", "Regime": "Global Human Rights",
         "Listed On": "09/12/2022", "Group ID": 15672},
    ]
    for i in range(n_targets - 1):
        rows.append({"Name 6": f"SHELL TRADING {i} LLC", "Group Type": "Entity",
                     "Alias Type": "Primary name", "Regime": "Russia", "Country": "Russia",
                     "Listed On": "24/02/2022", "Group ID": 20000 + i})
    return rows


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed")
    root = Path(tempfile.mkdtemp(prefix="redflags-pg-"))
    data, port = root / "data", _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to drop to the postgres user")
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(prefix + [initdb, "-D", str(data), "-U", "redflags", "--auth=trust",
                             "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                             f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://redflags@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_store(pg_url: str) -> Any:
    from redflags.store import Store

    store = Store(pg_url)
    yield store
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    store.close()
