"""What a name really says: invisible characters, direction overrides and look-alike
letters undone before matching, with a note of each change for the explanation.

A name can be hidden from a screener without changing how it looks: zero-width spaces
between its letters, a soft hyphen, a right-to-left override that makes reversed text
display the right way round, a Cyrillic "о" in a Latin word. Each of these is undone here,
and said: hiding a name is itself a red flag an analyst should see.

Order of steps (``sanitise``):
1. Direction overrides (U+202E RLO, U+202D LRO up to their U+202C PDF) are undone: the
   text they hold is put in the order it is displayed in.
2. Invisible characters are removed: every format character (Unicode category Cf: zero-width
   space and joiners, soft hyphen, word joiner, bidi controls, tag characters...) and the other
   default-ignorable code points (variation selectors, Hangul fillers, the combining grapheme
   joiner).
3. NFKC: full-width and styled letters ("Ｋｉｍ", "𝐊𝐢𝐦") become plain ones.
4. Look-alike letters (Unicode TR39 confusables, from the ``confusable-homoglyphs`` data):
   in a word that mixes Latin with another script, the minority script's letters are read in
   the majority's ("Jоng" with a Cyrillic о is "Jong"); a word made only of Latin look-alikes
   in an otherwise Latin name ("HUAWEI ТЕСН") is read as Latin.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rigour.text.scripts import codepoint_script

RLO, LRO, PDF = "\u202e", "\u202d", "\u202c"
_PUSHES = "\u202a\u202b\u202d\u202e"  # LRE RLE LRO RLO: closed by PDF

# Unicode 14 format characters (Cf) and the other Default_Ignorable_Code_Points
# (DerivedCoreProperties.txt). tests/normalise checks that every Cf of the running Python is here.
_INVISIBLE_RANGES = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_WORD = re.compile(r"[^\W\d_]+")
_HAS_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_DENSE = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"})
"""Scripts never read as look-alikes of Latin letters: their names are not disguises."""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True, slots=True)
class Reading:
    """A name as it is compared, and what had to be undone to get there."""

    text: str
    changes: tuple[str, ...] = ()
    """One sentence per kind of change; empty when the name is compared as written."""
    alternatives: tuple["Reading", ...] = ()
    """Other ways the name may be meant (a direction override ignored rather than undone;
    look-alike letters left as they are), screened beside it."""


def sanitise(name: str) -> Reading:
    """The name with overrides, invisible characters and look-alike letters undone."""
    if name.isascii():
        return Reading(name)
    changes: list[str] = []
    alternatives: list[Reading] = []
    text = name
    if RLO in text or LRO in text:
        undone = _undo_overrides(text)
        if _strip(undone) != _strip(text):
            shown = _strip(undone).strip()
            changes.append(f"a direction override (U+202E/U+202D) makes reversed text display as {shown!r}; "
                           "read as displayed")
            ignored = _strip(text)
            alternatives.append(Reading(ignored, ("direction override characters removed; "
                                                  f"read as stored: {ignored!r}",)))
        text = undone
    invisible = _INVISIBLE.findall(text)
    if invisible:
        text = _INVISIBLE.sub("", text)
        changes.append("invisible characters removed: " + _describe_chars(invisible))
    nfkc = unicodedata.normalize("NFKC", text)
    styled = _styled_letters(text)
    if styled:
        changes.append(f"full-width or styled letters read as plain ones: {styled}")
    text = nfkc
    folded, notes = _fold_lookalikes(text)
    if notes:
        alternatives.append(Reading(text, ("look-alike letters left as written",)))
        changes.append("look-alike letters of another script: " + "; ".join(notes))
        text = folded
    alternatives = [a for a in alternatives if a.text != text]
    return Reading(text, tuple(changes), tuple(alternatives))


def readable(name: str) -> bool:
    """Whether a name has any letter or digit once invisible characters are removed."""
    return _HAS_LETTER_OR_DIGIT.search(sanitise(name).text) is not None


def _strip(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _undo_overrides(text: str) -> str:
    """Put the text inside RLO...PDF (and LRO...PDF around right-to-left letters) in the order
    it displays in. An override runs to its PDF, the end of the paragraph or the end of the text."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char not in (RLO, LRO):
            out.append(char)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(text):
            if text[j] in _PUSHES:
                depth += 1
            elif text[j] == PDF:
                depth -= 1
                if depth == 0:
                    break
            elif text[j] in "\n\r\u2029":
                break
            j += 1
        inner = _undo_overrides(text[i + 1:j])
        if char == RLO or any(unicodedata.bidirectional(c) in ("R", "AL") for c in inner):
            inner = inner[::-1]
        out.append(inner)
        i = j + 1 if j < len(text) and text[j] == PDF else j
    return "".join(out)


def _describe_chars(chars: list[str]) -> str:
    counts: dict[str, int] = {}
    for char in chars:
        counts[char] = counts.get(char, 0) + 1
    parts = [f"{n} × U+{ord(c):04X} {unicodedata.name(c, 'FORMAT CHARACTER')}" for c, n in counts.items()]
    return ", ".join(parts[:6]) + (f" and {len(parts) - 6} other kinds" if len(parts) > 6 else "")


def _styled_letters(text: str) -> str:
    """The words whose letters NFKC turns from full-width or styled forms into ASCII ones, as
    "'Ｋｉｍ' → 'Kim'". Full-width letters are usual in Chinese, Japanese and Korean text and
    are not reported there."""
    cjk = _CJK.search(text) is not None
    shown = []
    for word in re.findall(r"\S+", text):
        for char in word:
            plain = unicodedata.normalize("NFKC", char)
            if plain == char or not plain.isascii() or not plain.isalnum():
                continue
            if cjk and unicodedata.name(char, "").startswith("FULLWIDTH"):
                continue
            shown.append(f"{word!r} → {unicodedata.normalize('NFKC', word)!r}")
            break
    return ", ".join(shown[:5])


@lru_cache(maxsize=1)
def _lookalikes() -> dict[str, dict[str, str]]:
    """For each script that has letters looking like ASCII ones: its letter -> the ASCII
    letter, and under "Latin->Script" the reverse, from TR39 confusables."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json")
                      .read_text(encoding="utf-8"))
    tables: dict[str, dict[str, str]] = {}
    for latin in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for glyph in data.get(latin, []):
            char = glyph["c"].strip("\u200e\u200f")
            if len(char) != 1 or not unicodedata.category(char).startswith("L"):
                continue
            script = codepoint_script(ord(char))
            if not script or script in ("Latin", "Common", "Inherited"):
                continue
            if unicodedata.normalize("NFKC", char) != char:
                continue  # styled forms: NFKC already made them plain
            tables.setdefault(script, {}).setdefault(char, latin)
            tables.setdefault(f"Latin->{script}", {}).setdefault(latin, char)
    return tables


def _script(char: str) -> str:
    return codepoint_script(ord(char)) or "Unknown"


def _fold_lookalikes(text: str) -> tuple[str, list[str]]:
    """Words mixing Latin with another script read in their majority script; words made only
    of Latin look-alikes in an otherwise Latin name read as Latin. Returns the text and notes."""
    words = _WORD.findall(text)
    if not words or all(w.isascii() for w in words):
        return text, []
    scripts_of = [[_script(c) for c in w] for w in words]
    latin_words = sum(1 for s in scripts_of if set(s) == {"Latin"})
    tables = None
    notes: list[str] = []
    replaced: dict[str, str] = {}
    for word, scripts in zip(words, scripts_of, strict=True):
        kinds = set(scripts)
        if kinds == {"Latin"} or len(kinds) > 2 or word in replaced or kinds & _DENSE:
            continue
        tables = tables or _lookalikes()
        if "Latin" in kinds:
            # read as Latin in a Latin name; else in the word's majority script when all its
            # other letters have look-alikes there, else in the script where they do
            other = next(k for k in kinds if k != "Latin")
            to_latin = (tables.get(other, {}), "Latin", other)
            to_other = (tables.get(f"Latin->{other}", {}), other, "Latin")
            latin_first = latin_words or scripts.count("Latin") * 2 >= len(scripts)
            choices = [to_latin, to_other] if latin_first else [to_other, to_latin]
            table, target, source = next(
                (c for c in choices if all(ch in c[0] for ch, s in zip(word, scripts, strict=True) if s == c[2])),
                to_latin)
        elif latin_words:
            other = next(iter(kinds))
            table, target, source = tables.get(other, {}), "Latin", other
            if not all(c in table for c in word):
                continue
        else:
            continue
        new = "".join(table.get(c, c) if s == source else c for c, s in zip(word, scripts, strict=True))
        if new != word:
            replaced[word] = new
            notes.append(f"{word!r} has {source} letters read as {target}: {new!r}")
    if not replaced:
        return text, []
    return _WORD.sub(lambda m: replaced.get(m.group(0), m.group(0)), text), notes[:5]
