"""redflags: restricted-party and human-rights due-diligence screening.

Library entry points: ``load`` lists in, ``match`` a party against them, ``compare`` two names,
``screen_file`` a file of parties.
"""

from redflags import settings
from redflags.normalise import cedict as _cedict

_cedict.CACHE_DIR = settings.HOME / "cache"  # the dictionary's lookup table, built on first use

from redflags.batch import screen_file  # noqa: E402
from redflags.exc import RedflagsError  # noqa: E402
from redflags.ingest import load  # noqa: E402
from redflags.model import Record  # noqa: E402
from redflags.screen.api import compare, match  # noqa: E402
from redflags.store import Store, open_store  # noqa: E402

__version__ = "0.1.0"
__all__ = ["RedflagsError", "Record", "Store", "compare", "load", "match", "open_store", "screen_file",
           "__version__"]
