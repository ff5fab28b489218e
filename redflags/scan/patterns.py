"""Every listed name as a pattern to find in a text, in two Aho-Corasick automatons: one over
the normalised words of Latin-script (and Cyrillic, romanised) text, one over the characters of
Chinese text. Built once per index of the lists (and kept for the process).

A pattern says which parties carry the name and how much the name alone proves: a name of one
short word, or made only of everyday English words ("Arsenal", "Ministry of Defense"), is
*weak* and counts only when something else about the party is near it in the text (its country,
a legal form, another of its names), and so is an acronym of three letters ("MSC"); an acronym
("SMIC", "IRGC") matches only in capitals. Weak aliases of the lists are not patterns at all.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

from redflags.normalise.chinese import HAN, to_simplified

NAME_PROPS = ("name", "alias", "previousName")
MIN_WORD = 4
"""A one-word name shorter than this is a pattern only as an acronym in capitals."""
MIN_HAN = 2


GENERIC = frozenset({"technology", "digital", "group", "holding", "holdings", "development", "industry",
                     "industrial", "science", "network", "information", "intelligent", "system", "electronic",
                     "company", "corporation", "limited", "china", "chinese"})
"""Words a news text leaves out of an organisation's name: "Huawei" for "Huawei Technologies Co.,
Ltd.", "SenseTime" for "SenseTime Group Limited"."""


@dataclass(frozen=True, slots=True)
class Pattern:
    parties: tuple[int, ...]
    """Party numbers in the lists' index."""
    weak: bool
    acronym: bool
    words: int
    short: bool = False
    """A short name: the one distinctive word of an organisation's listed name (place and
    generic words dropped), as the press names it."""


@dataclass
class Patterns:
    latin: Any  # ahocorasick.Automaton over " word word "
    han: Any  # ahocorasick.Automaton over Chinese characters
    latin_count: int
    han_count: int
    common: frozenset[str] = frozenset()
    """Everyday English words (``english_words``), kept with the patterns."""
    vocabulary: frozenset[str] = frozenset()
    """Every word of a Latin pattern (an inflected word of the text is read as one of them)."""


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Everyday English words: those CC-CEDICT's English glosses use in lower case (so a brand
    it mentions, "Huawei", is not one, and "arsenal" is)."""
    from redflags.normalise.cedict import _connection

    words: set[str] = set()
    for (raw,) in _connection().execute("SELECT raw FROM words"):
        for line in raw.split("\n"):
            words.update(re.findall(r"\b[a-z]{2,}\b", line.partition("\t")[2]))
    return frozenset(words)


FORMAT = 5
"""The version of the patterns' layout (and of how they are derived): part of the cache's name."""


def patterns_for(index: Any) -> Patterns:
    """The patterns of the lists' ``index``: read from beside it when they were kept there, else
    built and kept (written atomically; an unreadable file is rebuilt)."""
    import os
    import pickle

    folder = getattr(index.segment, "folder", None)
    if folder is None:
        return build_patterns(index)
    path = folder / f"scan-patterns-{FORMAT}-{ahocorasick.__version__ if hasattr(ahocorasick, '__version__') else 'x'}.pkl"
    try:
        with path.open("rb") as fh:
            patterns = pickle.load(fh)  # noqa: S301 - written by this module into the index's own folder
        if isinstance(patterns, Patterns):
            return patterns
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        pass
    patterns = build_patterns(index)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        with tmp.open("wb") as fh:
            pickle.dump(patterns, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only index folder: built again next time
    return patterns


def build_patterns(index: Any) -> Patterns:
    """The patterns of every name of every party of ``index`` (the lists' index)."""
    common = english_words()
    latin: dict[str, dict[str, Any]] = {}
    han: dict[str, set[int]] = {}
    for number in range(index.size):
        cand = index.entity(number)
        initials = {"".join(w[0] for w in form.words) for _p, form in cand.names if len(form.words) > 1}
        for prop, form in cand.names:
            if prop not in NAME_PROPS:
                continue
            original = form.original.strip()
            if HAN.search(original):
                chars = "".join(c for c in to_simplified(original) if HAN.match(c))
                if len(chars) >= MIN_HAN:
                    han.setdefault(chars, set()).add(number)
                continue
            words = form.words
            if not words:
                continue
            letters = re.sub(r"[\W_]", "", original)
            # an acronym: capitals that are short, or the initials of another of the party's names
            # ("SMIC"); a name the lists merely print in capitals ("HAMAS") is not one
            acronym = len(words) == 1 and letters.isupper() and 2 <= len(letters) <= 6 and \
                (len(letters) <= 4 or words[0] in initials)
            if len(words) == 1 and len(words[0]) < MIN_WORD and not acronym:
                continue
            weak = (len(words) == 1 and not acronym and words[0] in common) or \
                (len(words) > 1 and all(w in common for w in words)) or (acronym and len(letters) <= 3)
            orders = [words]
            # a person in either order: "KIM, Jong Un" as "Jong Un Kim", "AL-ASSAD, Bashar" as "Bashar al-Assad"
            if cand.schema == "Person" and 2 <= len(words) <= 4:
                orders += [(words[-1], *words[:-1]), (*words[1:], words[0])]
            for order in orders:
                key = f" {' '.join(order)} "
                entry = latin.setdefault(key, {"parties": set(), "weak": weak, "acronym": acronym,
                                               "words": len(order)})
                entry["parties"].add(number)
                entry["weak"] = entry["weak"] and weak
                entry["acronym"] = entry["acronym"] and acronym
    for key, parties in short_names(index, common).items():
        if key not in latin:
            latin[key] = {"parties": parties, "weak": False, "acronym": False, "words": 1, "short": True}
    for key in _zh_aliases():
        han.setdefault(key, set())  # a Chinese brand of a party listed in Latin script: the matcher finds whose
    latin_auto = ahocorasick.Automaton()
    for key, entry in latin.items():
        latin_auto.add_word(key, (key, Pattern(tuple(sorted(entry["parties"])), entry["weak"], entry["acronym"],
                                               entry["words"], entry.get("short", False))))
    han_auto = ahocorasick.Automaton()
    for key, parties in han.items():
        han_auto.add_word(key, (key, Pattern(tuple(sorted(parties)), False, False, len(key))))
    if latin:
        latin_auto.make_automaton()
    if han:
        han_auto.make_automaton()
    vocabulary = frozenset(w for key in latin for w in key.split())
    return Patterns(latin_auto, han_auto, len(latin), len(han), common, vocabulary)


def short_name(words: tuple[str, ...], common: frozenset[str]) -> str | None:
    """The one distinctive word of an organisation's name, if it has exactly one: the name
    without its places and generic words, not an everyday word, at least 5 letters."""
    from redflags.normalise.chinese import place_words

    places = place_words()
    rest = [w for w in words if w not in GENERIC and w not in places]
    if len(rest) != 1 or len(words) < 2:
        return None
    word = rest[0]
    if len(word) < 5 or not word.isalpha() or word in common:
        return None
    return word


def short_names(index: Any, common: frozenset[str]) -> dict[str, set[int]]:
    """`` word `` -> the organisations whose listed name (not alias) comes down to that word."""
    out: dict[str, set[int]] = {}
    for number in range(index.size):
        cand = index.entity(number)
        if cand.schema == "Person":
            continue
        for prop, form in cand.names:
            if prop != "name" or HAN.search(form.original):
                continue
            word = short_name(form.words, common)
            if word:
                out.setdefault(f" {word} ", set()).add(number)
    return out


def _zh_aliases() -> dict[str, Any]:
    from redflags.normalise.chinese import DATA
    from redflags.normalise.reference import load_yaml

    data = load_yaml((DATA / "zh_aliases.yml").read_text(encoding="utf-8"))
    return {k: v for k, v in (data.get("aliases") or {}).items() if len(k) >= MIN_HAN}
