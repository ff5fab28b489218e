"""Document scanning: which listed parties does a text mention?

``scan(paths)`` reads each document (``extract``), finds the mentions of listed parties in its
text (``find``) and returns one result per document (an e-mail's attachments are documents of
their own)::

    {"document", "kind", "lang", "pages", "parties": [hit + {"mentions": n}],
     "mentions": [{"start", "end", "page", "text", "context", "corroborated", "hits"}], "error"}

A document that cannot be read has its ``error`` and no mentions; the others are still scanned.
``redflags.scan(paths)`` is ``redflags.scan.scan(paths)``.
"""

import re
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from redflags.match.logic import THRESHOLD
from redflags.scan.extract import Document, DocumentError, open_document

_PATTERNS: dict[Any, Any] = {}


def scanner(screener: Any, threshold: float = THRESHOLD) -> Any:
    """A ``Finder`` over a screener's lists (the patterns built once per index, and kept beside
    it on disk)."""
    from redflags.scan.find import Finder
    from redflags.scan.patterns import patterns_for

    # the index's folder names its list versions; an index built in memory has none
    key = getattr(screener.index.segment, "folder", None) or id(screener.index)
    if key not in _PATTERNS:
        _PATTERNS.clear()
        _PATTERNS[key] = patterns_for(screener.index)
    return Finder(screener, _PATTERNS[key], threshold)


def scan(paths: str | Path | Iterable[str | Path], threshold: float = THRESHOLD, lang: str | None = None,
         store: Any = None, db: str | None = None) -> list[dict[str, Any]]:
    """Scan documents (files, or folders of them) against the active lists of ``store`` (or of
    the store at ``db``; default: the configured one)."""
    from redflags.screen.api import current_screener, screener_for

    screener = screener_for(store) if store is not None else current_screener(db)
    finder = scanner(screener, threshold)
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    return [result for path in expand(items) for result in scan_document(finder, path, lang=lang)]


def expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; a folder's files, recursively, in name order."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        else:
            yield p


def scan_document(finder: Any, path: str | Path, name: str | None = None, data: bytes | None = None,
                  lang: str | None = None, keep_text: bool = False) -> list[dict[str, Any]]:
    """The results of one document and of its attachments (with ``keep_text``, each with its
    extracted ``text``, for a report that shows it)."""
    shown = name or str(path)
    try:
        document = open_document(path, shown, data)
    except DocumentError as exc:
        return [failed(shown, str(exc))]
    return list(_results(finder, document, lang, keep_text))


def failed(name: str, error: str) -> dict[str, Any]:
    return {"document": name, "kind": None, "lang": None, "pages": None, "characters": 0, "parties": [],
            "mentions": [], "error": error}


def _results(finder: Any, document: Document, lang: str | None, keep_text: bool) -> Iterator[dict[str, Any]]:
    mentions = []
    kept: list[str] = []
    characters = 0
    error = None
    guessed = lang  # from the first part with enough text (a PDF's title page may have none)
    try:
        for part in document.parts:
            if guessed is None:
                guessed = guess_lang(part.text[:20000])
            if keep_text:
                kept.append("\n" * max(0, part.start - characters) + part.text)
            characters = part.start + len(part.text)
            mentions.extend(finder.find(part.text, part.start, part.page, guessed))
    except DocumentError as exc:
        error = str(exc)
    result = {"document": document.name, "kind": document.kind, "lang": guessed,
              "pages": document.pages, "characters": characters, "encoding": document.encoding,
              "parties": parties_of(mentions), "mentions": [m.as_dict() for m in mentions], "error": error}
    if keep_text:
        result["text"] = "".join(kept)
    yield result
    for attachment in document.attachments:
        if attachment.error:
            yield failed(attachment.name, attachment.error)
        else:
            yield from _results(finder, attachment, lang, keep_text)


def parties_of(mentions: list[Any]) -> list[dict[str, Any]]:
    """Each party mentioned, once: its best hit, how often it is mentioned, corroborated first."""
    best: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    corroborated: dict[str, bool] = {}
    for mention in mentions:
        for hit in mention.hits:
            pid = hit["id"]
            counts[pid] = counts.get(pid, 0) + 1
            corroborated[pid] = corroborated.get(pid, False) or bool(mention.corroborated)
            if pid not in best or hit["score"] > best[pid]["score"]:
                best[pid] = hit
    out = [{**hit, "mentions": counts[pid], "corroborated": corroborated[pid]} for pid, hit in best.items()]
    out.sort(key=lambda h: (not h["corroborated"], -h["score"], -h["mentions"], h["id"]))
    return out


_STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "with", "has", "was", "said"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "von", "sich", "auch", "für"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "dans", "pour", "que", "qui", "sur"},
    "es": {"el", "la", "los", "las", "y", "que", "del", "para", "con", "una", "por", "es"},
}


def guess_lang(text: str) -> str | None:
    """zh, ru, or by the commonest function words en, de, fr, es (None when there is too little text)."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 20:
        return None
    han = sum(1 for c in letters if "\u3400" <= c <= "\u9fff")
    if han > len(letters) * 0.2:
        return "zh"
    if sum(1 for c in letters if "\u0400" <= c <= "\u04ff") > len(letters) * 0.3:
        return "ru"
    words = re.findall(r"[a-zäöüßéèàç]+", text.lower())
    counts = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    lang, count = max(counts.items(), key=lambda kv: kv[1])
    return lang if count else None


class _Callable(types.ModuleType):
    """``redflags.scan(paths)``: the package is called as its ``scan``."""

    def __call__(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _Callable

__all__ = ["DocumentError", "expand", "failed", "guess_lang", "scan", "scan_document", "scanner"]
