"""The HTTP API: yente-compatible matching, entities and lists, behind API keys.

Every endpoint but ``/healthz`` and ``/readyz`` needs a key (``Authorization: Bearer <key>``
or ``Authorization: ApiKey <key>``) whose role is high enough; so do the API docs unless
``REDFLAGS_API_PUBLIC_DOCS=1``. Errors have one shape: ``{"status": <code>, "detail": "<what
was wrong>"}``. The routes parse, call and render: matching is in ``matching.py``, the served
index in ``serving.py``, authentication and request limits in ``guard.py``.
"""

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from redflags import settings
from redflags.api.errors import ApiError, ErrorResponse, error_response
from redflags.api.guard import ENTITIES, KEY_RECORD, Guard, KeyCache, configure_access_log
from redflags.api.jobs import Jobs
from redflags.api.keys import ROLES, allows
from redflags.api.limits import RateLimiter
from redflags.api.matching import MatchOptions, check_dataset, match_response, query_of, since
from redflags.api.schemas import LIST_FIELDS, EntityMatchQuery, ScreenForm, UpdateRequest, screen_form_schema
from redflags.api.serving import IndexHolder
from redflags.exc import QueryError, RedflagsError
from redflags.match import THRESHOLD

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
PUBLIC = frozenset({"/healthz", "/readyz"})
DOCS = frozenset({"/openapi.json", "/docs", "/redoc"})


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

    app = FastAPI(title="redflags", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Restricted-party screening against official lists. yente-compatible `/match`.",
                  responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                             408: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
                             429: {"model": ErrorResponse}})
    app.state.holder, app.state.store = holder, store
    limiter = RateLimiter(settings.API_RATE_LIMIT, settings.API_RATE_FILE or None)
    app.add_middleware(Guard, keys=keys, public=PUBLIC | DOCS if settings.API_PUBLIC_DOCS else PUBLIC)

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
        return error_response(exc.status_code, str(exc.detail), exc.headers)

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
        """The route's role check and rate limit, on the key the guard authenticated."""
        async def dependency(request: Request) -> dict[str, Any]:
            key = request.scope.get(KEY_RECORD)
            if key is None:  # a public path: no key was asked for
                raise ApiError(401, "an API key is required: send `Authorization: Bearer <key>`",
                               {"WWW-Authenticate": "Bearer"})
            if not allows(key["role"], role):
                raise ApiError(403, f"this needs the {role} role; the key {key['id']} has {key['role']}")
            wait = limiter.take(key["id"], time.monotonic())
            if wait > 0:
                raise ApiError(429, f"rate limit of {limiter.per_minute} requests a minute reached for key "
                                    f"{key['id']}", {"Retry-After": str(max(1, round(wait)))})
            return key
        return dependency

    docs_need = [] if settings.API_PUBLIC_DOCS else [Depends(require("viewer"))]

    @app.get("/openapi.json", include_in_schema=False, dependencies=docs_need)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=docs_need)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="redflags API")

    @app.get("/redoc", include_in_schema=False, dependencies=docs_need)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="redflags API")

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
        check_dataset(dataset, served.key)
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

    @app.post("/screen", tags=["Screening"], status_code=202, openapi_extra=screen_form_schema())
    async def screen_submit(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))]
                            ) -> dict[str, Any]:
        """Screen a whole file in the background: returns the job id to poll. The upload is read
        only after the key and its role were checked."""
        form = await request.form(max_files=1, max_fields=50)
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(400, "invalid request: file: a file upload (multipart field `file`) is required")
            fields: dict[str, Any] = {name: value for name, value in form.items() if name != "file"}
            for name in LIST_FIELDS:
                if name in form:
                    fields[name] = form.getlist(name)
            try:
                options = ScreenForm.model_validate(fields)
            except ValidationError as exc:
                parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]]
                raise ApiError(400, "invalid request: " + "; ".join(parts)) from None
            job_id = await run_in_threadpool(jobs.submit, upload.filename or "", upload.file, options.args(),
                                             key["id"])
        finally:
            await form.close()
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
        check_dataset(dataset, served.key)
        if len(body.queries) > MAX_QUERIES:
            raise ApiError(400, f"too many queries in one request ({len(body.queries)}; at most {MAX_QUERIES})")
        if not body.queries:
            raise ApiError(400, "no queries given")
        names, specs, echoes = [], [], []
        for name, example in body.queries.items():
            spec, echo = query_of(example)
            names.append(name)
            specs.append(spec)
            echoes.append(echo)
        options = MatchOptions(dataset, limit, threshold, min(cutoff, threshold), include_dataset or [],
                               exclude_dataset or [], exclude_schema or [], topics or [], exclude_entity_ids or [],
                               since(changed_since))

        def answer() -> bytes:
            return match_response(served, names, specs, echoes, options)

        if len(specs) <= INLINE_QUERIES:
            content = answer()
        else:
            content = await run_in_threadpool(answer)
        return Response(content, media_type="application/json", headers={"X-Redflags-Lists": served.key})

    app.state.roles = ROLES
    return app


def _json(data: Any) -> Response:
    """Large result sets straight to JSON bytes (FastAPI's generic encoder is slow on them)."""
    return Response(orjson.dumps(data), media_type="application/json")


__all__ = ["configure_access_log", "create_app", "settings"]
