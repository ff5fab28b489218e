"""Monitoring: events announced when alerts open, need review or are decided and when a list
changes, and their delivery to webhooks (signed, retried, in order per portfolio, dead-lettered).

Events are an outbox: each is written in the transaction of the change it announces, so none is
lost or announced for a change that was rolled back. Delivery reads the outbox afterwards.
Works on a ``Store``, without HTTP or click.
"""

from redflags.monitor.events import EVENT_KINDS, emit
from redflags.monitor.hooks import add_hook, deliver_pending, deliveries, hooks, ping_hook, remove_hook, sign

__all__ = ["EVENT_KINDS", "add_hook", "deliver_pending", "deliveries", "emit", "hooks", "remove_hook", "sign",
           "ping_hook"]
