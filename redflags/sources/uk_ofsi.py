"""UK OFSI consolidated list: the CSV (pre-2022 layout) and the XLSX (2022+ layout).

Each row is one name of a target; rows share a ``Group ID``. The first line is
``Last Updated,<dd/mm/yyyy>``, the second the header. Both layouts are read by header
name, so the parser follows columns that move.
"""

import re
import zipfile
from collections.abc import Iterator
from typing import Any

from redflags.archives import check_xlsx
from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import (
    ParseContext,
    iter_csv,
    open_binary,
    read_lines,
    require_columns,
    row_dict,
)
from redflags.sources.helpers import add_country, add_date, add_identifier, join_address, merge_into

REQUIRED = ["Name 6", "Group Type", "Group ID"]
_ENUM = re.compile(r"\s*\(?\d+\)\s*")
AUTHORITY = "Office of Financial Sanctions Implementation"


def parse_csv(ctx: ParseContext) -> Iterator[Record]:
    with open_binary(ctx.path, ctx) as fh:
        rows = ((f"line {line}", cells) for line, cells in iter_csv(read_lines(fh, ctx), ctx))
        yield from _parse_rows(ctx, rows)


def parse_xlsx(ctx: ParseContext) -> Iterator[Record]:
    import openpyxl

    check_xlsx(ctx.path, ctx.name, SourceFormatError)
    try:
        book = openpyxl.load_workbook(ctx.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise SourceFormatError(f"{ctx.name}: not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        rows = (
            (f"sheet {sheet.title!r} row {n}", ["" if c is None else _cell(c) for c in cells])
            for n, cells in enumerate(_guarded(ctx, sheet.iter_rows(values_only=True)), start=1)
        )
        yield from _parse_rows(ctx, rows)
    finally:
        book.close()


def _guarded(ctx: ParseContext, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows of the sheet; damage inside the workbook (bad XML, DTDs) becomes a format error."""
    from defusedxml import DefusedXmlException

    try:
        yield from rows
    except (DefusedXmlException, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise SourceFormatError(f"{ctx.name}: damaged or hostile worksheet XML "
                                f"({type(exc).__name__}: {exc})") from exc


def _cell(value: Any) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _parse_rows(ctx: ParseContext, rows: Iterator[tuple[str, list[str]]]) -> Iterator[Record]:
    header: list[str] | None = None
    groups: dict[str, Record] = {}
    for locator, cells in rows:
        cells = [c.strip() for c in cells]
        if header is None:
            if cells and cells[0].casefold() == "last updated":
                ctx.data_date = parse_date(cells[1] if len(cells) > 1 else None)
                continue
            if not any(cells):
                continue
            header = list(cells)
            while header and not header[-1]:
                header.pop()
            require_columns(header, REQUIRED, ctx)
            continue
        if not any(cells):
            continue
        row = row_dict(header, cells[: max(len(header), len(cells))], ctx, locator)
        record = _parse_row(ctx, row, locator)
        if record is None:
            continue
        merge_into(groups, record)
    if header is None:
        raise SourceFormatError(f"{ctx.name}: empty file; no OFSI header row found")
    yield from groups.values()


def _parse_row(ctx: ParseContext, row: dict[str, str], locator: str) -> Record | None:
    raw = dict(row)
    group = row.pop("Group ID", "").strip()
    if group.endswith(".0"):
        group = group[:-2]
    if not group:
        ctx.issue("missing-id", "row without Group ID; skipped", locator, "Group ID",
                  severity="error")
        return None
    kind = row.pop("Group Type", "").casefold()
    schema = ctx.lookup("schema", kind)
    if schema is None:
        ctx.issue("unknown-type", "unknown Group Type; read as a legal entity", locator,
                  "Group Type", kind)
        schema = "LegalEntity"
    record = ctx.make(schema, group, locator)
    record.raw.append(raw)
    parts = [row.pop(f"Name {i}", "") for i in range(1, 6)]
    last = row.pop("Name 6", "")
    if schema == "Person":
        full = " ".join(p for p in [*parts, last] if p)
    else:
        full = " ".join(p for p in [last, *parts] if p)
    alias_type = row.pop("Alias Type", "").casefold()
    quality = row.pop("Alias Quality", "").casefold()
    if alias_type.startswith("primary name") and "variation" not in alias_type:
        prop = "name"
    elif "low" in quality:
        prop = "weakAlias"
    else:
        prop = "alias"
    ctx.add(record, prop, full, locator, "Name 6")
    ctx.add(record, "topics", "sanction", locator)
    script = row.pop("Name Non-Latin Script", "")
    ctx.add(record, "alias", script, locator, "Name Non-Latin Script")
    row.pop("Non-Latin Script Type", None)
    row.pop("Non-Latin Script Language", None)
    title = row.pop("Title", "")
    position = row.pop("Position", "")
    if schema == "Person":
        ctx.add(record, "title", title, locator, "Title")
        ctx.add(record, "position", position, locator, "Position")
        if prop == "name":
            ctx.add(record, "firstName", parts[0], locator, "Name 1")
            ctx.add(record, "lastName", last, locator, "Name 6")
        add_date(ctx, record, "birthDate", row.pop("DOB", ""), locator, "DOB")
        ctx.add(record, "birthPlace", join_address(row.pop("Town of Birth", ""),
                                                   row.get("Country of Birth")), locator,
                "Town of Birth")
        add_country(ctx, record, "birthCountry", row.pop("Country of Birth", ""), locator,
                    "Country of Birth")
        for nat in _ENUM.split(row.pop("Nationality", "")):
            add_country(ctx, record, "nationality", nat.strip(" ,."), locator, "Nationality")
        for fld, kind_ in (("Passport Number", "Passport"),
                           ("National Identification Number", "National ID No.")):
            for number in _ENUM.split(row.pop(fld, "")):
                add_identifier(ctx, record, kind_, number.strip(" ,."), None, locator, fld)
        for fld in ("Passport Details", "National Identification Details", "NI Number"):
            ctx.add(record, "notes", row.pop(fld, ""), locator, fld)
    else:
        for fld in ("Title", "Position", "DOB", "Town of Birth", "Country of Birth",
                    "Nationality", "Passport Number", "Passport Details",
                    "National Identification Number", "National Identification Details",
                    "NI Number"):
            ctx.add(record, "notes", row.pop(fld, "") or (title if fld == "Title" else ""),
                    locator, fld)
    country = row.pop("Country", "")
    address = join_address(*[row.pop(f"Address {i}", "") for i in range(1, 7)],
                           row.pop("Post/Zip Code", ""), country)
    ctx.add(record, "address", address, locator, "Address 1")
    add_country(ctx, record, "country", country, locator, "Country")
    ctx.add(record, "notes", row.pop("Other Information", ""), locator, "Other Information")
    regime = row.pop("Regime", "")
    listed = row.pop("Listed On", "")
    designated = row.pop("UK Sanctions List Date Designated", "")
    updated = row.pop("Last Updated", "")
    ctx.add(record, "program", regime, locator, "Regime")
    for fld, value in (("Listed On", listed), ("Last Updated", updated)):
        if value and parse_date(value) is None:
            ctx.issue("unparseable-date", "cannot read this date; kept as published", locator,
                      fld, value)
    record.add_sanction(list="UK Consolidated List", authority=AUTHORITY, program=regime,
                        listingDate=parse_date(listed) or listed or None,
                        designatedDate=parse_date(designated) or designated or None,
                        lastUpdated=parse_date(updated) or updated or None, groupId=group)
    ctx.audit(row, locator)
    return record
