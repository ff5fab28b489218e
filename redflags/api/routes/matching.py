"""yente's ``/match`` and ``/search``: parse the request, match, render (``api.matching``)."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from redflags.api.deps import holder, json_bytes, key_actor, require, store
from redflags.api.errors import ApiError, ErrorResponse
from redflags.api.matching import MatchOptions, check_dataset, match_response, query_of, since
from redflags.api.schemas import EntityMatchQuery
from redflags.match import THRESHOLD

router = APIRouter(tags=["Matching"])

MAX_QUERIES = 500
INLINE_QUERIES = 4
"""Requests with at most this many queries are matched on the event loop: a thread hand-off
costs more than the ~1 ms a query takes, and a Python thread could not run beside it anyway."""


@router.get("/search/{dataset}", dependencies=[Depends(require("viewer"))])
def search(request: Request, dataset: str, q: Annotated[str, Query(min_length=1, max_length=1000)],
           schema: Annotated[str | None, Query()] = None,
           countries: Annotated[list[str] | None, Query()] = None,
           lists: Annotated[list[str] | None, Query()] = None,
           topics: Annotated[list[str] | None, Query()] = None,
           limit: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
    """Entities ranked by how well their names meet ``q``, optionally filtered."""
    served = holder(request).get()
    check_dataset(dataset, served.key)
    hits = served.pool.match([([q], schema or "", [], [], [])], limit=100, threshold=THRESHOLD, cutoff=0.3)[0]
    wanted_countries = {c.lower() for c in countries or []}
    results = []
    for hit in hits:
        if hit.get("kind") == "linked":  # a search finds listed entities; /match reports linked parties
            continue
        if dataset not in ("default", "all") and dataset not in hit["datasets"]:
            continue
        if schema and hit["schema"] != schema:
            continue
        if lists and not set(lists) & set(hit["lists"]):
            continue
        if topics and not set(topics) & served.topics_of(hit["id"]):
            continue
        props = orjson.loads(served.properties_json(hit["id"]))
        if wanted_countries and not wanted_countries & {c.lower() for c in props.get("country", [])}:
            continue
        results.append({"id": hit["id"], "caption": hit["caption"], "schema": hit["schema"], "properties": props,
                        "datasets": hit["datasets"], "referents": hit["referents"], "lists": hit["lists"],
                        "score": hit["score"]})
    return json_bytes({"results": results[:limit], "total": {"value": len(results), "relation": "eq"},
                       "limit": limit, "offset": 0})


@router.post("/match/{dataset}", responses={400: {"model": ErrorResponse}})
async def match(request: Request, body: EntityMatchQuery, dataset: str,
                key: Annotated[dict[str, Any], Depends(require("analyst"))],
                limit: Annotated[int, Query(ge=1, le=100, description="Results per query.")] = 5,
                threshold: Annotated[float, Query(ge=0.0, le=1.0, description="Score from which a result "
                                                  "is a match (`match: true`).")] = THRESHOLD,
                cutoff: Annotated[float, Query(ge=0.0, le=1.0, description="Lowest score returned "
                                               "(at most the threshold).")] = 0.5,
                include_dataset: Annotated[list[str] | None, Query(description="Only these datasets.")] = None,
                exclude_dataset: Annotated[list[str] | None, Query(description="Not these datasets.")] = None,
                exclude_schema: Annotated[list[str] | None, Query(description="Not these schemata.")] = None,
                topics: Annotated[list[str] | None, Query(description="Only entities with one of these "
                                                          "topics.")] = None,
                exclude_entity_ids: Annotated[list[str] | None, Query(max_length=50, description="Never these "
                                                                      "entities (cleared hits): the id of a hit "
                                                                      "or of any of its referents.")] = None,
                changed_since: Annotated[str | None, Query(description="Only entities added or modified "
                                                           "since this date or ISO date-time (UTC).")] = None,
                record: Annotated[bool, Query(description="Store each query's screening and open alerts: the "
                                              "query's `id` is the party's id within `portfolio`.")] = False,
                portfolio: Annotated[str, Query(max_length=200, description="Whose parties the queries are "
                                                "(with `record`).")] = "api",
                on: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Transaction date "
                                                "(YYYY-MM-DD) on which links to listed parties are judged (a "
                                                "subsidiary sold before it is not linked); default today.")] = None,
                ) -> Response:
    """yente's query-by-example matcher: ``queries: {key: {schema, properties}}`` in,
    ``responses: {key: {status, results, total, query}}`` out. ``default`` is every list.
    A party listed by several publishers is one result, its source records in ``referents``.
    Up to 500 queries a request; large requests are spread over the server's cores."""
    served = holder(request).get()
    check_dataset(dataset, served.key)
    if len(body.queries) > MAX_QUERIES:
        raise ApiError(400, f"too many queries in one request ({len(body.queries)}; at most {MAX_QUERIES})")
    if not body.queries:
        raise ApiError(400, "no queries given")
    names, specs, echoes = [], [], []
    for name, example in body.queries.items():
        spec, echo = query_of(example)
        names.append(name)
        specs.append((*spec, on))
        echoes.append(echo)
    options = MatchOptions(dataset, limit, threshold, min(cutoff, threshold), include_dataset or [],
                           exclude_dataset or [], exclude_schema or [], topics or [], exclude_entity_ids or [],
                           since(changed_since))

    recorder = recording(request, served, portfolio, key) if record else None

    def answer() -> bytes:
        return match_response(served, names, specs, echoes, options, recorder)

    if len(specs) <= INLINE_QUERIES and not record:
        content = answer()
    else:
        content = await run_in_threadpool(answer)
    return Response(content, media_type="application/json", headers={"X-Redflags-Lists": served.key})


def recording(request: Request, served: Any, portfolio: str, key: dict[str, Any]) -> Any:
    """Records each answered query as a screening of the party it describes (``redflags.review``)."""
    from redflags.index.persist import matcher_version
    from redflags.review import record_match

    db, actor, matcher = store(request), key_actor(key), matcher_version(scoring=True)

    def record(name: str, spec: Any, echo: dict[str, Any], hits: list[dict[str, Any]]) -> Any:
        names, schema, countries, identifiers, birth_dates, on = spec
        query = {"names": names, "schema": schema, "countries": countries, "identifiers": identifiers,
                 "birth_dates": birth_dates, **({"date": on} if on else {})}
        return record_match(db, query, hits, portfolio, echo.get("id"), actor, served.key, matcher)

    return record
