"""Review: what was screened, the alerts it raised, and the analysts' decisions on them.

A *party* is a screened counterparty (its key: the input id within a portfolio or file, else a
hash of its properties); each *screening* of it is kept with the list versions and matcher it
ran against; an *alert* is (party, listed party); a *decision* on it is append-only. A party
cleared as a false positive is reported ``suppressed`` on later screenings while neither side
changed, and ``review_required``, with what changed, as soon as one did.

Works on a ``Store``, without HTTP or click: the CLI and the API only parse, call and render.
"""

from redflags.review.alerts import alert_detail, list_alerts, neighbours
from redflags.review.assign import assign
from redflags.review.config import DEFAULTS, get_config, set_config
from redflags.review.decide import approve, decide
from redflags.review.record import Recorder, record_match

__all__ = ["DEFAULTS", "Recorder", "alert_detail", "approve", "assign", "decide", "get_config", "list_alerts", "neighbours",
           "record_match", "set_config"]
