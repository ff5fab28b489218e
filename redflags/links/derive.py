"""Links read from the lists' own data, and from the table shipped with redflags.

- A *link-only* record: one whose raw data carries ``link_of`` (a row of a loaded links file, a
  subsidiary the UFLPA list names inside an entry). It is a linked party, never a listed one.
- FollowTheMoney ``Ownership``, ``UnknownLink`` and ``Directorship`` entities (OpenSanctions): a
  party on no list that is owned by, linked to or directed by a listed one is a linked party of
  it, with the share and dates the entity gives.
- ``data/links.yml``: brands and subsidiaries of listed firms, each with a public source.
"""

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from redflags.links.model import RELATIONS, Link, parse_partial

CURATED_FILE = Path(__file__).parent / "data" / "links.yml"

LISTED_TOPICS = {"sanction", "sanction.linked", "debarment", "export.control", "crime"}
"""FtM topics of a party that is on a list (an OpenSanctions file also carries context parties:
registry companies, their owners)."""

_EDGES = {"Ownership": ("owner", "asset", "owned"), "UnknownLink": ("subject", "object", "linked"),
          "Directorship": ("director", "organization", "director")}

NAME_PROPS = ("name", "alias", "previousName", "weakAlias")


def link_of(record: dict[str, Any]) -> dict[str, Any] | None:
    for raw in record.get("raw") or ():
        if isinstance(raw, dict) and isinstance(raw.get("link_of"), dict):
            return raw["link_of"]
    return None


def _listed(record: dict[str, Any]) -> bool:
    topics = set(record.get("properties", {}).get("topics", []))
    return bool(record.get("sanctions")) or bool(topics & LISTED_TOPICS) or _not_ftm(record)


def _not_ftm(record: dict[str, Any]) -> bool:
    """A record from an official list's own file (not an FtM file): listed by being there."""
    return not any(str(loc).endswith(".json") or ".json:" in str(loc) for loc in record.get("locators") or ())


def _names(record: dict[str, Any]) -> tuple[str, ...]:
    props = record.get("properties", {})
    seen: list[str] = []
    for prop in NAME_PROPS:
        seen.extend(v for v in props.get(prop, []) if v not in seen)
    return tuple(seen)


def _where(record: dict[str, Any]) -> str:
    where = ", ".join(record.get("locators") or [])
    return f"{record.get('dataset')} record {record['id']}" + (f" ({where})" if where else "")


def from_records(records: Iterable[dict[str, Any]]) -> tuple[list[Link], set[str]]:
    """The links the records state, and the ids of the records that are linked parties only (not
    to be screened as listed)."""
    records = list(records)
    by_id = {r["id"]: r for r in records}
    # an FtM entity points at others by their own ids, which the store prefixes with the dataset
    by_id.update({f"{r.get('dataset')}\x00{r['source_id']}": r for r in records if r.get("source_id")})
    links: list[Link] = []
    only: set[str] = set()
    for record in records:
        spec = link_of(record)
        if spec is not None:
            names = _names(record)
            if names:
                only.add(record["id"])
                links.append(Link(
                    id=record["id"], names=names, relation=spec.get("relation") or "linked",
                    parent=spec.get("parent") or "", parent_aliases=tuple(spec.get("parent_aliases") or ()),
                    parent_ids=tuple(spec.get("parent_ids") or ()),
                    source=spec.get("source") or _where(record), origin=spec.get("origin") or "list",
                    share=_share(spec.get("share")), start=spec.get("start"), end=spec.get("end"),
                    schema=record.get("schema", "Company"),
                    countries=tuple(record.get("properties", {}).get("country", [])), note=spec.get("note"),
                    named=bool(spec.get("named"))))
            continue
        edge = _EDGES.get(record.get("schema", ""))
        if edge is None:
            continue
        props = record.get("properties", {})
        dataset = record.get("dataset")

        def find(ref: str, dataset: Any = dataset) -> dict[str, Any] | None:
            return by_id.get(f"{dataset}\x00{ref}") or by_id.get(ref)

        for parent_ref in props.get(edge[0], []):
            for child_ref in props.get(edge[1], []):
                parent, child = find(parent_ref), find(child_ref)
                if parent is None or child is None or not _listed(parent) or _listed(child):
                    continue
                parent_id, child_id = parent["id"], child["id"]
                names = _names(child)
                if not names:
                    continue
                only.add(child_id)
                role = ", ".join(props.get("role", []))
                parent_names = _names(parent)
                links.append(Link(
                    id=f"{record['id']}:{child_id}", names=names, relation=edge[2],
                    parent=parent_names[0] if parent_names else parent_id, parent_ids=(parent_id,),
                    source=_where(record), origin="list",
                    share=_share((props.get("percentage") or [None])[0]),
                    start=(props.get("startDate") or [None])[0], end=(props.get("endDate") or [None])[0],
                    schema=child.get("schema", "Company"),
                    countries=tuple(child.get("properties", {}).get("country", [])), note=role or None))
    return links, only


def _share(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(str(value).strip().rstrip("%"))
    except ValueError:
        return None


@lru_cache(maxsize=1)
def curated(path: Path = CURATED_FILE) -> tuple[Link, ...]:
    """The shipped table; a row without a source, a known relation or readable dates is refused
    (a ``ValueError`` naming the row)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for number, row in enumerate(data.get("links", []), start=1):
        where = f"{path.name} row {number} ({row.get('id', '?')})"
        if not str(row.get("source", "")).startswith(("http://", "https://")):
            raise ValueError(f"{where}: no source URL")
        if row.get("relation") not in RELATIONS:
            raise ValueError(f"{where}: relation {row.get('relation')!r} is not one of {', '.join(RELATIONS)}")
        for key in ("start", "end"):
            parse_partial(row.get(key))
        names = tuple(str(n) for n in row.get("names") or ())
        if not names or not row.get("parent"):
            raise ValueError(f"{where}: names and parent are required")
        country = row.get("country")
        parents = [row["parent"]] if isinstance(row["parent"], str) else [str(p) for p in row["parent"]]
        out.append(Link(id=f"curated:{row['id']}", names=names, relation=row["relation"], parent=parents[0],
                        parent_aliases=tuple(parents[1:]),
                        source=row["source"], origin="curated", share=_share(row.get("share")),
                        start=None if row.get("start") is None else str(row["start"]),
                        end=None if row.get("end") is None else str(row["end"]),
                        countries=(country,) if country else (), note=row.get("note")))
    return tuple(out)


def link_from_dict(data: dict[str, Any]) -> Link:
    """A link as stored in an index's metadata (``Link.to_dict`` plus its schema and countries)."""
    return Link(id=data["id"], names=tuple(data["names"]), relation=data["relation"], parent=data.get("parent", ""),
                parent_aliases=tuple(data.get("parent_aliases", ())),
                parent_ids=tuple(data.get("parent_ids", ())), source=data["source"], origin=data["origin"],
                share=data.get("share"), start=data.get("start"), end=data.get("end"),
                schema=data.get("schema", "Company"), countries=tuple(data.get("countries", ())),
                note=data.get("note"), named=bool(data.get("named")))


def link_to_dict(link: Link) -> dict[str, Any]:
    return {**link.to_dict(), "schema": link.schema, "countries": list(link.countries)}
