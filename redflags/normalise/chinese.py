"""Chinese organisation names to comparable Latin tokens.

Order: Traditional -> Simplified (OpenCC ``t2s``); then a longest-match segmentation
against the dictionary in ``data/zh_words.yml`` (legal forms, generic words, places);
each dictionary word becomes its English word(s), and every run of characters between
dictionary words becomes one pinyin token (syllables joined, no tones), the way the
lists romanise brand names ("大华" -> "dahua"). Place suffixes (省 市 区 县) after a place
are dropped: "北京市" is "beijing".
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "zh_words.yml"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PLACE_SUFFIXES = "省市区县"


@dataclass(frozen=True, slots=True)
class ZhToken:
    text: str  # the Simplified characters
    latin: tuple[str, ...]  # comparable Latin words
    kind: str  # "legal" | "generic" | "place" | "pinyin"


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


@lru_cache(maxsize=1)
def _converter() -> "object":
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, tuple[tuple[str, ...], str]], int]:
    with open(DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    words: dict[str, tuple[tuple[str, ...], str]] = {}
    for word, code in data["legal"].items():
        words[word] = ((code,), "legal")
    for word, english in data["generic"].items():
        words[word] = (tuple(english), "generic")
    for word, english in data["place"].items():
        words[word] = (tuple(english.split()), "place")
    return words, max(len(w) for w in words)


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """The Latin forms of the dictionary's places ("shenzhen", "jiangsu")."""
    return frozenset(w for words, kind in _dictionary()[0].values() if kind == "place" for w in words)


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))  # type: ignore[attr-defined]


def pinyin(text: str) -> str:
    """Toneless pinyin of ``text``, syllables joined: "海康威视" -> "haikangweishi"."""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


@lru_cache(maxsize=65536)
def syllable_initials(text: str) -> tuple[str, ...]:
    """The first sound of each syllable: "海康威视" -> ("h", "k", "w", "sh"); a syllable
    without an initial consonant gives its first letter ("安" -> "a")."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    initials = lazy_pinyin(text, style=Style.INITIALS, strict=False, errors="ignore")
    return tuple(i or s[:1] for i, s in zip(initials, syllables, strict=False))


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = re.compile(r"第?([零〇一二两三四五六七八九十百千]+|[0-9]+)(?=研究所|研究院|所|院|厂|分|号|$)")


def chinese_number(text: str) -> int | None:
    """"二十九" -> 29, "一百零三" -> 103; None if ``text`` is not a Chinese numeral."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def segment(text: str) -> list[ZhToken]:
    """Split a Han string into dictionary words and pinyin runs (see module docstring)."""
    words, longest = _dictionary()
    simplified = to_simplified(text)
    tokens: list[ZhToken] = []
    pending = ""
    i = 0

    def flush() -> None:
        nonlocal pending
        if pending:
            tokens.append(ZhToken(pending, (pinyin(pending),), "pinyin"))
            pending = ""

    while i < len(simplified):
        # Institute numbers: "第二十九研究所" is "29 research institute" on the lists.
        numeral = _NUMERAL.match(simplified, i)
        if numeral and (simplified[i] == "第" or not pending):
            value = chinese_number(numeral.group(1))
            if value is not None:
                flush()
                tokens.append(ZhToken(numeral.group(0), (str(value),), "number"))
                i = numeral.end()
                continue
        for size in range(min(longest, len(simplified) - i), 0, -1):
            piece = simplified[i:i + size]
            entry = words.get(piece)
            # A one-character generic word inside a longer unknown run is more likely a
            # syllable of a name ("局" alone is "bureau"; "华" is not in the dictionary).
            if entry is not None and not (size == 1 and entry[1] != "legal" and pending):
                flush()
                tokens.append(ZhToken(piece, entry[0], entry[1]))
                i += size
                if entry[1] == "place" and i < len(simplified) and simplified[i] in _PLACE_SUFFIXES:
                    i += 1
                break
        else:
            char = simplified[i]
            if HAN.match(char):
                pending += char
            else:
                flush()
            i += 1
    flush()
    return tokens
