"""Toneless pinyin of Chinese text, and pinyin in Latin words.

The reading of a character can depend on the word it is in (长 is "chang" in 长沙 and "zhang"
in 长官): a run of characters is cut into CC-CEDICT words, longest first, each read as the
dictionary reads it; the characters between are read as pypinyin's character table reads
them on their own. pypinyin's own phrase table is not loaded (``PYPINYIN_NO_PHRASES``): it
would cost every process that reads a Chinese name a fifth of a second to start, for what
CC-CEDICT's words already say.
"""

import os
import re
from functools import lru_cache

from redflags.normalise import cedict

INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r",
            "z", "c", "s", "y", "w")
"""The initial consonants of pinyin syllables (with y and w, as pypinyin's non-strict initials)."""

_TONE = re.compile(r"\d")


@lru_cache(maxsize=1)
def _table() -> tuple[dict[int, str], object]:
    """pypinyin's character table and its tone-mark remover, without its phrase table."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    return pinyin_dict, lambda reading: convert(reading, Style.NORMAL, strict=True)


@lru_cache(maxsize=65536)
def _char(char: str) -> str:
    """A character's usual reading, toneless ("" for a character without one)."""
    table, toneless = _table()
    reading = table.get(ord(char))
    return str(toneless(reading.split(",")[0])) if reading else ""  # type: ignore[operator]


@lru_cache(maxsize=65536)
def _word(word: str) -> tuple[str, ...] | None:
    """CC-CEDICT's reading of a word, one toneless syllable per character; None if it has none."""
    found = cedict.pinyin_of(word)
    if found is None:
        return None
    syllables = tuple(_TONE.sub("", s.lower().replace("u:", "v")) for s in found)
    return syllables if len(syllables) == len(word) and all(s.isalpha() for s in syllables) else None


@lru_cache(maxsize=65536)
def syllables_of(text: str) -> tuple[str, ...]:
    """The toneless syllables of the Han characters of ``text`` (others are skipped)."""
    out: list[str] = []
    at = 0
    while at < len(text):
        for end in range(min(len(text), at + cedict.longest()), at + 1, -1):
            word = _word(text[at:end])
            if word is not None:
                out.extend(word)
                at = end
                break
        else:
            reading = _char(text[at])
            if reading:
                out.append(reading)
            at += 1
    return tuple(out)


def pinyin(text: str) -> str:
    """Toneless pinyin of ``text``, syllables joined: "海康威视" -> "haikangweishi"."""
    return "".join(syllables_of(text))


@lru_cache(maxsize=65536)
def syllable_initials(text: str) -> tuple[str, ...]:
    """The first sound of each syllable: "海康威视" -> ("h", "k", "w", "sh"); a syllable
    without an initial consonant gives its first letter ("安" -> "a")."""
    return tuple(next((i for i in INITIALS if s.startswith(i)), s[:1]) for s in syllables_of(text))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (about 410): the usual readings of the characters of the
    CJK block, without their tones (each distinct reading converted once)."""
    table, toneless = _table()
    readings = {table[c].split(",")[0] for c in range(0x4E00, 0x9FA6) if c in table}
    return frozenset(s for s in (str(toneless(r)) for r in readings) if s.isalpha())  # type: ignore[operator]


@lru_cache(maxsize=65536)
def pinyin_syllables(word: str, strict: bool = False) -> tuple[str, ...] | None:
    """A Latin word cut into pinyin syllables, longest syllables first ("guangzhou" -> "guang",
    "zhou"); None if it is not pinyin. ``strict``: no syllable but the first starts with a
    vowel, which pinyin would mark with an apostrophe ("she'en"): "sheenrun" is a coined word."""
    syllables = _syllables()

    def cut(start: int) -> tuple[str, ...] | None:
        if start == len(word):
            return ()
        if strict and start and word[start] in "aeo":
            return None
        for end in range(min(len(word), start + 6), start, -1):
            if word[start:end] in syllables:
                rest = cut(end)
                if rest is not None:
                    return (word[start:end], *rest)
        return None

    return cut(0) if word.isalpha() and len(word) <= 40 else None


@lru_cache(maxsize=65536)
def is_pinyin(word: str) -> bool:
    """Whether a Latin word is a Chinese name in pinyin ("nanchang", "dahua": one to three
    syllables), as opposed to a coined brand ("hikvision"; "sensetime" cuts only into four
    odd syllables) or a word of another language ("sheenrun" cuts only with a syllable that
    pinyin sets off with an apostrophe, "she'en")."""
    syllables = pinyin_syllables(word, strict=True)
    return syllables is not None and len(syllables) <= 3
