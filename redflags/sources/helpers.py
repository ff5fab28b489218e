"""Code repeated across three or more parsers."""

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from redflags.model import Record
from redflags.normalise.dates import parse_date
from redflags.sources.base import ParseContext

META_DIR = Path(__file__).parent / "meta"
_TRAILING = re.compile(r"[\s:;,.\-]+$")
_KEYWORDS = (("passport", "passportNumber"), ("tax", "taxNumber"),
             ("registration", "registrationNumber"), ("swift", "swiftBic"), ("imo", "imoNumber"))
_NUMBER_PREFIX = re.compile(r"^(?:no\.?|number|#)\s*", re.IGNORECASE)
_NULLS = {"n/a", "na", "unknown", "-", "none", "not known", "?"}
_ENUMERATION = re.compile(r"\(\d+\)(?:-\(\d+\))?|\b\d\)|;|/|\band\b")
_PARENTHETICAL = re.compile(r"\((?!\d+\))[^()]*\)")


@cache
def load_meta(name: str) -> dict[str, Any]:
    path = META_DIR / f"{name}.yml"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh) or {})


def identifier_property(kind: str | None) -> str | None | bool:
    """FtM property for a publisher identifier type; None = not an identifier; True = unknown."""
    if not kind:
        return True
    types: dict[str, str | None] = load_meta("identifiers")["types"]
    key = _TRAILING.sub("", kind.strip().casefold())
    if key in types:
        return types[key]
    if "date" in key.split() or key.startswith("date"):
        return None  # "Listing Date (CMIC)" and the like are facts about the listing
    for word, prop in _KEYWORDS:
        if word in key:
            return prop
    return True


def add_identifier(ctx: ParseContext, record: Record, kind: str | None, number: str | None,
                   country: str | None, locator: str, field: str) -> None:
    """File an identifier under its FtM property and in the typed list of identifiers."""
    if not number or not number.strip():
        return
    number = _NUMBER_PREFIX.sub("", number.strip())
    prop = identifier_property(kind)
    if prop is None:
        ctx.add(record, "notes", f"{kind}: {number}".strip(": "), locator, field)
        return
    record.add_identifier(kind, number, country)
    target = prop if isinstance(prop, str) and record.proxy.schema.get(prop) else None
    if target is None:
        target = "idNumber" if record.proxy.schema.get("idNumber") else "notes"
    ctx.add(record, target, number, locator, field)


def add_date(ctx: ParseContext, record: Record, prop: str, value: str | None, locator: str,
             field: str, day_first: bool = True) -> str | None:
    """Parse a publisher date; on failure keep it unparsed and file an issue."""
    if not value or not value.strip() or value.strip().casefold() in _NULLS:
        return None
    parsed = parse_date(value, day_first=day_first)
    if parsed is None:
        record.unparsed.setdefault(prop, []).append(value.strip())
        ctx.issue("unparseable-date", "cannot read this date; kept as published", locator,
                  field, value)
        return None
    clean = record.add(prop, parsed)
    if clean is not None and clean != value.strip():
        record.original.setdefault(prop, {})[clean] = value.strip()
    return clean


def add_country(ctx: ParseContext, record: Record, prop: str, value: str | None, locator: str,
                field: str) -> str | None:
    if not value or not value.strip():
        return None
    clean = record.add(prop, value)
    if clean is not None:
        return clean
    # "(1) Tunisia (2) Morocco", "Afghanistan (since 2009)": try the parts.
    first = None
    for part in _ENUMERATION.split(_PARENTHETICAL.sub(" ", value)):
        part = part.strip(" ,.-")
        if part and (found := record.add(prop, part)) is not None:
            record.original.setdefault(prop, {}).setdefault(found, value.strip())
            first = first or found
    if first is None:
        record.unparsed.setdefault(prop, []).append(value.strip())
        ctx.issue("unknown-country", "country not recognised; kept as published", locator,
                  field, value, severity="info")
    return first


def merge_into(records: dict[str, Record], record: Record) -> None:
    """Add ``record`` to ``records``, folding it into an earlier record with the same id."""
    if record.id in records:
        records[record.id].merge(record)
    else:
        records[record.id] = record


ABBREVIATED = ("Ltd.", "Inc.", "Co.", "Corp.", "S.A.", "L.L.C.", "Ltda.", "B.V.", "N.V.", "S.p.A.", "Pte.")
"""Name endings whose final period is part of the name."""


def trim_name(text: str) -> str:
    """A name without the punctuation a list puts after it in running text (a closing ``;``, ``,``
    or ``.``), unless the period abbreviates a legal form ("Co., Ltd.")."""
    text = text.strip(" ,;")
    return text if text.endswith(ABBREVIATED) else text.rstrip(".").strip()


def join_address(*parts: str | None) -> str | None:
    joined = ", ".join(p.strip() for p in parts if p and p.strip())
    return joined or None
