"""Party keys and fingerprints: what makes two screenings the same party, and whether either
side changed since a decision."""

from typing import Any

from redflags.audit.chain import canonical, sha256_hex

QUERY_FIELDS = ("names", "schema", "countries", "identifiers", "birth_dates")


def screened(query: dict[str, Any]) -> dict[str, Any]:
    """The screened properties of a query, in one order whatever the input's order."""
    out: dict[str, Any] = {}
    for name in QUERY_FIELDS:
        value = query.get(name)
        out[name] = sorted({str(v) for v in value}) if isinstance(value, list | tuple) else value
    return out


def party_fingerprint(query: dict[str, Any]) -> str:
    return sha256_hex(canonical(screened(query)))


def party_key(source: str, input_id: Any, fingerprint: str) -> str:
    """The input's own id within its portfolio or file; else the hash of what was screened
    (``fingerprint``: the same party in any file without ids is one party)."""
    if input_id is not None and str(input_id).strip():
        return f"{source}/{str(input_id).strip()}"[:400]
    return "sha256:" + fingerprint


def listed_fingerprint(records: dict[str, str]) -> str:
    """Of the listed party's source records: their ids and content hashes (a new alias, address,
    list or identifier changes a record's hash; a record added to the party adds an id)."""
    return sha256_hex(canonical(sorted(records.items())))


def party_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What differs between two screened property sets (a purged one shows as unknown)."""
    if before is None or after is None:
        return [{"side": "party", "field": "*", "added": [], "removed": [],
                 "note": "the party's properties changed (the earlier ones were purged by retention)"}]
    out = []
    a, b = screened(before), screened(after)
    for name in QUERY_FIELDS:
        if a.get(name) == b.get(name):
            continue
        old: list[Any] = a[name] if isinstance(a.get(name), list) else [a.get(name)]
        new: list[Any] = b[name] if isinstance(b.get(name), list) else [b.get(name)]
        out.append({"side": "party", "field": name, "added": [v for v in new if v not in old and v is not None],
                    "removed": [v for v in old if v not in new and v is not None]})
    return out
