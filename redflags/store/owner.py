"""Which process is loading a version, and whether it is still alive.

A version being loaded names its process as ``host:pid:start`` (the process start time in
clock ticks, so that a pid reused after a crash is not taken for the loader). A later load
or ``lists status`` on the same host marks the versions of dead loaders failed; versions
loaded on another host are left to that host.
"""

import os
import socket
from functools import lru_cache


def _start_ticks(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count from its end
    return stat.rsplit(")", 1)[1].split()[19]


@lru_cache(maxsize=1)
def current() -> str:
    """This process, as ``host:pid:start``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or '-'}"


def is_dead(owner: str | None) -> bool:
    """Whether ``owner`` was a process of this host that no longer runs. Unknown or other
    hosts' owners are not judged."""
    if not owner:
        return False
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid_text, start = parts
    if host != socket.gethostname() or not (pid_text.isascii() and pid_text.isdigit()):
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return start != "-" and _start_ticks(pid) not in (None, start)
