"""What routes ask of a request: the role its key must have (and the rate limit), the served
index, the store, the background jobs."""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from redflags.api.errors import ApiError
from redflags.api.guard import KEY_RECORD
from redflags.api.keys import allows
from redflags.api.serving import IndexHolder


def require(role: str) -> Callable[[Request], Awaitable[dict[str, Any]]]:
    """The route's role check and rate limit, on the key the guard authenticated."""
    async def dependency(request: Request) -> dict[str, Any]:
        key = request.scope.get(KEY_RECORD)
        if key is None:  # a public path: no key was asked for
            raise ApiError(401, "an API key is required: send `Authorization: Bearer <key>`",
                           {"WWW-Authenticate": "Bearer"})
        if not allows(key["role"], role):
            raise ApiError(403, f"this needs the {role} role; the key {key['id']} has {key['role']}")
        limiter = request.app.state.limiter
        wait = limiter.take(key["id"], time.monotonic())
        if wait > 0:
            raise ApiError(429, f"rate limit of {limiter.per_minute} requests a minute reached for key "
                                f"{key['id']}", {"Retry-After": str(max(1, round(wait)))})
        return key
    return dependency


def holder(request: Request) -> IndexHolder:
    return request.app.state.holder  # type: ignore[no-any-return]


def store(request: Request) -> Any:
    return request.app.state.store


def jobs(request: Request) -> Any:
    return request.app.state.jobs


def json_bytes(data: Any) -> Response:
    """Large result sets straight to JSON bytes (FastAPI's generic encoder is slow on them)."""
    import orjson

    return Response(orjson.dumps(data), media_type="application/json")


def key_actor(key: dict[str, Any]) -> str:
    """How the audit trail names the owner of an API key."""
    return f"key:{key['id']} ({key.get('name') or key['role']})"
