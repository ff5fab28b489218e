"""Web UI sessions: an API key exchanged once for a signed, expiring cookie.

The cookie holds the key's id, an expiry and a CSRF token, signed with HMAC-SHA256 under the
deployment's UI secret; nothing secret is in it, and the key behind it is checked on every
request (a revoked key ends its sessions). Every form carries the CSRF token, which must match
the cookie's. Cookies are ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` over TLS.
"""

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from typing import Any

import orjson

from redflags import settings

COOKIE = "redflags_session"


def _secret() -> bytes:
    """The deployment's signing key: ``REDFLAGS_UI_SECRET``, else one made once and kept (0600) in
    ``$REDFLAGS_HOME/ui-secret``. Server processes starting together agree on it: the file is
    written aside and linked into place, so none reads half of it, and the first link wins."""
    if settings.UI_SECRET:
        return settings.UI_SECRET.encode("utf-8")
    path = Path(settings.HOME) / "ui-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".ui-secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
    secret = path.read_bytes()
    if len(secret) < 16:
        raise RuntimeError(f"the UI secret in {path} is too short; delete it to make a new one")
    return secret


def _sign(payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(_secret(), payload, hashlib.sha256).digest()).decode().rstrip("=")


def issue(key_id: str, minutes: int | None = None) -> tuple[str, dict[str, Any]]:
    """A new session's cookie value and contents."""
    session = {"k": key_id, "exp": int(time.time()) + 60 * (minutes or settings.UI_SESSION_MINUTES),
               "csrf": secrets.token_urlsafe(24)}
    payload = base64.urlsafe_b64encode(orjson.dumps(session)).decode().rstrip("=")
    return f"{payload}.{_sign(payload.encode())}", session


def read(value: str) -> dict[str, Any] | None:
    """The session in a cookie value, if it is signed by this deployment and not expired."""
    payload, _, signature = value.partition(".")
    if not payload or not signature or not hmac.compare_digest(_sign(payload.encode()), signature):
        return None
    try:
        session = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(session, dict) or not isinstance(session.get("k"), str):
        return None
    if not isinstance(session.get("exp"), int) or session["exp"] < time.time():
        return None
    return session


def cookie_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE and val:
                    return val
    return None
