"""The ASGI app uvicorn imports in each server process (``redflags serve --workers N``)."""

from redflags.api.app import configure_access_log, create_app
from redflags.store import open_store

configure_access_log()
app = create_app(open_store())
