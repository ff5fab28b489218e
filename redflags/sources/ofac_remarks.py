"""The OFAC legacy remarks field: "DOB 1962; POB Shati; Passport X123 (Iran); a.k.a. 'BNC'."

Shared by the OFAC legacy CSV (sdn.csv, cons_prim.csv) parsers. Each "; "-separated
clause that is recognised becomes a property; the remark is always kept in notes.
"""

import re

from redflags.model import Record
from redflags.sources.base import ParseContext
from redflags.sources.helpers import add_country, add_date, add_identifier, load_meta

_AKA = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.+?)'\.?$", re.IGNORECASE)
_COUNTRY_TAIL = re.compile(r"^(.*?)\s*\(([^()]+)\)\.?$")


def _id_prefixes() -> list[str]:
    types = load_meta("identifiers")["types"]
    return sorted(types, key=len, reverse=True)


def parse_remarks(ctx: ParseContext, record: Record, remarks: str | None, locator: str,
                  field: str = "Remarks") -> None:
    if not remarks:
        return
    ctx.add(record, "notes", remarks, locator, field)
    person = record.schema == "Person"
    prefixes = _id_prefixes()
    for clause in (c.strip().rstrip(".") for c in remarks.split(";")):
        if not clause:
            continue
        if clause.casefold().startswith("alt. "):
            clause = clause[5:].strip()
        lower = clause.casefold()
        if m := _AKA.match(clause):
            prop = "previousName" if m[1].lower().startswith("f") else "alias"
            ctx.add(record, prop, m[2], locator, field)
        elif lower.startswith("dob ") and person:
            for value in clause[4:].split(" to "):
                add_date(ctx, record, "birthDate", value, locator, field)
        elif lower.startswith("pob ") and person:
            ctx.add(record, "birthPlace", clause[4:], locator, field)
        elif lower.startswith("nationality ") and person:
            add_country(ctx, record, "nationality", clause[12:], locator, field)
        elif lower.startswith("citizen ") and person:
            add_country(ctx, record, "citizenship", clause[8:], locator, field)
        elif lower.startswith("gender ") and person:
            ctx.add(record, "gender", clause[7:], locator, field)
        elif lower.startswith("linked to: "):
            continue
        else:
            for prefix in prefixes:
                if lower.startswith(prefix + " ") and load_meta("identifiers")["types"][prefix]:
                    rest = clause[len(prefix) + 1:].strip()
                    country = None
                    if m := _COUNTRY_TAIL.match(rest):
                        rest, country = m[1], m[2]
                    add_identifier(ctx, record, clause[: len(prefix)], rest, country, locator,
                                   field)
                    break
