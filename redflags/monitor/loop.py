"""``redflags monitor``: update the lists, re-screen what changed, deliver the events; one round
at a time on a machine (a lock file), each (portfolio, version) once whatever runs it."""

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redflags import settings
from redflags.exc import QueryError, RedflagsError

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_every(text: str) -> int:
    found = _EVERY.match(text or "")
    if not found or int(found.group(1)) == 0:
        raise QueryError(f"--every is a number and a unit (s, m, h, d), e.g. 6h, not {text!r}")
    return int(found.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]


@contextmanager
def single() -> Iterator[None]:
    settings.HOME.mkdir(parents=True, exist_ok=True)
    with open(settings.HOME / "monitor.lock", "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RedflagsError("another `redflags monitor` is running on this machine") from exc
        yield


def run_round(store: Any, actor: str, update: bool = True, scheduler: Any = None) -> dict[str, Any]:
    from redflags.monitor.hooks import deliver_pending
    from redflags.monitor.rescreen import rescreen

    lines = []
    if update:
        from redflags import fetch

        try:
            for result in fetch.update(store, actor=actor):
                lines.append(f"update {result.source}: {result.status}")
        except RedflagsError as exc:
            lines.append(f"update failed: {exc}")
    done = rescreen(store, actor, scheduler=scheduler)
    lines.extend(rescreen_lines(done))
    counts = deliver_pending(store)
    lines.append("deliveries: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    return {"rescreened": done, "deliveries": counts, "lines": lines}


def rescreen_lines(done: list[dict[str, Any]]) -> list[str]:
    return [f"re-screen {run['portfolio']} against {run['dataset']} v{run['version']} ({run['kind']}): "
            f"{run['parties_screened']:,} parties screened for "
            f"{'all' if run['changed_records'] is None else run['changed_records']} changed records; "
            f"{run['alert_rows']:,} alert, {run['review_required']:,} review required, {run['delisted']:,} delisted, "
            f"in {run['seconds']} s" for run in done]
