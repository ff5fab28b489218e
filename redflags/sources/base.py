"""What every list parser shares: the parse context, issues, and hardened readers.

A parser is a generator ``parse(ctx) -> Iterator[Record]``. It reads its file only
through the readers here, which enforce the limits in ``redflags.settings``:
decompression bombs, oversize fields, DOCTYPE/entity tricks in XML and undecodable
bytes all end in a ``SourceFormatError`` naming the file and line, or in a
``ParseIssue`` when the record can still be loaded.
"""

import codecs
import csv
import gzip
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from redflags import settings
from redflags.archives import check_members
from redflags.exc import SourceFormatError
from redflags.model import Record

log = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """One problem found in a list file; the load report collects them."""

    file: str
    locator: str  # "row 1207" | "record QDi.431" | "line 3"
    field: str | None
    value: str | None
    code: str  # "unparseable-date", "unknown-country", "duplicate-id", ...
    message: str
    severity: str = "warning"  # "info" | "warning" | "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}, {self.locator}"
        if self.field:
            where += f", field {self.field}"
        shown = "" if self.value is None else f" (value {_shorten(self.value)!r})"
        return f"{self.severity}: {where}: {self.message}{shown}"


def _shorten(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[:limit] + f"… [{len(value)} chars]"


@dataclass
class ParseContext:
    """State of one file being parsed: where it is, what it has said, what went wrong."""

    path: Path
    dataset: str
    format: str
    meta: dict[str, Any] = field(default_factory=dict)
    issues: list[ParseIssue] = field(default_factory=list)
    data_date: str | None = None
    encoding: str | None = None
    companions: dict[str, Path] = field(default_factory=dict)
    """Extra files of a multi-file format (OFAC legacy CSV add/alt/comments)."""

    @property
    def name(self) -> str:
        return self.path.name

    def issue(self, code: str, message: str, locator: str = "file", field: str | None = None,
              value: Any = None, severity: str = "warning", file: str | None = None) -> None:
        text = None if value is None else str(value)
        found = ParseIssue(file or self.name, locator, field, text, code, message, severity)
        self.issues.append(found)
        log.debug("%s", found)

    def make(self, schema: str, source_id: str, locator: str) -> Record:
        record = Record(self.dataset, schema, source_id)
        record.locators.append(f"{self.name}:{locator}")
        return record

    def add(self, record: Record, prop: str, value: Any, locator: str,
            field: str | None = None) -> str | None:
        """Add a value; file an issue when the publisher wrote something unusable."""
        if value is None or not str(value).strip():
            return None
        clean = record.add(prop, value)
        if clean is None:
            kind = record.proxy.schema.get(prop)
            type_name = kind.type.name if kind else "value"
            self.issue(f"unparseable-{type_name}", f"cannot read this {type_name}; kept as published",
                       locator, field or prop, value)
        return clean

    def audit(self, row: dict[str, Any], locator: str, ignore: Iterable[str] = ()) -> None:
        """File an issue for each non-empty field the parser did not consume."""
        skip = set(ignore)
        for key, value in row.items():
            if key in skip or value in (None, "", [], {}):
                continue
            self.issue("unexpected-field", "field not understood by the parser; kept in raw",
                       locator, str(key), value, severity="info")

    def lookup(self, table: str, value: str | None) -> Any:
        """Map a publisher value through ``meta[lookups][table]``; None if unmapped."""
        if value is None:
            return None
        options = self.meta.get("lookups", {}).get(table, {})
        key = value.strip()
        if key in options:
            return options[key]
        return options.get(key.casefold())


# --- binary access with decompression limits ------------------------------------------


class _LimitedReader(io.RawIOBase):
    """Pass bytes through until ``limit``; beyond that the file is a bomb."""

    def __init__(self, inner: IO[bytes], limit: int, name: str) -> None:
        self.inner, self.limit, self.name_, self.count = inner, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise SourceFormatError(
                f"{self.name_}: expands past {self.limit:,} bytes; refusing a likely "
                "decompression bomb (REDFLAGS_MAX_UNCOMPRESSED_BYTES)")
        buffer[: len(data)] = data
        return len(data)


def _limited(inner: IO[bytes], name: str) -> IO[bytes]:
    return io.BufferedReader(_LimitedReader(inner, settings.MAX_UNCOMPRESSED_BYTES, name),
                             buffer_size=1 << 16)


def pick_zip_member(zf: zipfile.ZipFile, name: str, want: tuple[str, ...] = ()) -> zipfile.ZipInfo:
    """The list file inside a ZIP, after checking every member for bomb signs."""
    members = check_members(zf, name, SourceFormatError)
    if not members:
        raise SourceFormatError(f"{name}: ZIP archive is empty")
    chosen = [m for m in members if m.filename.lower().endswith(want)] if want else members
    if len(chosen) != 1:
        listed = ", ".join(repr(m.filename) for m in members[:10])
        raise SourceFormatError(f"{name}: expected one list file in the ZIP, found {listed}")
    return chosen[0]


class _WholeLines(io.RawIOBase):
    """A gzip stream read up to its last complete line when it was cut off.

    Bytes after the last newline are held back until more data shows they are not the
    end of a cut stream; if the stream ends early, they are dropped and the cut is filed
    as a ``truncated-file`` issue, as for a plain file cut off mid-record. Damaged
    compressed data (a failed CRC, invalid deflate data) refuses the whole file: nothing in
    it can be trusted."""

    def __init__(self, inner: IO[bytes], name: str, ctx: "ParseContext | None") -> None:
        self.inner, self.name_, self.ctx = inner, name, ctx
        self.tail = b""
        self.ready = b""
        self.done = False
        self.lines = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        while not self.ready and not self.done:
            try:
                chunk = self.inner.read(1 << 16)
            except EOFError:
                self.done = True
                if self.ctx is not None:
                    self.ctx.issue("truncated-file", "the gzip stream ends before its end marker: the file "
                                   f"was cut off; the partial last record ({len(self.tail):,} bytes) is not "
                                   "loaded", f"line {self.lines + 1}", severity="error", file=self.name_)
                self.tail = b""
                return
            except (OSError, zlib.error, zipfile.BadZipFile) as exc:  # BadGzipFile (CRC, length) is an OSError
                raise SourceFormatError(f"{self.name_}: damaged compressed data after line {self.lines:,}: {exc}; "
                                        "refusing the file (download it again)") from exc
            if not chunk:
                self.done = True
                self.ready, self.tail = self.tail, b""
                return
            data = self.tail + chunk
            cut = data.rfind(b"\n") + 1
            self.ready, self.tail = data[:cut], data[cut:]
            self.lines += self.ready.count(b"\n")

    def readinto(self, buffer: Any) -> int:
        self._fill()
        n = min(len(buffer), len(self.ready))
        buffer[:n] = self.ready[:n]
        self.ready = self.ready[n:]
        return n


def open_binary(path: Path, ctx: "ParseContext | None" = None) -> IO[bytes]:
    """Open a list file, transparently unpacking gzip and single-file ZIP archives. A gzip file
    cut off is read to its last complete line, and the cut is filed on ``ctx``."""
    try:
        fh: IO[bytes] = open(path, "rb")
    except OSError as exc:
        raise SourceFormatError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    head = fh.read(4)
    fh.seek(0)
    if head.startswith(GZIP_MAGIC):
        stream = _limited(gzip.GzipFile(fileobj=fh, mode="rb"), path.name)  # type: ignore[arg-type]
        return io.BufferedReader(_WholeLines(stream, path.name, ctx), 1 << 16)
    if head == ZIP_MAGIC and not is_xlsx(path):
        try:
            zf = zipfile.ZipFile(fh)
            member = pick_zip_member(zf, path.name, (".xml", ".csv", ".json", ".txt"))
            name = f"{path.name}!{member.filename}"
            return io.BufferedReader(_WholeLines(_limited(zf.open(member), name), name, ctx), 1 << 16)
        except zipfile.BadZipFile as exc:
            fh.close()
            raise SourceFormatError(f"{path.name}: damaged ZIP archive: {exc}") from exc
    return fh


def is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


# --- text decoding ------------------------------------------------------------------

_FALLBACKS = ("gb18030", "cp1252", "latin-1")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _paired_high_bytes(raw: bytes) -> bool:
    """Whether most non-ASCII bytes of ``raw`` stand in pairs of non-ASCII bytes (GB2312 text),
    rather than alone before an ASCII byte (Windows-1252 text)."""
    paired = single = 0
    i = 0
    while i < len(raw):
        if raw[i] < 0x80:
            i += 1
            continue
        if i + 1 < len(raw) and raw[i + 1] >= 0x80:
            paired += 1
            i += 2
        else:
            single += 1
            i += 1
    return paired > 0 and single * 4 <= paired


def _decode_line(raw: bytes, fallback: str | None) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    order = ([fallback] if fallback else []) + [e for e in _FALLBACKS if e != fallback]
    for enc in order:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        # GB18030 decodes many Latin-1 byte pairs into CJK noise ("Ibérica" -> "Ib閞ica"):
        # accept it only when the result holds Han characters and the line's high bytes
        # mostly come in pairs, as Chinese text's do (an accented Latin letter is one high
        # byte before an ASCII one).
        if enc == "gb18030" and (not _CJK.search(text) or not _paired_high_bytes(raw)):
            continue
        return text, enc
    return raw.decode("utf-8", errors="replace"), "utf-8-replace"


def read_lines(fh: IO[bytes], ctx: ParseContext) -> Iterator[str]:
    """Decoded lines of a text file: BOMs and UTF-16 honoured, bad UTF-8 reported per line.

    Lines that are not valid UTF-8 are decoded as GB18030 (when they hold Chinese) or
    Windows-1252, and the first such line is filed as an ``encoding`` issue.
    """
    head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        ctx.encoding = "utf-16"
        rest = io.TextIOWrapper(io.BufferedReader(_Prefixed(head, fh)), encoding="utf-16", newline="")
        try:
            yield from rest
        except UnicodeDecodeError as exc:
            raise SourceFormatError(f"{ctx.name}: invalid UTF-16 data: {exc.reason}") from exc
        return
    if len(head) >= 2 and head[0] != 0 and head[1] == 0 or head[:1] == b"\x00":
        raise SourceFormatError(
            f"{ctx.name}: looks like UTF-16 without a byte-order mark; re-save it with a BOM "
            "or as UTF-8")
    if head.startswith(codecs.BOM_UTF8):
        ctx.encoding = "utf-8-sig"
        first = head[3:]
    else:
        ctx.encoding = "utf-8"
        first = head
    stream = _Prefixed(first, fh)
    fallback: str | None = None
    bad_lines = 0
    for number, raw in enumerate(io.BufferedReader(stream, 1 << 16), start=1):
        text, used = _decode_line(raw, fallback)
        if used:
            bad_lines += 1
            if fallback is None:
                fallback = used
                ctx.encoding = f"mixed utf-8/{used}"
                ctx.issue("encoding", f"bytes that are not UTF-8; decoded as {used}",
                          f"line {number}", value=raw[:80].decode("latin-1"))
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield text
    if bad_lines > 1:
        ctx.issue("encoding", f"{bad_lines} lines were not UTF-8 and were decoded as {fallback}",
                  "file", severity="info")


class _Prefixed(io.RawIOBase):
    """A stream that yields ``prefix`` and then the rest of ``inner``."""

    def __init__(self, prefix: bytes, inner: IO[bytes]) -> None:
        self.prefix, self.inner = prefix, inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- CSV ----------------------------------------------------------------------------

csv.field_size_limit(max(settings.MAX_FIELD_CHARS, 1024))


def iter_csv(lines: Iterable[str], ctx: ParseContext, delimiter: str = ",",
             skip_blank: bool = True) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each CSV row.

    An oversize field raises (the file is not a list). A file that ends inside a quoted
    field was cut off: its last, partial row is reported as ``truncated-file`` and not
    loaded. Any other malformed row is reported with its line and skipped.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                raise SourceFormatError(
                    f"{ctx.name}: line {line}: a field is longer than "
                    f"{settings.MAX_FIELD_CHARS:,} characters (REDFLAGS_MAX_FIELD_CHARS); "
                    "the file is damaged or not a list") from exc
            if "unexpected end of data" in str(exc):
                ctx.issue("truncated-file", "file ends inside a quoted field: it was cut off; "
                          "the partial last row is not loaded", f"line {start}",
                          severity="error")
                return
            ctx.issue("malformed-row", f"unreadable CSV row ({exc}); skipped", f"line {line}",
                      severity="error")
            continue
        if skip_blank and not any(c.strip() for c in cells):
            continue
        yield reader.line_num, cells


def iter_rows(ctx: ParseContext, required: Iterable[str], delimiter: str = ",",
              casefold: bool = False) -> Iterator[tuple[str, dict[str, str]]]:
    """(locator, row) for each data row of a headed CSV; a repeated header line is skipped."""
    header: list[str] | None = None
    with open_binary(ctx.path, ctx) as fh:
        for line, cells in iter_csv(read_lines(fh, ctx), ctx, delimiter=delimiter):
            cells = [c.strip() for c in cells]
            if header is None:
                header = [c.casefold() for c in cells] if casefold else cells
                require_columns(header, required, ctx)
                continue
            if cells == header:
                continue
            locator = f"line {line}"
            yield locator, row_dict(header, cells, ctx, locator)
    if header is None:
        raise SourceFormatError(f"{ctx.name}: empty file; expected a header with "
                                f"{', '.join(map(repr, required))}")


def row_dict(header: list[str], cells: list[str], ctx: ParseContext, locator: str) -> dict[str, str]:
    """Zip a row to its header; short rows are padded and reported, long ones reported."""
    if len(cells) < len(header):
        ctx.issue("short-row", f"{len(cells)} of {len(header)} columns; missing ones read as empty",
                  locator)
        cells = cells + [""] * (len(header) - len(cells))
    elif len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        ctx.issue("long-row", f"{len(cells)} columns for a {len(header)}-column header; extra "
                  "cells kept in raw", locator, value="|".join(cells[len(header):]))
    return dict(zip(header, cells))


def require_columns(header: list[str], required: Iterable[str], ctx: ParseContext) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and any(d in header[0] for d in ";\t|"):
            hint = " (the header is one column: wrong delimiter?)"
        raise SourceFormatError(
            f"{ctx.name}: line 1: required column(s) {', '.join(map(repr, missing))} missing from a header of "
            f"{len(header)} column(s){hint}", ", ".join(repr(h[:60]) for h in header[:40]))


# --- XML ----------------------------------------------------------------------------

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_xml_prolog(fh: IO[bytes], ctx: ParseContext) -> None:
    """Refuse DOCTYPE and ENTITY declarations: no list needs them; bombs and XXE do."""
    head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
    root = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: root.start()] if root else head
    if _DTD.search(prolog):
        raise SourceFormatError(
            f"{ctx.name}: line 1: XML declares a DOCTYPE or entities; refused because they "
            "enable entity-expansion bombs and external-entity reads")


def iter_xml(fh: IO[bytes], ctx: ParseContext, tags: tuple[str, ...],
             ) -> Iterator[etree._Element]:
    """Stream elements by local name with a hardened lxml parser; clear each after use."""
    if not hasattr(fh, "peek"):
        fh = io.BufferedReader(fh, 1 << 16)  # type: ignore[arg-type,type-var]
    check_xml_prolog(fh, ctx)
    events = etree.iterparse(
        fh, events=("end",), resolve_entities=False, no_network=True, load_dtd=False,
        dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True,
    )
    wanted = set(tags)
    checked = False
    try:
        for _event, elem in events:
            if not checked:
                # A DOCTYPE anywhere (past the first 4 KB, in a UTF-16 file) is refused as well:
                # lxml has parsed it by the time the first element ends.
                checked = True
                info = elem.getroottree().docinfo
                if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
                    raise SourceFormatError(
                        f"{ctx.name}: the XML declares a DOCTYPE; refused because it enables "
                        "entity-expansion bombs and external-entity reads")
            if etree.QName(elem).localname in wanted:
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as exc:
        if any(i.code == "truncated-file" for i in ctx.issues):
            return  # a compressed file cut off: its complete records stand, the cut is reported
        line = getattr(exc, "lineno", None) or getattr(exc, "position", ("?",))[0]
        msg = str(exc.msg) if hasattr(exc, "msg") else str(exc)
        if "Entity" in msg or "DOCTYPE" in msg:
            msg += " (DOCTYPE and entity declarations are refused)"
        raise SourceFormatError(f"{ctx.name}: line {line}: malformed XML", msg) from exc


def stream_xml(ctx: ParseContext, entries: tuple[str, ...],
               header: Mapping[str, Callable[[etree._Element], None]], what: str,
               ) -> Iterator[etree._Element]:
    """Entry elements of a list XML; ``header`` handles metadata elements by local name.

    Raises when the file holds neither entries nor any header element: it is not ``what``.
    """
    seen = False
    with open_binary(ctx.path, ctx) as fh:
        for elem in iter_xml(fh, ctx, entries + tuple(header)):
            seen = True
            name = _local(elem.tag)
            if name in header:
                header[name](elem)
                continue
            yield elem
    if not seen:
        raise SourceFormatError(f"{ctx.name}: no {'/'.join(entries)} elements; not {what}")


def text(elem: etree._Element | None, path: str | None = None) -> str | None:
    """Stripped text of ``elem`` (or of its first descendant at local-name ``path``)."""
    if elem is None:
        return None
    if path is not None:
        elem = find(elem, path)
        if elem is None:
            return None
    value = elem.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def find(elem: etree._Element, path: str) -> etree._Element | None:
    found = findall(elem, path)
    return found[0] if found else None


def findall(elem: etree._Element, path: str) -> list[etree._Element]:
    """Namespace-agnostic child lookup: ``path`` is "a/b/c" of local names."""
    current = [elem]
    for part in path.split("/"):
        current = [child for node in current for child in node
                   if isinstance(child.tag, str) and _local(child.tag) == part]
        if not current:
            return []
    return current


def _local(tag: str) -> str:
    return tag if tag[0] != "{" else tag[tag.index("}") + 1:]


def texts(elem: etree._Element, path: str) -> list[str]:
    return [t for t in (text(e) for e in findall(elem, path)) if t]


def split_values(value: str | None, sep: str = ";") -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.split(sep) if v.strip()]
