"""Settings, read once from REDFLAGS_* environment variables.

Only this module reads ``os.environ``. Every setting is documented in the README.
"""

import os
from pathlib import Path


def _env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        return default


HOME = Path(_env_str("REDFLAGS_HOME", str(Path.home() / ".local" / "share" / "redflags")))
"""Where redflags keeps its embedded database and downloads."""

DB_URL = _env_str("REDFLAGS_DB", "")
"""SQLAlchemy URL of the store; empty means SQLite at ``$REDFLAGS_HOME/redflags.db``."""

MAX_FIELD_CHARS = _env_int("REDFLAGS_MAX_FIELD_CHARS", 1_000_000)
"""Longest single field (CSV cell, XML text node) a list file may contain."""

MAX_UNCOMPRESSED_BYTES = _env_int("REDFLAGS_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
"""Most bytes a compressed list (ZIP, gzip) may expand to before it is treated as a bomb."""

MAX_COMPRESSION_RATIO = _env_int("REDFLAGS_MAX_COMPRESSION_RATIO", 200)
"""Highest expansion ratio of a ZIP member before it is treated as a bomb."""

HTTP_TIMEOUT = _env_int("REDFLAGS_HTTP_TIMEOUT", 60)
"""Seconds before a list download gives up on a silent server."""

HTTP_RETRIES = _env_int("REDFLAGS_HTTP_RETRIES", 3)
"""Attempts per list download."""


SCREEN_CACHE = _env_int("REDFLAGS_SCREEN_CACHE", 50_000)
"""Distinct queries whose hits each screening worker remembers (vendor files repeat names); 0 turns it off."""

API_RATE_LIMIT = _env_int("REDFLAGS_API_RATE_LIMIT", 1200)
"""Requests per minute one API key may make (across all server processes); 0 turns the limit off."""

API_RATE_FILE = _env_str("REDFLAGS_API_RATE_FILE", "")
"""Set by ``redflags serve --workers N`` for its processes: the file their shared rate-limit
buckets live in. Not a setting to make by hand."""

API_MATCH_PROCESSES = _env_int("REDFLAGS_API_MATCH_PROCESSES", max(0, (os.cpu_count() or 1) - 1))
"""Helper processes each server process forks to spread a many-query ``/match`` request over
the cores (besides its own thread); 0 matches every request in the server process."""

API_ACCESS_LOG = _env_int("REDFLAGS_API_ACCESS_LOG", 1)
"""1: ``redflags serve`` writes one JSON line per request (method, path, status, ms, API key id)
to standard error; 0: none."""

API_MAX_BODY = _env_int("REDFLAGS_API_MAX_BODY", 10 * 1024**2)
"""Largest request body the API accepts, in bytes."""

API_MAX_UPLOAD = _env_int("REDFLAGS_API_MAX_UPLOAD", 2 * 1024**3)
"""Largest file ``POST /screen`` accepts, in bytes."""

API_HEADER_TIMEOUT = _env_int("REDFLAGS_API_HEADER_TIMEOUT", 10)
"""Seconds a request's headers may take to arrive before the server answers 408 and closes."""

API_BODY_TIMEOUT = _env_int("REDFLAGS_API_BODY_TIMEOUT", 30)
"""Seconds the API waits for the next piece of a request body before answering 408."""

API_MIN_BODY_RATE = _env_int("REDFLAGS_API_MIN_BODY_RATE", 1024)
"""Bytes per second a request body must average, once it has taken REDFLAGS_API_BODY_TIMEOUT
seconds, not to be cut off with 408 (a client dripping a byte now and then holds a connection)."""

API_PUBLIC_DOCS = _env_int("REDFLAGS_API_PUBLIC_DOCS", 0)
"""1: ``/docs``, ``/redoc`` and ``/openapi.json`` are served without a key; 0: they need a viewer key."""

ACTOR = _env_str("REDFLAGS_ACTOR", "")
"""Who the CLI records as the actor of what it does (screenings, decisions, loads); empty means
the operating-system user. ``--actor`` overrides it; over the API the actor is the key's owner."""

SMTP_HOST = _env_str("REDFLAGS_SMTP_HOST", "localhost")
"""The SMTP server e-mail digests (``mailto:`` webhooks) are sent through."""

SMTP_PORT = _env_int("REDFLAGS_SMTP_PORT", 25)

SMTP_FROM = _env_str("REDFLAGS_SMTP_FROM", "redflags@localhost")
"""The sender of e-mail digests."""

SMTP_STARTTLS = _env_int("REDFLAGS_SMTP_STARTTLS", 0)
"""1: upgrade the SMTP connection with STARTTLS before sending (and log in when
REDFLAGS_SMTP_USER is set)."""

SMTP_USER = _env_str("REDFLAGS_SMTP_USER", "")

SMTP_PASSWORD = _env_str("REDFLAGS_SMTP_PASSWORD", "")

SOURCES_FILE = _env_str("REDFLAGS_SOURCES", "")
"""A sources.yml replacing the built-in list of official download URLs."""

UI_SESSION_MINUTES = _env_int("REDFLAGS_UI_SESSION_MINUTES", 480)
"""How long a web UI sign-in lasts; after that the analyst signs in again."""

UI_SECRET = _env_str("REDFLAGS_UI_SECRET", "")
"""The key that signs web UI session cookies (every server process of one deployment needs the same);
empty: one generated on first use and kept in $REDFLAGS_HOME/ui-secret."""


def database_url() -> str:
    """The store URL: REDFLAGS_DB, else SQLite in REDFLAGS_HOME."""
    if DB_URL:
        return DB_URL
    return f"sqlite:///{HOME / 'redflags.db'}"


def actor() -> str:
    """REDFLAGS_ACTOR, else the operating-system user."""
    if ACTOR:
        return ACTOR
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"
