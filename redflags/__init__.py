"""redflags: restricted-party and human-rights due-diligence screening.

Library entry points: ``load`` lists in, ``match`` a party against them, ``compare`` two names,
``screen_file`` a file of parties, ``scan`` documents for the listed parties they mention. They
are imported on first use (``redflags.match`` does not pay for the loaders' data model), which
keeps every command's start quick.
"""

from typing import Any as _Any

from redflags import settings
from redflags.exc import RedflagsError
from redflags.normalise import cedict as _cedict

_cedict.CACHE_DIR = settings.HOME / "cache"  # the dictionary's lookup table, built on first use

__version__ = "0.1.0"

_ENTRY_POINTS = {"screen_file": "redflags.batch", "load": "redflags.ingest", "Record": "redflags.model",
                 "compare": "redflags.screen.api", "match": "redflags.screen.api", "Store": "redflags.store",
                 "open_store": "redflags.store"}


def __getattr__(name: str) -> _Any:
    if name == "scan":  # a package that is called as its function: redflags.scan(paths)
        import importlib

        return importlib.import_module("redflags.scan")
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'redflags' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ENTRY_POINTS) | {"scan"})


__all__ = ["RedflagsError", "Record", "Store", "compare", "load", "match", "open_store", "scan", "screen_file",
           "__version__"]
