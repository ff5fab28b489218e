"""Contracts: public exports, documented settings, declared formats."""

import re
from pathlib import Path

import redflags
from redflags import settings
from redflags.sources.formats import FORMATS

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_all_matches_exports() -> None:
    public = {n for n in dir(redflags) if not n.startswith("_")} - {
        "exc", "ingest", "model", "store", "settings", "sources", "normalise", "fetch", "cli",
        "screen", "index", "batch", "api", "archives", "resolve", "audit", "review", "monitor", "links", "web", "processes"}
    assert set(redflags.__all__) - {"__version__"} == public


def test_every_setting_is_documented() -> None:
    source = Path(settings.__file__).read_text()
    names = set(re.findall(r'_env_(?:str|int)\("(REDFLAGS_[A-Z_]+)"', source))
    assert names, "settings are read through _env_str/_env_int"
    for name in names:
        assert f"`{name}`" in README, f"{name} missing from the README settings table"


def test_every_format_is_documented() -> None:
    for name in FORMATS:
        assert f"`{name}`" in README, f"format {name} missing from the README"
