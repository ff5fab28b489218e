"""Building the index: records -> parties -> prepared parties -> the arrays of a ``Segment``.

Preparing a party (merging its records, analysing its names, encoding it, listing its keys) is
most of the work and independent per party: with ``workers`` it runs in forked processes, a
slice of the parties each, and the parent assembles the arrays.
"""

import math
import multiprocessing as mp
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson

from redflags.index.candidate import Candidate, RecordFacts, candidate_from_record, encode
from redflags.index.keys import fingerprint, gram_keys, name_keys
from redflags.index.segment import Segment
from redflags.processes import fork_pool
from redflags.resolve import Party, merged, parties

COMMON_SHARE = 0.02
"""Keys on more than this share of parties do not retrieve candidates on their own."""

GRAM_COMMON_SHARE = 0.012
"""The same for character trigrams (the fallback for words the lists do not contain),
which are far less specific than words: most of a query's retrieval time went to them."""

TEXT_SEP = "\x1f"

PARALLEL_FROM = 5000
"""Fewer parties than this are prepared in the building process: forking costs more."""

Dates = tuple[str | None, str | None, str | None]


class Prepared(NamedTuple):
    """One party, ready for the arrays."""

    payload: bytes
    texts: bytes
    keys: tuple[str, ...]
    properties: bytes
    referents: int


def thresholds(size: int) -> tuple[int, int]:
    """How many parties a word key, and a trigram key, may hold and still retrieve."""
    return max(int(size * COMMON_SHARE), 100), max(int(size * GRAM_COMMON_SHARE), 40)


def candidate_of(party: Party, dates: Mapping[str, Any]) -> tuple[Candidate, dict[str, Any]]:
    """The candidate of a party (its records merged, see ``resolve``) and its merged record."""
    data = merged(party)
    facts = tuple(RecordFacts.of(r) for r in party.records) if len(party.records) > 1 else ()
    return candidate_from_record(data, facts, _party_dates(party.referents, dates)), data


def candidate_keys(cand: Candidate) -> set[str]:
    """Everything a party is retrieved by (``keys.py``)."""
    keys: set[str] = set()
    for _prop, form in cand.names:
        keys |= name_keys(form)
    grams: set[str] = set()
    for key in keys:
        if key.startswith("t:") and len(key) > 5:
            grams |= gram_keys(key[2:])
    keys |= grams
    keys.update(f"i:{ident}" for ident in cand.identifiers)
    keys.update(f"e:{ref}" for ref in {cand.id, *cand.referents})
    return keys


def prepare(party: Party, dates: Mapping[str, Any]) -> Prepared:
    cand, data = candidate_of(party, dates)
    return Prepared(encode(cand), TEXT_SEP.join(cand.sorted_texts).encode("utf-8"), tuple(candidate_keys(cand)),
                    orjson.dumps(data.get("properties") or {}), len(cand.referents))


_FORKED: tuple[list[Party], Mapping[str, Any]] | None = None


def _prepare_slice(bounds: tuple[int, int]) -> list[Prepared]:
    assert _FORKED is not None
    found, dates = _FORKED
    return [prepare(party, dates) for party in found[bounds[0]:bounds[1]]]


def prepare_all(found: list[Party], dates: Mapping[str, Any], workers: int = 0) -> list[Prepared]:
    """Every party prepared, in order: in ``workers`` forked processes when there are many."""
    global _FORKED
    if (workers <= 1 or len(found) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods()
            or mp.current_process().daemon):  # a pool's worker (Dask's, say) may not have processes of its own
        return [prepare(party, dates) for party in found]
    size = math.ceil(len(found) / (workers * 4))
    bounds = [(start, min(start + size, len(found))) for start in range(0, len(found), size)]
    _FORKED = (found, dates)
    try:
        with fork_pool(workers) as pool:
            return [item for part in pool.map(_prepare_slice, bounds) for item in part]
    finally:
        _FORKED = None


def build(records: Iterable[dict[str, Any]], judgements: Iterable[dict[str, Any]] = (),
          dates: Mapping[str, Any] | None = None, workers: int = 0, keep_common: bool = False) -> Segment:
    """The index of ``records`` (stored record dicts): one party per listed party. With
    ``keep_common`` every word retrieves, however many parties have it (a portfolio's index,
    searched for the parties a listed name could concern: all of them count)."""
    records = list(records)
    found = parties(records, judgements)
    return assemble(prepare_all(found, dates or {}, workers), len(records), keep_common)


def build_lists(records: Iterable[dict[str, Any]], judgements: Iterable[dict[str, Any]] = (),
                dates: Mapping[str, Any] | None = None, workers: int = 0) -> Segment:
    """The index of the lists' records: the linked parties they state (a brand, an owned company on
    no list) are kept apart, as links in the index's metadata, not screened as listed parties."""
    from redflags.links import from_records, link_to_dict

    records = list(records)
    links, only = from_records(records)
    segment = build([r for r in records if r["id"] not in only] if only else records, judgements, dates, workers)
    if links:
        segment.meta["links"] = [link_to_dict(link) for link in links]
    return segment


def _party_dates(ids: Sequence[str], dates: Mapping[str, Any]) -> Dates:
    """yente's dates of a party: first seen at the earliest of its records, last seen and last
    changed at the latest."""
    known = [dates[i] for i in ids if i in dates]
    if not known:
        return (None, None, None)
    firsts = [d[0] for d in known if d[0]]
    lasts = [d[1] for d in known if d[1]]
    changes = [d[2] for d in known if d[2]]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None, max(changes) if changes else None)


def assemble(prepared: list[Prepared], records: int, keep_common: bool = False) -> Segment:
    """The arrays of an index over the prepared parties (party number = position in the list)."""
    size = len(prepared)
    postings: dict[str, list[int]] = defaultdict(list)
    for number, item in enumerate(prepared):
        for key in item.keys:
            postings[key].append(number)
    common, gram_common = thresholds(size)
    if keep_common:
        common = size
    seed, ordered = _fingerprints(list(postings))
    key_fp = np.fromiter((fp for fp, _k in ordered), dtype=np.uint64, count=len(ordered))
    key_df = np.fromiter((len(postings[k]) for _fp, k in ordered), dtype=np.int32, count=len(ordered))
    kept = [postings[k] if k[0] in "ie" or len(postings[k]) <= (gram_common if k[0] == "g" else common) else []
            for _fp, k in ordered]
    key_start = _offsets(len(p) for p in kept)
    flat = np.fromiter((n for p in kept for n in p), dtype=np.int32, count=int(key_start[-1]))

    # listed words by (length, first two letters) and (length, last two letters): one edit
    # leaves the first two or the last two letters of a word of four or more as they were, so
    # a typo's neighbours are in six small buckets
    words = sorted(k[2:] for k in postings if k[0] == "t" and len(k) >= 6 and k[2:].isalpha())
    shapes: dict[str, list[int]] = defaultdict(list)
    for number, word in enumerate(words):
        shapes[shape_key(len(word), word[:2])].append(number)
        shapes[shape_key(len(word), "$" + word[-2:])].append(number)
    shape_order = sorted((fingerprint(k, seed), k) for k in shapes)
    shape_fp = np.fromiter((fp for fp, _k in shape_order), dtype=np.uint64, count=len(shape_order))
    shape_start = _offsets(len(shapes[k]) for _fp, k in shape_order)
    shape_words = np.fromiter((n for _fp, k in shape_order for n in shapes[k]), dtype=np.int32,
                              count=int(shape_start[-1]))
    word_blob, word_off = _blob([w.encode("utf-8") for w in words])
    party_blob, party_off = _blob([p.payload for p in prepared])
    text_blob, text_off = _blob([p.texts for p in prepared])
    prop_blob, prop_off = _blob([p.properties for p in prepared])
    arrays: dict[str, np.ndarray] = {
        "key_fp": key_fp, "key_df": key_df, "key_start": key_start, "postings": flat, "word_blob": word_blob,
        "word_off": word_off, "shape_fp": shape_fp, "shape_start": shape_start, "shape_words": shape_words,
        "party_blob": party_blob, "party_off": party_off, "text_blob": text_blob, "text_off": text_off,
        "prop_blob": prop_blob, "prop_off": prop_off}
    merged_parties = [p.referents for p in prepared if p.referents > 1]
    meta = {"seed": seed, "parties": size, "records": records, "merged_parties": len(merged_parties),
            "merged_records": sum(merged_parties)}
    return Segment(arrays, meta)


def shape_key(length: int, letters: str) -> str:
    return f"s:{length}:{letters}"


def _fingerprints(keys: list[str]) -> tuple[int, list[tuple[int, str]]]:
    """The keys by fingerprint, with the first seed under which no two keys share one."""
    for seed in range(64):
        ordered = sorted((fingerprint(k, seed), k) for k in keys)
        if all(a[0] != b[0] for a, b in zip(ordered, ordered[1:])):
            return seed, ordered
    raise RuntimeError("no seed separates the index keys")  # pragma: no cover - 2**-64 per pair


def _offsets(sizes: Iterable[int]) -> np.ndarray:
    counts = np.fromiter(sizes, dtype=np.int64)
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _blob(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    blob = np.frombuffer(b"".join(parts), dtype=np.uint8) if parts else np.zeros(0, dtype=np.uint8)
    return blob, _offsets(len(p) for p in parts)


def idf(size: int, df: int) -> float:
    return math.log((size + 1) / (df + 0.5))
