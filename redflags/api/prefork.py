"""``redflags serve --workers N``: N server processes forked from one that loaded everything.

The parent opens the store, maps the index, builds the app and answers one query of each kind
(so that the matcher's tables and dictionaries are loaded), then forks the workers: they share
those pages with it instead of each importing and loading its own copy, and they share the
index's mapped pages through the operating system. Each worker runs its own uvicorn server on
the socket the parent bound (the kernel spreads connections over them), its own index refresh
and its own match helpers.

The parent only supervises: a worker that dies is replaced; SIGTERM or SIGINT stops the
workers (each finishes its requests) and then the parent. A worker whose parent is gone (killed
with SIGKILL, say) stops by itself.
"""

import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

log = logging.getLogger("redflags.api")

STOP_SECONDS = 20.0
"""How long stopping workers may take before they are killed."""
RESPAWN_SECONDS = 1.0
"""The least time between two replacements of dead workers (a worker that dies at start must
not make the parent fork in a tight loop)."""


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(config: uvicorn.Config, workers: int, warm: Callable[[], Any] = lambda: None) -> None:
    """Serve ``config.app`` from ``workers`` forked processes until SIGTERM or SIGINT."""
    sock = config.bind_socket()
    config.load()
    warm()
    gc.collect()
    gc.freeze()  # the loaded objects are never collected: keep the collector off their pages
    parent = os.getpid()
    children: set[int] = set()
    stopping = threading.Event()

    def fork() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _watch_parent(parent)
            try:
                uvicorn.Server(config).run(sockets=[sock])
            finally:
                os._exit(0)
        children.add(pid)

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        fork()
    log.info("serving from %d worker processes: %s", workers, ", ".join(map(str, sorted(children))))
    last_respawn = 0.0
    while not stopping.is_set():
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid = 0
        if pid and pid in children:
            children.discard(pid)
            if not stopping.is_set():
                time.sleep(max(0.0, RESPAWN_SECONDS - (time.monotonic() - last_respawn)))
                last_respawn = time.monotonic()
                log.warning("worker %d stopped; starting another", pid)
                fork()
        stopping.wait(0.2)
    for pid in children:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while children and time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            children.discard(pid)
        else:
            time.sleep(0.05)
    for pid in children:
        _signal(pid, signal.SIGKILL)
    sock.close()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
