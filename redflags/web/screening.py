"""Screening a file from the browser: upload, the column mapping shown and corrected before the
run, a live progress bar, then the run's counts and downloads. And scanning a document. The run
itself is the API's background job (``api.jobs``): the same process, recording and resumption."""

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from redflags import settings
from redflags.api.deps import jobs, key_actor, require
from redflags.api.errors import ApiError
from redflags.web.render import HEADERS, fragment, page
from redflags.web.routes import _back, check_csrf

router = APIRouter(prefix="/ui", include_in_schema=False)
ROLES = ("name", "alias", "id", "schema", "country", "identifier", "birth_date", "date")
LABELS = {"name": "Name", "alias": "Other names", "id": "Row id", "schema": "Type (person, company…)",
          "country": "Country", "identifier": "Identifier (registration, tax, LEI…)", "birth_date": "Birth date",
          "date": "Transaction date"}
FLAGS = {"name": "--name-column", "alias": "--alias-column", "id": "--id-column", "schema": "--schema-column",
         "country": "--country-column", "identifier": "--identifier-column", "birth_date": "--birth-date-column",
         "date": "--date-column"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


STAGED_HOURS = 24
"""An upload left at the mapping step is removed after this long (by the next upload)."""


def _staging() -> Path:
    return Path(settings.HOME) / "ui-uploads"


def _tidy() -> None:
    """Remove uploads abandoned at the mapping step."""
    import time

    root = _staging()
    if not root.is_dir():
        return
    limit = time.time() - STAGED_HOURS * 3600
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


@router.get("/screen", dependencies=[Depends(require("analyst"))])
def screen_form(request: Request) -> Response:
    return page(request, "screen.html.j2", {"step": "upload"}, title="Screen a file")


@router.post("/screen")
async def screen_upload(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Response:
    """The uploaded file is kept aside and its columns read: the mapping is shown before anything runs."""
    from redflags.batch.columns import detect_columns
    from redflags.batch.inputs import open_input
    from redflags.exc import RedflagsError

    form = await request.form(max_files=1, max_fields=10)
    try:
        check_csrf(request, str(form.get("csrf") or ""))
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(400, "choose a file to screen (CSV, XLSX, JSON lines or Parquet)")
        await run_in_threadpool(_tidy)
        token = secrets.token_urlsafe(18)
        folder = _staging() / token
        folder.mkdir(parents=True)
        name = Path(upload.filename).name.replace("/", "_") or "upload"
        with open(folder / name, "wb") as out:
            await run_in_threadpool(shutil.copyfileobj, upload.file, out, 1 << 20)
    finally:
        await form.close()
    (folder / ".owner").write_text(key["id"], encoding="utf-8")
    try:
        source = open_input(folder / name)
        try:
            columns = list(source.columns)
            info = source.info()
        finally:
            source.close()
        guessed = detect_columns(columns, source=name).roles
    except RedflagsError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return page(request, "screen.html.j2", {"step": "upload", "error": exc.detail}, status=400,
                    title="Screen a file")
    data = {"step": "map", "token": token, "filename": name, "columns": columns, "guessed": guessed,
            "roles": ROLES, "labels": LABELS, "input": {k: v for k, v in info.items() if k != "columns"}}
    return page(request, "screen.html.j2", data, title=f"Screen {name}")


@router.post("/screen/start")
async def screen_start(request: Request, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Response:
    form = await request.form(max_fields=60)
    check_csrf(request, str(form.get("csrf") or ""))
    token = str(form.get("token") or "")
    folder = _staging() / token
    if not _TOKEN.match(token) or not folder.is_dir() or (folder / ".owner").read_text(encoding="utf-8") != key["id"]:
        raise ApiError(404, "that upload is gone: upload the file again")
    files = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if not files:
        raise ApiError(404, "that upload is gone: upload the file again")
    args: list[str] = []
    for role in ROLES:
        for column in form.getlist(role):
            if str(column):
                args += [FLAGS[role], str(column)]
    if FLAGS["name"] not in args:
        raise ApiError(400, "say which column holds the names")
    threshold = str(form.get("threshold") or "")
    if threshold:
        try:
            if not 0 <= float(threshold) <= 1:
                raise ValueError
        except ValueError:
            raise ApiError(400, "the threshold is a score between 0 and 1") from None
        args += ["--threshold", threshold]
    with open(files[0], "rb") as fh:
        job_id = await run_in_threadpool(jobs(request).submit, files[0].name, fh, args, key["id"], key_actor(key))
    shutil.rmtree(folder, ignore_errors=True)
    return _back(f"/ui/screen/jobs/{job_id}")


def _job(request: Request, job_id: str, key: dict[str, Any]) -> dict[str, Any]:
    """The job's status, for the key that submitted it or an admin (as the API's ``/screen/{job}``)."""
    from redflags.api.routes.screening import own_job

    own_job(request, job_id, key)
    return jobs(request).status(job_id)  # type: ignore[no-any-return]


def _progress(status: dict[str, Any]) -> dict[str, Any]:
    """How far the run is: rows screened, and the share of the file read."""
    counts = (status.get("run") or {}).get("counts") or {}
    size, read = counts.get("bytes_total"), counts.get("bytes_read")
    percent = 100 if status["status"] == "done" else (round(100 * read / size) if size and read else 0)
    return {"rows": counts.get("rows", 0), "total": counts.get("total_rows"), "percent": min(percent, 100),
            "counts": counts, "finished": status["status"] in ("done", "failed")}


@router.get("/screen/jobs/{job_id}")
@router.get("/screen/jobs/{job_id}.json")
def screen_job(request: Request, job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Response:
    status = _job(request, job_id, key)
    data = {"job": status, "progress": _progress(status)}
    return page(request, "screen_job.html.j2", data, title=f"Screening {status['filename']}")


@router.get("/screen/jobs/{job_id}/progress")
def screen_progress(request: Request, job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))]) -> Response:
    """The progress fragment htmx swaps in every second, until the run is done or failed."""
    status = _job(request, job_id, key)
    html = fragment(request, "_progress.html.j2", {"job": status, "progress": _progress(status)})
    return HTMLResponse(html, headers=HEADERS)


@router.get("/screen/jobs/{job_id}/results")
def screen_download(request: Request, job_id: str, key: Annotated[dict[str, Any], Depends(require("analyst"))],
                    format: Annotated[str, Query(pattern="^(jsonl|csv|xlsx|html)$")] = "csv") -> Response:
    from redflags.api.routes.screening import results_file

    _job(request, job_id, key)
    return results_file(request, job_id, format)


# --- scanning a document ------------------------------------------------------------------------


@router.get("/scan", dependencies=[Depends(require("viewer"))])
def scan_form(request: Request) -> Response:
    return page(request, "scan.html.j2", {"results": None}, title="Scan a document")


@router.post("/scan")
async def scan_upload(request: Request, key: Annotated[dict[str, Any], Depends(require("viewer"))]) -> Response:
    from redflags.scan import scan_document, scanner
    from redflags.web.routes import holder

    form = await request.form(max_files=1, max_fields=5)
    folder = _staging() / ("scan-" + secrets.token_urlsafe(12))
    try:
        check_csrf(request, str(form.get("csrf") or ""))
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(400, "choose a document to scan (text, HTML, PDF, DOCX, e-mail)")
        folder.mkdir(parents=True)
        path = folder / (Path(upload.filename).name or "document")
        with open(path, "wb") as out:
            await run_in_threadpool(shutil.copyfileobj, upload.file, out, 1 << 20)
        finder = scanner(holder(request).get().screener)
        results = await run_in_threadpool(lambda: list(scan_document(finder, path, keep_text=True)))
    finally:
        await form.close()
        shutil.rmtree(folder, ignore_errors=True)
    return page(request, "scan.html.j2", {"results": [_marked(r) for r in results]}, title="Scan results")


def _marked(result: dict[str, Any]) -> dict[str, Any]:
    """The document's text cut into plain and mentioned spans, for the template to mark."""
    text = result.get("text") or ""
    spans: list[dict[str, Any]] = []
    at = 0
    for mention in sorted(result.get("mentions") or [], key=lambda m: m["start"]):
        if mention["start"] < at:
            continue
        spans.append({"text": text[at:mention["start"]]})
        spans.append({"text": text[mention["start"]:mention["end"]], "mention": mention})
        at = mention["end"]
    spans.append({"text": text[at:]})
    return {**{k: v for k, v in result.items() if k != "text"}, "spans": spans}
