"""The API's one error shape: ``{"status": <code>, "detail": "<what was wrong>"}``."""

from collections.abc import Mapping

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


class ErrorResponse(BaseModel):
    status: int = Field(..., examples=[400])
    detail: str = Field(..., examples=["Too many queries in one request (at most 500)"])


def error_response(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse({"status": status, "detail": detail}, status_code=status, headers=headers)
