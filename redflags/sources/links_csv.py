"""A user's own links to listed parties: the custom-list CSV extended with a parent column (from a
supplier questionnaire, a due-diligence report, a registry extract).

Header (UTF-8, comma-separated; column order free):

    id,name,aliases,schema,country,parent,parent_id,relation,share,start,end,source,note

Required: ``name`` (the brand, subsidiary or affiliate) and ``parent`` (the listed party, as
listed) or ``parent_id`` (its record id). ``relation``: brand, subsidiary (default),
former_subsidiary, affiliate, owned, linked. ``share``: percent owned. ``start``/``end``: 2020,
2020-11 or 2020-11-17. Each row is a linked party, never a listed one; loaded as a dataset
(``redflags links load``), it is versioned, diffed and rolled back like a list.
"""

import hashlib
from collections.abc import Iterator

from redflags.links.model import RELATIONS, parse_partial
from redflags.model import Record
from redflags.sources.base import ParseContext, iter_rows, split_values
from redflags.sources.helpers import add_country

COLUMNS = ["id", "name", "aliases", "schema", "country", "parent", "parent_id", "relation", "share", "start",
           "end", "source", "note"]
REQUIRED = ["name"]


def parse(ctx: ParseContext) -> Iterator[Record]:
    for locator, row in iter_rows(ctx, REQUIRED, casefold=True):
        record = _parse_row(ctx, row, locator)
        if record is not None:
            yield record


def _parse_row(ctx: ParseContext, row: dict[str, str], locator: str) -> Record | None:
    raw = dict(row)
    name, parent, parent_id = row.pop("name", ""), row.pop("parent", ""), row.pop("parent_id", "")
    if not name:
        ctx.issue("missing-name", "row without a name; skipped", locator, "name", severity="error")
        return None
    if not parent and not parent_id:
        ctx.issue("missing-parent", "row without a parent (the listed party) or parent_id; skipped", locator,
                  "parent", severity="error")
        return None
    relation = (row.pop("relation", "") or "subsidiary").strip().casefold().replace(" ", "_")
    if relation not in RELATIONS:
        ctx.issue("unknown-relation", f"relation is one of {', '.join(RELATIONS)}; row skipped", locator,
                  "relation", relation, severity="error")
        return None
    dates = {}
    for key in ("start", "end"):
        value = row.pop(key, "").strip()
        try:
            parse_partial(value, end=key == "end")
        except ValueError as exc:
            ctx.issue("unparseable-date", f"{exc}; row skipped", locator, key, value, severity="error")
            return None
        dates[key] = value or None
    share_text = row.pop("share", "").strip().rstrip("%").strip()
    share = None
    if share_text:
        try:
            share = float(share_text)
        except ValueError:
            share = -1.0
        if not 0 <= share <= 100:
            ctx.issue("invalid-share", "share is a percentage from 0 to 100; read as unknown", locator, "share",
                      share_text)
            share = None
    source_id = row.pop("id", "") or hashlib.sha1(
        f"{name.casefold()}|{(parent or parent_id).casefold()}".encode()).hexdigest()[:16]
    kind = row.pop("schema", "")
    schema = ctx.lookup("schema", kind.casefold()) if kind else "Company"
    if schema is None:
        ctx.issue("unknown-schema", "unknown schema; read as a company", locator, "schema", kind)
        schema = "Company"
    record = ctx.make(schema, source_id, locator)
    ctx.add(record, "name", name, locator, "name")
    for alias in split_values(row.pop("aliases", "")):
        ctx.add(record, "alias", alias, locator, "aliases")
    for country in split_values(row.pop("country", "")):
        add_country(ctx, record, "nationality" if schema == "Person" else "country", country, locator, "country")
    source = row.pop("source", "").strip() or f"{ctx.name}, {locator}"
    record.raw.append(raw)
    record.raw.append({"link_of": {"parent": parent, "parent_ids": [parent_id] if parent_id else [],
                                   "relation": relation, "share": share, "source": source, "origin": "user",
                                   "note": row.pop("note", "") or None, **dates}})
    ctx.audit(row, locator)
    return record
