"""The ASGI app uvicorn imports in each server process (``redflags serve --workers N``)."""

from redflags.api.app import create_app
from redflags.store import open_store

app = create_app(open_store())
