"""redflags: restricted-party and human-rights due-diligence screening.

Library entry points for getting lists in; matching and screening follow.
"""

from redflags.exc import RedflagsError
from redflags.ingest import load
from redflags.model import Record
from redflags.store import Store, open_store

__version__ = "0.1.0"
__all__ = ["RedflagsError", "Record", "Store", "load", "open_store", "__version__"]
