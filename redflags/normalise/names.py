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
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rigour.names import org_types
from rigour.text import ascii_text

from redflags.normalise.chinese import has_han, segment
from redflags.normalise.text import Reading, sanitise

DATA = Path(__file__).parent / "data"
_SPLIT = re.compile(r"[^\w]+|_")
_DIGIT_BOUNDARY = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
# Vendor files glue words where the case changes: "AEROSUNcorporation", "PTEltd".
# Dotted acronyms are one word: "U.S." -> "us", "S.F." -> "sf".
_ACRONYM = re.compile(r"\b[^\W\d_](?:\.[^\W\d_])+\b\.?")
_CASE_BOUNDARY = re.compile(r"(?<=[A-Z]{2})(?=[a-z]{2})|(?<=[a-z]{2})(?=[A-Z]{2})")

# Canonical codes for the Chinese legal forms, aligned with rigour's compare forms.
_ZH_LEGAL = {"co.ltd": "coltd", "llc": "llc", "jsc": "jsc", "company": "co"}


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    source: str  # "text" | "abbreviation" | "translit" | "abjad" | "pinyin" | "dictionary" | "place"
    original: str  # what the token came from, as written
    written: str = ""
    """The word as written when the token rewrites it ("tech" for "technology", "technologies"
    for "technology"): a typo of the written form still matches."""


@dataclass(frozen=True, slots=True)
class NameForm:
    original: str
    tokens: tuple[Token, ...]
    legal_forms: tuple[str, ...]

    words: tuple[str, ...]
    text: str
    """The words joined by spaces: what character-level screens compare."""
    core: tuple[Token, ...] = ()
    """The tokens without stop words ("the", "of", "al"): what the token alignment pairs."""
    sorted_text: str = ""
    """The words sorted and joined: ``fuzz.ratio`` of two of them is ``token_sort_ratio``."""
    spans: tuple[tuple[int, int, int, int, tuple[str, ...]], ...] = ()
    """Runs of 2 and 3 adjacent core tokens glued together, as ``(start, length, glued size,
    size as written, glued texts)``: computed once, for pairing with a glued word of
    another name ("hikvision" / "hik vision")."""
    changes: tuple[str, ...] = ()
    """What was undone before the name could be compared (invisible characters, a direction
    override, look-alike letters): said in the explanation of every hit on it."""


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
        data = yaml.safe_load(fh)

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


def _split_glued_legal(word: str) -> list[str]:
    """"pharmcontractgmbh" -> ["pharmcontract", "gmbh"]; the stem must keep 4+ letters."""
    for suffix in _GLUED_LEGAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word.isalpha():
            return [word[: -len(suffix)], suffix]
    return [word]


def _latin_tokens(text: str, legal: list[str]) -> list[Token]:
    ref = _reference()
    abbreviations, legal_words, singular = ref.expand, ref.legal_words, ref.singular
    text = _CASE_BOUNDARY.sub(" ", unicodedata.normalize("NFKC", text))
    lowered = " ".join(part for w in text.casefold().split() for part in _split_glued_legal(w))
    for pattern, replacement in ref.legal_phrases:
        lowered = pattern.sub(replacement, lowered)
    found = org_types.extract_org_types(lowered)
    if found:
        stripped = org_types.remove_org_types(lowered, replacement=" ")
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
            tokens.append(Token("and", "abbreviation", raw))
            continue
        for part in _SPLIT.split(_DIGIT_BOUNDARY.sub(" ", latin.casefold())):
            if not part:
                continue
            expanded = abbreviations.get(part)
            if expanded:
                for word in expanded.split():
                    tokens.append(Token(singular.get(word, word), "abbreviation", raw, part))
            else:
                word = singular.get(part, part)
                tokens.append(Token(word, source, raw, part if word != part else ""))
    return _merge_articles(tokens)


# Scripts whose romanisation loses most vowels (abjads; Thai's inherent vowels): their
# tokens are also compared by consonant skeleton (``match.features``).
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
            merged.append(Token("abdul", "variant", original))
            continue
        merged.append(tok)
    return merged


def analyse_name(original: str, reading: Reading | None = None) -> NameForm:
    """The comparable form of one name: tokens with their derivation, and legal forms.
    ``reading``: the name as ``sanitise`` reads it (or one of its alternatives)."""
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
        for zh in segment("".join(c for c in name if has_han(c))):
            if zh.kind == "legal":
                code = _ZH_LEGAL.get(zh.latin[0], zh.latin[0])
                if code not in legal:
                    legal.append(code)
                continue
            source = {"pinyin": "pinyin", "place": "place", "number": "text"}.get(zh.kind, "dictionary")
            singular = _reference().singular
            tokens.extend(Token(singular.get(word, word), source, zh.text) for word in zh.latin)
        # Latin text inside a Han name (rare: "华为Huawei") keeps its order after the Han part.
    else:
        tokens = _latin_tokens(name, legal)
    if "co" in legal and "ltd" in legal:  # "Company Limited" is the same form as "Co., Ltd."
        legal = [f for f in legal if f not in ("co", "ltd")] + ["coltd"]
    words = tuple(t.text for t in tokens)
    core = tuple(t for t in tokens if t.text not in STOPWORDS) or tuple(tokens)
    return NameForm(original, tuple(tokens), tuple(dict.fromkeys(legal)), words, " ".join(words), core,
                    " ".join(sorted(words)), glue_spans(core), reading.changes)


def glue_spans(tokens: tuple[Token, ...]) -> tuple[tuple[int, int, int, int, tuple[str, ...]], ...]:
    out = []
    for span in (2, 3):
        for start in range(len(tokens) - span + 1):
            parts = tokens[start:start + span]
            text = "".join(t.text for t in parts)
            written = "".join(t.written or t.text for t in parts)
            out.append((start, span, len(text), len(written), (text,) if written == text else (text, written)))
    return tuple(out)
