"""The DHS UFLPA Entity List page: HTML, one table per statutory sub-list (UFLPA Section
2(d)(2)(B)(i), (ii), (iv), (v)...), each row an entity name and its effective date.

What DHS writes inside a name is read as data:
- ``(also known as X)``, ``(a.k.a. X; Y)``, ``(formerly known as X)`` and an acronym in
  parentheses (``(XPCC)``) are aliases;
- ``, including one subsidiary: X`` / ``and its eight Zhuhai-based subsidiaries: X; Y`` name
  subsidiaries: each becomes a linked party of the entity (``redflags.links``), named by the list;
- ``and its subsidiaries`` with none named is kept as the entry's scope.

The page is parsed with lxml's HTML parser (no network, no entities); the heading before a
table names its sub-list.
"""

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext, open_binary
from redflags.sources.helpers import trim_name

LIST_NAME = "UFLPA Entity List"
AUTHORITY = "Forced Labor Enforcement Task Force (DHS)"
MAX_BYTES = 20_000_000
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "caption"}
_SUBLIST = re.compile(r"2\s*\(d\)\s*\(2\)\s*\(B\)\s*\(([ivx]+)\)", re.IGNORECASE)
_ALIASES = re.compile(r"\(\s*(also known as|a\.k\.a\.?|aka|formerly known as|f\.k\.a\.?|previously known as)\s*:?\s*"
                      r"([^()]*)\)", re.IGNORECASE)
_ACRONYM = re.compile(r"\(\s*([A-Z][A-Z0-9&.-]{1,11})\s*\)")
_SUBSIDIARIES = re.compile(
    r"[,;]?\s+(?:and|including)\s+(?:its\s+)?(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+)?"
    r"(?:[\w-]+[\s-]based\s+)?subsidiar(?:y|ies)\b\s*(?::\s*(.*))?$", re.IGNORECASE | re.DOTALL)
_ITEM_SPLIT = re.compile(r"\s*;\s*(?:and\s+)?|,\s+and\s+(?=[A-Z])|\s+and\s+(?=[A-Z][\w-]+\s+[A-Z])")


def _cell(elem: Any) -> str:
    return re.sub(r"\s+", " ", " ".join(elem.itertext())).strip()


def _document(ctx: ParseContext) -> Any:
    with open_binary(ctx.path, ctx) as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SourceFormatError(f"{ctx.name}: more than {MAX_BYTES:,} bytes; not the UFLPA Entity List page")
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise SourceFormatError(f"{ctx.name}: not readable as HTML", str(exc)) from exc


def parse(ctx: ParseContext) -> Iterator[Record]:
    root = _document(ctx)
    heading = ""
    tables = 0
    records: dict[str, Record] = {}
    for elem in root.iter():
        tag = elem.tag if isinstance(elem.tag, str) else ""
        if tag in _HEADINGS or (tag in ("p", "strong") and _SUBLIST.search(_cell(elem) or "")):
            heading = _cell(elem) or heading
        elif tag == "table":
            tables += 1
            for record in _table(ctx, elem, heading):
                if record.id in records:
                    records[record.id].merge(record)
                else:
                    records[record.id] = record
    if not tables:
        raise SourceFormatError(f"{ctx.name}: no table; not the UFLPA Entity List page")
    if not records:
        raise SourceFormatError(f"{ctx.name}: no entity rows in its tables (a name and an effective date column)")
    yield from records.values()


def _columns(rows: list[Any]) -> tuple[int, int, int]:
    """(header row index, name column, date column) from the first row of ``th``/``td`` headers."""
    for number, row in enumerate(rows[:3]):
        labels = [_cell(c).casefold() for c in row if c.tag in ("th", "td")]
        name = next((i for i, label in enumerate(labels) if "name" in label or "entity" in label), None)
        date = next((i for i, label in enumerate(labels) if "date" in label), None)
        if name is not None and (date is not None or any(c.tag == "th" for c in row)):
            return number, name, -1 if date is None else date
    return -1, 0, 1


def _table(ctx: ParseContext, table: Any, heading: str) -> Iterator[Record]:
    rows = [r for r in table.iter("tr")]
    header, name_col, date_col = _columns(rows)
    found = _SUBLIST.search(heading)
    sublist = f"Section 2(d)(2)(B)({found[1].lower()})" if found else None
    for row in rows[header + 1:]:
        cells = [c for c in row if c.tag in ("td", "th")]
        locator = f"line {row.sourceline}" if row.sourceline else "row"
        if not cells or all(not _cell(c) for c in cells):
            continue
        if name_col >= len(cells):
            ctx.issue("missing-name", "row without a name cell; skipped", locator, "Entity Name", severity="error")
            continue
        text = _cell(cells[name_col])
        if not text:
            ctx.issue("missing-name", "row without a name; skipped", locator, "Entity Name", severity="error")
            continue
        when = _cell(cells[date_col]) if 0 <= date_col < len(cells) else ""
        effective = parse_date(when, day_first=False) if when else None
        if when and effective is None:
            ctx.issue("unparseable-date", "cannot read this date; kept as published", locator, "Effective Date", when)
        yield from _entry(ctx, text, effective, when, heading, sublist, locator)


def split_entry(text: str) -> dict[str, Any]:
    """What one name cell says: ``name``, ``aliases``, named ``subsidiaries`` and the ``scope``
    (``and its subsidiaries`` when the entry reaches subsidiaries it does not name)."""
    scope = None
    subsidiaries: list[str] = []
    found = _SUBSIDIARIES.search(text)
    if found:
        named = trim_name(found[1] or "")
        if named:
            subsidiaries = [trim_name(s) for s in _ITEM_SPLIT.split(named) if trim_name(s)]
        else:
            scope = "and its subsidiaries"
        text = text[:found.start()]
    aliases: list[str] = []
    for m in _ALIASES.finditer(text):
        aliases.extend(trim_name(a) for a in re.split(r";|\s+and\s+|\s+or\s+", m[2]) if trim_name(a))
    text = _ALIASES.sub("", text)
    aliases.extend(m[1] for m in _ACRONYM.finditer(text))
    name = re.sub(r"\s+", " ", _ACRONYM.sub("", text)).strip(" ,;")
    return {"name": name, "aliases": aliases, "subsidiaries": subsidiaries, "scope": scope}


def _entry(ctx: ParseContext, text: str, effective: str | None, when: str, heading: str, sublist: str | None,
           locator: str) -> Iterator[Record]:
    parts = split_entry(text)
    if not parts["name"]:
        ctx.issue("missing-name", "no name left once aliases and subsidiaries are read; skipped", locator,
                  "Entity Name", text[:200], severity="error")
        return
    key = hashlib.sha1(parts["name"].casefold().encode()).hexdigest()[:16]
    record = ctx.make("LegalEntity", key, locator)
    record.raw.append({"entity_name": text, "effective_date": when, "sub_list": heading})
    ctx.add(record, "name", parts["name"], locator, "Entity Name")
    for alias in parts["aliases"]:
        ctx.add(record, "alias", alias, locator, "Entity Name")
    ctx.add(record, "topics", "sanction", locator)
    ctx.add(record, "sourceUrl", "https://www.dhs.gov/uflpa-entity-list", locator)
    if parts["scope"]:
        ctx.add(record, "notes", f"listed {parts['scope']} (as the entry says)", locator, "Entity Name")
    record.add_sanction(list=LIST_NAME, authority=AUTHORITY, listingDate=effective, program=sublist,
                        reason=heading or None, scope=parts["scope"], sourceUrl="https://www.dhs.gov/uflpa-entity-list")
    yield record
    for sub in parts["subsidiaries"]:
        sub_key = hashlib.sha1(f"{parts['name']}|{sub}".casefold().encode()).hexdigest()[:16]
        linked = ctx.make("LegalEntity", f"sub-{sub_key}", locator)
        ctx.add(linked, "name", sub, locator, "Entity Name")
        linked.raw.append({"link_of": {
            "parent": parts["name"], "parent_ids": [record.id], "relation": "subsidiary", "named": True,
            "origin": "list", "start": effective,
            "source": f"{LIST_NAME} ({ctx.name}, {locator}): named in the entry of {parts['name']}"}})
        yield linked
