"""One listed record, with its provenance."""

from typing import Any

from fastapi import APIRouter, Depends, Request

from redflags.api.deps import require, store
from redflags.api.errors import ErrorResponse

router = APIRouter(tags=["Entities"])


@router.get("/entities/{entity_id}", dependencies=[Depends(require("viewer"))],
            responses={404: {"model": ErrorResponse}})
def entity(request: Request, entity_id: str) -> dict[str, Any]:
    return store(request).entity(entity_id)  # type: ignore[no-any-return]
