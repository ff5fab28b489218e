"""EU Financial Sanctions File: XML 1.1 (``export``/``sanctionEntity``, schema 1.1) and
the legacy ';'-separated CSV 1.0, one row per detail (name, address, birth, id...).

The only real EU sample here is a CSV that was re-saved by a third party: every line
is wrapped in double quotes and padded with tabs. Those lines are unwrapped, reported
once, and loaded; lines that stay unreadable are reported and skipped.
"""

import csv
from collections.abc import Iterator

from lxml import etree

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext, findall, open_binary, read_lines, stream_xml, text
from redflags.sources.helpers import add_country, add_date, add_identifier, join_address, merge_into

AUTHORITY = "European Union"
LIST = "EU Consolidated Financial Sanctions List"


def parse_xml(ctx: ParseContext) -> Iterator[Record]:
    def root(elem: etree._Element) -> None:
        ctx.data_date = (elem.get("generationDate") or "")[:10] or None

    for elem in stream_xml(ctx, ("sanctionEntity",), {"export": root}, "an EU FSF XML file"):
        record = _xml_entity(ctx, elem)
        if record is not None:
            yield record


def _xml_entity(ctx: ParseContext, elem: etree._Element) -> Record | None:
    logical = elem.get("logicalId")
    ref = elem.get("euReferenceNumber")
    locator = f"sanctionEntity {ref or logical or elem.sourceline}"
    if not logical:
        ctx.issue("missing-id", "sanctionEntity without logicalId; skipped", locator,
                  "logicalId", severity="error")
        return None
    subject = findall(elem, "subjectType")
    code = (subject[0].get("code") or subject[0].get("classificationCode") or "") if subject else ""
    schema = ctx.lookup("schema", code.casefold()) or "LegalEntity"
    record = ctx.make(schema, logical, locator)
    record.raw.append({"xml": etree.tostring(elem, encoding="unicode")})
    person = schema == "Person"
    ctx.add(record, "topics", "sanction", locator)
    names = findall(elem, "nameAlias")
    have_strong = any(n.get("strong") == "true" for n in names)
    for index, alias in enumerate(names):
        whole = alias.get("wholeName") or " ".join(
            p for p in (alias.get("firstName"), alias.get("middleName"), alias.get("lastName")) if p)
        primary = alias.get("strong") == "true" if have_strong else index == 0
        ctx.add(record, "name" if primary else "alias", whole, locator, "nameAlias/wholeName")
        if person:
            ctx.add(record, "gender", {"M": "male", "F": "female"}.get(alias.get("gender") or ""),
                    locator, "nameAlias/gender")
            ctx.add(record, "title", alias.get("title"), locator, "nameAlias/title")
            ctx.add(record, "position", alias.get("function"), locator, "nameAlias/function")
    for cit in findall(elem, "citizenship"):
        add_country(ctx, record, "nationality" if person else "country",
                    cit.get("countryIso2Code") or cit.get("countryDescription"), locator,
                    "citizenship")
    for birth in findall(elem, "birthdate"):
        if not person:
            continue
        value = birth.get("birthdate") or birth.get("year")
        add_date(ctx, record, "birthDate", value, locator, "birthdate")
        place = join_address(birth.get("city"), birth.get("place"), birth.get("region"),
                             birth.get("countryDescription"))
        ctx.add(record, "birthPlace", place, locator, "birthdate/city")
    for addr in findall(elem, "address"):
        country = addr.get("countryIso2Code") or addr.get("countryDescription")
        full = join_address(addr.get("street"), addr.get("poBox"), addr.get("city"),
                            addr.get("zipCode"), addr.get("region"), addr.get("place"),
                            addr.get("countryDescription"))
        ctx.add(record, "address", full, locator, "address")
        add_country(ctx, record, "country", country, locator, "address/countryIso2Code")
    for ident in findall(elem, "identification"):
        add_identifier(ctx, record, ident.get("identificationTypeDescription")
                       or ident.get("identificationTypeCode"), ident.get("number"),
                       ident.get("countryIso2Code"), locator, "identification")
    for remark in findall(elem, "remark"):
        ctx.add(record, "notes", remark.text, locator, "remark")
    regulation = findall(elem, "regulation")
    reg = regulation[0] if regulation else None
    programme = reg.get("programme") if reg is not None else None
    ctx.add(record, "programId", programme, locator, "regulation/programme")
    record.add_sanction(
        list=LIST, authority=AUTHORITY, program=programme, euReferenceNumber=ref,
        unscId=elem.get("unitedNationId"), reason=elem.get("designationDetails"),
        listingDate=elem.get("designationDate") or (reg.get("publicationDate") if reg is not None else None),
        regulation=reg.get("numberTitle") if reg is not None else None,
        sourceUrl=text(reg, "publicationUrl") if reg is not None else None,
    )
    return record


# --- legacy CSV 1.0 ---------------------------------------------------------------------


def _unwrap(line: str) -> tuple[str, bool]:
    """Undo the quote-and-tab-pad re-save: '"a;b;c"\\t\\t\\t' -> 'a;b;c'."""
    stripped = line.rstrip("\r\n").rstrip("\t")
    if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"' and \
            ";" in stripped and stripped.count('"') % 2 == 0:
        inner = stripped[1:-1].replace('""', '"')
        return inner, True
    return stripped, False


def parse_csv(ctx: ParseContext) -> Iterator[Record]:
    records: dict[str, Record] = {}
    header: list[str] | None = None
    wrapped = 0
    with open_binary(ctx.path, ctx) as fh:
        for number, line in enumerate(read_lines(fh, ctx), start=1):
            if not line.strip():
                continue
            text, was_wrapped = _unwrap(line)
            wrapped += was_wrapped
            try:
                cells = next(csv.reader([text], delimiter=";"))
            except (csv.Error, StopIteration) as exc:
                ctx.issue("unreadable-row", f"row cannot be read as CSV: {exc}; skipped",
                          f"line {number}", value=text[:200], severity="error")
                continue
            if header is None:
                header = [c.strip() for c in cells]
                if header and header[0].startswith("Date_file"):
                    header[0] = "Date_file"
                if "Entity_logical_id" not in header:
                    raise SourceFormatError(
                        f"{ctx.name}: line 1: required column 'Entity_logical_id' missing; "
                        "not an EU FSF CSV")
                continue
            locator = f"line {number}"
            if len(cells) != len(header):
                ctx.issue("wrong-width", f"{len(cells)} columns for a {len(header)}-column "
                          "header; row skipped (likely truncated)", locator,
                          value=text[:200], severity="error")
                continue
            # Column names repeat (Entity_logical_id appears six times): keep the first.
            row: dict[str, str] = {}
            for key, value in zip(header, cells):
                row.setdefault(key, value.strip())
            record = _csv_row(ctx, row, locator)
            if record is None:
                continue
            merge_into(records, record)
    if header is None:
        raise SourceFormatError(f"{ctx.name}: empty file; no EU FSF header")
    if wrapped:
        ctx.issue("resaved-file", f"{wrapped} lines were wrapped in quotes and padded with tabs "
                  "(a spreadsheet re-save); unwrapped and loaded", "file", severity="warning")
    yield from records.values()


def _csv_row(ctx: ParseContext, row: dict[str, str], locator: str) -> Record | None:
    logical = row.get("Entity_logical_id", "")
    if not logical:
        ctx.issue("missing-id", "row without Entity_logical_id; skipped", locator,
                  "Entity_logical_id", severity="error")
        return None
    schema = ctx.lookup("schema", row.get("Subject_type", "").casefold()) or "LegalEntity"
    record = ctx.make(schema, logical, locator)
    record.raw.append(row)
    if row.get("Date_file") and ctx.data_date is None:
        ctx.data_date = parse_date(row["Date_file"])
    whole = row.get("Naal_wholename") or " ".join(
        p for p in (row.get("Naal_firstname"), row.get("Naal_middlename"),
                    row.get("Naal_lastname")) if p)
    if whole:
        # The CSV does not say which alias is the main name; the first seen becomes it.
        ctx.add(record, "name", whole, locator, "Naal_wholename")
    person = schema == "Person"
    if person:
        ctx.add(record, "gender", {"M": "male", "F": "female"}.get(row.get("Naal_gender", "")),
                locator, "Naal_gender")
        add_date(ctx, record, "birthDate", row.get("Birt_date"), locator, "Birt_date")
        ctx.add(record, "birthPlace", row.get("Birt_place"), locator, "Birt_place")
        add_country(ctx, record, "nationality", row.get("Citi_country"), locator, "Citi_country")
    address = join_address(row.get("Addr_number"), row.get("Addr_street"),
                           row.get("Addr_zipcode"), row.get("Addr_city"), row.get("Addr_country"))
    ctx.add(record, "address", address, locator, "Addr_street")
    add_country(ctx, record, "country", row.get("Addr_country"), locator, "Addr_country")
    add_identifier(ctx, record, None, row.get("Iden_number"), row.get("Iden_country"), locator,
                   "Iden_number")
    ctx.add(record, "notes", row.get("Entity_remark"), locator, "Entity_remark")
    ctx.add(record, "programId", row.get("Programme"), locator, "Programme")
    ctx.add(record, "topics", "sanction", locator)
    record.add_sanction(list=LIST, authority=AUTHORITY, program=row.get("Programme"),
                        regulation=row.get("Leba_numtitle"),
                        listingDate=row.get("Leba_publication_date"),
                        sourceUrl=row.get("Leba_url"), euReferenceNumber=row.get("EU_ref_num"))
    return record
