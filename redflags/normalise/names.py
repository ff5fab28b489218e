"""Names to comparable token forms; pure functions over text, no I/O beyond data files.

Order of steps for one name (each is tested in tests/normalise):
0. Direction overrides, invisible characters and look-alike letters undone (``text.py``);
   what was undone is kept in ``NameForm.changes`` for the explanation.
1. Unicode NFKC.
2. Han characters: Traditional -> Simplified, segmented against the generic-word and
   place dictionary, the rest romanised with pinyin (``chinese.py``).
3. Legal forms (Co., Ltd. / GmbH / ООО / S.A. / 有限公司 ...) recognised with rigour's
   org-type database (and the Chinese ones from the dictionary), canonicalised
   ("coltd", "llc", "jsc") and taken out of the name into their own list.
4. Other scripts (Cyrillic, Arabic, Greek, ...) transliterated to ASCII.
5. Casefold, punctuation to spaces, whitespace collapsed; digits stay their own tokens.
6. Abbreviations (TECH, INTL, GRP, ...) expanded from ``data/abbreviations.yml``.

Empty results are coalesced to an empty token tuple, never None.
"""

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import OSA
from rigour.names import org_types
from rigour.text import ascii_text

from redflags.normalise.chinese import has_han, segment
from redflags.normalise.pinyin import pinyin_syllables
from redflags.normalise.reference import load_yaml
from redflags.normalise.text import Reading, sanitise

DATA = Path(__file__).parent / "data"
_SPLIT = re.compile(r"[^\w]+|_")
_DIGIT_BOUNDARY = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
# Vendor files glue words where the case changes: "AEROSUNcorporation", "PTEltd"; a word
# of two letters after capitals follows three capitals ("QuantumCTek" is "quantum ctek", not
# "ct ek": "ek" would be read as a legal form).
# Dotted acronyms are one word: "U.S." -> "us", "S.F." -> "sf".
_ACRONYM = re.compile(r"\b[^\W\d_](?:\.[^\W\d_])+\b\.?")
_CASE_BOUNDARY = re.compile(r"(?<=[A-Z]{3})(?=[a-z]{2})|(?<=[A-Z]{2})(?=[a-z]{3})|(?<=[a-z]{2})(?=[A-Z]{2})")

# Canonical codes for the Chinese legal forms, aligned with rigour's compare forms.
_ZH_LEGAL = {"co.ltd": "coltd", "llc": "llc", "jsc": "jsc", "company": "co"}


@dataclass(frozen=True, slots=True, eq=False)
class Token:
    """One word of a name as compared. Tokens are shared (``_token``) and compared by identity:
    hashing one is free, which the matcher's caches rely on."""

    text: str
    source: str
    """"text" | "abbreviation" | "translit" | "abjad" | "pinyin" | "dictionary" | "place" |
    "alias" | "surname" | "variant" """
    original: str  # what the token came from, as written
    written: str = ""
    """The word as written when the token rewrites it ("tech" for "technology", "technologies"
    for "technology"): a typo of the written form still matches."""
    note: str = ""
    """Where a reading of a Chinese word comes from ("CC-CEDICT", "alias from <source>")."""


@lru_cache(maxsize=262144)
def _token(text: str, source: str, original: str, written: str = "", note: str = "") -> Token:
    """One shared object per distinct token: the lists repeat "technology" and "co" hundreds of
    thousands of times, and an index holds every listed name's tokens."""
    return Token(sys.intern(text), source, sys.intern(original), written, note)


shared_token = _token
"""``shared_token(text, source, original, written, note)``: the one ``Token`` of these values
(for rebuilding names from their stored form)."""


Alternative = tuple[Token, ...]
"""One reading of a segment of a name, as tokens (may be empty: a suffix read as nothing)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """Where a name can be read in more than one way (a Chinese segment): the tokens
    ``tokens[start:start + size]`` are its default reading. ``options`` are alternative cuts
    of the segment; each is a sequence of parts, and each part offers its readings."""

    start: int
    size: int
    options: tuple[tuple[tuple[Alternative, ...], ...], ...]


@dataclass(frozen=True, slots=True)
class NameForm:
    original: str
    tokens: tuple[Token, ...]
    legal_forms: tuple[str, ...]

    words: tuple[str, ...]
    core: tuple[Token, ...] = ()
    """The tokens without stop words ("the", "of", "al"): what the token alignment pairs."""
    sorted_text: str = ""
    """The words sorted and joined: ``fuzz.ratio`` of two of them is ``token_sort_ratio``."""
    spans: tuple[tuple[int, int, str | tuple[str, str]], ...] = ()
    """Runs of 2 and 3 adjacent core tokens glued together, as ``(start, length, glued text)``,
    the glued text a pair ``(glued, glued as written)`` where a token rewrote its word: computed
    once, for pairing with a glued word of another name ("hikvision" / "hik vision"). (Kept
    small: an index holds every listed name's spans.)"""
    changes: tuple[str, ...] = ()
    """What was undone before the name could be compared (invisible characters, a direction
    override, look-alike letters): said in the explanation of every hit on it."""
    choices: tuple[Choice, ...] = ()
    """The segments that can be read in more than one way (Chinese names); the matcher picks
    a reading per name pair (``match.align.select_readings``)."""
    alt_words: frozenset[str] = frozenset()
    """The words of every reading that is not the default: the index retrieves by them too."""

    @property
    def text(self) -> str:
        """The words joined by spaces."""
        return " ".join(self.words)


_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})

STOPWORDS = frozenset({"the", "and", "of", "for", "de", "del", "la", "le", "el", "al", "des", "du",
                       "y", "i", "und", "et"})


@dataclass(frozen=True, slots=True)
class _Reference:
    expand: dict[str, str]
    legal_words: dict[str, str]
    singular: dict[str, str]
    legal_phrases: list[tuple[re.Pattern[str], str]]


@lru_cache(maxsize=1)
def _reference() -> _Reference:
    with open(DATA / "abbreviations.yml", encoding="utf-8") as fh:
        data = load_yaml(fh)

    def mapping(key: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in data[key].items()}

    phrases = []
    for phrase, replacement in sorted(data["legal_phrases"].items(), key=lambda kv: -len(kv[0])):
        words = r"[\s.,]+".join(re.escape(w) for w in str(phrase).split())
        phrases.append((re.compile(rf"\b{words}\b\.?"), str(replacement)))
    return _Reference(mapping("expand"), mapping("legal_words"), mapping("singular"), phrases)


def clean_text(text: str) -> str:
    """NFKC, casefold, punctuation to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(p for p in _SPLIT.split(text) if p)


_GLUED_LEGAL = ("corporation", "company", "limited", "gmbh", "pjsc", "corp", "llc", "jsc", "ltd",
                "plc", "ooo", "inc")


_GLUED_LEGAL_FIRST = ("corporation", "company", "limited")
_LEGAL_SPELLED = ("company", "limited", "corporation", "incorporated")


def _legal_typo_fixed(word: str) -> str:
    """A legal word misspelt by one edit, alone or glued to the word before ("compnay",
    "stockcompnay") -> "company", "stockcompany"."""
    if len(word) < 7 or not word.isalpha() or word.endswith(_LEGAL_SPELLED):
        return word
    for target in _LEGAL_SPELLED:
        for size in (len(target) - 1, len(target), len(target) + 1):
            tail = word[-size:]
            # one edit leaves the first two or the last two letters as they are: a cheap test first
            if (tail[:2] == target[:2] or tail[-2:] == target[-2:]) and len(word) >= size and (
                    len(word) == size or len(word) - size >= 4) and OSA.distance(tail, target, score_cutoff=1) <= 1:
                return word[:-size] + target
    return word
_NOT_LEGAL = re.compile(r"\bin\b")
_NOT_LEGAL_MASK = re.compile(r"qq(in)qq")


def _split_glued_legal(word: str) -> list[str]:
    """"pharmcontractgmbh" -> ["pharmcontract", "gmbh"], "companyunited" -> ["company", "united"]:
    a legal form glued to a word; the other part must keep 4+ letters."""
    if not word.isalpha():
        return [word]
    for suffix in _GLUED_LEGAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return [word[: -len(suffix)], suffix]
    for prefix in _GLUED_LEGAL_FIRST:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            return [prefix, word[len(prefix):]]
    return [word]


def _latin_tokens(text: str, legal: list[str], typos: bool = False) -> list[Token]:
    ref = _reference()
    abbreviations, legal_words, singular = ref.expand, ref.legal_words, ref.singular
    text = _CASE_BOUNDARY.sub(" ", unicodedata.normalize("NFKC", text))
    lowered = " ".join(part for w in text.casefold().split()
                       for part in _split_glued_legal(_legal_typo_fixed(w) if typos else w))
    for pattern, replacement in ref.legal_phrases:
        lowered = pattern.sub(replacement, lowered)
    # "in" is a syllable of Korean and other given names far more often than "Inc.": kept
    masked = _NOT_LEGAL.sub(lambda m: f"qq{m.group(0)}qq", lowered)
    found = org_types.extract_org_types(masked)
    if found:
        stripped = _NOT_LEGAL_MASK.sub(r"\1", org_types.remove_org_types(masked, replacement=" "))
        # "AT&T" is not the Austrian legal form "AT" plus a name "T": a legal form is
        # only taken out if a name of two or more letters remains
        if len(_SPLIT.sub("", stripped)) >= 2:
            lowered = stripped
            for _display, compare in found:
                code = compare.replace(" ", "")
                if code not in legal:
                    legal.append(code)
    lowered = _ACRONYM.sub(lambda m: m.group(0).replace(".", ""), lowered)
    tokens: list[Token] = []
    words = lowered.split()
    plain = [w for w in words if _SPLIT.sub("", w) not in legal_words]
    if plain and len(plain) < len(words):
        for w in words:
            word_code = legal_words.get(_SPLIT.sub("", w))
            if word_code is not None and word_code not in legal:
                legal.append(word_code)
        words = plain
    for raw in words:
        latin = ascii_text(raw) if not raw.isascii() else raw
        source = "text" if latin == raw else "abjad" if _vowelless_script(raw) else "translit"
        if raw == "&":
            tokens.append(_token("and", "abbreviation", raw))
            continue
        previous = ""
        parts = [p for p in _SPLIT.split(_DIGIT_BOUNDARY.sub(" ", latin.casefold())) if p]
        for number, part in enumerate(parts):
            if part in _ORDINAL_SUFFIXES and previous.isdigit():
                continue  # "704th", "2nd": the number is the token
            previous = part
            expanded = abbreviations.get(part)
            if expanded:
                for word in expanded.split():
                    tokens.append(_token(singular.get(word, word), "abbreviation", raw, part))
            elif source == "text" and raw.endswith(".") and number == len(parts) - 1 and part.isalpha() \
                    and 3 <= len(part) <= 6:
                # cut short with a full stop ("Equip. Man.", "Ind. Std."): it meets a word it
                # abbreviates (``match.similarity``)
                tokens.append(_token(part, "abbreviated", raw))
            else:
                word = singular.get(part, part)
                tokens.append(_token(word, source, raw, part if word != part else ""))
    return _mark_acronyms(_merge_articles(tokens), legal)


_LEGAL_INITIALS = {"co": "c", "corp": "c", "coltd": "c", "ltd": "l", "llc": "l", "jsc": "j", "inc": "i", "plc": "p"}


def is_subsequence(needle: str, letters: str) -> bool:
    found = iter(letters)
    return all(char in found for char in needle)


def _mark_acronyms(tokens: list[Token], legal: list[str]) -> list[Token]:
    """A word that spells the initials of the name's other words ("BUPT" beside "Beijing
    University of Posts and Telecommunications", "CASIC" with its "Corporation") says nothing
    the name does not: it is marked, so that missing it on the other side costs little."""
    if len(tokens) < 4:
        return tokens
    out = list(tokens)
    initials = "".join(t.text[0] for t in tokens if t.text not in STOPWORDS)
    initials += "".join(_LEGAL_INITIALS.get(code, "") for code in legal)
    syllabic: set[str] | None = None
    for n, tok in enumerate(tokens):
        word = tok.text
        if not 2 <= len(word) <= 8 or not word.isalpha() or tok.source != "text" or word[0] not in initials:
            continue
        at = initials.find(word[0])
        if len(word) >= 3 and is_subsequence(word[1:], initials[at + 1:]) and len(initials) > len(word):
            out[n] = _token(word, "acronym", tok.original, tok.written)
            continue
        if len(word) <= 4:
            # "NSCC-GZ": the syllable initials of a place written in pinyin (Guang-Zhou)
            if syllabic is None:
                syllabic = {"".join(x[0] for x in s) for t in tokens if (s := pinyin_syllables(t.text)) and len(s) >= 2}
            if word in syllabic:
                out[n] = _token(word, "acronym", tok.original, tok.written)
    return out


# Scripts whose romanisation loses most vowels (abjads; Thai's inherent vowels): their
# tokens are also compared by consonant skeleton (``match.similarity``).
_VOWELLESS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "THAI", "NKO")


def _vowelless_script(word: str) -> bool:
    for char in word:
        if char.isalpha():
            return unicodedata.name(char, "").startswith(_VOWELLESS)
    return False


# "Abd al Wahed" / "Abd-el-Wahed" / "Abdul Wahed": the Arabic article glued to "abd"
_ABD_ARTICLES = frozenset({"al", "el", "ul", "ol", "il", "ar", "ur", "as", "us", "an", "ad", "az",
                           "ash", "at", "ed", "er", "es"})


def _merge_articles(tokens: list[Token]) -> list[Token]:
    merged: list[Token] = []
    for tok in tokens:
        if merged and merged[-1].text == "abd" and tok.text in _ABD_ARTICLES:
            prev = merged.pop()
            original = prev.original if prev.original == tok.original else f"{prev.original} {tok.original}"
            merged.append(_token("abdul", "variant", original))
            continue
        merged.append(tok)
    return merged


def analyse_name(original: str, reading: Reading | None = None, query: bool = False) -> NameForm:
    """The comparable form of one name: tokens with their derivation, and legal forms.
    ``reading``: the name as ``sanitise`` reads it (or one of its alternatives); ``query``: a
    name to screen (vendor files misspell legal forms, "Stockcompnay"; the lists do not)."""
    reading = reading or sanitise(original)
    name = reading.text
    legal: list[str] = []
    tokens: list[Token] = []
    if has_han(name):
        buffer = ""
        for char in name + " ":
            if has_han(char):
                if buffer.strip():
                    tokens.extend(_latin_tokens(buffer, legal))
                buffer = ""
                continue
            buffer += char
        if buffer.strip():  # text after the last Han character (the katakana of "株式会社ソニー")
            tokens.extend(_latin_tokens(buffer, legal))
        choices: list[Choice] = []
        alt_words: set[str] = set()
        for zh in segment("".join(c for c in name if has_han(c))):
            if zh.kind == "legal":
                code = _ZH_LEGAL.get(zh.latin[0], zh.latin[0])
                if code not in legal:
                    legal.append(code)
                continue
            options = tuple(tuple(tuple(_zh_tokens(gloss, zh.text) for gloss in part) for part in option)
                            for option in zh.options)
            default = [t for part in options[0] for t in part[0]]
            if len(options) > 1 or any(len(part) > 1 for part in options[0]):
                choices.append(Choice(len(tokens), len(default), options))
                alt_words.update(t.text for option in options for part in option for alt in part for t in alt)
            tokens.extend(default)
        # Latin text inside a Han name (rare: "华为Huawei") keeps its order after the Han part.
        return build_form(original, tuple(tokens), legal, reading.changes, tuple(choices),
                          frozenset(alt_words - {t.text for t in tokens}))
    head, address = _split_address(name)
    tokens = _latin_tokens(head, legal, typos=query)
    if address:
        tokens += [_token(t.text, "address", t.original, t.written) for t in _latin_tokens(address, [])]
    return build_form(original, tuple(tokens), legal, reading.changes)


_LEGAL_THEN_COMMA = re.compile(r"\b(co|corp|corporation|company|ltd|limited|llc|inc|incorporated|gmbh|plc|jsc|"
                               r"ojsc|pjsc|ooo|s\.?a|ag|b\.?v|n\.?v|srl|spa)\b\.?\)?(\s*\([^)]*\))?\s*,\s*",
                               re.IGNORECASE)


def _split_address(name: str) -> tuple[str, str]:
    """A name and the address the lists sometimes write after its legal form ("Huawei Software
    Technologies Co., Ltd., Nanjing, Jiangsu"; "..., Bantian Longgang District"): the address
    is read as places, weak when the other name lacks it."""
    found = None
    for match in _LEGAL_THEN_COMMA.finditer(name):
        found = match
    if found is None:
        return name, ""
    tail = name[found.end():]
    words = _SPLIT.sub(" ", tail).split()
    if not words or len(words) > 6 or _LEGAL_THEN_COMMA.search(tail + ",") or any(w.isdigit() for w in words):
        return name, ""
    return name[:found.end()].rstrip().rstrip(","), tail


_ZH_SOURCES = {"pinyin": "pinyin", "place": "place", "number": "text", "dictionary": "dictionary",
               "alias": "alias", "surname": "surname"}


def _zh_tokens(gloss: Any, chars: str) -> Alternative:
    singular = _reference().singular
    source = _ZH_SOURCES.get(gloss.kind, "dictionary")
    return tuple(_token(singular.get(word, word), source, gloss.chars or chars, note=gloss.note) for word in gloss.words)


def build_form(original: str, tokens: tuple[Token, ...], legal: list[str] | tuple[str, ...],
               changes: tuple[str, ...] = (), choices: tuple[Choice, ...] = (),
               alt_words: frozenset[str] = frozenset()) -> NameForm:
    """A ``NameForm`` from its tokens: words, core, sorted text and glue spans derived."""
    legal = list(legal)
    if "co" in legal and "ltd" in legal:  # "Company Limited" is the same form as "Co., Ltd."
        legal = [f for f in legal if f not in ("co", "ltd")] + ["coltd"]
    words = tuple(t.text for t in tokens)
    core = tuple(t for t in tokens if t.text not in STOPWORDS) or tuple(tokens)
    return NameForm(original, tokens, tuple(dict.fromkeys(legal)), words, core, " ".join(sorted(words)),
                    glue_spans(core), changes, choices, alt_words)


def with_readings(form: NameForm, picked: list[Alternative]) -> NameForm:
    """``form`` with each of its choices read as ``picked`` (one alternative per choice, in order)."""
    tokens: list[Token] = []
    position = 0
    for choice, alternative in zip(form.choices, picked, strict=True):
        tokens.extend(form.tokens[position:choice.start])
        tokens.extend(alternative)
        position = choice.start + choice.size
    tokens.extend(form.tokens[position:])
    return build_form(form.original, tuple(tokens), form.legal_forms, form.changes)


def glue_spans(tokens: tuple[Token, ...]) -> tuple[tuple[int, int, str | tuple[str, str]], ...]:
    out: list[tuple[int, int, str | tuple[str, str]]] = []
    for span in (2, 3):
        for start in range(len(tokens) - span + 1):
            parts = tokens[start:start + span]
            text = "".join(t.text for t in parts)
            written = "".join(t.written or t.text for t in parts)
            out.append((start, span, text if written == text else (text, written)))
    return tuple(out)


def span_texts(glued: str | tuple[str, str]) -> tuple[str, ...]:
    """The glued texts of a span: the glued tokens, and as written where that differs."""
    return (glued,) if isinstance(glued, str) else glued
