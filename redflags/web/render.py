"""Rendering a page: HTML from a Jinja2 template, or the same data as JSON (``Accept:
application/json``, or the path with ``.json``), the way datasette pairs every page with its JSON
twin. Every page carries a strict Content-Security-Policy: scripts and styles from the UI's own
static files only, nothing inline, nothing from elsewhere."""

import datetime as dt
from functools import lru_cache
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from redflags.api.guard import KEY_RECORD, SESSION_SCOPE

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
HTMX = "htmx-2.0.11.min.js"


@lru_cache(maxsize=1)
def environment() -> Environment:
    from redflags.batch.outputs import highlight, matched_words

    env = Environment(loader=PackageLoader("redflags.web", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["highlight"] = highlight
    env.filters["score"] = lambda v: "" if v is None else f"{float(v):.2f}"
    env.filters["when"] = lambda v: (v or "")[:19].replace("T", " ")
    env.globals["matched_words"] = matched_words
    env.globals["HTMX"] = HTMX
    return env


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def page(request: Request, template: str, data: dict[str, Any], status: int = 200, title: str = "") -> Response:
    """The page of ``data``: HTML, or ``data`` itself as JSON for its JSON twin."""
    if wants_json(request):
        body = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)
        return Response(body, status_code=status, media_type="application/json", headers=HEADERS)
    return HTMLResponse(fragment(request, template, data, title), status_code=status, headers=HEADERS)


def fragment(request: Request, template: str, data: dict[str, Any], title: str = "") -> str:
    key = request.scope.get(KEY_RECORD)
    session = request.scope.get(SESSION_SCOPE) or {}
    context = {**data, "data": data, "title": title, "key": key, "csrf": session.get("csrf", ""),
               "path": request.url.path, "now": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return environment().get_template(template).render(context)


def markup(text: str) -> Markup:
    return Markup(text)
