"""``POST /scan``: which listed parties do these documents mention? Parse, call
``redflags.scan``, render."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from redflags.api.deps import holder, json_bytes, require
from redflags.api.errors import ApiError, ErrorResponse
from redflags.match import THRESHOLD

router = APIRouter(tags=["Scanning"])

MAX_DOCUMENTS = 20
MAX_TEXT = 20_000_000


@router.post("/scan", dependencies=[Depends(require("viewer"))], responses={400: {"model": ErrorResponse}})
async def scan(request: Request, threshold: Annotated[float, Query(ge=0.0, le=1.0)] = THRESHOLD,
               lang: Annotated[str | None, Query(max_length=10)] = None,
               format: Annotated[str, Query(pattern="^(json|html)$")] = "json") -> Any:
    """Scan documents for the listed parties they mention: multipart ``file`` uploads (text,
    Markdown, HTML, PDF, DOCX, e-mail; up to 20), or JSON ``{"text": "...", "name": "..."}`` or
    ``{"documents": [{"name": ..., "text": ...}, ...]}``. The same result as ``redflags scan``:
    one object per document (an e-mail's attachments are documents of their own)."""
    documents: list[tuple[str, bytes]] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_DOCUMENTS, max_fields=MAX_DOCUMENTS + 5)
        try:
            for _key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    documents.append((value.filename or f"upload-{len(documents) + 1}", await value.read()))
        finally:
            await form.close()
        if not documents:
            raise ApiError(400, "invalid request: file: at least one file upload (multipart field `file`)")
    else:
        try:
            body = json.loads(await request.body())
            items = body["documents"] if "documents" in body else [body]
            assert isinstance(items, list) and 0 < len(items) <= MAX_DOCUMENTS
            for n, item in enumerate(items, 1):
                assert isinstance(item, dict) and isinstance(item["text"], str) and len(item["text"]) <= MAX_TEXT
                documents.append((str(item.get("name") or f"text-{n}"), item["text"].encode("utf-8")))
        except (ValueError, KeyError, TypeError, AssertionError):
            raise ApiError(400, 'invalid request: a JSON body {"text": "..."} or {"documents": [{"name": ..., '
                                f'"text": ...}}, ...]}} (1 to {MAX_DOCUMENTS}, each at most {MAX_TEXT:,} '
                                "characters), or multipart file uploads") from None
    served = holder(request).get()
    results = await run_in_threadpool(_scan, served.screener, documents, threshold, lang, format == "html")
    versions = {part.split(":")[0]: {"version": int(part.split(":")[1])} for part in served.key.split(",") if ":" in part}
    if format == "html":
        from redflags.scan.report import html

        return HTMLResponse(html(results, versions))
    return json_bytes({"versions": versions, "documents": [{k: v for k, v in r.items() if k != "text"}
                                                           for r in results]})


def _scan(screener: Any, documents: list[tuple[str, bytes]], threshold: float, lang: str | None,
          keep_text: bool) -> list[dict[str, Any]]:
    from redflags.scan import scan_document, scanner

    finder = scanner(screener, threshold)
    return [r for name, data in documents
            for r in scan_document(finder, name, name, data, lang=lang, keep_text=keep_text)]
