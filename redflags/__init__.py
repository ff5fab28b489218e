"""redflags: restricted-party and human-rights due-diligence screening.

Library entry points: ``load`` lists in, ``match`` a party against them, ``compare`` two names,
``screen_file`` a file of parties.
"""

from redflags.batch import screen_file
from redflags.exc import RedflagsError
from redflags.ingest import load
from redflags.model import Record
from redflags.screen.api import compare, match
from redflags.store import Store, open_store

__version__ = "0.1.0"
__all__ = ["RedflagsError", "Record", "Store", "compare", "load", "match", "open_store", "screen_file",
           "__version__"]
