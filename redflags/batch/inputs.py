"""Files of parties to screen, read as a stream of rows whatever their size.

CSV (any delimiter; UTF-8 with or without BOM, UTF-16, GB18030, Latin-1 and others,
detected), XLSX, JSON lines and Parquet. A row that cannot be read does not stop the
run and is not dropped: it comes out as an ``InputRow`` with ``error`` set, so it
appears in the results with status ``error`` and the reason.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from redflags.archives import check_xlsx
from redflags.exc import InputError

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
SAMPLE = 64 * 1024
MAX_FIELD = 1_000_000
LEGACY_ENCODINGS = ["gb18030", "big5", "shift_jis", "euc_kr", "cp1251", "cp1252"]
UTF8_GOOD_PER_BAD = 10
"""A sample with at least this many valid multi-byte UTF-8 characters per invalid sequence is UTF-8."""
DETECT_SAMPLE = 1024 * 1024
"""How much of a file that is not valid UTF-8 is read to tell damaged UTF-8 from a legacy encoding."""
RUNAWAY_LINES = 100
"""A CSV record spanning more physical lines than this is an unclosed quote, not a name."""

_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(slots=True)
class InputRow:
    row: int
    """1-based record number in the file, header excluded."""
    values: dict[str, Any]
    error: str | None = None
    line: int | None = None
    """Physical line of the record's start (CSV, JSON lines)."""


@dataclass
class InputFile:
    """An opened input: what was detected, and a row iterator."""

    name: str
    path: Path
    format: str
    columns: list[str]
    encoding: str | None = None
    encoding_detected_by: str | None = None
    delimiter: str | None = None
    total_rows: int | None = None
    size: int = 0
    sheet: str | None = None
    _temp: Path | None = field(default=None, repr=False)
    _position: Any = field(default=None, repr=False)

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "format": self.format, "columns": self.columns, "size": self.size}
        for key in ("encoding", "encoding_detected_by", "delimiter", "total_rows", "sheet"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def position(self) -> int:
        """Bytes read so far, for progress on formats whose row count is unknown."""
        if not self._position:
            return 0
        try:
            return int(self._position())
        except ValueError:  # the file is closed: it was read to its end
            return self.size

    def rows(self) -> Iterator[InputRow]:
        reader = {"csv": _csv_rows, "xlsx": _xlsx_rows, "jsonl": _jsonl_rows, "parquet": _parquet_rows}
        yield from reader[self.format](self)

    def fingerprint(self) -> str | None:
        """Identifies the file's content for resuming a killed run (None for stdin)."""
        if self._temp is not None:
            return None
        stat = self.path.stat()
        digest = hashlib.sha256(f"{self.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        with self.path.open("rb") as fh:
            digest.update(fh.read(SAMPLE))
            if stat.st_size > SAMPLE:
                fh.seek(-SAMPLE, os.SEEK_END)
                digest.update(fh.read(SAMPLE))
        return digest.hexdigest()

    def close(self) -> None:
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)


def open_input(source: str | Path, fmt: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, sheet: str | None = None) -> InputFile:
    """Detect the format (and for CSV the encoding and delimiter) of ``source``; ``-`` is stdin."""
    temp = None
    if str(source) == "-":
        # Spooled to disk so that every format (XLSX and Parquet need to seek) reads the same way.
        handle, name = tempfile.mkstemp(prefix="redflags-stdin-")
        with os.fdopen(handle, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1024 * 1024)
        temp = path = Path(name)
        display = "<stdin>"
    else:
        path = Path(source)
        display = str(source)
        if not path.exists():
            raise InputError(f"{display}: no such file")
        if path.is_dir():
            raise InputError(f"{display}: is a directory, not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(SAMPLE)
    except OSError as exc:
        raise InputError(f"{display}: cannot be read: {exc.strerror}") from exc
    fmt = fmt or _sniff_format(path, head, display)
    if fmt not in FORMATS:
        raise InputError(f"{display}: unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    opened = InputFile(name=display, path=path, format=fmt, columns=[], size=path.stat().st_size, _temp=temp)
    try:
        _OPENERS[fmt](opened, head, encoding=encoding, delimiter=delimiter, sheet=sheet)
    except InputError:
        opened.close()
        raise
    return opened


def _sniff_format(path: Path, head: bytes, display: str) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{display}: an old binary Excel (.xls) file; save it as .xlsx or CSV")
    if not head:
        raise InputError(f"{display}: the file is empty")
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext in ("csv", "jsonl"):
        return by_ext
    if head.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"{":
        return "jsonl"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and head.count(b"\x00") < len(head) // 4:
        raise InputError(f"{display}: a binary file, not CSV, XLSX, JSON lines or Parquet")
    return "csv"


# --- CSV ------------------------------------------------------------------------------


def _utf8_damage(sample: bytes) -> tuple[int, int]:
    """``(characters that decode as multi-byte UTF-8, invalid byte sequences)`` in ``sample``
    (a sequence cut by the end of the sample is not counted)."""
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(sample, final=False)
    bad = text.count("\ufffd")
    return sum(1 for ch in text if ord(ch) > 127) - bad, bad


def detect_encoding(head: bytes, more: Callable[[], bytes] | None = None) -> tuple[str, str]:
    """``(encoding, how)``: a byte-order mark, valid UTF-8, UTF-8 with a few damaged bytes, or
    charset-normalizer's best guess. ``more`` gives a larger sample when ``head`` is not valid UTF-8.

    A file whose non-ASCII text is UTF-8 but for a few bad bytes is UTF-8: the rows with the bad
    bytes are errors, and the rest keeps its Chinese names (read as Latin-1, every one of them
    would be mojibake). Legacy single-byte text (Windows-1252) and GB18030 almost never form
    valid multi-byte UTF-8 sequences, so a sample with no such sequence is a legacy encoding."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "byte-order mark"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "byte-order mark"
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 3:
        return "utf-16-le", "zero bytes"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 3:
        return "utf-16-be", "zero bytes"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    sample = more() if more is not None else head
    good, bad = _utf8_damage(sample)
    if good >= UTF8_GOOD_PER_BAD * bad:
        return "utf-8", f"UTF-8, with {bad} invalid byte sequence{'s' if bad != 1 else ''} in the first " \
                        f"{len(sample):,} bytes (their rows are errors)"
    from charset_normalizer import from_bytes

    # The encodings vendor files come in when they are not Unicode. Left to choose among all,
    # charset-normalizer reads a short French or German sample as a Baltic code page.
    best = from_bytes(head, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        return "latin-1", "fallback"
    name = codecs.lookup(best.encoding).name
    # GB2312 and GBK are subsets of GB18030: decode with the superset.
    if name in ("gb2312", "gbk"):
        name = "gb18030"
    return name, "charset-normalizer"


def _open_csv(opened: InputFile, head: bytes, encoding: str | None, delimiter: str | None, **_: Any) -> None:
    if encoding:
        try:
            text_codec = codecs.lookup(encoding)._is_text_encoding  # type: ignore[attr-defined]
        except LookupError:
            text_codec = False
        if not text_codec:
            raise InputError(f"unknown encoding {encoding!r} (--encoding); e.g. utf-8, gb18030, big5, shift_jis, "
                             "cp1252, latin-1")
        opened.encoding, opened.encoding_detected_by = encoding, "given"
    else:
        def sample() -> bytes:
            with opened.path.open("rb") as fh:
                return fh.read(DETECT_SAMPLE)

        opened.encoding, opened.encoding_detected_by = detect_encoding(head, sample)
    text = head.decode(opened.encoding, errors="replace")
    if delimiter:
        opened.delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(opened.delimiter) != 1 or opened.delimiter in "\"\r\n":
            raise InputError(f"delimiter {delimiter!r} (--delimiter): one character, such as , ; | or tab")
    else:
        opened.delimiter = _sniff_delimiter(text)
    with _open_text(opened) as fh:
        reader = csv.reader(fh, delimiter=opened.delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"{opened.name}: line 1 (header): {exc}") from exc
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{opened.name}: no header row; the first line must name the columns")
    opened.columns = _unique_headers(header)


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the sample may cut the last line
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"} if lines else {}
        best = max(counts, key=lambda d: counts[d], default=",")
        return best if counts.get(best) else ","


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n, raw in enumerate(header, 1):
        name = raw.strip().lstrip("\ufeff") or f"column_{n}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _open_text(opened: InputFile) -> IO[str]:
    raw = opened.path.open("rb")
    opened._position = raw.tell
    assert opened.encoding is not None
    return io.TextIOWrapper(raw, encoding=opened.encoding, errors="surrogateescape", newline="")


def _bad_bytes(values: list[str], columns: list[str], encoding: str) -> str | None:
    for n, value in enumerate(values):
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            col = columns[n] if n < len(columns) else f"column {n + 1}"
            return f"column {col!r}: bytes that are not valid {encoding}"
    return None


def _clean(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if any(
        "\udc80" <= ch <= "\udcff" for ch in value) else value


def _csv_rows(opened: InputFile) -> Iterator[InputRow]:
    columns = opened.columns
    csv.field_size_limit(MAX_FIELD)
    with _open_text(opened) as fh:
        reader = csv.reader(fh, delimiter=opened.delimiter or ",")
        line = 1
        try:
            next(reader)
        except (csv.Error, StopIteration):
            return
        row = 0
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield InputRow(row, {}, f"line {start}: cannot be parsed as CSV: {exc}", start)
                continue
            line = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            row += 1
            error = _bad_bytes(fields, columns, opened.encoding or "")
            if error:
                fields = [_clean(f) for f in fields]
            values = dict(zip(columns, fields))
            if line - start + 1 > RUNAWAY_LINES:
                error = (f"an unclosed quote at line {start} runs over {line - start + 1} lines; "
                         "the rows inside it are in this record")
            elif len(fields) > len(columns):
                extra = fields[len(columns):]
                if any(x.strip() for x in extra):
                    values["_extra"] = opened.delimiter.join(extra) if opened.delimiter else "|".join(extra)
                    error = error or f"{len(fields)} fields where the header has {len(columns)}"
            elif len(fields) < len(columns):
                error = error or f"{len(fields)} fields where the header has {len(columns)}"
            if error:
                error = f"line {start}: {error}"
            yield InputRow(row, values, error, start)


# --- XLSX -----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _workbook(opened: InputFile) -> Any:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx(opened.path, opened.name, InputError)
    try:
        return load_workbook(opened.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, InvalidFileException) as exc:
        raise InputError(f"{opened.name}: not a readable XLSX workbook: {exc}") from exc


def _sheet(opened: InputFile, wb: Any) -> Any:
    if opened.sheet is None:
        return wb.worksheets[0]
    if opened.sheet not in wb.sheetnames:
        raise InputError(f"{opened.name}: no sheet {opened.sheet!r}; sheets: {', '.join(wb.sheetnames)}")
    return wb[opened.sheet]


def _open_xlsx(opened: InputFile, head: bytes, sheet: str | None = None, **_: Any) -> None:
    wb = _workbook(opened)
    try:
        opened.sheet = sheet
        ws = _sheet(opened, wb)
        opened.sheet = ws.title
        for values in ws.iter_rows(values_only=True):
            if any(v is not None and str(v).strip() for v in values):
                opened.columns = _unique_headers([_cell(v) for v in values])
                break
        if not opened.columns:
            raise InputError(f"{opened.name}: sheet {ws.title!r} is empty")
        if ws.max_row:
            opened.total_rows = max(ws.max_row - 1, 0)
    finally:
        wb.close()


def _xlsx_rows(opened: InputFile) -> Iterator[InputRow]:
    wb = _workbook(opened)
    try:
        ws = _sheet(opened, wb)
        seen_header = False
        row = 0
        for line, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [_cell(v) for v in values]
            if not seen_header:
                seen_header = any(c.strip() for c in cells)
                continue
            if not any(c.strip() for c in cells):
                continue
            row += 1
            yield InputRow(row, dict(zip(opened.columns, cells)), None, line)
    finally:
        wb.close()


# --- JSON lines -----------------------------------------------------------------------


def _flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """A plain record, or a FollowTheMoney/yente entity (``schema`` + ``properties``)."""
    props = obj.get("properties")
    if isinstance(props, dict):
        flat = {k: v for k, v in obj.items() if k != "properties"}
        flat.update(props)
        return flat
    return obj


def _open_jsonl(opened: InputFile, head: bytes, **_: Any) -> None:
    columns: dict[str, None] = {}
    with opened.path.open("rb") as fh:
        for n, raw in enumerate(fh):
            if n >= 1000:
                break
            try:
                obj = orjson.loads(raw.lstrip(codecs.BOM_UTF8)) if raw.strip() else None
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                columns.update(dict.fromkeys(_flatten(obj)))
    if not columns:
        raise InputError(f"{opened.name}: no JSON object in the first 1,000 lines; expected one object "
                         "per line, e.g. {\"id\": \"V1\", \"name\": \"Hikvision\", \"country\": \"CN\"}")
    opened.columns = list(columns)
    opened.encoding = "utf-8"


def _jsonl_rows(opened: InputFile) -> Iterator[InputRow]:
    with opened.path.open("rb") as fh:
        opened._position = fh.tell
        row = 0
        for line, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            row += 1
            try:
                obj = orjson.loads(raw.lstrip(codecs.BOM_UTF8) if line == 1 else raw)
            except orjson.JSONDecodeError as exc:
                text = raw.decode("utf-8", "replace").strip()
                yield InputRow(row, {"_raw": text[:2000]}, f"line {line}: not valid JSON: {exc}", line)
                continue
            if not isinstance(obj, dict):
                yield InputRow(row, {"_raw": raw.decode("utf-8", "replace").strip()[:2000]},
                               f"line {line}: a JSON {type(obj).__name__}, not an object", line)
                continue
            yield InputRow(row, _flatten(obj), None, line)


# --- Parquet --------------------------------------------------------------------------


def _parquet(opened: InputFile) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(opened.path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others for a bad file
        raise InputError(f"{opened.name}: not a readable Parquet file: {exc}") from exc


def _open_parquet(opened: InputFile, head: bytes, **_: Any) -> None:
    pf = _parquet(opened)
    opened.columns = list(pf.schema_arrow.names)
    opened.total_rows = pf.metadata.num_rows


def _as_python(table: Any) -> Any:
    """Columns Python cannot take as they are made readable: times (nanosecond timestamps
    overflow ``datetime``) as ISO text, bytes as UTF-8 text where they are."""
    import pyarrow as pa

    for index, column in enumerate(table.schema):
        kind = column.type
        if pa.types.is_temporal(kind):
            table = table.set_column(index, column.name, table.column(index).cast(pa.string()))
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            try:
                table = table.set_column(index, column.name, table.column(index).cast(pa.string()))
            except pa.ArrowInvalid:
                pass  # not UTF-8: the rows that hold such bytes are errors (ColumnMap.query)
    return table


def _parquet_rows(opened: InputFile) -> Iterator[InputRow]:
    pf = _parquet(opened)
    row = 0
    for group in range(pf.num_row_groups):
        try:
            table = _as_python(pf.read_row_group(group))
        except Exception as exc:  # a corrupt row group: its rows are errors, the rest go on
            count = pf.metadata.row_group(group).num_rows
            for _ in range(count):
                row += 1
                yield InputRow(row, {}, f"row group {group}: cannot be read: {exc}")
            continue
        for batch in table.to_batches(10_000):
            for values in batch.to_pylist():
                row += 1
                yield InputRow(row, {k: v for k, v in values.items()}, None)


_OPENERS: dict[str, Callable[..., None]] = {"csv": _open_csv, "xlsx": _open_xlsx, "jsonl": _open_jsonl,
                                            "parquet": _open_parquet}
