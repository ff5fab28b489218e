"""Vendor files, and a changed CSL to load as the next version of the list (the stores with the
CSL fixture loaded, ``loaded`` and ``any_store``, are in tests/conftest.py)."""

from pathlib import Path
from typing import Any

from tests.batch.test_screen import vendor_file as batch_vendor_file

VENDORS = [
    ("V1", "HIKVISION DIGITAL TECH CO LTD", "CN"),
    ("V2", "Acme Widgets Inc", "US"),
    ("V3", "Arimero Holding Ltd", "CY"),
]


def vendor_file(path: Path, rows: list[tuple[str, str, str]] = VENDORS) -> Path:
    return batch_vendor_file(path, rows)


def changed_csl(fixture_path: Any, folder: Path, old: str, new: str) -> Path:
    """The CSL fixture with one text replaced: the next version of the list."""
    text = fixture_path("us_csl/good.csv").read_text(encoding="utf-8")
    assert old in text
    target = folder / "consolidated.csv"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target
