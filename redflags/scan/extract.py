"""The text of a document: plain text and Markdown in any encoding, HTML (its main text), PDF
(the text layer, page by page), DOCX, and e-mail (the message, and each attachment as a
document of its own).

Text comes out in parts (``Part``: a page of a PDF, a slice of a long text file) so that a large
document is scanned a part at a time; offsets are into the whole extracted text. A document that
cannot be read raises ``DocumentError`` naming it and what is wrong with it.
"""

import codecs
import email
import email.policy
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from redflags.exc import RedflagsError

TEXT_PART = 1 << 20
"""Characters of plain text per part (memory stays flat in the size of a text file)."""
MAX_BYTES = 200 << 20
"""Largest document read (a PDF, DOCX or e-mail is read whole by its parser)."""
MAX_PDF_PAGES = 5000
ATTACHMENT_DEPTH = 3


class DocumentError(RedflagsError):
    """This document cannot be scanned (the others still are)."""


@dataclass
class Part:
    text: str
    start: int
    """Offset of ``text`` in the document's whole extracted text."""
    page: int | None = None


@dataclass
class Document:
    name: str
    kind: str  # text | markdown | html | pdf | docx | email
    parts: Iterator[Part]
    pages: int | None = None
    encoding: str | None = None
    attachments: list["Document"] = field(default_factory=list)
    error: str | None = None
    """Why an attachment could not be read (a document that cannot be read raises instead)."""


def open_document(path: str | Path, name: str | None = None, data: bytes | None = None, depth: int = 0) -> Document:
    """A document from a file (``path``) or from bytes (``data``, named ``name``)."""
    shown = name or str(path)
    if data is None:
        p = Path(path)
        if not p.is_file():
            raise DocumentError(f"{shown}: not a file")
        size = p.stat().st_size
        kind = _sniff(_head(p), shown)
        if kind in ("text", "markdown"):
            return _text_file(p, shown, kind)
        if size > MAX_BYTES:
            raise DocumentError(f"{shown}: {size:,} bytes; documents of this kind are read whole, up to {MAX_BYTES:,}")
        data = p.read_bytes()
    kind = _sniff(data[:8192], shown)
    if kind == "pdf":
        return _pdf(data, shown)
    if kind == "docx":
        return _docx(data, shown)
    if kind == "email":
        return _email(data, shown, depth)
    if kind == "html":
        return _html(data, shown)
    encoding, text = _decode(data, shown)
    return Document(shown, kind, _slices(text), encoding=encoding)


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8192)


_EMAIL_HEADER = re.compile(rb"^(Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|"
                           rb"X-[\w-]+):", re.IGNORECASE)


def _sniff(head: bytes, name: str) -> str:
    lower = name.lower()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if lower.endswith((".docx", ".docm")) or b"word/" in head or b"[Content_Types].xml" in head:
            return "docx"
        raise DocumentError(f"{name}: a ZIP archive that is not a DOCX document")
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if lower.endswith(".eml") or (_EMAIL_HEADER.match(stripped) and b"\n\n" in head.replace(b"\r\n", b"\n")):
        return "email"
    probe = stripped[:2048].lower()
    if lower.endswith((".html", ".htm", ".xhtml")) or probe.startswith((b"<!doctype html", b"<html")) \
            or b"<body" in probe or b"<head" in probe:
        return "html"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and head[1::2].count(0) < len(head) // 3 and head[0::2].count(0) < len(head) // 3:
        raise DocumentError(f"{name}: a binary file, not a document this scanner reads (text, Markdown, HTML, "
                            "PDF, DOCX, e-mail)")
    return "markdown" if lower.endswith((".md", ".markdown")) else "text"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    from redflags.batch.inputs import detect_encoding

    encoding, _how = detect_encoding(data[:65536], lambda: data[:1 << 20])
    text = data.decode(encoding, errors="replace")
    if text.count("\ufffd") > max(16, len(text) // 100):
        raise DocumentError(f"{name}: not text in any encoding it could be read as ({encoding} gives "
                            f"{text.count(chr(0xFFFD)):,} undecodable bytes)")
    return encoding, text


def _text_file(path: Path, name: str, kind: str) -> Document:
    from redflags.batch.inputs import detect_encoding

    with path.open("rb") as fh:
        head = fh.read(65536)
        more = head + fh.read(1 << 20)
    encoding, _how = detect_encoding(head, lambda: more)

    def parts() -> Iterator[Part]:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        at = 0
        carry = ""
        with path.open("rb") as fh:
            while True:
                chunk = fh.read(TEXT_PART)
                text = carry + decoder.decode(chunk, final=not chunk)
                if not chunk:
                    if text:
                        yield Part(text, at)
                    return
                # cut at the last line or space so that a word is not split between parts
                cut = max(text.rfind("\n"), text.rfind(" "))
                if cut < len(text) // 2:
                    cut = len(text)
                yield Part(text[:cut], at)
                at += cut
                carry = text[cut:]

    return Document(name, kind, parts(), encoding=encoding)


def _slices(text: str) -> Iterator[Part]:
    for start in range(0, max(len(text), 1), TEXT_PART):
        yield Part(text[start:start + TEXT_PART], start)


def _pages(texts: list[str]) -> Iterator[Part]:
    at = 0
    for number, text in enumerate(texts, 1):
        yield Part(text, at, number)
        at += len(text) + 1  # pages are joined by a form feed


def _pdf(data: bytes, name: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - pypdf raises several kinds here
                raise DocumentError(f"{name}: an encrypted PDF that cannot be opened ({exc})") from exc
            if not opened:
                raise DocumentError(f"{name}: an encrypted PDF (a password is needed to read its text)")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise DocumentError(f"{name}: {count:,} pages; at most {MAX_PDF_PAGES:,} are read")
        texts = []
        for number, page in enumerate(reader.pages, 1):
            try:
                texts.append((page.extract_text() or "").replace("\x00", ""))
            except Exception as exc:  # noqa: BLE001 - a damaged content stream
                raise DocumentError(f"{name}: page {number} cannot be read ({type(exc).__name__}: {exc})") from exc
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise DocumentError(f"{name}: a damaged PDF ({type(exc).__name__}: {exc})") from exc
    if count and not any(t.strip() for t in texts):
        raise DocumentError(f"{name}: a PDF of {count} page(s) with no text layer (scanned images?): it needs OCR "
                            "before it can be scanned")
    return Document(name, "pdf", _pages(texts), pages=count)


def _docx(data: bytes, name: str) -> Document:
    from redflags.archives import check_members

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_members(zf, name, DocumentError)
            if "word/document.xml" not in zf.namelist():
                raise DocumentError(f"{name}: a ZIP archive without word/document.xml, not a DOCX document")
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{name}: a damaged DOCX ({exc})") from exc
    import docx

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises from lxml, zipfile and its own
        raise DocumentError(f"{name}: a damaged DOCX ({type(exc).__name__}: {exc})") from exc
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return Document(name, "docx", _slices("\n".join(lines)))


def html_text(data: bytes | str, name: str) -> str:
    """The main text of an HTML page: boilerplate (menus, footers), scripts and styles removed."""
    import trafilatura

    html = data if isinstance(data, str) else _decode(data, name)[1]
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True,
                               deduplicate=False)
    if not text:
        # a page trafilatura finds no article in (a short one, a table): all of its visible text
        from lxml import html as lxml_html

        try:
            tree = lxml_html.fromstring(html)
        except (ValueError, TypeError) as exc:
            raise DocumentError(f"{name}: HTML that cannot be parsed ({exc})") from exc
        for bad in tree.xpath("//script|//style|//noscript|//template"):
            bad.drop_tree()
        text = "\n".join(t.strip() for t in tree.itertext() if t.strip())
    return text


def _html(data: bytes, name: str) -> Document:
    return Document(name, "html", _slices(html_text(data, name)))


def _email(data: bytes, name: str, depth: int) -> Document:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; this is a last resort
        raise DocumentError(f"{name}: an e-mail that cannot be parsed ({exc})") from exc
    heads = [f"{h}: {message[h]}" for h in ("Subject", "From", "To", "Date") if message[h]]
    bodies: list[str] = []
    attachments: list[Document] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        try:
            raw = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001 - a broken transfer encoding: that part is skipped
            raw = None
        payload = raw if isinstance(raw, bytes) else b""
        if filename or disposition == "attachment":
            label = f"{name}#{filename or 'attachment'}"
            if depth >= ATTACHMENT_DEPTH:
                continue
            try:
                attachments.append(open_document(label, label, payload, depth + 1))
            except DocumentError as exc:
                attachments.append(Document(label, "error", iter(()), error=str(exc)))
            continue
        kind = part.get_content_type()
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("utf-8", errors="replace")
        if kind == "text/plain":
            bodies.append(text)
        elif kind == "text/html" and not any(bodies):
            bodies.append(html_text(text, name))
    text = "\n".join(heads) + "\n\n" + "\n\n".join(bodies)
    return Document(name, "email", _slices(text), attachments=attachments)
