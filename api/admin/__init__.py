"""The operator's admin: HTML pages under /admin, a JSON API under /admin/api, static assets.

Most processes never serve a page of it, and importing it (templates, the document pipeline,
the simulator) takes about as long as the rest of the server's start. So `install` only puts a
light ASGI layer in front of the app; the admin app is imported and built on the first request
under /admin, or when the OpenAPI schema (which documents the admin API) is asked for.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Receive, Scope, Send

from api.admin.responses import install_error_handlers

ADMIN_PREFIX = "/admin"


class _AdminOnFirstUse:
    def __init__(self, app: ASGIApp, main: FastAPI) -> None:
        self.app = app
        self.main = main

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (
            path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
        ):
            admin = await asyncio.to_thread(_admin_app, self.main)
            await admin(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _admin_app(main: FastAPI) -> FastAPI:
    admin = getattr(main.state, "admin_app", None)
    if admin is None:
        from api.admin.app import build_admin_app

        admin = main.state.admin_app = build_admin_app(main.state)
    return admin


def install(app: FastAPI) -> None:
    """Serve the admin under /admin from the first request on, and document it."""
    install_error_handlers(app)  # the JSON error shapes of the rest of the API too
    app.state.main_app = app  # what the simulator posts its signed webhook to
    app.add_middleware(_AdminOnFirstUse, main=app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title,
                version=app.version,
                routes=[*app.routes, *_admin_app(app).routes],
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
