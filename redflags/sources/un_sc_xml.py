"""UN Security Council consolidated list XML (CONSOLIDATED_LIST, sc-sanctions.xsd)."""

from collections.abc import Iterator

from lxml import etree

from redflags.model import Record
from redflags.sources.base import ParseContext, find, findall, stream_xml, text, texts
from redflags.sources.helpers import add_country, add_date, add_identifier, join_address

_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_CONSUMED = {"DATAID", "VERSIONNUM", *_NAME_PARTS, "UN_LIST_TYPE", "REFERENCE_NUMBER",
             "LISTED_ON", "GENDER", "COMMENTS1", "NATIONALITY", "LIST_TYPE", "LAST_DAY_UPDATED",
             "INDIVIDUAL_ALIAS", "ENTITY_ALIAS", "INDIVIDUAL_ADDRESS", "ENTITY_ADDRESS",
             "INDIVIDUAL_DATE_OF_BIRTH", "INDIVIDUAL_PLACE_OF_BIRTH", "INDIVIDUAL_DOCUMENT",
             "TITLE", "DESIGNATION", "NAME_ORIGINAL_SCRIPT", "SORT_KEY", "SORT_KEY_LAST_MOD",
             "SUBMITTED_BY", "DELISTED_ON"}


def parse(ctx: ParseContext) -> Iterator[Record]:
    def root(elem: etree._Element) -> None:
        ctx.data_date = (elem.get("dateGenerated") or "")[:10] or None

    header = {"CONSOLIDATED_LIST": root}
    for elem in stream_xml(ctx, ("INDIVIDUAL", "ENTITY"), header, "a UN consolidated list"):
        record = _parse_entry(ctx, elem, etree.QName(elem).localname == "INDIVIDUAL")
        if record is not None:
            yield record


def _parse_entry(ctx: ParseContext, elem: etree._Element, person: bool) -> Record | None:
    dataid = text(elem, "DATAID")
    ref = text(elem, "REFERENCE_NUMBER")
    locator = f"record {ref or dataid or elem.sourceline}"
    if not dataid:
        ctx.issue("missing-id", "entry has no DATAID; skipped", locator, "DATAID",
                  severity="error")
        return None
    record = ctx.make("Person" if person else "Organization", dataid, locator)
    record.raw.append({"xml": etree.tostring(elem, encoding="unicode")})
    parts = [text(elem, p) for p in _NAME_PARTS]
    name = " ".join(p for p in parts if p)
    if not name:
        ctx.issue("missing-name", "entry has no name", locator, "FIRST_NAME", severity="error")
    ctx.add(record, "name", name, locator, "FIRST_NAME")
    if person:
        for prop, part in zip(("firstName", "secondName", "middleName", "fatherName"), parts):
            ctx.add(record, prop, part, locator)
        ctx.add(record, "gender", text(elem, "GENDER"), locator, "GENDER")
        for value in texts(elem, "TITLE/VALUE"):
            ctx.add(record, "title", value, locator, "TITLE")
        for value in texts(elem, "DESIGNATION/VALUE"):
            ctx.add(record, "position", value, locator, "DESIGNATION")
        for value in texts(elem, "NATIONALITY/VALUE"):
            add_country(ctx, record, "nationality", value, locator, "NATIONALITY")
    ctx.add(record, "name", text(elem, "NAME_ORIGINAL_SCRIPT"), locator, "NAME_ORIGINAL_SCRIPT")
    ctx.add(record, "notes", text(elem, "COMMENTS1"), locator, "COMMENTS1")
    ctx.add(record, "topics", "sanction", locator)
    alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
    for alias in findall(elem, alias_tag):
        alias_name = text(alias, "ALIAS_NAME")
        quality = (text(alias, "QUALITY") or "").casefold()
        prop = "weakAlias" if quality in ("low",) else "alias"
        if quality in ("f.k.a.", "fka"):
            prop = "previousName"
        ctx.add(record, prop, alias_name, locator, alias_tag)
    for addr in findall(elem, "INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"):
        country = text(addr, "COUNTRY")
        full = join_address(text(addr, "STREET"), text(addr, "CITY"),
                            text(addr, "STATE_PROVINCE"), text(addr, "ZIP_CODE"), country)
        ctx.add(record, "address", full, locator, "ADDRESS")
        add_country(ctx, record, "country", country, locator, "ADDRESS/COUNTRY")
        ctx.add(record, "notes", text(addr, "NOTE"), locator, "ADDRESS/NOTE")
    if person:
        for dob in findall(elem, "INDIVIDUAL_DATE_OF_BIRTH"):
            exact = text(dob, "DATE") or text(dob, "YEAR")
            if exact:
                add_date(ctx, record, "birthDate", exact, locator, "DATE_OF_BIRTH")
            for year in (text(dob, "FROM_YEAR"), text(dob, "TO_YEAR")):
                if year:
                    add_date(ctx, record, "birthDate", year, locator, "DATE_OF_BIRTH")
        for pob in findall(elem, "INDIVIDUAL_PLACE_OF_BIRTH"):
            place = join_address(text(pob, "CITY"), text(pob, "STATE_PROVINCE"),
                                 text(pob, "COUNTRY"))
            ctx.add(record, "birthPlace", place, locator, "PLACE_OF_BIRTH")
            add_country(ctx, record, "birthCountry", text(pob, "COUNTRY"), locator,
                        "PLACE_OF_BIRTH/COUNTRY")
        for doc in findall(elem, "INDIVIDUAL_DOCUMENT"):
            country = text(doc, "ISSUING_COUNTRY") or text(doc, "COUNTRY_OF_ISSUE")
            add_identifier(ctx, record, text(doc, "TYPE_OF_DOCUMENT"), text(doc, "NUMBER"),
                           country, locator, "INDIVIDUAL_DOCUMENT")
    regime_code = text(elem, "UN_LIST_TYPE")
    listed = text(elem, "LISTED_ON")
    record.add_sanction(
        list="UN Security Council Consolidated List", authority="United Nations Security Council",
        program=regime_code, programName=ctx.lookup("regimes", regime_code),
        unscId=ref, listingDate=listed,
        lastUpdated=sorted(texts(elem, "LAST_DAY_UPDATED/VALUE")),
        sourceUrl="https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
    )
    ctx.add(record, "programId", ref, locator, "REFERENCE_NUMBER")
    ctx.add(record, "program", regime_code, locator, "UN_LIST_TYPE")
    for child in elem:
        name = etree.QName(child).localname
        if name not in _CONSUMED and (child.text or "").strip():
            ctx.issue("unexpected-field", "field not understood by the parser; kept in raw",
                      locator, name, child.text, severity="info")
    if find(elem, "DELISTED_ON") is not None:
        ctx.issue("delisted", "entry carries a delisting date", locator, "DELISTED_ON",
                  text(elem, "DELISTED_ON"), severity="info")
    return record
