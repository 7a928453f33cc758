"""FastAPI dependencies for the admin: who is calling (API and pages) and CSRF for changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.admin.auth import CSRF_HEADER, AdminDenied, AdminPrincipal, authenticate, check_csrf
from api.admin.hardening import is_revoked
from api.deps import DatabaseDep, SettingsDep
from stores.db import Database


async def refuse_revoked(principal: AdminPrincipal, database: Database) -> None:
    """A session cookie signed out of (logout) no longer works, in any process."""
    if principal.nonce is None:
        return
    async with database.session() as session:
        if await is_revoked(session, nonce=principal.nonce):
            raise AdminDenied(401, "this session was signed out: sign in again")


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="ADMIN_TOKEN. Browsers use the session cookie from /admin/login instead.",
)


async def api_principal(
    request: Request,
    settings: SettingsDep,
    database: DatabaseDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> AdminPrincipal:
    """For /admin/api: raises AdminDenied (JSON error); cookie changes need X-CSRF-Token."""
    principal = authenticate(request, settings)
    await refuse_revoked(principal, database)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(principal, request.headers.get(CSRF_HEADER))
    return principal


AdminApiDep = Annotated[AdminPrincipal, Depends(api_principal)]
