"""What stands around every request: who is asking, how big and how slow the body is,
what the request cost (``/metrics``) and the access log.

Authentication happens here, before any route runs and before a byte of the body is read:
an upload without a valid key is refused with 401 at its headers, never stored. Roles are
checked by the routes' dependencies (``app.require``), still before the body is read.
(Plain ASGI: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request.)
"""

import asyncio
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redflags import settings
from redflags.api.errors import error_response
from redflags.api.keys import active_key, verify_key

REQUESTS = Counter("redflags_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("redflags_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
QUERIES = Counter("redflags_match_queries_total", "Queries matched", ["outcome"])
ENTITIES = Gauge("redflags_index_entities", "Entities in the active index")
ALERTS = Gauge("redflags_alerts", "Alerts by status", ["status"])
DELIVERIES = Gauge("redflags_deliveries", "Webhook and e-mail deliveries by status", ["status"])
RESCREEN_SECONDS = Gauge("redflags_monitor_rescreen_seconds", "Duration of the last re-screen",
                         ["portfolio", "dataset"])
RESCREEN_PARTIES = Gauge("redflags_monitor_rescreen_parties", "Parties screened by the last re-screen",
                         ["portfolio", "dataset"])
RESCREEN_TIME = Gauge("redflags_monitor_rescreen_timestamp_seconds", "When the last re-screen finished",
                      ["portfolio", "dataset"])

KEY_SCOPE = "redflags.key"
"""Where the guard leaves the id of the request's API key, for the access log."""
KEY_RECORD = "redflags.key_record"
"""Where the guard leaves the request's API key record (id, name, role) for the routes."""
KEY_CACHE_SECONDS = 5.0
"""A revoked key stops working within this many seconds."""
UNAUTHENTICATED = {"WWW-Authenticate": "Bearer"}
SESSION_SCOPE = "redflags.session"
"""Where the guard leaves a web UI request's session (its CSRF token), when the cookie signed it in."""
UI_PREFIX = "/ui"
UI_PUBLIC = ("/ui/login", "/ui/static/")
"""The sign-in page and the UI's own scripts and styles need no key."""
QUERY_KEY_PATHS = ("/reconcile",)
"""Where a key may come as ``?api_key=`` (OpenRefine keeps a reconciliation service as one URL)."""

access_log = logging.getLogger("redflags.access")


class KeyCache:
    def __init__(self, store: Any) -> None:
        self.store = store
        self._seen: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def by_id(self, key_id: str) -> dict[str, Any] | None:
        """The record of an unrevoked key by its id (a UI session names its key by id)."""
        now = time.monotonic()
        hit = self._seen.get("id:" + key_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = active_key(self.store, key_id)
        self._seen["id:" + key_id] = (now + KEY_CACHE_SECONDS, record)
        return record

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


def _sign_in_first(scope: Scope, why: str) -> Any:
    """A page asked for without a session: to the sign-in page (back here after it); anything
    else the UI asks for (a form, a fragment): 401."""
    from urllib.parse import quote

    from starlette.responses import RedirectResponse

    if scope["method"] == "GET" and not any(n == b"hx-request" for n, _v in scope["headers"]):
        target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
        return RedirectResponse(f"/ui/login?next={quote(target, safe='')}&why={why}", status_code=303)
    return error_response(401, "sign in again: the session is missing or has expired")


def _authorization(scope: Scope) -> str:
    return next((value.decode("latin-1") for name, value in scope["headers"] if name == b"authorization"), "")


class Guard:
    """Around every request: authenticates it (all but ``public`` paths), refuses an over-size
    body (at once when its length is declared, else as its chunks arrive) and a stalled or
    dripping one, counts and times the request and writes one access-log line naming the key."""

    def __init__(self, app: ASGIApp, keys: KeyCache, public: frozenset[str]) -> None:
        self.app, self.keys, self.public = app, keys, public

    def _authenticate(self, scope: Scope) -> Any:
        """None when the request carries a valid key (left in the scope), else the 401 response
        (for a page of the web UI, the way to its sign-in page)."""
        scheme, _, token = _authorization(scope).partition(" ")
        path = scope["path"]
        if not token.strip() and path.startswith(QUERY_KEY_PATHS):
            from urllib.parse import parse_qs

            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("api_key")
            scheme, token = ("bearer", given[0]) if given else (scheme, token)
        if not token.strip() and (path == UI_PREFIX or path.startswith(UI_PREFIX + "/")):
            return self._session(scope)
        if scheme.lower() not in ("bearer", "apikey") or not token.strip():
            return error_response(401, "an API key is required: send `Authorization: Bearer <key>`", UNAUTHENTICATED)
        key = self.keys.lookup(token.strip())
        if key is None:
            return error_response(401, "invalid or revoked API key", UNAUTHENTICATED)
        scope[KEY_SCOPE], scope[KEY_RECORD] = key["id"], key
        return None

    def _session(self, scope: Scope) -> Any:
        from redflags.web.session import cookie_of, read

        value = cookie_of(scope["headers"])
        session = read(value) if value else None
        if session is None:
            return _sign_in_first(scope, "expired" if value else "signin")
        key = self.keys.by_id(session["k"])
        if key is None:
            return _sign_in_first(scope, "revoked")
        scope[KEY_SCOPE], scope[KEY_RECORD], scope[SESSION_SCOPE] = key["id"], key, session
        return None

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

        most = settings.API_MAX_UPLOAD if scope["path"] in ("/screen", "/scan") or scope["path"].startswith("/portfolios/") \
            else settings.API_MAX_BODY
        too_large = f"request body over {most:,} bytes"
        received, body_done = 0, False
        slow = {"Connection": "close"}

        async def receive_guarded() -> Message:
            # A body sent in chunks declares no length: count it as it comes. A body that stalls,
            # or drips in too slowly to ever end, is cut off.
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), settings.API_BODY_TIMEOUT)
            except TimeoutError:
                raise StarletteHTTPException(408, f"the request body stalled for {settings.API_BODY_TIMEOUT} s",
                                             slow) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > most:
                    raise StarletteHTTPException(413, too_large)
                elapsed = time.perf_counter() - start
                if not message.get("more_body", False):
                    body_done = True
                elif elapsed > settings.API_BODY_TIMEOUT and received / elapsed < settings.API_MIN_BODY_RATE:
                    raise StarletteHTTPException(408, f"the request body arrives at {received / elapsed:,.0f} "
                                                 f"bytes/s, under {settings.API_MIN_BODY_RATE:,}", slow)
            else:
                body_done = True
            return message

        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        try:
            refusal: Any
            if length is not None and (not length.isdigit() or int(length) > most):
                refusal = error_response(413, too_large)
            else:
                public = scope["path"] in self.public or scope["path"].startswith(UI_PUBLIC)
                refusal = None if public else self._authenticate(scope)
            if refusal is not None:
                await refusal(scope, receive, send_noting_status)
            else:
                await self.app(scope, receive_guarded, send_noting_status)
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
