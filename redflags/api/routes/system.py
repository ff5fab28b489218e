"""Health, readiness, metrics and the API's own documentation."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from redflags.api.deps import holder, require
from redflags.api.errors import ErrorResponse
from redflags.api.guard import ENTITIES

router = APIRouter()


def docs_router(public: bool) -> APIRouter:
    """The OpenAPI document and its two viewers: behind a viewer key unless ``public``."""
    docs = APIRouter()
    need = [] if public else [Depends(require("viewer"))]

    @docs.get("/openapi.json", include_in_schema=False, dependencies=need)
    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @docs.get("/docs", include_in_schema=False, dependencies=need)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="redflags API")

    @docs.get("/redoc", include_in_schema=False, dependencies=need)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="redflags API")

    return docs


@router.get("/healthz", tags=["System"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["System"], responses={503: {"model": ErrorResponse}})
def readyz(request: Request) -> dict[str, Any]:
    served = holder(request).get()
    stats = served.screener.index.stats
    return {"status": "ok", "lists": served.key, "entities": len(served.screener.index),
            "records": stats.get("records"), "merged_records": stats.get("merged_records")}


@router.get("/metrics", tags=["System"], dependencies=[Depends(require("viewer"))])
def metrics(request: Request) -> Response:
    current = holder(request).current
    ENTITIES.set(len(current.screener.index) if current else 0)
    monitoring(request.app.state.store)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def monitoring(store: Any) -> None:
    """Gauges of review and monitoring, read from the store at each scrape (a monitor runs in its
    own process; the store is what they share)."""
    from redflags.api.guard import ALERTS, DELIVERIES, RESCREEN_PARTIES, RESCREEN_SECONDS, RESCREEN_TIME
    from redflags.monitor.status import snapshot

    data = snapshot(store)
    for run in data["runs"]:
        labels = (run["portfolio"], run["dataset"])
        if run["seconds"] is not None:
            RESCREEN_SECONDS.labels(*labels).set(run["seconds"])
        if run["parties_screened"] is not None:
            RESCREEN_PARTIES.labels(*labels).set(run["parties_screened"])
        if run["finished_at"] is not None:
            RESCREEN_TIME.labels(*labels).set(run["finished_at"].timestamp())
    for status in ("pending", "delivered", "dead"):
        DELIVERIES.labels(status).set(data["deliveries"].get(status, 0))
    for status, count in data["alerts"].items():
        ALERTS.labels(status).set(count)
