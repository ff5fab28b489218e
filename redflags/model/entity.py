"""One listed party as a FollowTheMoney entity plus its list provenance.

A ``Record`` wraps an FtM ``EntityProxy`` (the cleaned, schema-checked properties) and
keeps next to it what FtM does not: the publisher's own spelling of each cleaned value,
the component lists and sanction programmes the party is on, structured identifiers,
the raw record and where in the file it came from.
"""

import hashlib
import json
import re
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]+")


def make_entity_id(dataset: str, source_id: str) -> str:
    """``<dataset>-<publisher record id>``, with characters unsafe in URLs replaced."""
    slug = _ID_UNSAFE.sub("-", source_id.strip()).strip("-")
    return f"{dataset}-{slug}"


class Record:
    """A listed party being built by a parser, or read back from the store."""

    __slots__ = ("proxy", "dataset", "source_id", "original", "unparsed", "lists",
                 "sanctions", "identifiers", "raw", "locators")

    def __init__(self, dataset: str, schema: str, source_id: str) -> None:
        self.dataset = dataset
        self.source_id = source_id
        self.proxy: EntityProxy = model.make_entity(schema)
        self.proxy.id = make_entity_id(dataset, source_id)
        self.original: dict[str, dict[str, str]] = {}
        """prop -> {cleaned value: publisher's value} where the two differ."""
        self.unparsed: dict[str, list[str]] = {}
        """prop -> publisher values that could not be cleaned (kept, not lost)."""
        self.lists: list[str] = []
        self.sanctions: list[dict[str, Any]] = []
        self.identifiers: list[dict[str, str]] = []
        self.raw: list[dict[str, Any]] = []
        self.locators: list[str] = []

    @property
    def id(self) -> str:
        return str(self.proxy.id)

    @property
    def schema(self) -> str:
        return self.proxy.schema.name

    @property
    def caption(self) -> str:
        return self.proxy.caption

    def add(self, prop: str, value: Any) -> str | None:
        """Clean and add one value; return the cleaned form, or None if it was unusable.

        A value that fails cleaning is kept in ``unparsed`` so that nothing the
        publisher wrote is lost; the caller decides whether that is worth an issue.
        """
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        ftm_prop = self.proxy.schema.get(prop)
        if ftm_prop is None:
            raise InvalidData(f"{self.schema} has no property {prop!r}")
        clean = ftm_prop.type.clean(text, proxy=self.proxy)
        if clean is None:
            bucket = self.unparsed.setdefault(prop, [])
            if text not in bucket:
                bucket.append(text)
            return None
        self.proxy.add(prop, clean, cleaned=True)
        if clean != text:
            self.original.setdefault(prop, {}).setdefault(clean, text)
        return clean

    def add_list(self, name: str) -> None:
        if name and name not in self.lists:
            self.lists.append(name)

    def add_sanction(self, **fields: Any) -> None:
        """One listing: list, program, authority, listingDate, endDate, sourceUrl, reason..."""
        entry = {k: v for k, v in fields.items() if v not in (None, "", [])}
        if entry and entry not in self.sanctions:
            self.sanctions.append(entry)
        if entry.get("list"):
            self.add_list(entry["list"])

    def add_identifier(self, kind: str | None, number: str, country: str | None = None,
                       **extra: str | None) -> None:
        ident = {"type": kind or "", "number": number.strip()}
        if country:
            ident["country"] = country
        ident.update({k: v for k, v in extra.items() if v})
        if ident["number"] and ident not in self.identifiers:
            self.identifiers.append(ident)

    def change_schema(self, schema: str) -> None:
        """Move to a more specific (or merged) schema, keeping every property."""
        target = model.get(schema)
        if target is None or target == self.proxy.schema:
            return
        common = model.common_schema(self.proxy.schema, target)
        data = self.proxy.to_dict()
        data["schema"] = common.name
        self.proxy = model.get_proxy(data, cleaned=True)

    def merge(self, other: "Record") -> bool:
        """Fold a record with the same publisher id into this one (union of values). Returns
        False when the two are different kinds of party (a Person and a Company): then only
        the other's listings, identifiers and raw record are taken, not its properties."""
        merged = True
        try:
            self.change_schema(other.schema)
            self.proxy.merge(other.proxy)
        except InvalidData:
            merged = False
        for prop, values in other.original.items():
            for clean, text in values.items():
                self.original.setdefault(prop, {}).setdefault(clean, text)
        for prop, texts in other.unparsed.items():
            bucket = self.unparsed.setdefault(prop, [])
            bucket.extend(t for t in texts if t not in bucket)
        for name in other.lists:
            self.add_list(name)
        for entry in other.sanctions:
            if entry not in self.sanctions:
                self.sanctions.append(entry)
        for ident in other.identifiers:
            if ident not in self.identifiers:
                self.identifiers.append(ident)
        self.raw.extend(other.raw)
        if not merged:  # what could not be merged is kept, not lost
            self.raw.append({"unmerged": {"schema": other.schema, "properties": other.proxy.properties}})
        self.locators.extend(other.locators)
        return merged

    def to_dict(self) -> dict[str, Any]:
        """The stored form; keys sorted and values ordered, so equal records hash equal."""
        props = {p: sorted(v) for p, v in sorted(self.proxy.properties.items())}
        return {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "dataset": self.dataset,
            "source_id": self.source_id,
            "lists": sorted(self.lists),
            "properties": props,
            "original": {p: dict(sorted(v.items())) for p, v in sorted(self.original.items())},
            "unparsed": {p: sorted(v) for p, v in sorted(self.unparsed.items())},
            "sanctions": sorted(self.sanctions, key=_canonical),
            "identifiers": sorted(self.identifiers, key=_canonical),
            "raw": self.raw,
            "locators": self.locators,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        rec = cls(data["dataset"], data["schema"], data["source_id"])
        rec.proxy = model.get_proxy(
            {"id": data["id"], "schema": data["schema"], "properties": data["properties"]},
            cleaned=True,
        )
        rec.original = {p: dict(v) for p, v in data.get("original", {}).items()}
        rec.unparsed = {p: list(v) for p, v in data.get("unparsed", {}).items()}
        rec.lists = list(data.get("lists", []))
        rec.sanctions = list(data.get("sanctions", []))
        rec.identifiers = list(data.get("identifiers", []))
        rec.raw = list(data.get("raw", []))
        rec.locators = list(data.get("locators", []))
        return rec


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def content_hash(data: dict[str, Any]) -> str:
    """Hash of what a record says, ignoring where in the file it stood."""
    keyed = {k: v for k, v in data.items() if k not in ("locators", "raw")}
    keyed["raw"] = sorted(_canonical(r) for r in data.get("raw", []))
    return hashlib.sha1(_canonical(keyed).encode("utf-8")).hexdigest()
