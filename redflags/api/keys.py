"""API keys: ``rf_<id>_<secret>``. Only a SHA-256 of the secret is stored; keys are revocable.

Roles are ordered: a viewer reads lists and entities, an analyst also matches and
screens, an admin also updates lists.
"""

import hashlib
import hmac
import secrets
from typing import Any

from redflags.exc import QueryError

ROLES = ("viewer", "analyst", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(store: Any, role: str, name: str = "") -> tuple[str, str]:
    """``(key id, full key)``: the full key is shown once and never stored."""
    if role not in RANK:
        raise QueryError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    store.create_key(key_id, name or f"{role} key", role, _hash(secret))
    return key_id, f"rf_{key_id}_{secret}"


def verify_key(store: Any, token: str) -> dict[str, Any] | None:
    """The key's record if ``token`` is a valid, unrevoked key; else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rf" or not parts[1] or not parts[2]:
        return None
    record = store.key(parts[1])
    if record is None or record["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(record.pop("secret_hash"), _hash(parts[2])):
        return None
    return record


def active_key(store: Any, key_id: str) -> dict[str, Any] | None:
    """The record of an unrevoked key by its id (what a web UI session names), without its hash."""
    record = store.key(key_id)
    if record is None or record["revoked_at"] is not None:
        return None
    record.pop("secret_hash", None)
    return record  # type: ignore[no-any-return]


def allows(role: str, needed: str) -> bool:
    return RANK.get(role, -1) >= RANK[needed]
