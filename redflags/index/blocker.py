"""The index: entity names -> weighted keys -> candidate entities. No scoring here.

Keys per name (see ``name_keys``): each token, each pair of adjacent tokens glued
("hik vision" -> "hikvision") and each token's phonetic key. A query's candidates are
the entities sharing keys with it, ranked by the summed inverse document frequency of
the shared keys, so a shared rare token ("hikvision") outranks any number of shared
generic ones ("technology", "china", "group"). Keys held by more than
``COMMON_SHARE`` of all entities are too generic to retrieve by, but a rare key is
never skipped: whoever shares one with the query is retrieved.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from redflags.normalise.names import NameForm, analyse_name

COMMON_SHARE = 0.02
"""Keys on more than this share of entities do not retrieve candidates on their own."""

GRAM_COMMON_SHARE = 0.012
"""The same for character trigrams (the fallback for words the lists do not contain),
which are far less specific than words: most of a query's retrieval time went to them."""


@dataclass(slots=True)
class Candidate:
    """What the scorer needs of one listed entity."""

    id: str
    schema: str
    caption: str
    datasets: tuple[str, ...]
    lists: tuple[str, ...]
    names: list[tuple[str, NameForm]]  # (property, analysed name)
    countries: frozenset[str]
    identifiers: frozenset[str]
    birth_dates: tuple[str, ...]
    referents: tuple[str, ...] = ()
    sorted_texts: tuple[str, ...] = ()
    """Each name's ``sorted_text``, in ``names`` order: what the character screen reads."""


def name_keys(form: NameForm) -> set[str]:
    words = [w for w in form.words if w]
    keys = {f"t:{w}" for w in words}
    keys.update(f"t:{a}{b}" for a, b in zip(words, words[1:]))
    # glued as written too: "nano tech" -> "nanotech" (the tokens say "nano technology")
    keys.update(f"t:{a.written or a.text}{b.written or b.text}" for a, b in zip(form.tokens, form.tokens[1:])
                if a.written or b.written)
    keys.update(f"p:{metaphone(w)}" for w in words if len(w) >= 4 and not w.isdigit())
    # the other readings of a Chinese name's words (glosses, aliases, pinyin) retrieve too
    keys.update(f"t:{w}" for w in form.alt_words if w)
    return keys


def gram_keys(word: str) -> set[str]:
    """Character trigrams of a word: retrieval for typos and glued words."""
    padded = f"^{word}$"
    return {f"g:{padded[i:i + 3]}" for i in range(len(padded) - 2)}


NAME_PROPS = ("name", "alias", "previousName", "weakAlias")
ID_PROPS = ("registrationNumber", "idNumber", "taxNumber", "passportNumber", "uscCode",
            "innCode", "ogrnCode", "swiftBic", "leiCode", "imoNumber", "isinCode", "dunsCode")


def normalise_identifier(value: str) -> str:
    return "".join(c for c in value.upper() if c.isalnum())


def candidate_from_record(data: dict[str, Any]) -> Candidate:
    props = data.get("properties", {})
    names = [(prop, analyse_name(value)) for prop in NAME_PROPS for value in props.get(prop, [])]
    countries = set()
    for prop in ("country", "nationality", "citizenship", "jurisdiction", "birthCountry"):
        countries.update(props.get(prop, []))
    ids = {normalise_identifier(v) for p in ID_PROPS for v in props.get(p, [])}
    ids.update(normalise_identifier(i["number"]) for i in data.get("identifiers", []))
    return Candidate(
        id=data["id"], schema=data["schema"], caption=data.get("caption", data["id"]),
        datasets=(data.get("dataset", ""),), lists=tuple(data.get("lists", [])), names=names,
        countries=frozenset(countries), identifiers=frozenset(i for i in ids if len(i) >= 4),
        birth_dates=tuple(props.get("birthDate", [])),
        sorted_texts=tuple(form.sorted_text for _p, form in names),
    )


class Index:
    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.entities: list[Candidate] = list(candidates)
        postings: dict[str, list[int]] = defaultdict(list)
        token_df: dict[str, int] = defaultdict(int)
        for number, cand in enumerate(self.entities):
            keys: set[str] = set()
            for _prop, form in cand.names:
                keys |= name_keys(form)
            grams: set[str] = set()
            for key in keys:
                if key.startswith("t:") and len(key) > 5:
                    grams |= gram_keys(key[2:])
            for key in keys | grams:
                postings[key].append(number)
                if key.startswith("t:"):
                    token_df[key[2:]] += 1
            for ident in cand.identifiers:
                postings[f"i:{ident}"].append(number)
        total = max(len(self.entities), 1)
        self.size = total
        # listed words by (length, first two letters) and (length, last two letters): one edit
        # leaves the first two or the last two letters of a word of four or more as they were,
        # so a typo's neighbours are in six small buckets
        self.shapes: dict[tuple[int, str], list[str]] = defaultdict(list)
        for word in token_df:
            if len(word) >= 4 and word.isalpha():
                self.shapes[(len(word), word[:2])].append(word)
                self.shapes[(len(word), "$" + word[-2:])].append(word)
        self.token_idf = {tok: math.log((total + 1) / (df + 0.5)) for tok, df in token_df.items()}
        self.max_idf = math.log((total + 1) / 0.5)
        self.common = max(int(total * COMMON_SHARE), 100)
        self.gram_common = max(int(total * GRAM_COMMON_SHARE), 40)
        # key -> (retrieval weight, entity numbers); keys too common to retrieve by are dropped
        self.lookup: dict[str, tuple[float, np.ndarray]] = {}
        for key, ids in postings.items():
            kind = key[0]
            if kind != "i" and len(ids) > (self.gram_common if kind == "g" else self.common):
                continue
            boost = 3.0 if kind == "i" else 0.3 if kind == "g" else 1.0
            self.lookup[key] = (boost * math.log((total + 1) / (len(ids) + 0.5)), np.array(ids, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.entities)

    def neighbours(self, word: str) -> list[str]:
        """Listed words one edit (OSA: insert, delete, substitute, swap) from ``word``."""
        found: set[str] = set()
        for size in (len(word) - 1, len(word), len(word) + 1):
            for key in ((size, word[:2]), (size, "$" + word[-2:])):
                bucket = self.shapes.get(key)
                if bucket:
                    found.update(text for text, _d, _i in process.extract(word, bucket, scorer=OSA.distance,
                                                                           score_cutoff=1, limit=8))
        return sorted(found)[:8]

    def weight(self, token: str) -> float:
        """How much a token says about identity: its IDF, unseen tokens weigh most."""
        return self.token_idf.get(token, self.max_idf)

    def candidates(self, forms: Iterable[NameForm], identifiers: Iterable[str] = (),
                   limit: int = 30) -> list[tuple[Candidate, float]]:
        keys: set[str] = set()
        for form in forms:
            keys |= name_keys(form)
            for word in form.words:
                # Words the lists do not contain are typos or glued words: go by trigrams, and by
                # the listed words one edit away ("chaks" -> "chaps", "ocrezing" -> "corezing").
                if len(word) >= 5 and word not in self.token_idf:
                    keys |= gram_keys(word)
                    keys.update(f"t:{near}" for near in self.neighbours(word))
        keys.update(f"i:{normalise_identifier(i)}" for i in identifiers)
        lookup = self.lookup
        entries = [entry for entry in map(lookup.get, sorted(keys)) if entry is not None]
        if not entries:
            return []
        # Summed key weights per entity in one C pass; the best ``limit``, ties by entity order.
        ids = np.concatenate([e[1] for e in entries])
        weights = np.repeat(np.array([e[0] for e in entries]), [len(e[1]) for e in entries])
        scores = np.bincount(ids, weights=weights, minlength=self.size)
        hit = np.flatnonzero(scores)
        if len(hit) > limit:
            hit = hit[np.argpartition(-scores[hit], limit - 1)[:limit]]
        best = hit[np.lexsort((hit, -scores[hit]))]
        return [(self.entities[n], float(scores[n])) for n in best.tolist()]
