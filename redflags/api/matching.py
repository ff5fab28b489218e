"""Answering yente's ``/match``: queries from example entities, filters, the response body."""

import importlib.util
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from redflags.api.errors import ApiError
from redflags.api.guard import QUERIES
from redflags.api.pool import QuerySpec
from redflags.api.schemas import EntityExample
from redflags.api.serving import Served
from redflags.normalise.text import readable
from redflags.screen.screen import make_query, status_of


@dataclass(frozen=True)
class MatchOptions:
    dataset: str
    limit: int
    threshold: float
    cutoff: float
    include_dataset: list[str]
    exclude_dataset: list[str]
    exclude_schema: list[str]
    topics: list[str]
    exclude_entity_ids: list[str]
    changed_since: datetime | None


Recorder = Any
"""``(query name, query spec, hits) -> (status, hits)``: records a screening, annotates its hits."""


def match_response(served: Served, names: list[str], specs: list[QuerySpec],
                    echoes: list[dict[str, Any]], opt: MatchOptions, record: Recorder = None) -> bytes:
    scoped = set(opt.include_dataset) or ({opt.dataset} if opt.dataset not in ("default", "all") else set())
    excluded_ids = set(opt.exclude_entity_ids)
    found = served.pool.match(specs, limit=opt.limit * 3 + len(excluded_ids), threshold=opt.threshold,
                              cutoff=opt.cutoff)
    kept = [[h for h in hits if (not scoped or scoped & set(h["datasets"]))
             and not set(opt.exclude_dataset) & set(h["datasets"]) and h["schema"] not in opt.exclude_schema
             and h["id"] not in excluded_ids and not excluded_ids & set(h["referents"])] for hits in found]
    if opt.changed_since is not None:
        since = opt.changed_since.isoformat(timespec="seconds")
        kept = [[h for h in hits if (served.dates_of(h["id"])["last_change"] or "") >= since] for hits in kept]
    if opt.topics:
        wanted_topics = set(opt.topics)
        kept = [[h for h in hits if wanted_topics & served.topics_of(h["id"])] for hits in kept]
    responses: dict[str, Any] = {}
    for name, spec, echo, all_hits in zip(names, specs, echoes, kept, strict=True):
        hits = all_hits[:opt.limit]
        status = status_of(hits)
        if record is not None:
            status, hits = record(name, spec, echo, hits)
        QUERIES.labels(status_of(hits)).inc()
        results = [{
            "id": hit["id"], "kind": hit.get("kind", "direct"), "caption": hit["caption"], "schema": hit["schema"],
            "properties": served.entity_json(_listed_id(hit)), "datasets": hit["datasets"],
            "referents": hit["referents"], "target": True, **served.dates_of(_listed_id(hit)),
            "score": hit["score"], "match": hit["match"],
            "features": {f["feature"]: f["value"] for f in hit["explanation"]["features"]},
            "lists": hit["lists"], "explanation": hit["explanation"],
            **({"link": hit["link"]} if "link" in hit else {}),
            **({"review": hit["review"]} if "review" in hit else {}),
        } for hit in hits]
        responses[name] = {"status": 200, "results": results, **({"screening": status} if record else {}),
                           "total": {"value": len(results), "relation": "eq"}, "query": echo}
    return orjson.dumps({"responses": responses, "matcher": {"name": "redflags", "threshold": opt.threshold},
                         "limit": opt.limit})


def since(value: str | None) -> datetime | None:
    """yente's ``changed_since``: a date or an ISO date-time (UTC unless it says otherwise)."""
    if value is None or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise ApiError(400, f"changed_since: {value[:40]!r} is not an ISO date or date-time (e.g. 2024-01-31)") from None
    except OverflowError:  # "0001-01-01T00:00+14:00" is before the first representable UTC time
        raise ApiError(400, f"changed_since: {value[:40]!r} is out of the range of dates") from None


def check_dataset(dataset: str, versions: str) -> None:
    loaded = {part.split(":")[0] for part in versions.split(",")}
    if dataset not in ("default", "all") and dataset not in loaded:
        raise ApiError(404, f"no dataset {dataset!r}; loaded: {', '.join(sorted(loaded))}")


_COUNTRY_PROPS = ("country", "nationality", "jurisdiction", "citizenship", "mainCountry")
_ID_PROPS = ("registrationNumber", "idNumber", "taxNumber", "passportNumber", "innCode", "ogrnCode", "leiCode",
             "imoNumber", "swiftBic", "vatCode", "uscCode")
_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName")


@lru_cache(maxsize=1)
def schemata() -> frozenset[str]:
    """The names of FollowTheMoney's schemata: its schema files, read without loading the data
    model (which would cost every server process half a second and tens of megabytes)."""
    spec = importlib.util.find_spec("followthemoney")
    for location in (spec.submodule_search_locations or []) if spec else []:
        found = frozenset(path.stem for path in (Path(location) / "schema").glob("*.yaml"))
        if found:
            return found
    from followthemoney import model  # pragma: no cover - a packaging without the schema files

    return frozenset(model.schemata)  # pragma: no cover


def _listed_id(hit: dict[str, Any]) -> str:
    """The listed party's id: a linked hit's is its parent's."""
    return str(hit["link"]["parent_id"]) if "link" in hit else str(hit["id"])


def query_of(example: EntityExample) -> tuple[QuerySpec, dict[str, Any]]:
    schema = example.schema_
    if schema not in schemata():
        raise ApiError(400, f"unknown schema {schema!r}; e.g. Person, Company, Organization, LegalEntity")
    props = {k: [str(x) for x in (v if isinstance(v, list) else [v]) if x is not None and str(x).strip()]
             for k, v in example.properties.items()}
    names = [*props.get("name", []), *props.get("alias", []), *props.get("weakAlias", [])]
    if not names:
        parts = [props[p][0] for p in _PART_PROPS if props.get(p)]
        if parts:
            names = [" ".join(parts)]
    if not names:
        raise ApiError(400, "a query needs a name: properties.name (or firstName/lastName for a Person)")
    if any(len(n) > 1000 for n in names):
        raise ApiError(400, "a name longer than 1,000 characters")
    if not any(readable(n) for n in names):
        raise ApiError(400, "the name has no letters or digits: nothing to screen")
    countries = [c for p in _COUNTRY_PROPS for c in props.get(p, [])]
    identifiers = [i for p in _ID_PROPS for i in props.get(p, [])]
    spec = (names, schema, countries, identifiers, props.get("birthDate", []))
    echo = {"id": example.id, "schema": schema, "properties": props}
    return spec, echo



WARM_UP = (("Hikvision Digital Technology", "Company"), ("海康威视数字技术股份有限公司", "Company"),
           ("Mohammed Ali", "Person"))
"""One query of each kind a server answers: Latin, Chinese, a person."""


def warm_up(holder: Any) -> None:
    """Open the index and load what answering loads on first use (the schema names, the name
    tables, the Chinese dictionaries), so that the first requests do not
    wait for them and forked server processes share them."""
    holder.refresh()  # ready from here on: the rest only spares the first requests a wait
    schemata()
    served = holder.current
    if served is None:
        return
    for name, schema in WARM_UP:
        served.screener.match(make_query(name, schema))
