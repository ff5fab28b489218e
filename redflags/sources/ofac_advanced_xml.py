"""OFAC "Advanced Sanctions" XML (sdn_advanced.xml / cons_advanced.xml, sdn_advanced.xsd).

The format is relational: parties refer to reference values, locations, identity
documents and sanctions entries by id. Pass one reads those tables (skipping the
parties); pass two streams ``DistinctParty`` elements and joins them in.
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from lxml import etree

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.sources.base import ParseContext, findall, iter_xml, open_binary, text
from redflags.sources.helpers import add_country, add_date, add_identifier, join_address

_REF_SETS = ("AliasType", "PartySubType", "FeatureType", "IDRegDocType", "Country", "List",
             "SanctionsProgram", "LocPartType", "NamePartType", "Script", "SanctionsType",
             "LegalBasis", "PartyType")
_SUBTYPE_SCHEMA = {"individual": "Person", "entity": "Organization", "vessel": "Vessel",
                   "aircraft": "Airplane"}


def _date(elem: etree._Element | None) -> str | None:
    if elem is None:
        return None
    y, m, d = text(elem, "Year"), text(elem, "Month"), text(elem, "Day")
    if not y:
        return None
    return "-".join([y.zfill(4)] + [p.zfill(2) for p in (m, d) if p])


class _Tables:
    def __init__(self) -> None:
        self.refs: dict[str, dict[str, str]] = defaultdict(dict)
        self.subtype_party: dict[str, str] = {}
        self.locations: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        self.entries: dict[str, list[dict[str, Any]]] = defaultdict(list)


def _read_tables(ctx: ParseContext) -> _Tables:
    tables = _Tables()
    tags = tuple(_REF_SETS) + ("Location", "IDRegDocument", "SanctionsEntry", "DateOfIssue",
                               "DistinctParty")
    with open_binary(ctx.path, ctx) as fh:
        for elem in iter_xml(fh, ctx, tags):
            tag = etree.QName(elem).localname
            if tag in _REF_SETS and elem.get("ID"):
                tables.refs[tag][elem.get("ID", "")] = (elem.text or "").strip()
                if tag == "PartySubType":
                    tables.subtype_party[elem.get("ID", "")] = elem.get("PartyTypeID", "")
            elif tag == "DateOfIssue":
                ctx.data_date = _date(elem)
            elif tag == "Location":
                country_el = findall(elem, "LocationCountry")
                parts = [text(v, "Value") for v in findall(elem, "LocationPart/LocationPartValue")]
                tables.locations[elem.get("ID", "")] = {
                    "parts": [p for p in parts if p],
                    "country": country_el[0].get("CountryID") if country_el else None,
                }
            elif tag == "IDRegDocument":
                tables.documents[elem.get("IdentityID", "")].append({
                    "type": elem.get("IDRegDocTypeID"),
                    "number": text(elem, "IDRegistrationNo"),
                    "country": elem.get("IssuedBy-CountryID"),
                })
            elif tag == "SanctionsEntry":
                events = findall(elem, "EntryEvent")
                tables.entries[elem.get("ProfileID", "")].append({
                    "list": elem.get("ListID"),
                    "date": _date(findall(events[0], "Date")[0]) if events and findall(events[0], "Date") else None,
                    "programs": [m.text.strip() for m in findall(elem, "SanctionsMeasure/Comment")
                                 if m.text and m.text.strip()],
                })
    return tables


def parse(ctx: ParseContext) -> Iterator[Record]:
    tables = _read_tables(ctx)
    if not tables.refs:
        raise SourceFormatError(f"{ctx.name}: no ReferenceValueSets; not an OFAC advanced XML")
    with open_binary(ctx.path, ctx) as fh:
        for party in iter_xml(fh, ctx, ("DistinctParty",)):
            for profile in findall(party, "Profile"):
                record = _profile(ctx, tables, party, profile)
                if record is not None:
                    yield record


def _profile(ctx: ParseContext, tables: _Tables, party: etree._Element,
             profile: etree._Element) -> Record | None:
    refs = tables.refs
    pid = profile.get("ID") or party.get("FixedRef")
    locator = f"DistinctParty {party.get('FixedRef') or party.sourceline}"
    if not pid:
        ctx.issue("missing-id", "Profile without ID; skipped", locator, "ID", severity="error")
        return None
    subtype = refs["PartySubType"].get(profile.get("PartySubTypeID", ""), "")
    party_type = refs["PartyType"].get(tables.subtype_party.get(profile.get("PartySubTypeID", ""), ""), "")
    kind = subtype.casefold() if subtype.casefold() in _SUBTYPE_SCHEMA else party_type.casefold()
    record = ctx.make(_SUBTYPE_SCHEMA.get(kind, "Organization"), pid, locator)
    record.raw.append({"xml": etree.tostring(party, encoding="unicode")})
    person = record.schema == "Person"
    ctx.add(record, "topics", "sanction", locator)
    identity_ids = []
    for identity in findall(profile, "Identity"):
        identity_ids.append(identity.get("ID", ""))
        for alias in findall(identity, "Alias"):
            alias_type = refs["AliasType"].get(alias.get("AliasTypeID", ""), "").casefold()
            primary = alias.get("Primary") == "true"
            for doc_name in findall(alias, "DocumentedName"):
                parts = [v.text.strip() for v in findall(doc_name, "DocumentedNamePart/NamePartValue")
                         if v.text and v.text.strip()]
                name = " ".join(parts) if not person or len(parts) < 2 else \
                    f"{parts[0]}, {' '.join(parts[1:])}"
                if primary:
                    prop = "name"
                elif alias.get("LowQuality") == "true":
                    prop = "weakAlias"
                elif alias_type == "f.k.a.":
                    prop = "previousName"
                else:
                    prop = "alias"
                ctx.add(record, prop, name, locator, "DocumentedName")
        for doc in tables.documents.get(identity.get("ID", ""), []):
            add_identifier(ctx, record, refs["IDRegDocType"].get(doc["type"] or ""),
                           doc["number"], refs["Country"].get(doc["country"] or ""), locator,
                           "IDRegDocument")
    for feature in findall(profile, "Feature"):
        ftype = refs["FeatureType"].get(feature.get("FeatureTypeID", ""), "").casefold()
        for version in findall(feature, "FeatureVersion"):
            detail = text(version, "VersionDetail")
            period = findall(version, "DatePeriod")
            loc = findall(version, "VersionLocation")
            if ftype == "birthdate" and person and period:
                start = findall(period[0], "Start/From")
                end = findall(period[0], "End/To")
                first = _date(start[0]) if start else None
                last = _date(end[0]) if end else None
                if first and last and first[:4] == last[:4] and first.endswith("01-01") \
                        and last.endswith("12-31"):
                    first = first[:4]
                add_date(ctx, record, "birthDate", first, locator, "Feature/Birthdate")
            elif ftype == "place of birth" and person:
                ctx.add(record, "birthPlace", detail, locator, "Feature/Place of Birth")
            elif ftype == "location" and loc:
                location = tables.locations.get(loc[0].get("LocationID", ""), {})
                country = refs["Country"].get(location.get("country") or "")
                full = join_address(*location.get("parts", []), country)
                ctx.add(record, "address", full, locator, "Feature/Location")
                add_country(ctx, record, "country", country, locator, "Location/Country")
            elif ftype.startswith("nationality") and person and detail:
                add_country(ctx, record, "nationality", detail, locator, "Feature/Nationality")
            elif ftype == "website":
                ctx.add(record, "website", detail, locator, "Feature/Website")
            elif detail:
                ctx.add(record, "notes", f"{ftype}: {detail}", locator, "Feature")
    entries = tables.entries.get(pid, [])
    for entry in entries:
        list_name = refs["List"].get(entry["list"] or "", "")
        if list_name == "Consolidated List" and len(entries) > 1:
            continue  # the umbrella list; the specific component list follows
        for program in entry["programs"]:
            ctx.add(record, "programId", program, locator, "SanctionsMeasure")
        record.add_sanction(list=list_name or "OFAC list", authority="Office of Foreign Assets Control",
                            program=entry["programs"], listingDate=entry["date"], entityNumber=pid)
    for comment in findall(party, "Comment"):
        ctx.add(record, "notes", comment.text, locator, "Comment")
    return record
