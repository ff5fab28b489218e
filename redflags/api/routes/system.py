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
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
