"""The admin's HTML pages under /admin: server-rendered (Jinja2), plain forms, a little JS.

Forms post back here with the session's CSRF token in a hidden field and redirect (303) on
success; a refused input re-renders the page with the message and a 4xx status. Only the
simulator and the upload progress need JavaScript; everything else works without it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.admin import schemas, service
from api.admin.auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    AdminDenied,
    AdminPrincipal,
    authenticate,
    check_csrf,
    check_same_origin,
    client_key,
    csrf_token_for,
    disabled_message,
    is_local_development,
    new_session_cookie,
    session_nonce,
    throttle,
    token_matches,
)
from api.admin.deps import refuse_revoked
from api.admin.display import local_time
from api.admin.features import optional_features
from api.admin.hardening import revoke_session
from api.admin.responses import AdminError
from api.deps import ClockDep, DatabaseDep, SettingsDep
from messaging.tracing import tracing_summary
from stores.settings import Settings

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@lru_cache(maxsize=1)
def _timezones() -> list[str]:
    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


TEMPLATES.env.globals["timezones"] = _timezones
TEMPLATES.env.filters["local"] = local_time


@dataclass(frozen=True)
class Pager:
    """Which slice of a long list a page shows (?page=N, 1-based), and whether more follow."""

    page: int
    size: int = service.PAGE_SIZE
    has_next: bool = False

    @classmethod
    def of(cls, request: Request, size: int = service.PAGE_SIZE) -> Pager:
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
        return cls(page=page, size=size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def cut(self, rows: list[Any]) -> tuple[list[Any], Pager]:
        """Rows fetched with limit size + 1: this page's rows, and whether a next page exists."""
        return rows[: self.size], replace(self, has_next=len(rows) > self.size)


LOGIN_COOKIE = "sms_admin_login"
NOTICES = {
    "user_added": "User added.",
    "user_saved": "Changes saved.",
    "signed_out": "Signed out.",
    "document_added": "Document uploaded.",
    "document_removed": "Document removed.",
}
router = APIRouter(prefix="/admin", include_in_schema=False)
RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


class PageSession:
    """The caller of a page: their CSRF token, and a new session cookie to set (local mode)."""

    def __init__(self, principal: AdminPrincipal, new_cookie: str | None = None) -> None:
        self.principal = principal
        self.new_cookie = new_cookie
        self.csrf_token = principal.csrf_token


async def page_session(
    request: Request, settings: SettingsDep, database: DatabaseDep
) -> PageSession:
    principal = authenticate(request, settings)
    await refuse_revoked(principal, database)
    if principal.via != "local":
        return PageSession(principal)
    # Local development: hand out a session so forms get a CSRF token like everyone else's.
    cookie = new_session_cookie(settings)
    nonce = session_nonce(settings, cookie)
    assert nonce is not None
    return PageSession(
        AdminPrincipal(via="session", csrf_token=csrf_token_for(settings, nonce)), cookie
    )


PageDep = Annotated[PageSession, Depends(page_session)]


def _set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def render(
    request: Request,
    template: str,
    session: PageSession | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    notice = NOTICES.get(request.query_params.get("done", ""))
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf_token": session.csrf_token if session else None,
            "signed_in": session is not None,
            "notice": notice,
            "nav": request.url.path,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    if session is not None and session.new_cookie:
        _set_session_cookie(request, response, session.new_cookie)
    return response


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def denied_page(request: Request, denied: AdminDenied) -> Response:
    """AdminDenied on a page: sign-in (401), the disabled page (503), or a refusal (403)."""
    if denied.status == 401:
        return _redirect("/admin/login?next=" + quote(request.url.path))
    template = "disabled.html" if denied.status == 503 else "error.html"
    return render(request, template, None, status_code=denied.status, message=denied.message)


async def _form_csrf(request: Request, session: PageSession, csrf_token: str) -> None:
    check_csrf(session.principal, csrf_token)


# --- sign in / out -----------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, settings: SettingsDep) -> Response:
    if settings.admin_token is None:
        if is_local_development(request, settings):
            return _redirect("/admin")
        return render(request, "disabled.html", None, 503, message=disabled_message())
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    # Double-submit token: a page elsewhere cannot read the cookie to fill the field.
    login_csrf = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status_code, login_csrf=login_csrf, error=error)
    response.set_cookie(
        LOGIN_COOKIE, login_csrf, max_age=900, httponly=True, samesite="strict", path="/admin"
    )
    return response


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=512)] = "",
    login_csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if settings.admin_token is None:
        return render(request, "disabled.html", None, 503, message=disabled_message())
    check_same_origin(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_csrf):
        return _login_form(request, "The sign-in form expired: please try again.", 403)
    client, throttled = client_key(request), throttle(request)
    wait = throttled.retry_after(client)
    if wait:
        return _login_form(request, f"Too many failed sign-ins: try again in {wait} s.", 429)
    if not token_matches(settings, token.strip()):
        throttled.failed(client)
        return _login_form(request, "That is not the ADMIN_TOKEN this server uses.", 401)
    throttled.succeeded(client)
    response = _redirect("/admin")
    _set_session_cookie(request, response, new_session_cookie(settings))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(
    request: Request,
    session: PageDep,
    database: DatabaseDep,
    clock: ClockDep,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    await _form_csrf(request, session, csrf_token)
    if session.principal.nonce is not None:  # the cookie stops working, not just goes away
        async with database.session() as db_session:
            await revoke_session(db_session, nonce=session.principal.nonce, clock=clock)
    response = _redirect("/admin/login?done=signed_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- pages -------------------------------------------------------------------------------------


@router.get("")
async def overview(
    request: Request, session: PageDep, settings: SettingsDep, database: DatabaseDep
) -> Response:
    async with database.session() as db:
        conversations = await service.list_conversations(db, limit=10)
        runs = await service.recent_runs(db, limit=10)
    return render(
        request,
        "overview.html",
        session,
        tables=await service.table_report(database),
        tracing=tracing_summary(),
        auth_mode="token" if settings.admin_token else "local development (no ADMIN_TOKEN)",
        conversations=conversations,
        runs=runs,
    )


async def _users_page(
    request: Request,
    session: PageSession,
    database: Any,
    settings: Settings,
    status_code: int = 200,
    **context: Any,
) -> Response:
    pager = Pager.of(request)
    async with database.session() as db:
        users = await service.list_users(db, limit=pager.size + 1, offset=pager.offset)
    users, pager = pager.cut(users)
    return render(
        request,
        "users.html",
        session,
        status_code,
        users=users,
        pager=pager,
        default_timezone=settings.default_timezone,
        **context,
    )


@router.get("/users")
async def users_page(
    request: Request, session: PageDep, database: DatabaseDep, settings: SettingsDep
) -> Response:
    return await _users_page(request, session, database, settings)


@router.post("/users")
async def add_user(
    request: Request,
    session: PageDep,
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    phone: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    await _form_csrf(request, session, csrf_token)
    try:
        async with database.session() as db:
            await service.add_user(
                db,
                schemas.NewUser.model_construct(phone=phone, name=name, timezone=timezone or None),
                settings=settings,
                clock=clock,
            )
    except AdminError as error:
        form = {"phone": phone, "name": name, "timezone": timezone}
        return await _users_page(
            request, session, database, settings, error.status, error=error.message, form=form
        )
    return _redirect("/admin/users?done=user_added")


@router.post("/users/{user_id}")
async def change_user(
    request: Request,
    user_id: RowId,
    session: PageDep,
    database: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    name: Annotated[str | None, Form(max_length=200)] = None,
    timezone: Annotated[str | None, Form(max_length=64)] = None,
    status: Annotated[str | None, Form(max_length=16)] = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    back: Annotated[str, Form(max_length=16)] = "users",
) -> Response:
    await _form_csrf(request, session, csrf_token)
    if status is not None and status not in ("active", "opted_out", "blocked"):
        status = "invalid"
    change = schemas.UserChange.model_construct(
        name=name or None, timezone=timezone or None, status=status or None
    )
    try:
        if change.status == "invalid":
            raise AdminError(422, "status: must be active, opted_out or blocked")
        async with database.session() as db:
            await service.change_user(db, user_id, change, clock=clock)
    except AdminError as error:
        return await _users_page(
            request, session, database, settings, error.status, error=error.message
        )
    target = f"/admin/users/{user_id}" if back == "user" else "/admin/users"
    return _redirect(target + "?done=user_saved")


@router.get("/users/{user_id}")
async def user_page(
    request: Request, user_id: RowId, session: PageDep, database: DatabaseDep
) -> Response:
    async with database.session() as db:
        user = service.user_out(await service.get_user(db, user_id))
        conversations = await service.list_conversations(db, user_id=user_id)
        threads = [
            (c, await service.conversation_messages(db, c.id, limit=USER_PAGE_MESSAGES))
            for c in conversations
        ]
        runs = await service.recent_runs(db, user_id=user_id, limit=USER_PAGE_RUNS)
    features = await optional_features(database, user_id=user_id)
    return render(
        request, "user.html", session, user=user, threads=threads, runs=runs, features=features
    )


USER_PAGE_MESSAGES = 20
USER_PAGE_RUNS = 10
"""The user page shows the latest few; the runs page (?user_id=) pages through the rest."""


@router.get("/conversations")
async def conversations_page(request: Request, session: PageDep, database: DatabaseDep) -> Response:
    async with database.session() as db:
        conversations = await service.list_conversations(db, limit=200)
    pager = Pager.of(request, size=30)
    outbox, pager = pager.cut(
        await service.recent_outbox(database, limit=pager.size + 1, offset=pager.offset)
    )
    return render(
        request,
        "conversations.html",
        session,
        conversations=conversations,
        outbox=outbox,
        pager=pager,
    )


@router.get("/conversations/{conversation_id}")
async def conversation_page(
    request: Request, conversation_id: RowId, session: PageDep, database: DatabaseDep
) -> Response:
    async with database.session() as db:
        conversation = await service.get_conversation(db, conversation_id)
    return _redirect(f"/admin/users/{conversation.user_id}#conversation-{conversation_id}")


@router.get("/runs")
async def runs_page(request: Request, session: PageDep, database: DatabaseDep) -> Response:
    pager = Pager.of(request)
    raw_user = request.query_params.get("user_id", "")
    user_id = int(raw_user) if raw_user.isdigit() and 0 < int(raw_user) < 2**31 else None
    async with database.session() as db:
        runs = await service.recent_runs(
            db, user_id=user_id, limit=pager.size + 1, offset=pager.offset
        )
        user = service.user_out(await service.get_user(db, user_id)) if user_id else None
    runs, pager = pager.cut(runs)
    return render(request, "runs.html", session, runs=runs, pager=pager, user=user)


@router.get("/simulator")
async def simulator_page(request: Request, session: PageDep, database: DatabaseDep) -> Response:
    async with database.session() as db:
        users = await service.list_users(db)
    return render(
        request, "simulator.html", session, users=users, phone=request.query_params.get("phone")
    )


@router.get("/data")
async def data_page(request: Request, session: PageDep, database: DatabaseDep) -> Response:
    pager = Pager.of(request)
    async with database.session() as db:
        people, pager = pager.cut(
            await service.people_data(db, limit=pager.size + 1, offset=pager.offset)
        )
    return render(
        request,
        "data.html",
        session,
        people=people,
        pager=pager,
        features=await optional_features(database),
        tables=await service.table_report(database),
    )
