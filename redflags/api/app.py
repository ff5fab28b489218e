"""The HTTP API: yente-compatible matching, entities and lists, behind API keys.

Every endpoint but ``/healthz`` and ``/readyz`` needs a key (``Authorization: Bearer <key>``
or ``Authorization: ApiKey <key>``) whose role is high enough. Errors have one shape:
``{"status": <code>, "detail": "<what was wrong>"}``.
"""

import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redflags import settings
from redflags.api.jobs import Jobs
from redflags.api.keys import ROLES, allows, verify_key
from redflags.api.limits import RateLimiter
from redflags.api.pool import MatchPool, QuerySpec
from redflags.batch.engine import versions_key
from redflags.exc import QueryError, RedflagsError
from redflags.match import THRESHOLD
from redflags.screen.screen import Screener
from redflags.store.sql import EntityDates

log = logging.getLogger("redflags.api")

MAX_QUERIES = 500
REFRESH_SECONDS = 5.0
"""How often a server process checks for new list versions (a one-row-per-list query); a new
index is then built aside and swapped in whole."""
INLINE_QUERIES = 4
"""Requests with at most this many queries are matched on the event loop: a thread hand-off
costs more than the ~1 ms a query takes, and a Python thread could not run beside it anyway."""
SQL_INT_MAX = 2**63 - 1
"""The widest integer SQLite and PostgreSQL bigint columns hold; larger ids are refused with 400."""
KEY_CACHE_SECONDS = 5.0
"""A revoked key stops working within this many seconds."""


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


class ErrorResponse(BaseModel):
    status: int = Field(..., examples=[400])
    detail: str = Field(..., examples=["Too many queries in one request (at most 500)"])


class EntityExample(BaseModel):
    id: str | None = Field(None, examples=["my-entity-id"])
    schema_: str = Field(..., alias="schema", examples=["Company"])
    properties: dict[str, str | list[Any]] = Field(..., examples=[{"name": ["Hikvision"], "country": ["cn"]}])


class UpdateRequest(BaseModel):
    sources: list[str] | None = Field(None, examples=[["us_csl"]])
    mirror: str | None = Field(None, description="A folder on the server holding the files (air-gapped sites).")
    force: bool = Field(False, description="Load even if unchanged or failing the sanity checks.")


class EntityMatchQuery(BaseModel):
    weights: dict[str, float] = Field({}, description="Accepted for yente compatibility; not used.")
    config: dict[str, Any] = Field({}, description="Accepted for yente compatibility; not used.")
    queries: dict[str, EntityExample]


@dataclass
class Served:
    """One index being served, and what responses need of each entity, gathered while it is
    built so that answering a query touches no database."""

    key: str
    """The list versions it was built from."""
    screener: Screener
    pool: MatchPool
    properties: dict[str, bytes]
    """Each entity's properties, as the JSON that goes into responses."""
    topics: dict[str, frozenset[str]]
    """The topics of the entities that have any."""
    dates: dict[str, EntityDates]

    @classmethod
    def build(cls, store: Any, key: str, processes: int) -> "Served":
        properties: dict[str, bytes] = {}
        topics: dict[str, frozenset[str]] = {}

        def records() -> Iterator[dict[str, Any]]:
            for record in store.iter_records():
                props = record.get("properties") or {}
                properties[record["id"]] = orjson.dumps(props)
                if props.get("topics"):
                    topics[record["id"]] = frozenset(props["topics"])
                yield record

        screener = Screener(records())
        return cls(key, screener, MatchPool(screener, processes), properties, topics, store.change_dates())

    def entity_json(self, entity_id: str) -> orjson.Fragment:
        return orjson.Fragment(self.properties.get(entity_id, b"{}"))

    def dates_of(self, entity_id: str) -> dict[str, str | None]:
        return self.dates.get(entity_id, NO_DATES)._asdict()


class IndexHolder:
    """The index of the store's active list versions. A new one is built aside when the
    versions change and swapped in with one assignment, so a request sees the old index or
    the new one, never half of either."""

    def __init__(self, store: Any, processes: int = 0) -> None:
        self.store = store
        self.processes = processes
        self.current: Served | None = None
        self._lock = threading.Lock()

    def get(self) -> Served:
        current = self.current
        if current is None:
            raise ApiError(503, "no lists loaded yet; load them with `redflags lists load` or POST /lists/update")
        return current

    def refresh(self) -> bool:
        with self._lock:
            key = versions_key({d: {"version": v} for d, v in self.store.active_version_ids().items()})
            if not key or (self.current is not None and self.current.key == key):
                return False
            start = time.perf_counter()
            previous, self.current = self.current, Served.build(self.store, key, self.processes)
            if previous is not None:
                previous.pool.close()
            log.info("index %s ready in %.1f s", key, time.perf_counter() - start)
            return True

    def close(self) -> None:
        if self.current is not None:
            self.current.pool.close()


REQUESTS = Counter("redflags_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("redflags_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
QUERIES = Counter("redflags_match_queries_total", "Queries matched", ["outcome"])
ENTITIES = Gauge("redflags_index_entities", "Entities in the active index")


KEY_SCOPE = "redflags.key"
"""Where the auth dependency leaves the id of the request's API key, for the access log."""

access_log = logging.getLogger("redflags.access")


class Guard:
    """Around every request: refuses an over-size body (at once when its length is declared,
    else as its chunks arrive), counts and times the request for ``/metrics`` and writes one
    access-log line naming the API key.
    (Plain ASGI: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        most = settings.API_MAX_UPLOAD if scope["path"] == "/screen" else settings.API_MAX_BODY
        too_large = f"request body over {most:,} bytes"
        received = 0

        async def receive_at_most() -> Message:
            # A body sent in chunks declares no length: count it as it comes.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > most:
                    raise StarletteHTTPException(413, too_large)
            return message

        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        try:
            if length is not None and (not length.isdigit() or int(length) > most):
                await error_response(413, too_large)(scope, receive, send_noting_status)
            else:
                await self.app(scope, receive_at_most, send_noting_status)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(orjson.dumps({
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "method": scope["method"],
                    "path": scope["path"], "route": route, "status": status,
                    "ms": round(elapsed * 1000, 2), "key": scope.get(KEY_SCOPE), "pid": os.getpid(),
                    "client": client[0] if client else None}).decode())


def configure_access_log() -> None:
    """Send the access log (one JSON line per request) to standard error, unless
    ``REDFLAGS_API_ACCESS_LOG=0``."""
    if not settings.API_ACCESS_LOG or access_log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse({"status": status, "detail": detail}, status_code=status, headers=headers)


class KeyCache:
    def __init__(self, store: Any) -> None:
        self.store = store
        self._seen: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def lookup(self, token: str) -> dict[str, Any] | None:
        now = time.monotonic()
        hit = self._seen.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = verify_key(self.store, token)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[token] = (now + KEY_CACHE_SECONDS, record)
        return record


def create_app(store: Any, refresh_seconds: float = REFRESH_SECONDS, processes: int | None = None) -> FastAPI:
    """The API over ``store``. ``processes``: helper processes for many-query ``/match``
    requests (default ``REDFLAGS_API_MATCH_PROCESSES``)."""
    holder = IndexHolder(store, settings.API_MATCH_PROCESSES if processes is None else processes)
    keys = KeyCache(store)
    stop = threading.Event()

    jobs = Jobs(store, settings.HOME / "jobs")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=refresher, name="index-refresh", daemon=True).start()
        resumed = jobs.resume_unfinished()
        if resumed:
            log.info("resumed %d screening job(s): %s", len(resumed), ", ".join(resumed))
        yield
        stop.set()
        holder.close()

    app = FastAPI(title="redflags", version="0.1.0", lifespan=lifespan,
                  description="Restricted-party screening against official lists. yente-compatible `/match`.",
                  responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                             413: {"model": ErrorResponse}, 429: {"model": ErrorResponse}})
    app.state.holder, app.state.store = holder, store
    limiter = RateLimiter(settings.API_RATE_LIMIT, settings.API_RATE_FILE or None)
    app.add_middleware(Guard)

    def refresher() -> None:
        while True:
            try:
                holder.refresh()
            except Exception:  # a broken store must not stop the server; /readyz tells
                log.exception("index refresh failed")
            if stop.wait(refresh_seconds):
                return

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RedflagsError)
    async def _redflags_error(_request: Request, exc: RedflagsError) -> JSONResponse:
        return error_response(exc.status, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); it is logged on the server")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg')}")
        return error_response(400, "invalid request: " + "; ".join(parts))

    def require(role: str) -> Callable[[Request], Awaitable[dict[str, Any]]]:
        async def dependency(request: Request) -> dict[str, Any]:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() not in ("bearer", "apikey") or not token.strip():
                raise ApiError(401, "an API key is required: send `Authorization: Bearer <key>`",
                               {"WWW-Authenticate": "Bearer"})
            key = keys.lookup(token.strip())
            if key is None:
                raise ApiError(401, "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
            request.scope[KEY_SCOPE] = key["id"]
            if not allows(key["role"], role):
                raise ApiError(403, f"this needs the {role} role; the key {key['id']} has {key['role']}")
            wait = limiter.take(key["id"], time.monotonic())
            if wait > 0:
                raise ApiError(429, f"rate limit of {limiter.per_minute} requests a minute reached for key "
                                    f"{key['id']}", {"Retry-After": str(max(1, round(wait)))})
            return key
        return dependency

    @app.get("/healthz", tags=["System"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["System"], responses={503: {"model": ErrorResponse}})
    def readyz() -> dict[str, Any]:
        served = holder.get()
        return {"status": "ok", "lists": served.key, "entities": len(served.screener.index)}

    @app.get("/metrics", tags=["System"], dependencies=[Depends(require("viewer"))])
    def metrics() -> Response:
        current = holder.current
        ENTITIES.set(len(current.screener.index) if current else 0)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/search/{dataset}", tags=["Matching"], dependencies=[Depends(require("viewer"))])
    def search(dataset: str, q: Annotated[str, Query(min_length=1, max_length=1000)],
               schema: Annotated[str | None, Query()] = None,
               countries: Annotated[list[str] | None, Query()] = None,
               lists: Annotated[list[str] | None, Query()] = None,
               topics: Annotated[list[str] | None, Query()] = None,
               limit: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
        """Entities ranked by how well their names meet ``q``, optionally filtered."""
        served = holder.get()
        _check_dataset(dataset, served.key)
        hits = served.pool.match([([q], schema or "", [], [], [])], limit=100, threshold=THRESHOLD, cutoff=0.3)[0]
        wanted_countries = {c.lower() for c in countries or []}
        results = []
        for hit in hits:
            if dataset not in ("default", "all") and dataset not in hit["datasets"]:
                continue
            if schema and hit["schema"] != schema:
                continue
            if lists and not set(lists) & set(hit["lists"]):
                continue
            if topics and not set(topics) & served.topics.get(hit["id"], frozenset()):
                continue
            props = orjson.loads(served.properties.get(hit["id"], b"{}"))
            if wanted_countries and not wanted_countries & {c.lower() for c in props.get("country", [])}:
                continue
            results.append({"id": hit["id"], "caption": hit["caption"], "schema": hit["schema"], "properties": props,
                            "datasets": hit["datasets"], "referents": hit["referents"], "lists": hit["lists"],
                            "score": hit["score"]})
        return _json({"results": results[:limit], "total": {"value": len(results), "relation": "eq"}, "limit": limit,
                      "offset": 0})

    @app.post("/lists/update", tags=["Lists"], dependencies=[Depends(require("admin"))])
    def lists_update(body: UpdateRequest | None = None) -> dict[str, Any]:
        """Fetch the lists (or the named sources) and load what changed; the index is swapped
        in whole once rebuilt, so matching goes on against the previous lists meanwhile."""
        from pathlib import Path

        from redflags import fetch

        body = body or UpdateRequest(sources=None, mirror=None, force=False)
        results = fetch.update(store, body.sources or None, Path(body.mirror) if body.mirror else None,
                               force=body.force)
        swapped = holder.refresh()
        return {"results": [{"source": r.source, "status": r.status,
                             "version": r.load.summary["version"] if r.load else None} for r in results],
                "index_swapped": swapped}

    @app.post("/screen", tags=["Screening"], status_code=202)
    def screen_submit(key: Annotated[dict[str, Any], Depends(require("analyst"))],
                      file: Annotated[UploadFile, File(description="CSV, XLSX, JSON lines or Parquet")],
                      threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
                      cutoff: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
                      limit: Annotated[int | None, Form(ge=1, le=100)] = None,
                      name_column: Annotated[list[str] | None, Form()] = None,
                      id_column: Annotated[str | None, Form()] = None,
                      country_column: Annotated[list[str] | None, Form()] = None,
                      schema_: Annotated[str | None, Form(alias="schema")] = None,
                      input_format: Annotated[str | None, Form(pattern="^(csv|xlsx|jsonl|parquet)$")] = None,
                      encoding: Annotated[str | None, Form(max_length=40)] = None,
                      delimiter: Annotated[str | None, Form(max_length=3)] = None,
                      sheet: Annotated[str | None, Form(max_length=100)] = None) -> dict[str, Any]:
        """Screen a whole file in the background: returns the job id to poll."""
        args: list[str] = []
        for flag, value in (("--threshold", threshold), ("--cutoff", cutoff), ("--limit", limit),
                            ("--id-column", id_column), ("--schema", schema_), ("--input-format", input_format),
                            ("--encoding", encoding), ("--delimiter", delimiter), ("--sheet", sheet)):
            if value is not None:
                args += [flag, str(value)]
        for flag, values in (("--name-column", name_column), ("--country-column", country_column)):
            for value in values or []:
                args += [flag, value]
        job_id = jobs.submit(file.filename or "", file.file, args, key["id"])
        return {"id": job_id, "status": "queued"}

    def own_job(job_id: str, key: dict[str, Any]) -> None:
        """A job is seen only by the key that submitted it, and by admins (to anyone else it
        does not exist)."""
        if key["role"] != "admin" and jobs.owner(job_id) != key["id"]:
            raise ApiError(404, f"no screening job {job_id!r}")

    @app.get("/screen/{job_id}", tags=["Screening"], responses={404: {"model": ErrorResponse}})
    def screen_status(job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> dict[str, Any]:
        own_job(job_id, key)
        return jobs.status(job_id)

    @app.get("/screen/{job_id}/results", tags=["Screening"],
             responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}})
    def screen_results(job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                       format: Annotated[str, Query(pattern="^(jsonl|csv|xlsx|html)$")] = "jsonl") -> FileResponse:
        own_job(job_id, key)
        try:
            path = jobs.results(job_id, format)
        except QueryError as exc:
            raise ApiError(409, exc.detail) from exc
        media = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
        return FileResponse(path, media_type=media, filename=f"redflags-{job_id}.{format}")

    @app.get("/lists", tags=["Lists"], dependencies=[Depends(require("viewer"))])
    def lists() -> dict[str, Any]:
        return {"lists": store.status()}

    @app.get("/lists/{dataset}/diff", tags=["Lists"], dependencies=[Depends(require("viewer"))])
    def lists_diff(dataset: str, version: Annotated[int | None, Query(ge=1, le=SQL_INT_MAX)] = None) -> dict[str, Any]:
        return store.diff(dataset, version)

    @app.get("/entities/{entity_id}", tags=["Entities"], dependencies=[Depends(require("viewer"))],
             responses={404: {"model": ErrorResponse}})
    def entity(entity_id: str) -> dict[str, Any]:
        return store.entity(entity_id)

    @app.post("/match/{dataset}", tags=["Matching"], responses={400: {"model": ErrorResponse}})
    async def match(body: EntityMatchQuery, dataset: str,
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
                                                                          "entities (cleared hits).")] = None,
                    changed_since: Annotated[str | None, Query(description="Only entities added or modified "
                                                               "since this date or ISO date-time (UTC).")] = None
                    ) -> Response:
        """yente's query-by-example matcher: ``queries: {key: {schema, properties}}`` in,
        ``responses: {key: {status, results, total, query}}`` out. ``default`` is every list.
        Up to 500 queries a request; large requests are spread over the server's cores."""
        served = holder.get()
        _check_dataset(dataset, served.key)
        if len(body.queries) > MAX_QUERIES:
            raise ApiError(400, f"too many queries in one request ({len(body.queries)}; at most {MAX_QUERIES})")
        if not body.queries:
            raise ApiError(400, "no queries given")
        names, specs, echoes = [], [], []
        for name, example in body.queries.items():
            spec, echo = _query_of(example)
            names.append(name)
            specs.append(spec)
            echoes.append(echo)
        options = MatchOptions(dataset, limit, threshold, min(cutoff, threshold), include_dataset or [],
                               exclude_dataset or [], exclude_schema or [], topics or [], exclude_entity_ids or [],
                               _since(changed_since))

        def answer() -> bytes:
            return _match_response(served, names, specs, echoes, options)

        if len(specs) <= INLINE_QUERIES:
            content = answer()
        else:
            content = await run_in_threadpool(answer)
        return Response(content, media_type="application/json", headers={"X-Redflags-Lists": served.key})

    app.state.roles = ROLES
    return app


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


def _match_response(served: Served, names: list[str], specs: list[QuerySpec],
                    echoes: list[dict[str, Any]], opt: MatchOptions) -> bytes:
    scoped = set(opt.include_dataset) or ({opt.dataset} if opt.dataset not in ("default", "all") else set())
    excluded_ids = set(opt.exclude_entity_ids)
    found = served.pool.match(specs, limit=opt.limit * 3 + len(excluded_ids), threshold=opt.threshold,
                              cutoff=opt.cutoff)
    kept = [[h for h in hits if (not scoped or scoped & set(h["datasets"]))
             and not set(opt.exclude_dataset) & set(h["datasets"]) and h["schema"] not in opt.exclude_schema
             and h["id"] not in excluded_ids and not excluded_ids & set(h["referents"])] for hits in found]
    if opt.changed_since is not None:
        since = opt.changed_since.isoformat(timespec="seconds")
        kept = [[h for h in hits if (served.dates.get(h["id"], NO_DATES).last_change or "") >= since]
                for hits in kept]
    if opt.topics:
        wanted_topics = set(opt.topics)
        kept = [[h for h in hits if wanted_topics & served.topics.get(h["id"], frozenset())] for hits in kept]
    responses: dict[str, Any] = {}
    for name, echo, all_hits in zip(names, echoes, kept, strict=True):
        hits = all_hits[:opt.limit]
        QUERIES.labels("alert" if any(h["match"] for h in hits) else "clear").inc()
        results = [{
            "id": hit["id"], "caption": hit["caption"], "schema": hit["schema"],
            "properties": served.entity_json(hit["id"]), "datasets": hit["datasets"],
            "referents": hit["referents"], "target": True, **served.dates_of(hit["id"]),
            "score": hit["score"], "match": hit["match"],
            "features": {f["feature"]: f["value"] for f in hit["explanation"]["features"]},
            "lists": hit["lists"], "explanation": hit["explanation"],
        } for hit in hits]
        responses[name] = {"status": 200, "results": results,
                           "total": {"value": len(results), "relation": "eq"}, "query": echo}
    return orjson.dumps({"responses": responses, "matcher": {"name": "redflags", "threshold": opt.threshold},
                         "limit": opt.limit})


NO_DATES = EntityDates(None, None, None)


def _since(value: str | None) -> datetime | None:
    """yente's ``changed_since``: a date or an ISO date-time (UTC unless it says otherwise)."""
    if value is None or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(400, f"changed_since: {value[:40]!r} is not an ISO date or date-time (e.g. 2024-01-31)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _json(data: Any) -> Response:
    """Large result sets straight to JSON bytes (FastAPI's generic encoder is slow on them)."""
    return Response(orjson.dumps(data), media_type="application/json")


def _check_dataset(dataset: str, versions: str) -> None:
    loaded = {part.split(":")[0] for part in versions.split(",")}
    if dataset not in ("default", "all") and dataset not in loaded:
        raise ApiError(404, f"no dataset {dataset!r}; loaded: {', '.join(sorted(loaded))}")


_COUNTRY_PROPS = ("country", "nationality", "jurisdiction", "citizenship", "mainCountry")
_ID_PROPS = ("registrationNumber", "idNumber", "taxNumber", "passportNumber", "innCode", "ogrnCode", "leiCode",
             "imoNumber", "swiftBic", "vatCode", "uscCode")
_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName")


def _query_of(example: EntityExample) -> tuple[QuerySpec, dict[str, Any]]:
    from followthemoney import model

    schema = model.get(example.schema_)
    if schema is None:
        raise ApiError(400, f"unknown schema {example.schema_!r}; e.g. Person, Company, Organization, LegalEntity")
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
    countries = [c for p in _COUNTRY_PROPS for c in props.get(p, [])]
    identifiers = [i for p in _ID_PROPS for i in props.get(p, [])]
    spec = (names, schema.name, countries, identifiers, props.get("birthDate", []))
    echo = {"id": example.id, "schema": schema.name, "properties": props}
    return spec, echo


__all__ = ["create_app", "settings"]
