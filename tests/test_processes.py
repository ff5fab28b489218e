"""Forked worker pools: workers start with default signal handlers, and a finished pool exits."""

import signal
from typing import Any

import pytest

from redflags.processes import fork_pool


def _handlers(_n: int) -> tuple[Any, Any]:
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_workers_do_not_inherit_the_parents_sigterm_handler() -> None:
    """A load turns SIGTERM into an exception (``cli.common.stop_on_sigterm``); a worker forked after
    it must still die on terminate(), not handle the signal and wait on the pool's lock."""
    from redflags.cli.common import stop_on_sigterm

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stop_on_sigterm()
    try:
        with fork_pool(2) as pool:
            found = pool.map(_handlers, range(4))
        assert set(found) == {(signal.SIG_DFL, signal.SIG_DFL)}
        with pytest.raises(ZeroDivisionError), fork_pool(2) as pool:  # an error: terminated, not hung
            pool.map(_handlers, range(2))
            raise ZeroDivisionError
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
