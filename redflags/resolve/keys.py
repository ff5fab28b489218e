"""The identifiers publishers give a listed party, as keys shared across lists:

- ``ofac:<ent_num>``: OFAC's entry number, in OFAC's own files (every format) and in the
  Consolidated Screening List's rows from OFAC's lists (SDN, NS-CMIC, SSI, ...);
- ``un:<reference>``: the UN Security Council reference ("QDi.431"), in the UN list, in the EU
  file's ``unitedNationId`` and in the UK list's "(UN Ref)" notes;
- ``imo:<number>``: a vessel's IMO number, wherever it is given;
- ``os:<id>``: an OpenSanctions entity id and its ``referents``.

Names are never keys: two people called "Mohammed Ali" stay two parties.
"""

import re
from collections.abc import Iterator
from typing import Any

OFAC = "Office of Foreign Assets Control"
_UN_REF = re.compile(r"\(?\bUN Ref\)?\s*:?\s*([A-Z]{2}[ie]\.\d+)")
_UN_ID = re.compile(r"^[A-Z]{2}[ie]\.\d+$")
_OS_OFAC = re.compile(r"^ofac-(\d+)$")


def publisher_keys(record: dict[str, Any]) -> set[str]:
    """The cross-list identifiers of one stored record (see the module docstring)."""
    return set(_keys(record))


def _keys(record: dict[str, Any]) -> Iterator[str]:
    props = record.get("properties") or {}
    for sanction in record.get("sanctions") or []:
        number = str(sanction.get("entityNumber") or "").strip()
        if number.isascii() and number.isdigit() and sanction.get("authority") == OFAC:
            yield f"ofac:{number}"
        reference = str(sanction.get("unscId") or "").strip()
        if _UN_ID.match(reference):
            yield f"un:{reference}"
    for note in props.get("notes", []):
        for reference in _UN_REF.findall(note):
            yield f"un:{reference}"
    for number in props.get("imoNumber", []):
        digits = "".join(c for c in number if c.isdigit())
        if len(digits) == 7:
            yield f"imo:{digits}"
    if _opensanctions(record):
        yield f"os:{record.get('source_id')}"
        for raw in record.get("raw") or []:
            for referent in raw.get("referents") or []:
                yield f"os:{referent}"
                match = _OS_OFAC.match(str(referent))
                if match:
                    yield f"ofac:{match.group(1)}"


def _opensanctions(record: dict[str, Any]) -> bool:
    """A record from OpenSanctions' FollowTheMoney files (its raw record has the FtM ``datasets``)."""
    return any(isinstance(raw, dict) and "schema" in raw and "datasets" in raw for raw in record.get("raw") or [])
