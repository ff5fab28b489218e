"""Per-key rate limits: a token bucket per API key, shared by every server process.

``redflags serve --workers N`` runs N processes behind one socket, and the kernel hands each
connection to any of them. A bucket per process would let a key make N times its limit, so
the buckets live in a small file that every process maps into memory, and a process updates
one under an exclusive ``flock`` (two system calls a request). One process alone keeps them
in a dict.
"""

import fcntl
import hashlib
import mmap
import os
import threading
from collections.abc import Callable
from pathlib import Path

Bucket = tuple[float, float]
"""(tokens left, when they were counted on the monotonic clock, which all processes share)"""

SLOTS = 4096
"""Keys the shared table holds at once; when more are in use it starts afresh (full buckets)."""
_FIELDS = 3  # tag, tokens, time
_EMPTY = 0.0


class MemoryBuckets:
    def __init__(self) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def update(self, key_id: str, step: Callable[[Bucket | None], Bucket]) -> None:
        with self._lock:
            self._buckets[key_id] = step(self._buckets.get(key_id))


class FileBuckets:
    """Buckets in a memory-mapped file: an open-addressing table of (tag, tokens, time) doubles."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._pid = -1
        self._open()

    def _open(self) -> None:
        """Open the file in this process. A process forked from one that had it open opens it
        again: ``flock`` is per open file description, and a fork shares its parent's."""
        if self._pid == os.getpid():
            return
        self._fd = os.open(self.path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, SLOTS * _FIELDS * 8)
        self._table = memoryview(self._map).cast("d")
        self._lock = threading.Lock()  # flock is per open file: threads of one process need their own lock
        self._pid = os.getpid()

    @staticmethod
    def create(path: str | Path) -> Path:
        """A new, empty table file."""
        with open(path, "wb") as f:
            f.write(bytes(SLOTS * _FIELDS * 8))
        return Path(path)

    @staticmethod
    def _tag(key_id: str) -> float:
        # 48 bits: exact in a double, and never the empty tag.
        return float(int.from_bytes(hashlib.blake2b(key_id.encode(), digest_size=6).digest(), "big") + 1)

    def _slot(self, tag: float) -> int:
        table = self._table
        start = int(tag) % SLOTS
        for probe in range(SLOTS):
            slot = (start + probe) % SLOTS
            found = table[slot * _FIELDS]
            if found == tag:
                return slot
            if found == _EMPTY:
                table[slot * _FIELDS] = tag
                table[slot * _FIELDS + 1] = -1.0  # no bucket yet
                return slot
        for i in range(SLOTS * _FIELDS):  # full: start afresh
            table[i] = _EMPTY
        return self._slot(tag)

    def update(self, key_id: str, step: Callable[[Bucket | None], Bucket]) -> None:
        tag = self._tag(key_id)
        self._open()
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                base = self._slot(tag) * _FIELDS
                tokens = self._table[base + 1]
                state = None if tokens < 0 else (tokens, self._table[base + 2])
                self._table[base + 1], self._table[base + 2] = step(state)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._table.release()
        self._map.close()
        os.close(self._fd)


class RateLimiter:
    """``per_minute`` requests a minute per key, in bursts of up to as many; 0 means no limit."""

    def __init__(self, per_minute: int, shared_file: str | Path | None = None) -> None:
        self.per_minute = per_minute
        self.buckets: MemoryBuckets | FileBuckets = FileBuckets(shared_file) if shared_file else MemoryBuckets()

    def take(self, key_id: str, now: float) -> float:
        """0 when the request may go ahead, else the seconds until one would."""
        if self.per_minute <= 0:
            return 0.0
        most = float(self.per_minute)
        rate = most / 60.0
        wait = 0.0

        def step(state: Bucket | None) -> Bucket:
            nonlocal wait
            tokens, last = state if state is not None else (most, now)
            tokens = min(most, tokens + max(0.0, now - last) * rate)
            if tokens < 1.0:
                wait = (1.0 - tokens) / rate
                return tokens, now
            return tokens - 1.0, now

        self.buckets.update(key_id, step)
        return wait
