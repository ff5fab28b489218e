"""Alerts, decisions, approvals, the audit trail and review settings: parse, call ``redflags.review``
and ``redflags.audit``, render. Viewers read, analysts decide, admins approve and configure."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from redflags.api.deps import json_bytes, key_actor, require, store
from redflags.api.errors import ErrorResponse
from redflags.api.schemas import SQL_INT_MAX, ConfigValue, DecisionRequest

router = APIRouter(tags=["Review"])
STATUS_PATTERN = "^(open|true_match|false_positive|escalated|review_required|delisted)$"
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}, 409: {"model": ErrorResponse},
                                           403: {"model": ErrorResponse}}


@router.get("/alerts", dependencies=[Depends(require("viewer"))])
def alerts(request: Request,
           status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
           run: Annotated[str | None, Query(max_length=64)] = None,
           listed: Annotated[str | None, Query(max_length=255)] = None,
           party: Annotated[str | None, Query(max_length=400)] = None,
           min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
           before: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Page on: older than this id.")] = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           kind: Annotated[str | None, Query(pattern="^(direct|linked)$",
                                             description="Alerts on listed parties, or on linked parties.")] = None,
           ) -> Any:
    """The alert queue, newest first; each alert says its ``kind`` (``linked``: on a brand, subsidiary or
    affiliate of a listed party, with the ``link`` path, source and rules)."""
    from redflags.review import list_alerts

    rows = list_alerts(store(request), status, run, listed, party, min_score, before, limit, kind)
    return json_bytes({"alerts": rows, "next_before": rows[-1]["id"] if len(rows) == limit else None})


@router.get("/alerts/{alert_id}", dependencies=[Depends(require("viewer"))], responses=ERRORS)
def alert(request: Request, alert_id: AlertId) -> Any:
    """One alert: the party, the listed party's hit and explanation, what changed since the decision,
    every decision (newest first) and the screenings that saw it. ``version`` is what a decision names."""
    from redflags.review import alert_detail

    return json_bytes(alert_detail(store(request), alert_id))


@router.post("/alerts/{alert_id}/decisions", status_code=201, responses=ERRORS)
async def decide(request: Request, alert_id: AlertId, body: DecisionRequest,
                 key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Any:
    """Decide an alert; 409 if it changed since the version you name (nothing is written)."""
    from redflags.review import decide

    return await run_in_threadpool(decide, store(request), alert_id, body.decision, body.reason, body.comment,
                                   key_actor(key), key["role"], body.version)


@router.post("/alerts/{alert_id}/approvals", status_code=201, responses=ERRORS)
async def approve(request: Request, alert_id: AlertId, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Any:
    """Approve the decision waiting on an alert: another key than the one that made it, with the
    approver role (admin by default)."""
    from redflags.review import approve

    return await run_in_threadpool(approve, store(request), alert_id, key_actor(key), key["role"])


@router.get("/audit", dependencies=[Depends(require("viewer"))])
def audit(request: Request, since: Annotated[str | None, Query(max_length=40)] = None,
          until: Annotated[str | None, Query(max_length=40)] = None,
          action: Annotated[str | None, Query(max_length=60)] = None,
          after: Annotated[int, Query(ge=0, le=SQL_INT_MAX, description="Entries after this sequence number.")] = 0,
          limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Any:
    """Entries of the audit log in sequence order."""
    from redflags.audit.export import entries

    rows = list(entries(store(request).engine, since, until, action, after, limit))
    return json_bytes({"entries": rows, "next_after": rows[-1]["seq"] if len(rows) == limit else None})


@router.get("/audit/verify", dependencies=[Depends(require("viewer"))])
async def audit_verify(request: Request) -> Any:
    """Recompute the chain and the rows it records: ``ok``, or the first entry that does not hold."""
    from redflags.audit import verify

    report = await run_in_threadpool(verify, store(request).engine)
    return json_bytes(report.to_dict())


@router.get("/parties/{party:path}/certificate", dependencies=[Depends(require("viewer"))], responses=ERRORS)
def certificate(request: Request, party: str,
                format: Annotated[str, Query(pattern="^(html|json)$")] = "html") -> Any:
    """Proof of screening of a party (its key or input id): screenings, lists, results, decisions."""
    from redflags.review.certificate import certificate_data, render_html

    data = certificate_data(store(request), party)
    return json_bytes(data) if format == "json" else HTMLResponse(render_html(data))


@router.get("/config", dependencies=[Depends(require("viewer"))])
def config(request: Request) -> Any:
    from redflags.review import get_config

    return get_config(store(request))


@router.put("/config/{name}")
def config_set(request: Request, name: str, body: ConfigValue,
               key: Annotated[dict[str, Any], Depends(require("admin"))]) -> Any:
    """Change a review setting (audited)."""
    from redflags.review import set_config

    return {name: set_config(store(request), name, body.value, key_actor(key))}
