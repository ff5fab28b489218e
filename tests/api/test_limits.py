"""Rate-limit buckets: in one process, and shared through a mapped file by several."""

from pathlib import Path

import pytest

from redflags.api.limits import SLOTS, FileBuckets, RateLimiter


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return FileBuckets.create(tmp_path / "buckets")


def test_two_processes_share_one_bucket_per_key(table: Path) -> None:
    # Two limiters over one file stand for two server processes (each opens the file itself,
    # as the processes of `redflags serve --workers 2` do).
    a, b = RateLimiter(5, table), RateLimiter(5, table)
    waits = [(a if n % 2 else b).take("k1", now=100.0) for n in range(8)]
    assert [w == 0 for w in waits] == [True] * 5 + [False] * 3
    assert waits[5] == pytest.approx(12.0)  # 5 a minute: the next token in 12 s
    assert a.take("k2", now=100.0) == 0  # another key has its own bucket
    assert b.take("k1", now=106.0) > 0 and a.take("k1", now=112.5) == 0  # refilled at 5 a minute
    assert b.take("k1", now=112.6) > 0


def test_same_answers_in_memory_and_in_the_file(table: Path) -> None:
    memory, shared = RateLimiter(3), RateLimiter(3, table)
    times = [0.0, 0.1, 0.2, 0.3, 20.0, 20.1, 40.5, 100.0, 100.0, 100.0, 100.0]
    assert [memory.take("k", t) for t in times] == [shared.take("k", t) for t in times]


def test_a_full_table_starts_afresh(table: Path) -> None:
    limiter = RateLimiter(1, table)
    assert limiter.take("first", now=0.0) == 0 and limiter.take("first", now=0.0) > 0
    for n in range(SLOTS):
        limiter.take(f"key{n}", now=0.0)
    # the table filled up and was cleared: every key, the first too, has a full bucket again
    assert limiter.take("first", now=0.0) == 0


def test_zero_means_no_limit(table: Path) -> None:
    assert all(RateLimiter(0, table).take("k", now=0.0) == 0 for _ in range(100))
