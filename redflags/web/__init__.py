"""The analysts' web UI, served by ``redflags serve`` beside the API: server-rendered pages
(Jinja2) with progressive enhancement (htmx, vendored), each page also answering as JSON.

Sign-in exchanges an API key for a signed session cookie (``session``); pages and forms are in
``routes`` and ``screening``; ``render`` adds the Content-Security-Policy. The UI calls the same
library as the CLI and the API (``redflags.review``, ``redflags.screen``, ``redflags.scan``)."""

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"


def install(app: Any) -> None:
    """Add the UI's pages and static files to the API's app."""
    from starlette.staticfiles import StaticFiles

    from redflags.web import routes, screening

    app.include_router(routes.router)
    app.include_router(screening.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")


__all__ = ["STATIC", "install"]
