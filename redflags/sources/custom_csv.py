"""A documented CSV for lists no other parser covers (a client's own block list, the
UFLPA Entity List copied from the DHS page, a regulator's notice...).

Header (UTF-8, comma-separated; column order free; see docs/custom-list.md):

    id,name,aliases,schema,country,identifiers,birth_date,list,reason,source

Required: ``name`` and ``list``. ``aliases`` and ``identifiers`` hold several values
separated by ``;``; an identifier is ``type:number`` or a bare number. ``id`` defaults
to a hash of name and list, so unchanged rows keep their ids.
"""

import hashlib
from collections.abc import Iterator

from redflags.model import Record
from redflags.sources.base import ParseContext, iter_rows, split_values
from redflags.sources.helpers import add_country, add_date, add_identifier

COLUMNS = ["id", "name", "aliases", "schema", "country", "identifiers", "birth_date", "list",
           "reason", "source"]
REQUIRED = ["name", "list"]


def parse(ctx: ParseContext) -> Iterator[Record]:
    names: dict[str, tuple[str, str]] = {}  # id -> (name, locator) of the row that used it first
    for locator, row in iter_rows(ctx, REQUIRED, casefold=True):
        record = _parse_row(ctx, row, locator, names)
        if record is not None:
            yield record


def _parse_row(ctx: ParseContext, row: dict[str, str], locator: str,
               names: dict[str, tuple[str, str]]) -> Record | None:
    raw = dict(row)
    name, list_name = row.pop("name", ""), row.pop("list", "")
    if not name:
        ctx.issue("missing-name", "row without a name; skipped", locator, "name",
                  severity="error")
        return None
    if not list_name:
        ctx.issue("missing-list", "row without a list name; skipped", locator, "list",
                  severity="error")
        return None
    source_id = row.pop("id", "") or hashlib.sha1(
        f"{name.casefold()}|{list_name.casefold()}".encode()).hexdigest()[:16]
    # One party per row: a row naming the same party again adds to it (another list), but one
    # id given to two different parties must not fold the second into the first.
    first = names.setdefault(source_id, (name, locator))
    if first[0].casefold() != name.casefold():
        own = f"{source_id}-{hashlib.sha1(name.casefold().encode()).hexdigest()[:8]}"
        ctx.issue("duplicate-id-conflict", f"id {source_id!r} is used at {first[1]} for another party "
                  f"({first[0]!r}); this row is loaded as id {own!r}", locator, "id", source_id)
        source_id = own
    kind = row.pop("schema", "")
    schema = ctx.lookup("schema", kind.casefold()) if kind else "LegalEntity"
    if schema is None:
        ctx.issue("unknown-schema", "unknown schema; read as a legal entity", locator, "schema",
                  kind)
        schema = "LegalEntity"
    record = ctx.make(schema, source_id, locator)
    record.raw.append(raw)
    ctx.add(record, "name", name, locator, "name")
    for alias in split_values(row.pop("aliases", "")):
        ctx.add(record, "alias", alias, locator, "aliases")
    for country in split_values(row.pop("country", "")):
        add_country(ctx, record, "nationality" if schema == "Person" else "country", country,
                    locator, "country")
    for ident in split_values(row.pop("identifiers", "")):
        kind_, _, number = ident.rpartition(":")
        add_identifier(ctx, record, kind_ or None, number, None, locator, "identifiers")
    birth = row.pop("birth_date", "")
    if birth and schema == "Person":
        add_date(ctx, record, "birthDate", birth, locator, "birth_date")
    elif birth:
        ctx.issue("not-a-person", "birth_date given for a non-person; ignored", locator,
                  "birth_date", birth)
    source = row.pop("source", "")
    ctx.add(record, "sourceUrl", source if source.startswith("http") else None, locator, "source")
    ctx.add(record, "topics", "sanction", locator)
    record.add_sanction(list=list_name, reason=row.pop("reason", ""), sourceUrl=source or None)
    ctx.audit(row, locator)
    return record
