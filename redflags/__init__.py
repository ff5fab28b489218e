"""redflags: restricted-party and human-rights due-diligence screening.

Library entry points: ``load`` lists in, ``match`` a party against them, ``compare`` two names.
"""

from redflags.exc import RedflagsError
from redflags.ingest import load
from redflags.model import Record
from redflags.screen.api import compare, match
from redflags.store import Store, open_store

__version__ = "0.1.0"
__all__ = ["RedflagsError", "Record", "Store", "compare", "load", "match", "open_store",
           "__version__"]
