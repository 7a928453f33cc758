"""The admin application itself, built on the first request under /admin (see api.admin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.admin import api_routes, documents, pages
from api.admin.auth import AdminDenied
from api.admin.responses import AdminError, install_error_handlers, json_error

STATIC = Path(__file__).parent / "static"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/admin/api") or not path.startswith("/admin")


async def _denied(request: Request, error: Exception) -> Response:
    assert isinstance(error, AdminDenied)
    if _wants_json(request):
        return json_error(error.status, error.message)
    return pages.denied_page(request, error)


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, AdminError)
    if _wants_json(request):
        return json_error(error.status, error.message)
    return pages.render(request, "error.html", None, error.status, message=error.message)


def build_admin_app(state: Any) -> FastAPI:
    """The admin's routes, assets and error handling, sharing the main app's `state`."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state = state
    install_error_handlers(app)
    app.add_exception_handler(AdminDenied, _denied)
    app.add_exception_handler(AdminError, _refused)
    app.include_router(api_routes.router)
    app.include_router(documents.api_router)
    app.include_router(pages.router)
    app.include_router(documents.page_router)
    app.add_middleware(documents.UploadSizeGuard)
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
    return app
