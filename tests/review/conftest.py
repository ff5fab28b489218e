"""A store with the CSL fixture loaded, on SQLite and (where a test asks for ``any_store``) on a
real PostgreSQL server too; vendor files; a changed CSL to load as the next version."""

import csv
from pathlib import Path
from typing import Any

import pytest

from redflags import ingest

VENDORS = [
    ("V1", "HIKVISION DIGITAL TECH CO LTD", "CN"),
    ("V2", "Acme Widgets Inc", "US"),
    ("V3", "Arimero Holding Ltd", "CY"),
]


def vendor_file(path: Path, rows: list[tuple[str, str, str]] = VENDORS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Vendor ID", "Supplier Name", "Country"])
        writer.writerows(rows)
    return path


def changed_csl(fixture_path: Any, folder: Path, old: str, new: str) -> Path:
    """The CSL fixture with one text replaced: the next version of the list."""
    text = fixture_path("us_csl/good.csv").read_text(encoding="utf-8")
    assert old in text
    target = folder / "consolidated.csv"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, store: Any, fixture_path: Any) -> Any:
    chosen = store if request.param == "sqlite" else request.getfixturevalue("pg_store")
    ingest.load(chosen, [fixture_path("us_csl/good.csv")], force=True)
    return chosen


@pytest.fixture
def loaded(store: Any, fixture_path: Any) -> Any:
    ingest.load(store, [fixture_path("us_csl/good.csv")], force=True)
    return store
