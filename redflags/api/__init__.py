"""The HTTP API: ``create_app(store)``."""

from redflags.api.app import create_app

__all__ = ["create_app"]
