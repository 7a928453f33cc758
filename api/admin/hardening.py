"""Admin hardening: sessions revoked at logout (in the database, so every process honours it),
failed sign-ins throttled per client, security headers on admin pages, and the API schema
(/docs, /openapi.json) behind the admin's authentication outside development."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.admin.auth import SESSION_SECONDS, AdminDenied, authenticate
from stores import flags
from stores.clock import Clock
from stores.models import ServiceFlag
from stores.settings import Settings

REVOKED_PREFIX = "admin-session-revoked:"

SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


# --- revocation --------------------------------------------------------------------------------


async def revoke_session(session: AsyncSession, *, nonce: str, clock: Clock) -> None:
    """The session cookie with this nonce stops working everywhere (it would otherwise live
    until it expires); revocations older than any live session are dropped."""
    await flags.set_flag(session, name=REVOKED_PREFIX + nonce, value="logout", clock=clock)
    await session.execute(
        delete(ServiceFlag).where(
            ServiceFlag.name.startswith(REVOKED_PREFIX),
            ServiceFlag.updated_at < clock.now() - timedelta(seconds=SESSION_SECONDS + 60),
        )
    )


async def is_revoked(session: AsyncSession, *, nonce: str) -> bool:
    return await flags.get_flag(session, name=REVOKED_PREFIX + nonce) is not None


# --- headers and docs --------------------------------------------------------------------------


class SecurityHeaders:
    """CSP, X-Frame-Options: DENY and nosniff on every admin response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/admin"):  # (/docs loads Swagger UI from a CDN)
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def install_docs(app: FastAPI, settings: Settings) -> None:
    """/openapi.json and /docs: open in development, behind the admin's authentication
    otherwise (the app is built with FastAPI's own docs routes turned off)."""

    def guard(request: Request) -> Response | None:
        if settings.env == "development":
            return None
        try:
            authenticate(request, settings)
        except AdminDenied as denied:
            return JSONResponse(status_code=denied.status, content={"error": denied.message})
        return None

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> Response:
        return guard(request) or JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        return guard(request) or get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)
