"""FastAPI dependencies for the admin: who is calling (API and pages) and CSRF for changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.admin.auth import CSRF_HEADER, AdminPrincipal, authenticate, check_csrf
from api.deps import SettingsDep

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="ADMIN_TOKEN. Browsers use the session cookie from /admin/login instead.",
)


async def api_principal(
    request: Request,
    settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> AdminPrincipal:
    """For /admin/api: raises AdminDenied (JSON error); cookie changes need X-CSRF-Token."""
    principal = authenticate(request, settings)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(principal, request.headers.get(CSRF_HEADER))
    return principal


AdminApiDep = Annotated[AdminPrincipal, Depends(api_principal)]
