"""The lists: their versions, what changed, and an update from the publishers."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from redflags.api.deps import holder, key_actor, require, store
from redflags.api.schemas import SQL_INT_MAX, UpdateRequest

router = APIRouter(tags=["Lists"])

"""The widest integer SQLite and PostgreSQL bigint columns hold; larger ids are refused with 400."""


@router.get("/lists", dependencies=[Depends(require("viewer"))])
def lists(request: Request) -> dict[str, Any]:
    return {"lists": store(request).status()}


@router.get("/lists/{dataset}/diff", dependencies=[Depends(require("viewer"))])
def lists_diff(request: Request, dataset: str,
               version: Annotated[int | None, Query(ge=1, le=SQL_INT_MAX)] = None) -> dict[str, Any]:
    return store(request).diff(dataset, version)  # type: ignore[no-any-return]


@router.post("/lists/update")
def lists_update(request: Request, key: Annotated[dict[str, Any], Depends(require("admin"))],
                 body: UpdateRequest | None = None) -> dict[str, Any]:
    """Fetch the lists (or the named sources) and load what changed; the index is swapped
    in whole once rebuilt, so matching goes on against the previous lists meanwhile."""
    from pathlib import Path

    from redflags import fetch

    body = body or UpdateRequest(sources=None, mirror=None, force=False)
    results = fetch.update(store(request), body.sources or None, Path(body.mirror) if body.mirror else None,
                           force=body.force, actor=key_actor(key))
    from redflags.monitor.rescreen import rescreen

    swapped = holder(request).refresh()
    rescreened = rescreen(store(request), key_actor(key))
    return {"results": [{"source": r.source, "status": r.status,
                         "version": r.load.summary["version"] if r.load else None} for r in results],
            "index_swapped": swapped, "rescreened": rescreened}
