"""The API's routes, one module per area; each parses, calls the capability and renders."""

from redflags.api.routes import (
    entities,
    lists,
    matching,
    monitoring,
    reconcile,
    review,
    scanning,
    screening,
    system,
)

ROUTERS = (system.router, matching.router, entities.router, lists.router, screening.router, review.router, monitoring.router,
           scanning.router, reconcile.router)

__all__ = ["ROUTERS"]
