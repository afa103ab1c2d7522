"""The one table mapping the project's errors to HTTP status codes, and the handler that uses it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from core.errors import (
    BackendUnavailable,
    ConfigurationError,
    Conflict,
    HotlineError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PbxActionFailed,
    PbxUnavailable,
    PermissionDenied,
    RateLimited,
    ServiceOverloaded,
)

HTTP_STATUS: dict[type[HotlineError], int] = {
    InvalidInput: 422,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
    ServiceOverloaded: 503,
    PbxUnavailable: 503,
    BackendUnavailable: 503,
    PbxActionFailed: 502,
    ConfigurationError: 500,
}


def status_for(error: HotlineError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


async def hotline_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HotlineError)
    headers = {}
    if isinstance(exc, RateLimited) and "retry_after" in exc.context:
        headers["Retry-After"] = str(exc.context["retry_after"])
    return JSONResponse(status_code=status_for(exc), content=exc.to_dict(), headers=headers)
