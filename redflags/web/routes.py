"""The analyst's pages: sign-in, search, the alert queue, one alert, lists, audit, portfolios.

Each page handler only parses the request, calls the library (``redflags.review``,
``redflags.screen``, the store) and renders; each GET page answers as JSON too (``.json`` or
``Accept: application/json``). Roles are those of the API: viewers read, analysts decide and
screen, approvers approve. Every form is checked for the session's CSRF token.
"""

import hmac
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from redflags import settings
from redflags.api.deps import holder, key_actor, require, store
from redflags.api.errors import ApiError
from redflags.api.guard import SESSION_SCOPE
from redflags.exc import NotFoundError, QueryError
from redflags.review.alerts import LINKED_PREFIX
from redflags.web.render import HEADERS, page
from redflags.web.session import COOKIE, issue

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 50
STATUS_PATTERN = "^(|open|true_match|false_positive|escalated|review_required|delisted)$"


def check_csrf(request: Request, token: str) -> None:
    """A form posted with the session's cookie must carry the session's CSRF token."""
    session = request.scope.get(SESSION_SCOPE)
    if session is None:  # signed in with an API key header: no cookie, nothing to forge
        return
    if not token or not hmac.compare_digest(token, session.get("csrf", "")):
        raise ApiError(403, "the form's CSRF token is missing or wrong: reload the page and try again")


def _back(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers=HEADERS)


def _local(target: str | None) -> str:
    """Only a path of this UI is a place to go back to (never another site)."""
    return target if target and target.startswith("/ui/") and not target.startswith("//") else "/ui/alerts"


# --- signing in and out -------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str | None = None, why: str | None = None) -> Response:
    notes = {"expired": "Your session has expired: sign in again.", "revoked": "That key was revoked.",
             "signin": None, "out": "Signed out."}
    return page(request, "login.html.j2", {"next": _local(next), "message": notes.get(why or "", None)},
                title="Sign in")


@router.post("/login")
async def login(request: Request, api_key: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    from redflags.api.keys import verify_key

    key = await run_in_threadpool(verify_key, store(request), api_key.strip()) if api_key.strip() else None
    if key is None:
        return page(request, "login.html.j2", {"next": _local(next), "error": "That is not a valid API key."},
                    status=401, title="Sign in")
    value, _session = issue(key["id"])
    response = _back(_local(next))
    response.set_cookie(COOKIE, value, max_age=settings.UI_SESSION_MINUTES * 60, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    response = _back("/ui/login?why=out")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("", dependencies=[Depends(require("viewer"))])
@router.get("/", dependencies=[Depends(require("viewer"))])
def home() -> Response:
    return _back("/ui/alerts")


# --- search -------------------------------------------------------------------------------------


@router.get("/search", dependencies=[Depends(require("viewer"))])
@router.get("/search.json", dependencies=[Depends(require("viewer"))])
def search(request: Request, q: Annotated[str, Query(max_length=1000)] = "",
           schema: Annotated[str, Query(pattern="^(|Person|Company|Organization|LegalEntity|Vessel|Airplane)$")] = "",
           country: Annotated[str, Query(max_length=60)] = "", birth_date: Annotated[str, Query(max_length=20)] = "",
           identifier: Annotated[str, Query(max_length=100)] = "",
           on: Annotated[str, Query(pattern=r"^(|\d{4}-\d{2}-\d{2})$")] = "") -> Response:
    from redflags.match import THRESHOLD
    from redflags.screen.screen import make_query

    hits: list[dict[str, Any]] = []
    error = None
    if q.strip():
        served = holder(request).get()
        try:
            query = make_query(q, schema or None, [country] if country else [], [identifier] if identifier else [],
                               [birth_date] if birth_date else [], on or None)
            hits = served.screener.match(query, limit=10, threshold=THRESHOLD, cutoff=0.5)
        except QueryError as exc:  # a name with nothing to screen, a date that is not one: said, not raised
            error = exc.detail
        for hit in hits:
            listed = hit["link"]["parent_id"] if hit.get("kind") == "linked" else hit["id"]
            hit["record"] = _listed_record(request, listed)
    data = {"q": q, "schema": schema, "country": country, "birth_date": birth_date, "identifier": identifier,
            "on": on, "threshold": THRESHOLD, "error": error, "hits": hits}
    return page(request, "search.html.j2", data, title=f"Search: {q}" if q else "Search")


def _listed_record(request: Request, entity_id: str) -> dict[str, Any] | None:
    """The listed record with its provenance (file and line) and change history, from the store."""
    try:
        entity = store(request).entity(entity_id)
    except NotFoundError:
        return None
    keep = ("id", "dataset", "lists", "sanctions", "locators", "provenance")
    return {k: entity.get(k) for k in keep if k in entity}


# --- the alert queue ----------------------------------------------------------------------------


def _filters(status: str, lists: str, min_score: float | None, max_score: float | None, portfolio: str,
             run: str, assignee: str | None, kind: str, sort: str, listed: str) -> dict[str, Any]:
    return {"status": status, "lists": lists, "min_score": min_score, "max_score": max_score,
            "portfolio": portfolio, "run": run, "assignee": assignee, "kind": kind, "sort": sort, "listed": listed}


@router.get("/alerts", dependencies=[Depends(require("viewer"))])
@router.get("/alerts.json", dependencies=[Depends(require("viewer"))])
def queue(request: Request,
          status: Annotated[str, Query(pattern=STATUS_PATTERN)] = "",
          lists: Annotated[str, Query(max_length=200)] = "",
          min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
          max_score: Annotated[float | None, Query(ge=0, le=1)] = None,
          portfolio: Annotated[str, Query(max_length=200)] = "", run: Annotated[str, Query(max_length=64)] = "",
          assignee: Annotated[str | None, Query(max_length=200)] = None,
          kind: Annotated[str, Query(pattern="^(|direct|linked)$")] = "",
          sort: Annotated[str, Query(pattern="^(newest|score)$")] = "newest",
          listed: Annotated[str, Query(max_length=255)] = "",
          before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
          before_score: Annotated[float | None, Query(ge=0, le=1)] = None) -> Response:
    from redflags.review import list_alerts

    filters = _filters(status, lists, min_score, max_score, portfolio, run, assignee, kind, sort, listed)
    rows = list_alerts(store(request), status or None, run or None, listed or None, None, min_score, before, PAGE,
                       kind or None,
                       lists=lists or None, max_score=max_score, portfolio=portfolio or None, assignee=assignee,
                       sort=sort, before_score=before_score)
    shown = {k: v for k, v in filters.items() if v not in (None, "") and not (k == "sort" and v == "newest")}
    more = None
    if len(rows) == PAGE:
        last = rows[-1]
        more = "?" + urlencode({**shown, "before": last["id"],
                                **({"before_score": last["score"]} if sort == "score" else {})})
    data = {"filters": filters, "alerts": rows, "next": more, "query": urlencode(shown),
            "reasons": _reasons(request)}
    return page(request, "alerts.html.j2", data, title="Alerts")


def _reasons(request: Request) -> dict[str, str]:
    from redflags.review import get_config

    return dict(get_config(store(request), "review.reasons"))


@router.post("/alerts/assign")
async def assign(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                 csrf: Annotated[str, Form()] = "", assignee: Annotated[str, Form(max_length=200)] = "",
                 alert: Annotated[list[int] | None, Form()] = None,
                 back: Annotated[str, Form(max_length=2000)] = "") -> Response:
    from redflags.review import assign as assign_alerts

    check_csrf(request, csrf)
    if not alert:
        raise ApiError(400, "no alert selected: tick the alerts to assign")
    await run_in_threadpool(assign_alerts, store(request), alert, assignee, key_actor(key))
    return _back(_local(back))


@router.post("/alerts/bulk")
async def bulk(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))],
               csrf: Annotated[str, Form()] = "",
               decision: Annotated[str, Form(pattern="^(true_match|false_positive|escalated)$")] = "false_positive",
               reason: Annotated[str, Form(max_length=60)] = "", comment: Annotated[str, Form(max_length=4000)] = "",
               alert: Annotated[list[int] | None, Form()] = None,
               back: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """One decision on each selected alert (each recorded, audited and four-eyed on its own)."""
    from redflags.review.bulk import decide_all

    check_csrf(request, csrf)
    if not alert:
        raise ApiError(400, "no alert selected: tick the alerts to decide")
    await run_in_threadpool(decide_all, store(request), alert, decision, reason, comment or None, key_actor(key),
                            key["role"])
    return _back(_local(back))


@router.post("/alerts/bulk-filter")
async def bulk_filter(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Response:
    """Every alert the queue's filters select, across all pages (optionally only for parties outside
    a country): first how many, then, confirmed, one decision each."""
    from redflags.review.bulk import MAX_BULK, decide_all, matching_alerts

    form = await request.form(max_fields=40)
    check_csrf(request, str(form.get("csrf") or ""))
    filters = _posted_filters(form)
    outside = str(form.get("outside_country") or "").strip()[:60] or None
    decision, reason = str(form.get("decision") or ""), str(form.get("reason") or "")
    comment = str(form.get("comment") or "")[:4000] or None
    chosen = await run_in_threadpool(lambda: [a["id"] for a in matching_alerts(store(request), filters, outside)])
    if len(chosen) > MAX_BULK:
        raise ApiError(400, f"the filters select more than {MAX_BULK:,} alerts: narrow them first")
    if form.get("confirm") != "yes":
        data = {"filters": filters, "outside_country": outside, "decision": decision, "reason": reason,
                "comment": comment or "", "count": len(chosen), "sample": chosen[:20]}
        return page(request, "bulk.html.j2", data, title="Confirm a bulk decision")
    await run_in_threadpool(decide_all, store(request), chosen, decision, reason, comment, key_actor(key), key["role"])
    return _back(f"/ui/alerts?{urlencode({k: v for k, v in filters.items() if v not in (None, '')})}")


def _posted_filters(form: Any) -> dict[str, Any]:
    def number(name: str) -> float | None:
        value = str(form.get(name) or "").strip()
        try:
            return None if not value else max(0.0, min(1.0, float(value)))
        except ValueError:
            raise ApiError(400, f"{name}: a score from 0 to 1") from None

    text = {name: str(form.get(name) or "").strip()[:255] or None
            for name in ("status", "lists", "portfolio", "run", "kind", "listed")}
    if text["kind"] not in (None, "direct", "linked"):
        raise ApiError(400, "kind: direct or linked")
    assignee = form.get("assignee")
    return {**text, "min_score": number("min_score"), "max_score": number("max_score"),
            "assignee": None if assignee in (None, "") else str(assignee)[:200]}


# --- one alert ----------------------------------------------------------------------------------


@router.get("/alerts/{alert_id}", dependencies=[Depends(require("viewer"))])
@router.get("/alerts/{alert_id}.json", dependencies=[Depends(require("viewer"))])
def alert_page(request: Request, alert_id: int, back: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """One alert; ``back``: the query string of the queue it was opened from, whose filters ``j``
    and ``k`` follow."""
    from urllib.parse import parse_qsl

    from redflags.review import alert_detail, neighbours

    if not 1 <= alert_id <= 2**31 - 1:
        raise ApiError(404, f"no alert {alert_id}")
    detail = alert_detail(store(request), alert_id)
    queue_query = back if back.startswith("?") else ""
    filters: dict[str, Any] = dict(parse_qsl(queue_query.lstrip("?")))
    for name in ("min_score", "max_score"):
        try:
            filters[name] = float(filters[name]) if name in filters else None
        except ValueError:
            filters[name] = None
    try:
        previous_id, next_id = neighbours(store(request), alert_id, **filters)
    except QueryError:  # a hand-edited queue address: no neighbours rather than no alert
        previous_id = next_id = None
    data = {"alert": detail, "reasons": _reasons(request), "back": queue_query, "next_id": next_id,
            "previous_id": previous_id,
            "listed": _listed_record(request, detail["listed_id"].removeprefix(LINKED_PREFIX))}
    return page(request, "alert.html.j2", data, title=f"Alert {alert_id}: {detail['caption']}")


@router.post("/alerts/{alert_id}/decide")
async def decide_alert(request: Request, alert_id: int, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                       csrf: Annotated[str, Form()] = "",
                       decision: Annotated[str, Form(pattern="^(true_match|false_positive|escalated)$")] = "",
                       reason: Annotated[str, Form(max_length=60)] = "",
                       comment: Annotated[str, Form(max_length=4000)] = "",
                       version: Annotated[int | None, Form(ge=1)] = None,
                       back: Annotated[str, Form(max_length=2000)] = "",
                       next_id: Annotated[int | None, Form(ge=1)] = None) -> Response:
    from redflags.review import decide

    check_csrf(request, csrf)
    await run_in_threadpool(decide, store(request), alert_id, decision, reason, comment or None, key_actor(key),
                            key["role"], version)
    suffix = f"?{urlencode({'back': back})}" if back else ""
    return _back(f"/ui/alerts/{next_id}{suffix}" if next_id else f"/ui/alerts/{alert_id}{suffix}")


@router.post("/alerts/{alert_id}/approve")
async def approve_alert(request: Request, alert_id: int, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                        csrf: Annotated[str, Form()] = "") -> Response:
    from redflags.review import approve

    check_csrf(request, csrf)
    await run_in_threadpool(approve, store(request), alert_id, key_actor(key), key["role"])
    return _back(f"/ui/alerts/{alert_id}")


# --- lists, audit, portfolios -------------------------------------------------------------------


@router.get("/lists", dependencies=[Depends(require("viewer"))])
@router.get("/lists.json", dependencies=[Depends(require("viewer"))])
def lists_page(request: Request) -> Response:
    datasets = store(request).status()
    return page(request, "lists.html.j2", {"datasets": datasets}, title="Lists")


@router.get("/lists/{dataset}/diff", dependencies=[Depends(require("viewer"))])
@router.get("/lists/{dataset}/diff.json", dependencies=[Depends(require("viewer"))])
def list_diff(request: Request, dataset: str, a: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
              b: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:
    from redflags.store.compare import diff_versions

    diff = diff_versions(store(request), dataset, a, b)
    return page(request, "diff.html.j2", diff, title=f"{dataset}: version {diff['a']} → {diff['b']}")


@router.get("/lists/versions/{version}/issues", dependencies=[Depends(require("viewer"))])
@router.get("/lists/versions/{version}/issues.json", dependencies=[Depends(require("viewer"))])
def list_issues(request: Request, version: int) -> Response:
    issues = store(request).issues(version)
    return page(request, "issues.html.j2", {"version": version, "issues": issues}, title=f"Load issues, version {version}")


@router.get("/audit", dependencies=[Depends(require("viewer"))])
@router.get("/audit.json", dependencies=[Depends(require("viewer"))])
def audit_page(request: Request, after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
               verify_now: Annotated[bool, Query(alias="verify")] = False) -> Response:
    from redflags.audit import verify
    from redflags.audit.export import entries, last_seq

    engine = store(request).engine
    last = last_seq(engine)
    start = max(0, last - PAGE) if after is None else after
    rows = list(entries(engine, None, None, None, start, PAGE))
    report = verify(engine, rows=False).to_dict() if verify_now else None
    data = {"entries": rows[::-1], "last": last, "after": start, "verify": report,
            "older": max(0, start - PAGE) if start > 0 else None}
    return page(request, "audit.html.j2", data, title="Audit log")


@router.get("/audit/export", dependencies=[Depends(require("viewer"))])
def audit_export(request: Request, fmt: Annotated[str, Query(alias="format", pattern="^(jsonl|csv)$")] = "jsonl",
                 since: Annotated[str | None, Query(max_length=40)] = None,
                 until: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The whole log (or a period of it) as a download, for an auditor."""
    import io

    from redflags.audit import export_entries

    out = io.StringIO()
    export_entries(store(request).engine, out, fmt, since, until)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    return Response(out.getvalue(), media_type=media,
                    headers={**HEADERS, "Content-Disposition": f'attachment; filename="redflags-audit.{fmt}"'})


@router.get("/portfolios", dependencies=[Depends(require("viewer"))])
@router.get("/portfolios.json", dependencies=[Depends(require("viewer"))])
def portfolios_page(request: Request) -> Response:
    from redflags.monitor.portfolios import portfolios
    from redflags.monitor.status import snapshot

    data = {"portfolios": portfolios(store(request)), "monitoring": snapshot(store(request))}
    return page(request, "portfolios.html.j2", data, title="Portfolios and monitoring")
