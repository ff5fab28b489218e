"""Chinese names to comparable Latin readings, each with where it came from.

A Chinese name is cut into segments; each segment offers one or more *readings* (English
words or pinyin), and the matcher picks, per segment, the reading that meets the other name
best (``match.align.select_readings``): every gloss of a word is a candidate. Order:

1. Traditional -> Simplified (OpenCC ``t2s``).
2. Institute numbers to digits ("第七〇四研究所" -> 704).
3. Longest match against the curated data, which wins over the general dictionary:
   legal forms, names of listed parties and their short forms with a public source per row
   (``zh_aliases.yml``), translation conventions of institutional and state-group names
   (``zh_conventions.yml``), generic words and places (``zh_words.yml``).
4. What is left is cut again against CC-CEDICT (``cedict.py``): a dictionary word offers its
   glosses and its pinyin; the run as a whole also offers its pinyin as one word, the way the
   lists romanise brand names ("大华" -> "dahua", "海康威视" -> "haikangweishi"); and as a firm's
   trade name followed by what it does: the dictionary words at the end cut from the right, the
   rest read as pinyin ("科大国盾量子" -> "keda" "guodun" "quantum").
5. A whole name of two to four characters that starts with a surname (``zh_surnames.yml``)
   also reads as a person: surname and given name apart ("王伟" -> "wang" "wei").

Place suffixes (省 市 区 县 州) after a place read as nothing, or as "province",
"municipality"... when the other name says so.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from redflags.normalise import cedict
from redflags.normalise.pinyin import pinyin
from redflags.normalise.reference import load_yaml

DATA = Path(__file__).parent / "data"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007]")
_PLACE_SUFFIXES = {"省": ("province",), "市": ("municipality", "municipal", "city"), "区": ("district",),
                   "县": ("county",), "州": ("prefecture",)}
CEDICT_NOTE = "CC-CEDICT"


@dataclass(frozen=True, slots=True)
class Gloss:
    """One reading of a segment: Latin words, what kind of reading, and its source."""

    words: tuple[str, ...]
    kind: str  # "pinyin" | "dictionary" | "place" | "number" | "alias" | "surname" | "legal"
    note: str = ""
    """Where the reading comes from, for the explanation ("CC-CEDICT", "alias from <url>")."""
    chars: str = ""
    """The characters read, where only part of the segment ("惠科" of "滁州惠科")."""


Part = tuple[Gloss, ...]
"""The readings of one segment, the first the default."""


@dataclass(frozen=True, slots=True)
class ZhSegment:
    """A stretch of the name and the ways to read it: ``options`` are alternative cuts of the
    stretch (the run as one pinyin word, or cut into dictionary words), each a sequence of
    parts; a part offers its readings."""

    text: str
    options: tuple[tuple[Part, ...], ...]

    @property
    def kind(self) -> str:
        return self.options[0][0][0].kind

    @property
    def latin(self) -> tuple[str, ...]:
        """The default reading's words."""
        return tuple(w for part in self.options[0] for w in part[0].words)


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


@lru_cache(maxsize=1)
def _converter() -> "object":
    import opencc

    return opencc.OpenCC("t2s")


def _readings(value: Any) -> tuple[tuple[str, ...], ...]:
    """YAML readings: a string or a list of strings, each a reading of one or more words;
    "-" is the word left out."""
    items = value if isinstance(value, list) else [value]
    return tuple(() if str(item).strip() == "-" else tuple(str(item).replace("'", "").split())
                 for item in items if str(item).strip())


@dataclass(frozen=True)
class _Curated:
    entries: dict[str, tuple[str, tuple[tuple[str, ...], ...], str]]
    """Simplified word -> (kind, readings, note)."""
    longest: int
    surnames: dict[str, tuple[str, ...]]
    """Surname in characters -> its romanisations (pinyin first)."""
    places: frozenset[str]
    """Latin forms of the curated places."""


@lru_cache(maxsize=1)
def _curated() -> _Curated:
    def load(name: str) -> dict[str, Any]:
        with open(DATA / name, encoding="utf-8") as fh:
            return load_yaml(fh) or {}

    words = load("zh_words.yml")
    conventions = load("zh_conventions.yml")
    aliases = load("zh_aliases.yml")
    entries: dict[str, tuple[str, tuple[tuple[str, ...], ...], str]] = {}
    for word, code in words["legal"].items():
        entries[word] = ("legal", ((str(code),),), "")
    for word, english in words["generic"].items():
        entries[word] = ("dictionary", _readings(english), "redflags zh_words")
    places: set[str] = set()
    for word, english in words["place"].items():
        readings = _readings(english)
        entries[word] = ("place", readings, "redflags zh_words (place)")
        places.update(" ".join(r) for r in readings)
    for word, english in conventions["conventions"].items():
        entries[word] = ("dictionary", _readings(english), "translation convention (zh_conventions)")
    for word, spec in aliases["aliases"].items():
        entries[word] = ("alias", _readings(spec["names"]), f"alias from {spec['source']}")
    surnames = {str(k): tuple(str(v) for v in vs) for k, vs in load("zh_surnames.yml")["surnames"].items()}
    return _Curated(entries, max(len(w) for w in entries), surnames, frozenset(places))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """The Latin forms of the curated places ("shenzhen", "jiangsu", "kashgar")."""
    return _curated().places


@lru_cache(maxsize=1)
def surname_romanisations() -> dict[str, frozenset[str]]:
    """A romanised surname -> the surnames (in characters) it may stand for: "zhang",
    "chang" and "cheung" all stand for 张; "liu" and "lu" share none."""
    out: dict[str, set[str]] = {}
    for chars, romanised in _curated().surnames.items():
        for name in romanised:
            out.setdefault(name, set()).add(chars)
    return {k: frozenset(v) for k, v in out.items()}


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))  # type: ignore[attr-defined]


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_ORDINALS = dict(enumerate(["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                            "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                            "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]))
_NUMERAL = re.compile(r"第?([零〇一二两三四五六七八九十百千]+|[0-9]+)(?=研究所|研究院|所|院|厂|分|号|$)")


def chinese_number(text: str) -> int | None:
    """"二十九" -> 29, "一百零三" -> 103, "七〇四" (digit by digit) -> 704; None if ``text`` is not
    a Chinese numeral."""
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) > 1 and all(c in _DIGITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
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


def _pinyin_gloss(chars: str) -> Gloss:
    return Gloss((pinyin(chars),), "pinyin", "pinyin", chars)


def _curated_part(piece: str, kind: str, readings: tuple[tuple[str, ...], ...], note: str) -> Part:
    glosses = [Gloss(r, kind, note) for r in readings]
    if kind in ("dictionary", "alias", "place"):
        found = cedict.entry(piece) if len(piece) > 1 else None
        if found is not None:
            extra_kind = "place" if found[1] == "place" else "dictionary"
            glosses.extend(Gloss(r, extra_kind, CEDICT_NOTE) for r in found[0])
        glosses.append(_pinyin_gloss(piece))
    unique: dict[tuple[str, ...], Gloss] = {}
    for gloss in glosses:
        unique.setdefault(gloss.words, gloss)
    return tuple(unique.values())


def _run(chars: str) -> ZhSegment:
    """A run the curated data does not know: the run read as one pinyin word, and the run cut
    into CC-CEDICT words (longest first), whose glosses and pinyin are its readings."""
    whole: tuple[Part, ...] = ((_pinyin_gloss(chars),),)
    parts: list[Part] = []
    found_word = False
    pending = ""

    def leftover(piece: str) -> Part:
        # one character between dictionary words is mostly an affix English leaves out
        # ("卫生学" is "hygiene", not "hygiene xue")
        if len(piece) == 1:
            return (_pinyin_gloss(piece), Gloss((), "dictionary", "single character, often left out"))
        return (_pinyin_gloss(piece),)

    i = 0
    while i < len(chars):
        for size in range(min(cedict.longest(), len(chars) - i), 1, -1):
            piece = chars[i:i + size]
            entry = cedict.entry(piece)
            if entry is not None:
                if pending:
                    parts.append(leftover(pending))
                    pending = ""
                parts.append(_cedict_part(piece, *entry))
                found_word = True
                i += size
                break
        else:
            pending += chars[i]
            i += 1
    if pending:
        parts.append(leftover(pending) if found_word else (_pinyin_gloss(pending),))
    # A brand followed by what the firm does, neither in a dictionary ("华孚鑫达"): the run also
    # reads as two pinyin words, cut at each syllable boundary.
    halves: tuple[tuple[Part, ...], ...] = tuple(
        ((_pinyin_gloss(chars[:cut]),), (_pinyin_gloss(chars[cut:]),))
        for cut in range(2, len(chars) - 1)) if 4 <= len(chars) <= 6 else ()
    if not found_word:
        return ZhSegment(chars, (whole, *halves))
    halves += _brand_then_words(chars)
    # Common words cut from the run read first as words; a run of names reads first whole.
    wordlike = all(p[0].kind == "dictionary" for p in parts)
    options = (tuple(parts), whole) if wordlike else (whole, tuple(parts))
    # the cut from the right is often the cut from the left: each option once
    return ZhSegment(chars, tuple(dict.fromkeys(options + halves)))


def _cedict_part(piece: str, readings: tuple[tuple[str, ...], ...], kind: str) -> Part:
    gloss_kind = "place" if kind == "place" else "dictionary"
    glosses = [Gloss(r, gloss_kind, CEDICT_NOTE, piece) for r in readings]
    if kind in ("name", "place"):  # a proper noun: its pinyin first
        glosses.insert(0, _pinyin_gloss(piece))
    else:
        glosses.append(_pinyin_gloss(piece))
    return tuple(glosses)


def _brand_then_words(chars: str) -> tuple[tuple[Part, ...], ...]:
    """A firm's name is its trade name, then what it does ("科大国盾" + "量子"): the dictionary
    words at the end of the run, cut from the right, after the trade name read as one pinyin word
    or as two (a cut from the left can take a word across the seam: "科大国盾量子" is not
    "科" + "大国" "great power" + "盾")."""
    tail: list[Part] = []
    end = len(chars)
    while end > 2:  # the trade name keeps two characters at least
        for size in range(min(cedict.longest(), end - 2), 1, -1):
            entry = cedict.entry(chars[end - size:end])
            if entry is not None:
                tail.insert(0, _cedict_part(chars[end - size:end], *entry))
                end -= size
                break
        else:
            break
    if not tail:
        return ()
    head = chars[:end]
    options: list[tuple[Part, ...]] = [((_pinyin_gloss(head),), *tail)]
    if 4 <= len(head) <= 6:
        options.extend(((_pinyin_gloss(head[:cut]),), (_pinyin_gloss(head[cut:]),), *tail)
                       for cut in range(2, len(head) - 1))
    return tuple(options)


def _person(chars: str) -> ZhSegment | None:
    """A whole name of 2-4 characters starting with a known surname, as surname + given name."""
    if not 2 <= len(chars) <= 4:
        return None
    surnames = _curated().surnames
    for size in (2, 1):
        surname = chars[:size]
        given = chars[size:]
        if surname in surnames and given:
            romanised = surnames[surname]
            surname_part = tuple(Gloss((r,), "surname", f"surname {surname} (zh_surnames)", surname)
                                 for r in romanised)
            person = (surname_part, (Gloss((pinyin(given),), "pinyin", "pinyin (given name)", given),))
            return ZhSegment(chars, (((_pinyin_gloss(chars),),), person))
    return None


def segment(text: str, aliases: bool = True) -> list[ZhSegment]:
    """Split a Han string into segments with their readings (see module docstring).
    ``aliases``: whether names of listed parties are looked up (not when an alias is read
    again word by word)."""
    curated = _curated()
    simplified = to_simplified(text)
    segments: list[ZhSegment] = []
    pending = ""

    def flush() -> None:
        nonlocal pending
        if pending:
            segments.append(_run(pending))
            pending = ""

    i = 0
    while i < len(simplified):
        # Institute numbers: "第二十九研究所" is "29 research institute" on the lists.
        numeral = _NUMERAL.match(simplified, i)
        if numeral and (simplified[i] == "第" or not pending):
            value = chinese_number(numeral.group(1))
            if value is not None:
                flush()
                number = [Gloss((str(value),), "number")]
                if value in _ORDINALS:  # "第二研究院" is the "Second Academy" as often as the "2nd"
                    number.append(Gloss((_ORDINALS[value],), "number", "ordinal"))
                segments.append(ZhSegment(numeral.group(0), ((tuple(number),),)))
                i = numeral.end()
                continue
        for size in range(min(curated.longest, len(simplified) - i), 0, -1):
            piece = simplified[i:i + size]
            entry = curated.entries.get(piece)
            # A one-character generic word inside a longer unknown run is more likely a
            # syllable of a name ("局" alone is "bureau"; "华" is not in the dictionary).
            if entry is not None and not (size == 1 and entry[0] != "legal" and pending) and (
                    aliases or entry[0] != "alias"):
                flush()
                kind, readings, note = entry
                options: tuple[tuple[Part, ...], ...] = ((_curated_part(piece, kind, readings, note),),)
                if kind == "alias":
                    # the alias, or its words read one by one (深网视界: "SenseNets" or "Shenwang Vision")
                    words = tuple(part for seg in segment(piece, aliases=False) for part in seg.options[0])
                    if words and any(p[0].kind != "pinyin" for p in words):
                        options += (words,)
                segments.append(ZhSegment(piece, options))
                i += size
                if kind == "place" and i < len(simplified) and simplified[i] in _PLACE_SUFFIXES:
                    suffix = simplified[i]
                    optional = (Gloss((), "dictionary", "place suffix, often left out in English"),
                                *(Gloss((w,), "dictionary", "place suffix") for w in _PLACE_SUFFIXES[suffix]))
                    segments.append(ZhSegment(suffix, ((optional,),)))
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
    if len(segments) == 1 and segments[0].options[0][0][0].kind == "pinyin":
        person = _person(simplified)
        if person is not None:  # also read as a person: surname and given name
            return [ZhSegment(simplified, segments[0].options + person.options[1:])]
    return segments


_PAREN = re.compile(r"[（(]([^（）()]*)[）)]")
_LEGAL_INSIDE = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团公司|总公司)(?=.{3,})")


def other_names(text: str) -> list[str]:
    """The other names a Chinese name holds: a name in parentheses that is not a place
    ("山东省计算中心（国家超级计算济南中心）" is also "国家超级计算济南中心"), and what follows a
    legal form inside the name, a subsidiary's own name ("中国商用飞机有限责任公司上海飞机设计研究院"
    is also "上海飞机设计研究院")."""
    simplified = to_simplified(text)
    found: list[str] = []
    for match in _PAREN.finditer(simplified):
        inside = match.group(1).strip()
        entry = _curated().entries.get(inside)
        if len([c for c in inside if HAN.match(c)]) >= 4 and not (entry and entry[0] == "place"):
            found.extend([inside, (simplified[:match.start()] + simplified[match.end():]).strip()])
    for match in _LEGAL_INSIDE.finditer(simplified):
        tail = simplified[match.end():].strip()
        if len([c for c in tail if HAN.match(c)]) >= 3:
            found.append(tail)
    return [f for f in dict.fromkeys(found) if f and f != simplified]
