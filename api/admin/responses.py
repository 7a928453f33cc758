"""Errors as JSON with a clear message under /admin/api (and /metrics); pages get HTML."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from messaging.logs import request_id_var

log = logging.getLogger(__name__)
ADMIN_API_PREFIX = "/admin/api"


class AdminError(Exception):
    """A request the admin API refuses, with the HTTP status and a message for the operator."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message, **extra})


def _is_admin_api(request: Request) -> bool:
    return request.url.path.startswith(ADMIN_API_PREFIX)


def describe_validation(error: RequestValidationError) -> str:
    """`body.phone: Field required; query.limit: ...` — which input is wrong and why."""
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if not _is_admin_api(request):
        return await request_validation_exception_handler(request, error)
    return json_error(422, describe_validation(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if not _is_admin_api(request):
        return await http_exception_handler(request, error)
    response = json_error(error.status_code, str(error.detail))
    response.headers.update(error.headers or {})
    return response


async def _unexpected(request: Request, error: Exception) -> Response:
    """Last resort (Starlette still logs the traceback): a JSON 500 naming the request id."""
    if not request.url.path.startswith("/admin"):
        return PlainTextResponse("Internal Server Error", status_code=500)
    return json_error(
        500,
        f"internal error ({type(error).__name__}); the server log has the details "
        f"under request id {_request_id(request)}",
    )


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", None) or request_id_var.get() or "unknown")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
