"""Portfolios and webhooks: parse, call ``redflags.monitor``, render."""

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from redflags.api.deps import json_bytes, key_actor, require, store
from redflags.api.errors import ApiError, ErrorResponse

router = APIRouter(tags=["Monitoring"])


@router.get("/portfolios", dependencies=[Depends(require("viewer"))])
def portfolios(request: Request) -> Any:
    from redflags.monitor.portfolios import portfolios

    return json_bytes({"portfolios": portfolios(store(request))})


@router.post("/portfolios/{name}", responses={400: {"model": ErrorResponse}})
async def watch(request: Request, name: str, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                sync: bool = False) -> Any:
    """Add parties to a portfolio (screened at once), or with ``sync=true`` make it what is sent:
    a file upload (multipart ``file``: CSV, XLSX, JSON lines, Parquet, as for ``/screen``) or JSON
    ``{"parties": [{"id": "V-1", "name": "...", "country": "CN", ...}]}``."""
    from redflags.batch import Options
    from redflags.monitor.portfolios import watch

    folder = Path(tempfile.mkdtemp(prefix="redflags-portfolio-"))
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=10)
            try:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise ApiError(400, "invalid request: file: a file upload (multipart field `file`) is required")
                path = folder / Path(upload.filename or "upload").name
                with path.open("wb") as fh:
                    shutil.copyfileobj(upload.file, fh, 1024 * 1024)
            finally:
                await form.close()
        else:
            try:
                body = json.loads(await request.body())
                parties = body["parties"]
                assert isinstance(parties, list) and all(isinstance(p, dict) for p in parties)
            except (ValueError, KeyError, TypeError, AssertionError):
                raise ApiError(400, 'invalid request: a JSON body {"parties": [{"id": ..., "name": ...}, ...]} '
                                    "or a multipart file upload") from None
            if not parties:
                raise ApiError(400, "invalid request: parties: none given")
            path = folder / f"{name}.jsonl"
            path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in parties), encoding="utf-8")
        return await run_in_threadpool(watch, store(request), path, name, Options(workers=1), key_actor(key), sync)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.delete("/portfolios/{name}", responses={404: {"model": ErrorResponse}})
def unwatch(request: Request, name: str, key: Annotated[dict[str, Any], Depends(require("admin"))]) -> Any:
    from redflags.monitor.portfolios import remove

    return {"portfolio": name, "parties_unwatched": remove(store(request), name, key_actor(key))}


@router.get("/hooks", dependencies=[Depends(require("admin"))])
def hooks(request: Request) -> Any:
    from redflags.monitor import hooks

    return {"hooks": hooks(store(request))}


@router.post("/hooks", status_code=201)
def add_hook(request: Request, body: dict[str, Any], key: Annotated[dict[str, Any], Depends(require("admin"))]) -> Any:
    """``{"url", "events": [...], "party_fields": [...]}``; the answer carries the signing secret, once."""
    from redflags.monitor import add_hook

    url = body.get("url")
    if not isinstance(url, str):
        raise ApiError(400, "invalid request: url: required")
    return add_hook(store(request), url, body.get("events"), key_actor(key), None, body.get("party_fields"))


@router.get("/hooks/deliveries", dependencies=[Depends(require("admin"))])
def hook_deliveries(request: Request, status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    from redflags.monitor import deliveries

    return json_bytes({"deliveries": deliveries(store(request), None, status, limit)})
