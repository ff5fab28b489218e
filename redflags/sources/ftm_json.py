"""FollowTheMoney JSON lines (OpenSanctions ``entities.ftm.json``) and delta files.

A plain file has one entity per line. A delta file has ``{"op": "ADD"|"MOD"|"DEL",
"entity": {...}}`` per line; the loader applies it on top of the dataset's active
version. ``Sanction`` entities are folded into the party they point at (their
``entity`` property), so list membership travels with the party as in every other
format. Other non-party schemata (Ownership, Address, ...) are kept as they are.
"""

import json
from collections.abc import Iterator
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData

from redflags.model import Record
from redflags.sources.base import ParseContext, open_binary, read_lines

PARTY_SCHEMATA = {"Person", "Company", "Organization", "LegalEntity", "Vessel", "Airplane",
                  "PublicBody"}


class Delta:
    """An operation from a delta file; the loader applies it."""

    __slots__ = ("op", "record", "source_id", "locator")

    def __init__(self, op: str, record: Record | None, source_id: str, locator: str) -> None:
        self.op, self.record, self.source_id, self.locator = op, record, source_id, locator


def _lines(ctx: ParseContext) -> Iterator[tuple[str, dict[str, Any]]]:
    with open_binary(ctx.path, ctx) as fh:
        for number, line in enumerate(read_lines(fh, ctx), start=1):
            if not line.strip():
                continue
            locator = f"line {number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                ctx.issue("invalid-json", f"not a JSON object: {exc.msg}; skipped", locator,
                          value=line[:200], severity="error")
                continue
            if not isinstance(data, dict):
                ctx.issue("invalid-json", "line is not a JSON object; skipped", locator,
                          value=line[:200], severity="error")
                continue
            yield locator, data


def _record(ctx: ParseContext, data: dict[str, Any], locator: str) -> Record | None:
    entity_id = data.get("id")
    schema = data.get("schema")
    if not entity_id or not isinstance(entity_id, str):
        ctx.issue("missing-id", "entity without a text id; skipped", locator, "id",
                  None if entity_id is None else json.dumps(entity_id), severity="error")
        return None
    if not isinstance(schema, str) or model.get(schema) is None:
        ctx.issue("unknown-schema", "unknown FtM schema; skipped", locator, "schema", schema,
                  severity="error")
        return None
    record = ctx.make(schema, entity_id, locator)
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        ctx.issue("invalid-properties", "properties is not an object", locator, "properties",
                  severity="error")
        props = {}
    for prop, values in props.items():
        if record.proxy.schema.get(prop) is None:
            ctx.issue("unknown-property", f"{schema} has no property {prop!r}; kept in raw",
                      locator, prop, severity="info")
            continue
        for value in _values(ctx, values, locator, prop):
            try:
                ctx.add(record, prop, value, locator, prop)
            except InvalidData as exc:
                ctx.issue("invalid-value", str(exc), locator, prop, value)
    for dataset in _datasets(ctx, data.get("datasets"), locator):
        record.add_list(dataset)
    record.raw.append({k: v for k, v in data.items() if k != "properties"})
    return record


def _values(ctx: ParseContext, values: Any, locator: str, prop: str) -> Iterator[str]:
    """The texts of one property: a list of strings in FtM; a bare string or number is read as
    one value; lists inside the list are flattened and reported; other types are reported and
    left out. A nested entity (yente's nested JSON) stands for its id."""
    items = values if isinstance(values, list) else [values]
    for value in items:
        if isinstance(value, str):
            yield value
        elif isinstance(value, bool) or value is None:
            if value is not None:
                ctx.issue("invalid-value", f"a {type(value).__name__} where text was expected; left out",
                          locator, prop, json.dumps(value))
        elif isinstance(value, int | float):
            yield str(value)
        elif isinstance(value, dict):
            if isinstance(value.get("id"), str):
                yield value["id"]
            else:
                ctx.issue("invalid-value", "an object without an id where text was expected; left out",
                          locator, prop, json.dumps(value, ensure_ascii=False)[:200])
        elif isinstance(value, list):
            ctx.issue("nested-list", "a list inside the list of values; its texts are read one by one",
                      locator, prop, json.dumps(value, ensure_ascii=False)[:200])
            yield from _values(ctx, [v for v in value if not isinstance(v, list)], locator, prop)
        else:
            ctx.issue("invalid-value", f"a {type(value).__name__} where text was expected; left out",
                      locator, prop, repr(value)[:200])


def _datasets(ctx: ParseContext, value: Any, locator: str) -> list[str]:
    """``datasets`` is a list of names; a single name is read as one, anything else is reported."""
    if value is None or value == []:
        return []
    if isinstance(value, str):
        ctx.issue("invalid-datasets", "datasets is a string, not a list; read as one dataset", locator,
                  "datasets", value, severity="info")
        return [value]
    if not isinstance(value, list):
        ctx.issue("invalid-datasets", f"datasets is a {type(value).__name__}, not a list of names; ignored",
                  locator, "datasets", json.dumps(value))
        return []
    names = [v for v in value if isinstance(v, str) and v.strip()]
    if len(names) != len(value):
        ctx.issue("invalid-datasets", "datasets holds values that are not names; they are ignored", locator,
                  "datasets", json.dumps(value, ensure_ascii=False)[:200])
    return names


def parse(ctx: ParseContext) -> Iterator[Record]:
    """Entities of a plain FtM file, with Sanction entities folded into their parties."""
    sanctions: list[Record] = []
    parties: dict[str, Record] = {}
    for locator, data in _lines(ctx):
        if "op" in data and "entity" in data:
            ctx.issue("delta-in-plain", "delta operation in a plain entity file; use the delta "
                      "format", locator, "op", data.get("op"), severity="error")
            continue
        record = _record(ctx, data, locator)
        if record is None:
            continue
        if record.schema == "Sanction":
            sanctions.append(record)
        elif record.source_id in parties:
            earlier = parties[record.source_id]
            first = earlier.locators[0].split(":", 1)[-1]
            if earlier.merge(record):
                ctx.issue("duplicate-id", f"entity id repeats {first}; the two records were merged", locator,
                          "id", record.source_id)
            else:
                ctx.issue("duplicate-id-conflict", f"entity id repeats {first} for a different schema "
                          f"({record.schema}, not {earlier.schema}); its properties are kept only in the raw "
                          "record", locator, "id", record.source_id, severity="error")
        else:
            parties[record.source_id] = record
    _fold_sanctions(ctx, parties, sanctions)
    yield from parties.values()


def parse_delta(ctx: ParseContext) -> Iterator[Delta]:
    for locator, data in _lines(ctx):
        op = str(data.get("op", "")).upper()
        entity = data.get("entity")
        if op not in ("ADD", "MOD", "DEL") or not isinstance(entity, dict):
            ctx.issue("invalid-op", "delta line needs op ADD/MOD/DEL and an entity object; "
                      "skipped", locator, "op", data.get("op"), severity="error")
            continue
        if op == "DEL":
            entity_id = entity.get("id")
            if not entity_id or not isinstance(entity_id, str | int):
                ctx.issue("missing-id", "DEL without entity id; skipped", locator, "entity.id",
                          severity="error")
                continue
            yield Delta(op, None, str(entity_id), locator)
            continue
        record = _record(ctx, entity, locator)
        if record is not None:
            yield Delta(op, record, record.source_id, locator)


def _fold_sanctions(ctx: ParseContext, parties: dict[str, Record],
                    sanctions: list[Record]) -> None:
    for sanction in sanctions:
        props = sanction.proxy
        targets = props.get("entity")
        entry = {
            "list": ", ".join(sanction.lists) or None,
            "authority": ", ".join(props.get("authority")) or None,
            "program": props.get("program") or None,
            "listingDate": min(props.get("listingDate") or props.get("startDate") or [""]) or None,
            "endDate": max(props.get("endDate") or [""]) or None,
            "reason": "; ".join(props.get("reason")) or None,
            "sourceUrl": next(iter(props.get("sourceUrl")), None),
        }
        for target in targets:
            party = parties.get(target)
            if party is None:
                continue
            party.add_sanction(**entry)
