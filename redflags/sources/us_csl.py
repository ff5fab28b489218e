"""US Consolidated Screening List, CSV and JSON forms (data.trade.gov, v1 layout).

Both forms carry the same fields; the CSV joins multi-valued fields with "; ", the
JSON keeps them as arrays. One record per ``_id``: a party on several component lists
(SDN and CAPTA, say) appears once per list in the file and is merged by the loader.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext, iter_rows, open_binary, read_lines, split_values
from redflags.sources.helpers import add_country, add_date, add_identifier, identifier_property

COLUMNS = ["_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
           "federal_register_notice", "start_date", "end_date", "standard_order",
           "license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
           "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks",
           "source_list_url", "alt_names", "citizenships", "dates_of_birth", "nationalities",
           "places_of_birth", "source_information_url", "ids"]
REQUIRED = ["_id", "source", "name"]
_CC = re.compile(r"^[A-Z]{2}$")


def parse_csv(ctx: ParseContext) -> Iterator[Record]:
    for locator, row in iter_rows(ctx, REQUIRED):
        record = parse_row(ctx, row, locator, lambda v: split_values(v, ";"))
        if record is not None:
            yield record


def parse_json(ctx: ParseContext) -> Iterator[Record]:
    with open_binary(ctx.path, ctx) as fh:
        text = "".join(read_lines(fh, ctx))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            f"{ctx.name}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    results = doc.get("results") if isinstance(doc, dict) else doc
    if not isinstance(results, list):
        raise SourceFormatError(f"{ctx.name}: CSL JSON needs a 'results' array")
    for index, item in enumerate(results):
        locator = f"results[{index}]"
        if not isinstance(item, dict):
            ctx.issue("invalid-record", "record is not an object; skipped", locator,
                      value=str(item)[:200], severity="error")
            continue
        record = parse_row(ctx, item, locator, _as_list)
        if record is not None:
            yield record


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [v for v in value if v not in (None, "")]
    return split_values(str(value), ";")


def parse_row(ctx: ParseContext, row: dict[str, Any], locator: str,
              multi: Any) -> Record | None:
    row = dict(row)
    raw = dict(row)
    source_id = str(row.pop("_id", "") or "").strip()
    name = str(row.pop("name", "") or "").strip()
    source = str(row.pop("source", "") or "").strip()
    if not source_id:
        ctx.issue("missing-id", "record has no _id; skipped", locator, "_id", severity="error")
        return None
    if not name:
        ctx.issue("missing-name", "record has no name; skipped", locator, "name",
                  severity="error")
        return None
    listing = ctx.lookup("lists", source)
    if listing is None:
        ctx.issue("unknown-list", "component list not in us_csl.yml; kept under its own name",
                  locator, "source", source)
        listing = {"code": source, "name": source, "authority": None, "topic": "sanction"}
    kind = str(row.pop("type", "") or "").strip()
    dobs = multi(row.pop("dates_of_birth", None))
    schema = ctx.lookup("schema", kind.casefold()) if kind else None
    if schema is None:
        schema = "Person" if dobs else "LegalEntity"
    record = ctx.make(schema, source_id, locator)
    record.raw.append(raw)
    ctx.add(record, "name", name, locator, "name")
    for alias in multi(row.pop("alt_names", None)):
        ctx.add(record, "alias", alias, locator, "alt_names")
    ctx.add(record, "topics", listing.get("topic"), locator)
    for program in multi(row.pop("programs", None)):
        ctx.add(record, "programId", program, locator, "programs")
    entity_number = str(row.pop("entity_number", "") or "").strip()
    title = str(row.pop("title", "") or "").strip()
    if title:
        ctx.add(record, "position" if schema == "Person" else "notes", title, locator, "title")
    ctx.add(record, "notes", row.pop("remarks", None), locator, "remarks")
    ctx.add(record, "sourceUrl", row.pop("source_information_url", None), locator,
            "source_information_url")
    for address in multi(row.pop("addresses", None)):
        _add_address(ctx, record, address, locator)
    if schema == "Person":
        for dob in dobs:
            add_date(ctx, record, "birthDate", str(dob), locator, "dates_of_birth")
        for pob in multi(row.pop("places_of_birth", None)):
            ctx.add(record, "birthPlace", pob, locator, "places_of_birth")
        for cc in multi(row.pop("nationalities", None)):
            add_country(ctx, record, "nationality", cc, locator, "nationalities")
        for cc in multi(row.pop("citizenships", None)):
            add_country(ctx, record, "citizenship", cc, locator, "citizenships")
    else:
        for fld in ("places_of_birth", "nationalities", "citizenships"):
            for value in multi(row.pop(fld, None)):
                add_country(ctx, record, "country", value, locator, fld)
    if schema == "Vessel":
        ctx.add(record, "callSign", row.pop("call_sign", None), locator, "call_sign")
        ctx.add(record, "type", row.pop("vessel_type", None), locator, "vessel_type")
        ctx.add(record, "tonnage", row.pop("gross_tonnage", None), locator, "gross_tonnage")
        ctx.add(record, "grossRegisteredTonnage", row.pop("gross_registered_tonnage", None),
                locator, "gross_registered_tonnage")
        add_country(ctx, record, "flag", row.pop("vessel_flag", None), locator, "vessel_flag")
        ctx.add(record, "ownerNotes" if record.proxy.schema.get("ownerNotes") else "notes",
                row.pop("vessel_owner", None), locator, "vessel_owner")
    idents = list(multi(row.pop("ids", None)))
    number_first = any(isinstance(i, str) and _cc_first(i) for i in idents)
    for ident in idents:
        _add_id(ctx, record, ident, locator, number_first)
    start = str(row.pop("start_date", "") or "").strip() or None
    end = str(row.pop("end_date", "") or "").strip() or None
    record.add_sanction(
        list=listing["name"], list_code=listing["code"], authority=listing.get("authority"),
        program=sorted(record.proxy.get("programId")), listingDate=start, endDate=end,
        sourceUrl=row.pop("source_list_url", None), entityNumber=entity_number or None,
        federalRegisterNotice=row.pop("federal_register_notice", None),
        standardOrder=row.pop("standard_order", None),
        licenseRequirement=row.pop("license_requirement", None),
        licensePolicy=row.pop("license_policy", None),
    )
    for fld, value in (("start_date", start), ("end_date", end)):
        if value and parse_date(value) is None:
            ctx.issue("unparseable-date", "cannot read this date; kept as published", locator,
                      fld, value)
    ctx.audit(row, locator, ignore=("call_sign", "vessel_type", "gross_tonnage",
                                    "gross_registered_tonnage", "vessel_flag", "vessel_owner"))
    return record


def _add_address(ctx: ParseContext, record: Record, address: Any, locator: str) -> None:
    if isinstance(address, dict):
        parts = [address.get(k) for k in ("address", "city", "state", "postal_code", "country")]
        text = ", ".join(str(p).strip() for p in parts if p and str(p).strip())
        country = address.get("country")
    else:
        text = str(address).strip()
        last = text.rsplit(",", 1)[-1].strip()
        country = last if _CC.match(last) else None
    ctx.add(record, "address", text, locator, "addresses")
    if country:
        add_country(ctx, record, "country", country, locator, "addresses")


def _cc_first(ident: str) -> bool:
    parts = [p.strip() for p in ident.split(",")]
    return len(parts) >= 3 and _CC.match(parts[0]) is not None


def _add_id(ctx: ParseContext, record: Record, ident: Any, locator: str, number_first: bool = False) -> None:
    """One entry of the ``ids`` column. Two layouts exist: "CC, number, type" (2022; an entry
    without a country is "number, type") and "type, number, CC" (2023). ``number_first``: the
    row's other entries showed the 2022 layout."""
    if isinstance(ident, dict):
        add_identifier(ctx, record, ident.get("type"), ident.get("number"), ident.get("country"),
                       locator, "ids")
        return
    parts = [p.strip() for p in str(ident).split(",")]
    if len(parts) == 1:
        add_identifier(ctx, record, None, parts[0], None, locator, "ids")
        return
    if _CC.match(parts[0]) and len(parts) >= 3:
        country_code: str | None = parts[0]
        number, kind = parts[1], ", ".join(parts[2:])
        add_identifier(ctx, record, kind, number, country_code, locator, "ids")
        return
    if len(parts) == 2 and (number_first or (identifier_property(parts[0]) is True
                                             and identifier_property(parts[1]) is not True)):
        # "CNE100000PM8, ISIN", "02 Aug 2021, Effective Date (CMIC)": the number, then its type
        add_identifier(ctx, record, parts[1], parts[0], None, locator, "ids")
        return
    kind, number = parts[0], parts[1]
    rest = parts[2:]
    country: str | None = rest[-1] if rest and _CC.match(rest[-1]) else None
    if rest and country is None:
        number = ", ".join(parts[1:])
    add_identifier(ctx, record, kind, number, country, locator, "ids")
