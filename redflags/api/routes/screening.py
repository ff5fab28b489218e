"""Screening whole files in the background: submit, poll, fetch the results."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from redflags.api.deps import jobs, key_actor, require
from redflags.api.errors import ApiError, ErrorResponse
from redflags.api.schemas import LIST_FIELDS, ScreenForm, screen_form_schema
from redflags.exc import QueryError

router = APIRouter(tags=["Screening"])

MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.post("/screen", status_code=202, openapi_extra=screen_form_schema())
async def screen_submit(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))]
                        ) -> dict[str, Any]:
    """Screen a whole file in the background: returns the job id to poll. The upload is read
    only after the key and its role were checked."""
    form = await request.form(max_files=1, max_fields=50)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "invalid request: file: a file upload (multipart field `file`) is required")
        fields: dict[str, Any] = {name: value for name, value in form.items() if name != "file"}
        for name in LIST_FIELDS:
            if name in form:
                fields[name] = form.getlist(name)
        try:
            options = ScreenForm.model_validate(fields)
        except ValidationError as exc:
            parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]]
            raise ApiError(400, "invalid request: " + "; ".join(parts)) from None
        job_id = await run_in_threadpool(jobs(request).submit, upload.filename or "", upload.file, options.args(),
                                         key["id"], key_actor(key))
    finally:
        await form.close()
    return {"id": job_id, "status": "queued"}


def own_job(request: Request, job_id: str, key: dict[str, Any]) -> None:
    """A job is seen only by the key that submitted it, and by admins (to anyone else it does
    not exist)."""
    if key["role"] != "admin" and jobs(request).owner(job_id) != key["id"]:
        raise ApiError(404, f"no screening job {job_id!r}")


@router.get("/screen/{job_id}", responses={404: {"model": ErrorResponse}})
def screen_status(request: Request, job_id: str,
                  key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> dict[str, Any]:
    own_job(request, job_id, key)
    return jobs(request).status(job_id)  # type: ignore[no-any-return]


@router.get("/screen/{job_id}/results", responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}})
def screen_results(request: Request, job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                   format: Annotated[str, Query(pattern="^(jsonl|csv|xlsx|html)$")] = "jsonl") -> FileResponse:
    own_job(request, job_id, key)
    return results_file(request, job_id, format)


def results_file(request: Request, job_id: str, fmt: str) -> FileResponse:
    """A finished job's results as a download (409 while it runs)."""
    try:
        path = jobs(request).results(job_id, fmt)
    except QueryError as exc:
        raise ApiError(409, exc.detail) from exc
    return FileResponse(path, media_type=MEDIA[fmt], filename=f"redflags-{job_id}.{fmt}",
                        headers={"X-Content-Type-Options": "nosniff"})
