"""OFAC XML: legacy ``sdnList`` (both namespaces) and the 2024 Sanctions List Service
``sanctionsData`` ENHANCED_XML. Elements are matched by local name, so the old
tempuri.org and the new sanctionslistservice namespaces read the same way.
"""

from collections.abc import Iterator

from lxml import etree

from redflags.model import Record
from redflags.sources.base import ParseContext, find, findall, stream_xml, text, texts
from redflags.sources.helpers import add_country, add_date, add_identifier, join_address

AUTHORITY = "Office of Foreign Assets Control"


def _list_name(ctx: ParseContext, programs: list[str]) -> list[str]:
    if not ctx.dataset.endswith("cons"):
        return ["SDN List"]
    names = sorted({ctx.lookup("lists", p) for p in programs} - {None})
    return names or ["Non-SDN Consolidated List"]


def parse_legacy(ctx: ParseContext) -> Iterator[Record]:
    def published(elem: etree._Element) -> None:
        value = text(elem) or ""
        if len(value) == 10:  # MM/DD/YYYY
            ctx.data_date = f"{value[6:]}-{value[:2]}-{value[3:5]}"

    header = {"Publish_Date": published}
    for elem in stream_xml(ctx, ("sdnEntry",), header, "an OFAC sdnList file"):
        record = _legacy_entry(ctx, elem)
        if record is not None:
            yield record


def _legacy_entry(ctx: ParseContext, elem: etree._Element) -> Record | None:
    uid = text(elem, "uid")
    locator = f"sdnEntry {uid or elem.sourceline}"
    if not uid:
        ctx.issue("missing-id", "sdnEntry without uid; skipped", locator, "uid", severity="error")
        return None
    kind = (text(elem, "sdnType") or "").casefold()
    record = ctx.make(ctx.lookup("schema", kind) or "Organization", uid, locator)
    record.raw.append({"xml": etree.tostring(elem, encoding="unicode")})
    person = record.schema == "Person"
    first, last = text(elem, "firstName"), text(elem, "lastName")
    ctx.add(record, "name", ", ".join(p for p in (last, first) if p), locator, "lastName")
    if person:
        ctx.add(record, "firstName", first, locator, "firstName")
        ctx.add(record, "lastName", last, locator, "lastName")
    ctx.add(record, "topics", "sanction", locator)
    programs = texts(elem, "programList/program")
    for program in programs:
        ctx.add(record, "programId", program, locator, "program")
    title = text(elem, "title")
    ctx.add(record, "position" if person else "notes", title, locator, "title")
    ctx.add(record, "notes", text(elem, "remarks"), locator, "remarks")
    for aka in findall(elem, "akaList/aka"):
        name = ", ".join(p for p in (text(aka, "lastName"), text(aka, "firstName")) if p)
        weak = (text(aka, "category") or "").casefold() == "weak"
        prop = "weakAlias" if weak else "alias"
        if (text(aka, "type") or "").casefold() == "f.k.a.":
            prop = "previousName"
        ctx.add(record, prop, name, locator, "aka")
    for addr in findall(elem, "addressList/address"):
        country = text(addr, "country")
        full = join_address(text(addr, "address1"), text(addr, "address2"),
                            text(addr, "address3"), text(addr, "city"),
                            text(addr, "stateOrProvince"), text(addr, "postalCode"), country)
        ctx.add(record, "address", full, locator, "address")
        add_country(ctx, record, "country", country, locator, "address/country")
    for ident in findall(elem, "idList/id"):
        add_identifier(ctx, record, text(ident, "idType"), text(ident, "idNumber"),
                       text(ident, "idCountry"), locator, "id")
    if person:
        for dob in texts(elem, "dateOfBirthList/dateOfBirthItem/dateOfBirth"):
            for part in dob.split(" to "):
                add_date(ctx, record, "birthDate", part, locator, "dateOfBirth")
        for pob in texts(elem, "placeOfBirthList/placeOfBirthItem/placeOfBirth"):
            ctx.add(record, "birthPlace", pob, locator, "placeOfBirth")
        for value in texts(elem, "nationalityList/nationality/country"):
            add_country(ctx, record, "nationality", value, locator, "nationality")
        for value in texts(elem, "citizenshipList/citizenship/country"):
            add_country(ctx, record, "citizenship", value, locator, "citizenship")
    vessel = find(elem, "vesselInfo")
    if vessel is not None and record.schema == "Vessel":
        ctx.add(record, "callSign", text(vessel, "callSign"), locator, "callSign")
        ctx.add(record, "type", text(vessel, "vesselType"), locator, "vesselType")
        add_country(ctx, record, "flag", text(vessel, "vesselFlag"), locator, "vesselFlag")
        ctx.add(record, "tonnage", text(vessel, "tonnage"), locator, "tonnage")
        ctx.add(record, "grossRegisteredTonnage", text(vessel, "grossRegisteredTonnage"),
                locator, "grossRegisteredTonnage")
    for list_name in _list_name(ctx, programs):
        record.add_sanction(list=list_name, authority=AUTHORITY, program=programs,
                            entityNumber=uid)
    return record


# --- ENHANCED_XML -----------------------------------------------------------------------


def parse_enhanced(ctx: ParseContext) -> Iterator[Record]:
    def info(elem: etree._Element) -> None:
        ctx.data_date = (text(elem, "dataAsOf") or "")[:10] or None

    header = {"publicationInfo": info}
    for elem in stream_xml(ctx, ("entity",), header, "an OFAC ENHANCED_XML file"):
        record = _enhanced_entity(ctx, elem)
        if record is not None:
            yield record


def _enhanced_entity(ctx: ParseContext, elem: etree._Element) -> Record | None:
    uid = elem.get("id")
    locator = f"entity {uid or elem.sourceline}"
    if not uid:
        ctx.issue("missing-id", "entity without id; skipped", locator, "id", severity="error")
        return None
    kind = (text(elem, "generalInfo/entityType") or "").casefold()
    record = ctx.make(ctx.lookup("schema", kind) or "Organization", uid, locator)
    record.raw.append({"xml": etree.tostring(elem, encoding="unicode")})
    person = record.schema == "Person"
    ctx.add(record, "topics", "sanction", locator)
    for name in findall(elem, "names/name"):
        primary = text(name, "isPrimary") == "true"
        low = text(name, "isLowQuality") == "true"
        alias_type = (text(name, "aliasType") or "").casefold()
        for tr in findall(name, "translations/translation"):
            full = text(tr, "formattedFullName")
            if primary:
                prop = "name"
            elif low:
                prop = "weakAlias"
            elif alias_type == "f.k.a.":
                prop = "previousName"
            else:
                prop = "alias"
            ctx.add(record, prop, full, locator, "formattedFullName")
            if primary and person and text(tr, "isPrimary") == "true":
                ctx.add(record, "firstName", text(tr, "formattedFirstName"), locator)
                ctx.add(record, "lastName", text(tr, "formattedLastName"), locator)
    programs = texts(elem, "sanctionsPrograms/sanctionsProgram")
    for program in programs:
        ctx.add(record, "programId", program, locator, "sanctionsProgram")
    for addr in findall(elem, "addresses/address"):
        country = text(addr, "country")
        parts = [text(p, "value") for p in findall(addr, "translations/translation/addressParts/addressPart")]
        full = join_address(*parts, country)
        ctx.add(record, "address", full, locator, "address")
        add_country(ctx, record, "country", country, locator, "address/country")
    for doc in findall(elem, "identityDocuments/identityDocument"):
        add_identifier(ctx, record, text(doc, "type"), text(doc, "documentNumber"),
                       text(doc, "issuingCountry"), locator, "identityDocument")
    for feature in findall(elem, "features/feature"):
        ftype = (text(feature, "type") or "").casefold()
        value = text(feature, "value")
        if ftype == "birthdate" and person:
            add_date(ctx, record, "birthDate", value, locator, "feature/Birthdate")
        elif ftype == "place of birth" and person:
            ctx.add(record, "birthPlace", value, locator, "feature/Place of Birth")
        elif ftype.startswith("nationality") and person:
            add_country(ctx, record, "nationality", value, locator, "feature/Nationality")
        elif ftype.startswith("citizenship") and person:
            add_country(ctx, record, "citizenship", value, locator, "feature/Citizenship")
        elif ftype == "gender" and person:
            ctx.add(record, "gender", value, locator, "feature/Gender")
        elif ftype == "website":
            ctx.add(record, "website", value, locator, "feature/Website")
        elif ftype == "email address":
            ctx.add(record, "email", value, locator, "feature/Email Address")
        elif value:
            ctx.add(record, "notes", f"{text(feature, 'type')}: {value}", locator, "feature")
    for remark in texts(elem, "remarks"):
        ctx.add(record, "notes", remark, locator, "remarks")
    lists = findall(elem, "sanctionsLists/sanctionsList")
    for item in lists:
        name = text(item) or ""
        if name in ("Consolidated List",) and len(lists) > 1:
            continue
        record.add_sanction(list="SDN List" if name == "SDN List" else name, authority=AUTHORITY,
                            program=programs, listingDate=item.get("datePublished"),
                            entityNumber=uid)
    return record
