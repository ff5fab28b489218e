"""Which listed records are the same party: merged by the publishers' own identifiers, never by
name, and by the judgements an analyst recorded (``redflags lists link`` / ``unlink``).

``parties(records, judgements)`` gives the parties; the index makes one hit of each.
"""

from redflags.resolve.keys import publisher_keys
from redflags.resolve.parties import Party, merged, parties

__all__ = ["Party", "merged", "parties", "publisher_keys"]
