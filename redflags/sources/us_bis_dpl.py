"""BIS Denied Persons List text file: tab-separated, every field double-quoted.

Columns: Name, Street_Address, City, State, Country, Postal_Code, Effective_Date,
Expiration_Date (MM/DD/YYYY), Standard_Order, Last_Update (ISO), Action, FR_Citation.
The file has no record id; a party's id is a hash of its name and effective date
(the same rule the CSL uses for DPL rows has never been published), so an unchanged
row keeps its id across versions.
"""

import hashlib
from collections.abc import Iterator

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import (ParseContext, iter_csv, open_binary, read_lines,
                                   require_columns, row_dict)
from redflags.sources.helpers import add_country, join_address

REQUIRED = ["Name", "Effective_Date", "FR_Citation"]


def parse(ctx: ParseContext) -> Iterator[Record]:
    header: list[str] | None = None
    with open_binary(ctx.path) as fh:
        for line, cells in iter_csv(read_lines(fh, ctx), ctx, delimiter="\t"):
            cells = [c.strip() for c in cells]
            if header is None:
                header = cells
                require_columns(header, REQUIRED, ctx)
                continue
            locator = f"line {line}"
            row = row_dict(header, cells, ctx, locator)
            record = _parse_row(ctx, row, locator)
            if record is not None:
                yield record
    if header is None:
        raise SourceFormatError(f"{ctx.name}: empty file; no DPL header")


def _parse_row(ctx: ParseContext, row: dict[str, str], locator: str) -> Record | None:
    raw = dict(row)
    name = row.pop("Name", "")
    if not name:
        ctx.issue("missing-name", "row without a name; skipped", locator, "Name",
                  severity="error")
        return None
    effective = row.pop("Effective_Date", "")
    key = hashlib.sha1(f"{name.casefold()}|{effective}".encode()).hexdigest()[:16]
    record = ctx.make("LegalEntity", key, locator)
    record.raw.append(raw)
    ctx.add(record, "name", name, locator, "Name")
    ctx.add(record, "topics", "export.control", locator)
    country = row.pop("Country", "")
    address = join_address(row.pop("Street_Address", ""), row.pop("City", ""),
                           row.pop("State", ""), row.pop("Postal_Code", ""), country)
    ctx.add(record, "address", address, locator, "Street_Address")
    add_country(ctx, record, "country", country, locator, "Country")
    dates = {}
    for fld in ("Effective_Date", "Expiration_Date", "Last_Update"):
        value = effective if fld == "Effective_Date" else row.pop(fld, "")
        dates[fld] = parse_date(value, day_first=False)
        if value and dates[fld] is None:
            ctx.issue("unparseable-date", "cannot read this date; kept as published", locator,
                      fld, value)
        if dates[fld] and dates[fld] > "2999":
            dates[fld] = None
    if dates["Expiration_Date"] and dates["Expiration_Date"][:4] > "2200":
        ctx.issue("implausible-date", "expiration date centuries ahead; likely a typo",
                  locator, "Expiration_Date", dates["Expiration_Date"])
    record.add_sanction(list="Denied Persons List", authority="Bureau of Industry and Security",
                        listingDate=dates["Effective_Date"], endDate=dates["Expiration_Date"],
                        lastUpdated=dates["Last_Update"], standardOrder=row.pop("Standard_Order", ""),
                        action=row.pop("Action", ""), federalRegisterNotice=row.pop("FR_Citation", ""),
                        sourceUrl="https://www.bis.doc.gov/dpl/dpl.txt")
    ctx.audit(row, locator)
    return record
