"""The HTTP API: yente-compatible matching, entities and lists, behind API keys.

Every endpoint but ``/healthz`` and ``/readyz`` needs a key (``Authorization: Bearer <key>``
or ``Authorization: ApiKey <key>``) whose role is high enough; so do the API docs unless
``REDFLAGS_API_PUBLIC_DOCS=1``. Errors have one shape: ``{"status": <code>, "detail": "<what
was wrong>"}``. ``create_app`` wires the pieces: the routes are in ``routes/`` (one module per
area), matching in ``matching.py``, the served index in ``serving.py``, authentication and
request limits in ``guard.py``, role checks in ``deps.py``.
"""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from redflags import settings
from redflags.api.errors import ApiError, ErrorResponse, error_response
from redflags.api.guard import Guard, KeyCache, configure_access_log
from redflags.api.jobs import Jobs
from redflags.api.keys import ROLES
from redflags.api.limits import RateLimiter
from redflags.api.matching import warm_up
from redflags.api.routes import ROUTERS
from redflags.api.routes.system import docs_router
from redflags.api.serving import IndexHolder
from redflags.exc import RedflagsError

log = logging.getLogger("redflags.api")

REFRESH_SECONDS = 5.0
"""How often a server process checks for new list versions and judgements (two small queries);
the new index is then opened aside (built first if need be) and swapped in whole."""
PUBLIC = frozenset({"/healthz", "/readyz"})
DOCS = frozenset({"/openapi.json", "/docs", "/redoc"})


def create_app(store: Any, refresh_seconds: float = REFRESH_SECONDS, processes: int | None = None,
               rate_file: str | None = None) -> FastAPI:
    """The API over ``store``. ``processes``: helper processes for many-query ``/match``
    requests (default ``REDFLAGS_API_MATCH_PROCESSES``); ``rate_file``: where the server
    processes keep their shared rate-limit buckets (default ``REDFLAGS_API_RATE_FILE``)."""
    holder = IndexHolder(store, settings.API_MATCH_PROCESSES if processes is None else processes)
    stop = threading.Event()
    jobs = Jobs(store, settings.HOME / "jobs")

    def refresher() -> None:
        first = True
        while True:
            try:
                if first:
                    warm_up(holder)
                    first = False
                else:
                    holder.refresh()
            except Exception:  # a broken store must not stop the server; /readyz tells
                log.exception("index refresh failed")
            if stop.wait(refresh_seconds):
                return

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
    app.state.holder, app.state.store, app.state.jobs, app.state.roles = holder, store, jobs, ROLES
    app.state.limiter = RateLimiter(settings.API_RATE_LIMIT, rate_file or settings.API_RATE_FILE or None)
    app.add_middleware(Guard, keys=KeyCache(store), public=PUBLIC | DOCS if settings.API_PUBLIC_DOCS else PUBLIC)
    _handle_errors(app)
    app.include_router(docs_router(bool(settings.API_PUBLIC_DOCS)))
    for router in ROUTERS:
        app.include_router(router)
    from redflags.web import install

    install(app)
    return app


def _handle_errors(app: FastAPI) -> None:
    """Every error as ``{"status", "detail"}``; an unexpected one logged, never shown."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Any:
        return _ui_error(request, exc.status, exc.detail) or error_response(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RedflagsError)
    async def _redflags_error(request: Request, exc: RedflagsError) -> Any:
        return _ui_error(request, exc.status, exc.detail) or error_response(exc.status, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); it is logged on the server")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg')}")
        detail = "invalid request: " + "; ".join(parts)
        return _ui_error(request, 400, detail) or error_response(400, detail)


def _ui_error(request: Request, status: int, detail: str) -> Any:
    """An error on a page of the web UI, as a page (its JSON twin keeps the API's shape)."""
    if not request.url.path.startswith("/ui/"):
        return None
    from redflags.web.render import page, wants_json

    if wants_json(request):
        return None
    headings = {400: "That did not work", 401: "Sign in again", 403: "Not allowed", 404: "Not found",
                409: "Changed meanwhile"}
    return page(request, "error.html.j2", {"status": status, "detail": detail,
                                           "heading": headings.get(status, "Something went wrong")}, status=status)


__all__ = ["configure_access_log", "create_app", "settings"]
