"""The index at query time: party names -> weighted keys -> candidate parties. No scoring here.

A query's candidates are the parties sharing keys with it (``keys.py``), ranked by the summed
inverse document frequency of the shared keys, so a shared rare token ("hikvision") outranks
any number of shared generic ones ("technology", "china", "group"). Keys held by more than
``COMMON_SHARE`` of all parties are too generic to retrieve by, but a rare key is never
skipped: whoever shares one with the query is retrieved.

Everything is read from the arrays of a ``Segment`` (mapped from disk, or just built): a
party's names and facts are decoded only when a query scores it.
"""

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from redflags.index.build import TEXT_SEP, idf, shape_key, thresholds
from redflags.index.candidate import Candidate, decode
from redflags.index.keys import fingerprint, gram_keys, name_keys, normalise_identifier
from redflags.index.segment import Segment
from redflags.normalise.names import NameForm

BOOST = {"i": 3.0, "g": 0.3}
"""Retrieval weight of a key kind against a word key (1.0): identifiers count most."""

DECODED = 8192
"""Parties kept decoded per process (a batch meets the same candidates again and again)."""


def _ints(array: np.ndarray) -> Any:
    """A view of an integer array whose items are Python ints, fast to index one at a time."""
    view: Any = np.ascontiguousarray(array).data
    return view.cast("B").cast(array.dtype.char)


def _bytes(array: np.ndarray) -> memoryview:
    """A view of a byte array: slices of it are cheap, ``bytes()`` of a slice copies only it."""
    return np.ascontiguousarray(array).data


class Index:
    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        # plain views of the mapped arrays: slicing a ``np.memmap`` makes a memmap object each time
        a = {name: array.view(np.ndarray) for name, array in segment.arrays.items()}
        self.size = int(segment.meta.get("parties", len(a["party_off"]) - 1))
        self.seed = int(segment.meta.get("seed", 0))
        self.max_idf = math.log((self.size + 1) / 0.5)
        self.common, self.gram_common = thresholds(self.size)
        self._fp, self._df, self._start, self._postings = a["key_fp"], a["key_df"], a["key_start"], a["postings"]
        self._df_at, self._start_at = _ints(a["key_df"]), _ints(a["key_start"])
        self._party = (_bytes(a["party_blob"]), _ints(a["party_off"]))
        self._text = (_bytes(a["text_blob"]), _ints(a["text_off"]))
        self._prop = (_bytes(a["prop_blob"]), _ints(a["prop_off"]))
        self._words = (_bytes(a["word_blob"]), _ints(a["word_off"]))
        self._shape = (a["shape_fp"], _ints(a["shape_start"]), _ints(a["shape_words"]))
        self._weights: dict[str, float] = {}
        self._buckets: dict[int, list[str]] = {}
        self.entity = lru_cache(maxsize=DECODED)(self._decode)
        self.texts = lru_cache(maxsize=DECODED * 8)(self._texts)

    def __len__(self) -> int:
        return self.size

    @property
    def stats(self) -> dict[str, Any]:
        """How many records were merged into how many parties (see ``build``)."""
        return dict(self.segment.meta)

    # --- keys ---------------------------------------------------------------------------

    def _find(self, keys: list[str]) -> np.ndarray:
        """The row of each key in the key arrays, -1 where the index has no such key."""
        if not keys:
            return np.zeros(0, dtype=np.int64)
        fps = np.fromiter((fingerprint(k, self.seed) for k in keys), dtype=np.uint64, count=len(keys))
        rows = np.searchsorted(self._fp, fps)
        rows[rows >= len(self._fp)] = 0
        found = self._fp[rows] == fps if len(self._fp) else np.zeros(len(keys), dtype=bool)
        return np.where(found, rows, -1)

    def _row(self, key: str) -> int:
        return int(self._find([key])[0])

    def df(self, token: str) -> int | None:
        """How many parties hold ``token`` (None: no listed name has it)."""
        row = self._row(f"t:{token}")
        return None if row < 0 else self._df_at[row]

    def weight(self, token: str) -> float:
        """How much a token says about identity: its IDF, unseen tokens weigh most."""
        value = self._weights.get(token)
        if value is None:
            df = self.df(token)
            value = self.max_idf if df is None else idf(self.size, df)
            if len(self._weights) < 500_000:
                self._weights[token] = value
        return value

    def neighbours(self, word: str) -> list[str]:
        """Listed words one edit (OSA: insert, delete, substitute, swap) from ``word``."""
        shape_fp, starts, members = self._shape
        blob, offsets = self._words
        found: set[str] = set()
        for size in (len(word) - 1, len(word), len(word) + 1):
            for letters in (word[:2], "$" + word[-2:]):
                fp = fingerprint(shape_key(size, letters), self.seed)
                row = int(np.searchsorted(shape_fp, np.uint64(fp)))
                if row >= len(shape_fp) or int(shape_fp[row]) != fp:
                    continue
                bucket = self._buckets.get(row)
                if bucket is None:  # decoded once per process: typos meet the same shapes again and again
                    bucket = self._buckets[row] = [bytes(blob[offsets[n]:offsets[n + 1]]).decode("utf-8")
                                                   for n in (members[i] for i in range(starts[row], starts[row + 1]))]
                found.update(text for text, _d, _i in process.extract(word, bucket, scorer=OSA.distance,
                                                                       score_cutoff=1, limit=8))
        return sorted(found)[:8]

    # --- retrieval ----------------------------------------------------------------------

    def common_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` too common here to retrieve on their own (see ``thresholds``)."""
        ordered = sorted(keys)
        out = set()
        for key, row in zip(ordered, self._find(ordered).tolist(), strict=True):
            if row >= 0 and key[0] not in "ie" and self._df_at[row] > (self.gram_common if key[0] == "g" else self.common):
                out.add(key)
        return out

    def candidates(self, forms: Iterable[NameForm], identifiers: Iterable[str] = (),
                   limit: int = 30, skip: Iterable[str] = (), grams: bool = True,
                   typos: bool = False) -> list[tuple[int, float]]:
        """The ``limit`` best-retrieved parties, as (party number, retrieval score), best first;
        the ``skip`` keys are not looked up, nor trigrams without ``grams`` (words one edit away
        still are). With ``typos`` the words one edit away are looked up for every word, not only
        for those the index does not have (its parties may carry the typos)."""
        keys: set[str] = set()
        words: set[str] = set()
        for form in forms:
            keys |= name_keys(form)
            words.update(w for w in form.words if len(w) >= 5)
        keys -= set(skip)
        keys.update(f"i:{normalise_identifier(i)}" for i in identifiers)
        ordered = sorted(keys)
        rows = self._find(ordered).tolist()
        known = {key[2:] for key, row in zip(ordered, rows) if row >= 0 and key[0] == "t"}
        # Words the lists do not contain are typos or glued words: go by trigrams, and by the
        # listed words one edit away ("chaks" -> "chaps", "ocrezing" -> "corezing").
        extra: set[str] = set()
        for word in sorted(words if typos else words - known):
            if grams and word not in known:
                extra |= gram_keys(word)
            extra.update(f"t:{near}" for near in self.neighbours(word))
        extra -= keys
        if extra:
            more = sorted(extra)
            ordered += more
            rows += self._find(more).tolist()
        hits = [(key, row) for key, row in zip(ordered, rows) if row >= 0]
        spans = [(self._start_at[row], self._start_at[row + 1], key[0], self._df_at[row]) for key, row in hits]
        spans = [s for s in spans if s[1] > s[0]]
        if not spans:
            return []
        # Summed key weights per party in one C pass; the best ``limit``, ties by party order.
        ids = np.concatenate([self._postings[start:end] for start, end, _k, _df in spans])
        weights = np.repeat(np.array([BOOST.get(kind, 1.0) * idf(self.size, df) for _s, _e, kind, df in spans]),
                            [end - start for start, end, _k, _df in spans])
        scores = np.bincount(ids, weights=weights, minlength=self.size)
        hit = np.flatnonzero(scores)
        if len(hit) > limit:
            hit = hit[np.argpartition(-scores[hit], limit - 1)[:limit]]
        best = hit[np.lexsort((hit, -scores[hit]))]
        return [(n, float(scores[n])) for n in best.tolist()]

    # --- parties ------------------------------------------------------------------------

    def _texts(self, number: int) -> tuple[str, ...]:
        """The sorted texts of a party's names (what the character screen reads)."""
        blob, offsets = self._text
        text = bytes(blob[offsets[number]:offsets[number + 1]]).decode("utf-8")
        return tuple(text.split(TEXT_SEP)) if text else ()

    def _decode(self, number: int) -> Candidate:
        blob, offsets = self._party
        return decode(bytes(blob[offsets[number]:offsets[number + 1]]), self.texts(number))

    def properties_json(self, number: int) -> bytes:
        """A party's properties, as the JSON that goes into API responses."""
        blob, offsets = self._prop
        return bytes(blob[offsets[number]:offsets[number + 1]])

    def number(self, record_id: str) -> int | None:
        """The party a record id (its own, or any it was merged from) belongs to."""
        row = self._row(f"e:{record_id}")
        if row < 0:
            return None
        start, end = self._start_at[row], self._start_at[row + 1]
        return int(self._postings[start]) if end > start else None

    def __iter__(self) -> Any:
        return (self.entity(n) for n in range(self.size))
