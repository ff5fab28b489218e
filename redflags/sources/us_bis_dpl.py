"""BIS Denied Persons List text file: tab-separated, every field double-quoted.

Columns: Name, Street_Address, City, State, Country, Postal_Code, Effective_Date,
Expiration_Date (MM/DD/YYYY), Standard_Order, Last_Update (ISO), Action, FR_Citation.
The file has no record id; a party's id is a hash of its name and effective date
(the same rule the CSL uses for DPL rows has never been published), so an unchanged
row keeps its id across versions.
"""

import hashlib
from collections.abc import Iterator

from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext, iter_rows
from redflags.sources.helpers import add_country, join_address

REQUIRED = ["Name", "Effective_Date", "FR_Citation"]


def parse(ctx: ParseContext) -> Iterator[Record]:
    for locator, row in iter_rows(ctx, REQUIRED, delimiter="\t"):
        record = _parse_row(ctx, row, locator)
        if record is not None:
            yield record


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
    dates: dict[str, str | None] = {}
    for fld in ("Effective_Date", "Expiration_Date", "Last_Update"):
        value = effective if fld == "Effective_Date" else row.pop(fld, "")
        dates[fld] = parse_date(value, day_first=False)
        if value and dates[fld] is None:
            ctx.issue("unparseable-date", "cannot read this date; kept as published", locator,
                      fld, value)
    expiry = dates["Expiration_Date"]
    if expiry and expiry[:4] > "2200":
        ctx.issue("implausible-date", "expiration date centuries ahead; likely a typo",
                  locator, "Expiration_Date", expiry)
    record.add_sanction(list="Denied Persons List", authority="Bureau of Industry and Security",
                        listingDate=dates["Effective_Date"], endDate=dates["Expiration_Date"],
                        lastUpdated=dates["Last_Update"], standardOrder=row.pop("Standard_Order", ""),
                        action=row.pop("Action", ""), federalRegisterNotice=row.pop("FR_Citation", ""),
                        sourceUrl="https://www.bis.doc.gov/dpl/dpl.txt")
    ctx.audit(row, locator)
    return record
