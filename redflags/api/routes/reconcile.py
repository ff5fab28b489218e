"""The W3C Reconciliation Service API (the protocol OpenRefine speaks), as yente offers it: reconcile
a column of names against every loaded list.

- ``GET /reconcile``: the service manifest (types, preview, suggest, data extension);
- ``POST /reconcile`` (or GET): ``queries`` — a JSON object of keyed queries (API 0.2, form field
  or query parameter), or a JSON body ``{"queries": [...]}`` (API 1.0 draft) — each with
  ``query``, optional ``type``, ``limit`` and ``properties`` (``country``, ``birthDate``,
  ``registrationNumber``...); ``extend`` — ``{"ids": [...], "properties": [{"id": "lists"}]}``;
- ``GET /reconcile/preview?id=``, ``/reconcile/suggest/{entity,type,property}?prefix=``,
  ``/reconcile/extend/propose?type=``.

The API key is the service's credential: ``Authorization: Bearer <key>``, or ``?api_key=<key>`` in
the service URL given to OpenRefine (it keeps a service as one URL); the manifest's URLs carry it on.
"""

import html
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from redflags.api.deps import holder, json_bytes, require
from redflags.api.errors import ApiError

router = APIRouter(tags=["Reconciliation"])
TYPES = (("LegalEntity", "Legal entity (any party)"), ("Company", "Company"), ("Organization", "Organization"),
         ("Person", "Person"), ("Vessel", "Vessel"), ("Airplane", "Airplane"))
PROPERTIES = (("country", "Country"), ("birthDate", "Birth date"), ("registrationNumber", "Registration number"),
              ("taxNumber", "Tax number"), ("leiCode", "LEI"), ("imoNumber", "IMO number"))
EXTEND = (("lists", "Lists"), ("datasets", "Datasets"), ("schema", "Type"), ("country", "Country"),
          ("alias", "Other names"), ("programId", "Programmes"), ("listingDate", "Listed since"),
          ("linked", "Linked to (brand, subsidiary of)"))
MAX_QUERIES = 500
LIMIT = 5


def _base(request: Request) -> tuple[str, str]:
    """The service URL and the ``api_key`` suffix the manifest's URLs carry on."""
    base = str(request.base_url).rstrip("/")
    key = request.query_params.get("api_key")
    return base, (f"api_key={quote(key)}" if key else "")


def manifest(request: Request) -> dict[str, Any]:
    base, key = _base(request)
    amp, question = (f"&{key}" if key else ""), (f"?{key}" if key else "")
    return {
        "versions": ["0.2", "1.0-draft"],
        "name": "redflags: restricted-party and sanctions lists",
        "identifierSpace": f"{base}/entities/",
        "schemaSpace": "https://followthemoney.tech/explorer/schemata/",
        "defaultTypes": [{"id": t, "name": n} for t, n in TYPES],
        "view": {"url": f"{base}/ui/search?q={{{{id}}}}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}{amp}", "width": 430, "height": 300},
        "suggest": {kind: {"service_url": base, "service_path": f"/reconcile/suggest/{kind}{question}"}
                    for kind in ("entity", "type", "property")},
        "extend": {"propose_properties": {"service_url": base, "service_path": f"/reconcile/extend/propose{question}"},
                   "property_settings": []},
        "batchSize": 50,
    }


def _query(served: Any, spec: Any) -> list[dict[str, Any]]:
    from redflags.match import THRESHOLD
    from redflags.screen.screen import make_query

    if isinstance(spec, str):
        spec = {"query": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("query"), str) or not spec["query"].strip():
        raise ApiError(400, "each query needs a `query` (the name to reconcile)")
    schema = spec.get("type")
    if isinstance(schema, list):
        schema = schema[0] if schema else None
    if schema not in dict(TYPES):
        schema = None  # a type of another service (a Wikidata class, say): any party
    props: dict[str, list[str]] = {}
    for prop in spec.get("properties") or []:
        if isinstance(prop, dict) and isinstance(prop.get("pid"), str):
            values = prop.get("v")
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, dict):
                    value = value.get("id") or value.get("name")
                if value not in (None, ""):
                    props.setdefault(prop["pid"], []).append(str(value))
    limit = spec.get("limit") or LIMIT
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ApiError(400, "a query's limit is from 1 to 100")
    identifiers = [v for p, _n in PROPERTIES[2:] for v in props.get(p, [])]
    query = make_query(spec["query"][:1000], None if schema == "LegalEntity" else schema, props.get("country", []),
                       identifiers, props.get("birthDate", []))
    hits = served.screener.match(query, limit=limit, threshold=THRESHOLD, cutoff=0.3)
    return [{"id": h["id"], "name": h["caption"], "score": round(h["score"] * 100, 1), "match": bool(h["match"]),
             "type": [{"id": h["schema"], "name": h["schema"]}],
             "description": ("linked: " + h["link"]["path"]) if h.get("kind") == "linked"
             else "; ".join(h["lists"])} for h in hits]


def _extend(request: Request, served: Any, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("ids"), list) or not isinstance(spec.get("properties"),
                                                                                               list):
        raise ApiError(400, "`extend` is {\"ids\": [...], \"properties\": [{\"id\": ...}]}")
    known = dict(EXTEND)
    wanted = [str(p.get("id")) for p in spec["properties"] if isinstance(p, dict)]
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ApiError(400, f"unknown property {unknown[0]!r}; one of {', '.join(known)}")
    rows: dict[str, Any] = {}
    for entity_id in spec["ids"][:MAX_QUERIES]:
        values = _entity_values(served, str(entity_id))
        rows[str(entity_id)] = {p: [{"str": v} for v in values.get(p, [])] for p in wanted}
    return {"meta": [{"id": p, "name": known[p]} for p in wanted], "rows": rows}


def _entity_values(served: Any, entity_id: str) -> dict[str, list[str]]:
    import orjson

    listed = entity_id.removeprefix("linked:")
    number = served.screener.index.number(listed)
    if number is None:
        return {}
    cand = served.screener.index.entity(number)
    props = orjson.loads(served.properties_json(listed))
    out = {"lists": list(cand.lists), "datasets": list(cand.datasets), "schema": [cand.schema],
           "country": sorted(cand.countries), "alias": props.get("alias", []), "programId": props.get("programId", [])}
    out["listingDate"] = props.get("createdAt", []) or props.get("modifiedAt", [])
    out["linked"] = [link.caption for link in (served.screener.linker.links if served.screener.linker else [])
                     if listed in link.parent_ids][:20]
    return out


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            body = await request.body()
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                raise ApiError(400, "the body is not JSON") from None
            if isinstance(data, dict):
                params.update({k: json.dumps(v) for k, v in data.items()})
        else:
            form = await request.form(max_files=0, max_fields=10)
            params.update({k: str(v) for k, v in form.items()})
    return params


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError(400, f"`{what}` is not JSON") from None


@router.get("/reconcile", operation_id="reconcile_get")
@router.post("/reconcile", operation_id="reconcile_post")
async def reconcile(request: Request, key: Annotated[dict[str, Any], Depends(require("viewer"))]) -> Response:
    """The manifest (no ``queries`` nor ``extend``), reconciliation queries, or data extension."""
    from fastapi.concurrency import run_in_threadpool

    from redflags.api.keys import allows

    params = await _params(request)
    if "queries" not in params and "extend" not in params:
        return json_bytes(manifest(request))
    if not allows(key["role"], "analyst"):
        raise ApiError(403, f"reconciling needs the analyst role; the key {key['id']} has {key['role']}")
    served = holder(request).get()
    if "extend" in params:
        return json_bytes(await run_in_threadpool(_extend, request, served, _json(params["extend"], "extend")))
    queries = _json(params["queries"], "queries")
    if isinstance(queries, list):  # the 1.0 draft: a list in, {"results": [...]} out
        if len(queries) > MAX_QUERIES:
            raise ApiError(400, f"at most {MAX_QUERIES} queries a request")
        results = await run_in_threadpool(lambda: [{"candidates": _query(served, q)} for q in queries])
        return json_bytes({"results": results})
    if not isinstance(queries, dict) or len(queries) > MAX_QUERIES:
        raise ApiError(400, f"`queries` is an object of at most {MAX_QUERIES} keyed queries")
    answered = await run_in_threadpool(lambda: {k: {"result": _query(served, q)} for k, q in queries.items()})
    return json_bytes(answered)


@router.get("/reconcile/preview", dependencies=[Depends(require("viewer"))])
def preview(request: Request, id: Annotated[str, Query(max_length=300)]) -> Response:
    served = holder(request).get()
    values = _entity_values(served, id)
    if not values:
        raise ApiError(404, f"no listed entity {id!r}")
    number = served.screener.index.number(id.removeprefix("linked:"))
    caption = served.screener.index.entity(number).caption if number is not None else id
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape('; '.join(values.get(prop, [])))}</td></tr>"
                   for prop, label in EXTEND if values.get(prop))
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(caption)}</title>"
            f"</head><body><h1>{html.escape(caption)}</h1><table>{rows}</table><p>{html.escape(id)}</p></body></html>")
    return HTMLResponse(body, headers={"Content-Security-Policy": "default-src 'none'"})


@router.get("/reconcile/suggest/{kind}", dependencies=[Depends(require("viewer"))])
def suggest(request: Request, kind: str, prefix: Annotated[str, Query(max_length=200)] = "") -> Response:
    text = prefix.casefold()
    if kind == "type":
        return json_bytes({"result": [{"id": t, "name": n} for t, n in TYPES if text in n.casefold()]})
    if kind == "property":
        return json_bytes({"result": [{"id": p, "name": n} for p, n in PROPERTIES + EXTEND
                                      if text in n.casefold() or text in p.casefold()]})
    if kind != "entity":
        raise ApiError(404, "suggest is for entity, type or property")
    if not prefix.strip():
        return json_bytes({"result": []})
    from redflags.screen.screen import make_query

    served = holder(request).get()
    hits = served.screener.match(make_query(prefix), limit=10, cutoff=0.3, linked=False)
    return json_bytes({"result": [{"id": h["id"], "name": h["caption"], "description": "; ".join(h["lists"])}
                                  for h in hits]})


@router.get("/reconcile/extend/propose", dependencies=[Depends(require("viewer"))])
def propose(type: Annotated[str, Query(max_length=40)] = "LegalEntity") -> Response:
    return json_bytes({"type": type, "properties": [{"id": p, "name": n} for p, n in EXTEND]})
