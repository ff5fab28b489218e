"""How alike two name tokens are, and how: exact, a name variant, a surname's romanisation, a
typo, a sound-alike, a consonant skeleton, a word form, or a Chinese brand and its coined Latin
name."""

import re
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA, JaroWinkler
from rigour.text import metaphone

from redflags.normalise.chinese import place_words, surname_romanisations
from redflags.normalise.names import Token, is_subsequence
from redflags.normalise.pinyin import is_pinyin, syllable_initials
from redflags.normalise.reference import load_yaml

VARIANTS: dict[str, int] = {}


def variant_groups() -> dict[str, int]:
    """Token -> the number of its group in ``normalise/data/name_variants.yml``."""
    if VARIANTS:
        return VARIANTS
    path = Path(__file__).parents[1] / "normalise" / "data" / "name_variants.yml"
    groups: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        data = load_yaml(fh)
    number = 0
    for family in data.values():
        for group in family:
            number += 1
            for name in group:
                groups[str(name)] = number
    VARIANTS.update(groups)
    return VARIANTS


_NOT_CONSONANT = re.compile(r"[aeiouwyv']+")
_DOUBLE = re.compile(r"(.)\1+")


_FOLD = str.maketrans({"c": "k", "q": "k"})


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """Consonants only, doubles collapsed: how an abjad spelling and a Latin one meet
    ("mhmd" / "mohammed", "hsn" / "hassan", "khn" / "cohen"). w, y and v go too: they
    stand for vowels in Arabic and Hebrew romanisation (و/ו as "w", ي as "y"); c and q
    fold into k."""
    return _DOUBLE.sub(r"\1", _NOT_CONSONANT.sub("", text.translate(_FOLD)))


@lru_cache(maxsize=1 << 18)
def similar(q: Token, c: Token, people: bool = False) -> tuple[float, str]:
    """How alike two tokens are, and how (cached: tokens are shared objects, and the same pairs
    meet again across candidates and across the readings of a Chinese name). ``people``: a
    person's name is on one side, where no word is a coined brand."""
    sim, how = _similar_text(q, c, people)
    if sim < 1.0 and (q.written or c.written):
        # "telecom" was expanded or "technologies" made singular on one side; the other side
        # may hold a typo of the form as written ("telecon", "techhnologies")
        alt = _similar_text(Token(q.written or q.text, "text", q.original),
                            Token(c.written or c.text, "text", c.original), people)
        if alt[0] > sim:
            return alt
    return sim, how


_metaphone = lru_cache(maxsize=131072)(metaphone)


_HOW_EXACT = ("alias", "surname", "pinyin", "dictionary", "place", "abbreviation")
"""What an exact match is called, by the source of either token, first found first."""


def _similar_text(q: Token, c: Token, people: bool = False) -> tuple[float, str]:
    qt, ct = q.text, c.text
    if qt == ct:
        for how in _HOW_EXACT:
            if how in (q.source, c.source):
                return 1.0, how
        return 1.0, "exact"
    if qt.isdigit() or ct.isdigit():
        return 0.0, "none"  # numbers are compared strictly
    groups = VARIANTS or variant_groups()
    group = groups.get(qt)
    if group is not None and group == groups.get(ct):
        return 0.95, "variant"
    surnames = surname_romanisations()
    # a surname read from its characters stands for them alone: 覃 read "Tan" is not 陈, whose
    # Hokkien spelling is Tan too
    q_surname = frozenset((q.original,)) if q.source == "surname" else surnames.get(qt)
    c_surname = frozenset((c.original,)) if c.source == "surname" else surnames.get(ct)
    if q_surname is not None and c_surname is not None:
        # two romanised Chinese surnames: the same surname or none (Liu is not Lu, Zhang not
        # Zhong); a given name read from its characters is one syllable, not a surname's
        # variant (磊 "lei" is not "li")
        if "pinyin" in (q.source, c.source):
            return 0.0, "none"
        return (0.95, "surname variant") if q_surname & c_surname else (0.0, "none")
    if "surname" in (q.source, c.source):
        return 0.0, "none"  # a surname read from its characters meets only its accepted romanisations
    places = place_words()
    if q.source == "place" or c.source == "place" or qt in places or ct in places:
        # a place meets only itself, or a typo of itself: Beijing is not Beihang
        if len(qt) >= 5 and len(ct) >= 5 and OSA.distance(qt, ct, score_cutoff=1) <= 1:
            return 1.0 - 1.2 / max(len(qt), len(ct)), "fuzzy"
        return 0.0, "none"
    if q.source == "abbreviated" or c.source == "abbreviated":
        short, long = (qt, ct) if q.source == "abbreviated" else (ct, qt)
        if len(long) > len(short) and (long.startswith(short) or (
                long[0] == short[0] and long[-1] == short[-1] and is_subsequence(short[1:-1], long[1:-1]))):
            # its start ("man." for "manufacturing") or a contraction ("std." for "standard")
            return ABBREVIATED_SIMILARITY, "abbreviation"
    if q.source == "abjad" or c.source == "abjad":
        q_skel = skeleton(qt)
        if q_skel and q_skel == skeleton(ct):
            return 0.85, "consonants"
    if (q.source == "dictionary" or c.source == "dictionary") and _stem(qt) == _stem(ct) and len(_stem(qt)) >= 4:
        # a dictionary gloss in another form of the word: "dredge" / "dredging", "environment" / "environmental"
        return STEM_SIMILARITY, "word form"
    q_len, c_len = len(qt), len(ct)
    shorter = q_len if q_len < c_len else c_len
    gap = q_len - c_len if q_len > c_len else c_len - q_len
    if shorter >= 4:
        allowed = 1 if shorter < 7 else 2 if shorter < 11 else 3
        if gap <= allowed:
            dist = OSA.distance(qt, ct, score_cutoff=allowed)
            if dist <= allowed:
                # An edit costs more in a short word: "alcoa"/"alco" is another name.
                return 1.0 - 1.2 * dist / (q_len if q_len > c_len else c_len), "fuzzy"
    if shorter >= 3 and gap <= 2 and qt[0] == ct[0] and "dictionary" not in (q.source, c.source) and \
            _metaphone(qt) == _metaphone(ct):
        # sounds alike: spellings of a name; an English gloss is not a name ("china" is not "Chen")
        return 0.8, "phonetic"
    # A Chinese brand meets a coined Latin word; a Latin word that is itself pinyin ("nanchang")
    # is another Chinese name, compared as such above.
    if people:
        return 0.0, "none"
    if q.source == "pinyin" and c.source == "text" and not is_pinyin(ct):
        return _brand(q.original, qt, ct)
    if c.source == "pinyin" and q.source == "text" and not is_pinyin(qt):
        return _brand(c.original, ct, qt)
    return 0.0, "none"


def _brand(han: str, pinyin: str, latin: str) -> tuple[float, str]:
    """A Chinese brand (its characters and pinyin) and a coined Latin name: its syllables'
    initials in order ("海康威视" h-k-w-sh in "hikvision"), closer when the Latin also sounds
    like the pinyin ("shenrong" / "sheenrun"), or a Latin name that sounds like it on its own."""
    sound = JaroWinkler.similarity(pinyin, latin)
    initials = "".join(i[0] for i in syllable_initials(han))
    if 2 <= len(initials) <= 4 and latin.isalpha() and (
            latin == initials or (latin.startswith(initials) and len(latin) == len(initials) + 1)):
        # an acronym of the syllables ("富吉瑞" fu-ji-rui -> "FJR"), perhaps with the firm's
        # own initial after it ("C" for corporation)
        return (BRAND_SOUND_SIMILARITY, "pinyin acronym") if latin == initials else (BRAND_SIMILARITY, "pinyin acronym")
    if brand_initials(han, latin):
        return (BRAND_SOUND_SIMILARITY, "pinyin sound") if sound >= 0.8 else (BRAND_SIMILARITY, "pinyin initials")
    if sound >= 0.87 and pinyin[0] == latin[0] and 0.6 <= len(latin) / len(pinyin) <= 1.4:
        return BRAND_SOUND_SIMILARITY - 0.05, "pinyin sound"
    return 0.0, "none"


ABBREVIATED_SIMILARITY = 0.85
"""A word cut short with a full stop and a word it may stand for: the word's start ("Man." /
"manufacturing", and "management": the other words decide) or its first and last letters with
some between ("Std." / "standard")."""

STEM_SIMILARITY = 0.9
"""A dictionary gloss and another form of the same English word ("forge" / "forging")."""

_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "als", "al", "ics", "ic", "ed", "es", "s", "e", "y")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """The word without one English ending: "forging" and "forge" -> "forg", "aeronautics" and
    "aeronautical" -> "aeronaut". Light on purpose: it only meets glosses with listed words."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


BRAND_SIMILARITY = 0.75
"""How far a Chinese brand and a Latin word sharing its syllables' initials count as one."""
BRAND_SOUND_SIMILARITY = 0.85
"""... when the Latin word also sounds like the pinyin (Jaro-Winkler 0.8 or more)."""

# A pinyin initial and the Latin letters brand names write it with ("威" wei -> "v").
_INITIAL_LETTERS = {"w": "wv", "x": "xsh", "q": "qck", "j": "jgz", "zh": "zj", "ch": "ck",
                    "sh": "s", "z": "zs", "c": "ckts", "h": "h", "y": "yie", "g": "gk", "k": "kc",
                    "b": "bp", "d": "dt"}


@lru_cache(maxsize=65536)
def brand_initials(han: str, latin: str) -> bool:
    """A Chinese brand of 2-4 syllables and a coined Latin name that starts with the first
    syllable's sound and holds every other syllable's initial, in order ("海康威视" h-k-w-sh
    in "hikvision"). Brand names are coined this way; plain pinyin meets its Latin
    spelling through the other comparisons."""
    initials = syllable_initials(han)
    if (not 2 <= len(initials) <= 4 or not 2 * len(initials) <= len(latin) <= 5 * len(initials)
            or not latin.isalpha()):
        return False
    position = 0
    for number, initial in enumerate(initials):
        letters = _INITIAL_LETTERS.get(initial, initial[0])
        if number == 0:
            if latin[0] not in letters:
                return False
            position = 1
            continue
        found = next((i for i in range(position, len(latin)) if latin[i] in letters), None)
        if found is None:
            return False
        position = found + 1
    return True


SCRIPT_SOURCES = ("abjad", "pinyin")
