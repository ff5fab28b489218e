"""BIS Entity List additions as the Federal Register publishes them: GPO XML, a ``RULE`` whose
``GPOTABLE`` amends Supplement No. 4 to Part 744.

The table has five columns: country, entity, licence requirement, licence review policy and
Federal Register citation. A row whose first cell names a country starts that country's
entries; an entity cell holds the name, then ``a.k.a., the following N aliases:`` and one ``LI``
per alias (``—Alias;``) and per address; a row with only an entity cell continues the entry above
(another address). Rows of stars mark entries the rule leaves as they are. One entity listed
under several countries is one party with an entry per country. The citation, which the
agency writes as ``88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]``, is completed from the
document's own page numbers. Names are kept as printed, whatever their script.
"""

import hashlib
import io
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext, check_xml_prolog, open_binary
from redflags.sources.helpers import add_country, trim_name

_AKA = re.compile(r",?\s*a\.k\.a\.,?\s*(?:the following\s+\w+\s+alias(?:es)?:?)?\s*$", re.IGNORECASE)
_STARS = re.compile(r"^[\s*]*$")
_PLACEHOLDER = re.compile(r"(?:\d+\s+FR\s+)?\[INSERT FR PAGE NUMBER AND ([\d/]+)\]", re.IGNORECASE)
_INVERTED = re.compile(r"^(.*?),\s*(.+\bOF)$", re.IGNORECASE)
_EFFECTIVE = re.compile(r"effective\s+(?:on\s+)?([A-Z][a-z]+\s+\d{1,2},\s+\d{4})")
_FILED = re.compile(r"FR Doc\.\s*([\d-]+)\s+Filed\s+(\d{1,2})-(\d{1,2})-(\d{2})")
_ADDRESS_START = re.compile(r",\s+(?=\d|(?:Rm|Room|No\.|Floor|Flat|Bldg|Building|Unit|Suite|Ste|Block|P\.O\.)\b)")
LIST_NAME = "Entity List"
AUTHORITY = "Bureau of Industry and Security"


def _text(elem: etree._Element, skip_li: bool = False) -> str:
    """The cell's text with markup dropped (footnote marks ``SU`` included: they are not words)."""
    parts = [elem.text or ""]
    for child in elem:
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if not (skip_li and tag == "LI") and tag != "SU":
            parts.append(_text(child))
        parts.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Entry:
    __slots__ = ("country", "name", "aliases", "addresses", "licence", "policy", "citation", "locator")

    def __init__(self, country: str, name: str, locator: str) -> None:
        self.country, self.name, self.locator = country, name, locator
        self.aliases: list[str] = []
        self.addresses: list[str] = []
        self.licence = self.policy = self.citation = ""


MAX_BYTES = 50_000_000
"""A Federal Register rule is read whole: a few hundred KB; anything past this is not one."""


def _document(ctx: ParseContext) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    with open_binary(ctx.path, ctx) as fh:
        data = fh.read(MAX_BYTES + 1)
    check_xml_prolog(io.BufferedReader(io.BytesIO(data[:4096])), ctx)
    if len(data) > MAX_BYTES:
        raise SourceFormatError(f"{ctx.name}: more than {MAX_BYTES:,} bytes; not a Federal Register rule")
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None) or "?"
        raise SourceFormatError(f"{ctx.name}: line {line}: malformed XML", str(exc)) from exc
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise SourceFormatError(f"{ctx.name}: the XML declares a DOCTYPE; refused because it enables "
                                "entity-expansion bombs and external-entity reads")
    return root


def parse(ctx: ParseContext) -> Iterator[Record]:
    root = _document(ctx)
    if etree.QName(root).localname != "RULE":
        raise SourceFormatError(f"{ctx.name}: root element <{etree.QName(root).localname}>, not a Federal "
                                "Register RULE")
    meta: dict[str, Any] = {}
    for tag, key in (("EFFDATE", "effective"), ("FRDOC", "frdoc"), ("SUBJECT", "subject")):
        found = root.find(f".//{tag}")
        if found is not None:
            meta[key] = _text(found)
    pages = [int(p.get("P")) for p in root.iter("PRTPAGE") if re.fullmatch(r"[0-9]+", p.get("P") or "")]
    entries = [entry for table in root.iter("GPOTABLE") for entry in _table(ctx, table, table.sourceline or 0)]
    if not entries:
        raise SourceFormatError(f"{ctx.name}: no Entity List table (GPOTABLE with entity rows) in this rule")
    effective = _effective(meta.get("effective", ""))
    citation = _citation(meta, pages)
    ctx.data_date = effective or ctx.data_date
    records: dict[str, Record] = {}
    for entry in entries:
        key = hashlib.sha1(entry.name.casefold().encode()).hexdigest()[:16]
        record = records.get(key)
        if record is None:
            record = records[key] = ctx.make("LegalEntity", key, entry.locator)
            ctx.add(record, "name", entry.name, entry.locator, "Entity")
            ctx.add(record, "topics", "export.control", entry.locator)
        else:
            record.locators.append(f"{ctx.name}:{entry.locator}")
        for alias in entry.aliases:
            ctx.add(record, "alias", alias, entry.locator, "Entity")
        for address in entry.addresses:
            ctx.add(record, "address", address, entry.locator, "Entity")
        inverted = _INVERTED.match(entry.country)  # "CHINA, PEOPLE'S REPUBLIC OF"
        add_country(ctx, record, "country", f"{inverted[2]} {inverted[1]}" if inverted else entry.country,
                    entry.locator, "Country")
        cited = _PLACEHOLDER.sub(lambda m: f"{citation or '?'}, {m[1]}", entry.citation).rstrip(".") \
            if entry.citation else citation
        record.add_sanction(list=LIST_NAME, authority=AUTHORITY, country=entry.country,
                            licenseRequirement=entry.licence, licensePolicy=entry.policy,
                            federalRegisterNotice=cited, listingDate=effective, program="EAR Part 744",
                            reason=meta.get("subject"))
        record.raw.append({"country": entry.country, "entity": entry.name, "aliases": entry.aliases,
                           "addresses": entry.addresses, "license_requirement": entry.licence,
                           "license_review_policy": entry.policy, "federal_register_citation": entry.citation})
    yield from records.values()


def _table(ctx: ParseContext, table: etree._Element, line: int) -> Iterator[_Entry]:
    country = ""
    current: _Entry | None = None
    for row in (r for r in table if isinstance(r.tag, str) and etree.QName(r).localname == "ROW"):
        cells = [c for c in row if isinstance(c.tag, str) and etree.QName(c).localname == "ENT"]
        locator = f"line {row.sourceline or line}"
        if not cells:
            continue
        first = _text(cells[0])
        if first.casefold() == "country":
            continue  # the header row
        if first and not _STARS.match(first):
            country, current = first, None
        if len(cells) < 2 or _STARS.match(_text(cells[1])):
            current = None if len(cells) >= 2 else current
            continue
        if len(cells) == 2 and current is not None:
            current.addresses.append(_text(cells[1]).rstrip(";. "))  # another address of the entry above
            continue
        if not country:
            ctx.issue("missing-country", "entity row before any country row; kept without a country", locator,
                      "Country", severity="warning")
        entry = _entity(ctx, cells[1], country, locator)
        if entry is None:
            continue
        texts = [_text(c) for c in cells[2:5]]
        entry.licence, entry.policy, entry.citation = (texts + ["", "", ""])[:3]
        if not entry.citation:
            ctx.issue("missing-citation", "entry without a Federal Register citation", locator,
                      "Federal Register citation", severity="warning")
        current = entry
        yield entry


def _entity(ctx: ParseContext, cell: etree._Element, country: str, locator: str) -> _Entry | None:
    head = _text(cell, skip_li=True)
    items = [_text(li) for li in cell if isinstance(li.tag, str) and etree.QName(li).localname == "LI"]
    aka = _AKA.search(head)
    address = ""
    if aka:
        name = head[:aka.start()].strip(" ,")
    else:
        split = _ADDRESS_START.search(head)
        name, address = (head[:split.start()], head[split.end():]) if split else (head, "")
    name = trim_name(name)
    if not name:
        ctx.issue("missing-name", "entity cell without a name; skipped", locator, "Entity", head[:200],
                  severity="error")
        return None
    entry = _Entry(country, name, locator)
    if address:
        entry.addresses.append(address.rstrip("; "))
    for item in items:
        text = re.sub(r"(;|\.)?\s*and$", "", item).strip()
        if text.startswith(("—", "-", "–")):
            alias = trim_name(text.lstrip("—–- "))
            if alias:
                entry.aliases.append(alias)
        elif text:
            entry.addresses.extend(a.strip(" ;") for a in re.split(r";\s*and\s+", text) if a.strip(" ;"))
    if aka and not entry.aliases:
        ctx.issue("missing-alias", "the entry announces aliases but lists none", locator, "Entity", head[:200])
    return entry


def _effective(text: str) -> str | None:
    m = _EFFECTIVE.search(text)
    if not m:
        return None
    return parse_date(m[1], day_first=False)


def _citation(meta: dict[str, Any], pages: list[int]) -> str | None:
    """``88 FR 12170``: the volume from the filing year (volume 1 was 1936), the first page from the
    page breaks (the rule starts on the page before its first break)."""
    m = _FILED.search(meta.get("frdoc", ""))
    if not m or not pages:
        return None
    year = 2000 + int(m[4])
    return f"{year - 1935} FR {min(pages) - 1}"

