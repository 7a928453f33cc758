"""The admin JSON API under /admin/api (what the pages' scripts, the tests and scripts call).

Authenticate with `Authorization: Bearer <ADMIN_TOKEN>`; a signed-in browser may use its session
cookie instead, and must then send `X-CSRF-Token` with anything that changes data.
Errors are `{"error": "<what is wrong>"}` with a fitting HTTP status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.admin import schemas, service, simulator
from api.admin.deps import AdminApiDep
from api.deps import ClockDep, DatabaseDep, SettingsDep
from messaging.tracing import tracing_summary

ERRORS = {
    401: {"description": "No or wrong credentials"},
    403: {"description": "Missing CSRF token or cross-origin request"},
    503: {"description": "Admin disabled (no ADMIN_TOKEN)"},
}
router = APIRouter(prefix="/admin/api", tags=["admin"], responses=ERRORS)  # type: ignore[arg-type]

Limit = Annotated[int, Query(ge=1, le=500)]
MAX_ID = 2**31 - 1  # ids are 32-bit on Postgres; bigger numbers would overflow the driver
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
ConversationId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip (pagination).")]


@router.get("/status")
async def admin_status(
    principal: AdminApiDep, settings: SettingsDep, database: DatabaseDep
) -> schemas.AdminStatus:
    return schemas.AdminStatus(
        auth="token" if settings.admin_token is not None else "local-development",
        tracing=tracing_summary(),
        tables=await service.table_report(database),
    )


@router.get("/users")
async def list_users(
    principal: AdminApiDep, database: DatabaseDep, limit: Limit = 500, offset: Offset = 0
) -> list[schemas.UserOut]:
    async with database.session() as session:
        return await service.list_users(session, limit=limit, offset=offset)


@router.post(
    "/users",
    status_code=201,
    responses={409: {"description": "Already registered"}, 422: {"description": "Bad input"}},
)
async def add_user(
    new: schemas.NewUser,
    principal: AdminApiDep,
    settings: SettingsDep,
    database: DatabaseDep,
    clock: ClockDep,
) -> schemas.UserOut:
    async with database.session() as session:
        return await service.add_user(session, new, settings=settings, clock=clock)


@router.get("/users/{user_id}", responses={404: {"description": "No such user"}})
async def get_user(
    user_id: UserId, principal: AdminApiDep, database: DatabaseDep
) -> schemas.UserOut:
    async with database.session() as session:
        return service.user_out(await service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    responses={
        404: {"description": "No such user"},
        409: {"description": "Opted out: only the texter can opt back in"},
        422: {"description": "Bad input"},
    },
)
async def change_user(
    user_id: UserId,
    change: schemas.UserChange,
    principal: AdminApiDep,
    database: DatabaseDep,
    clock: ClockDep,
) -> schemas.UserOut:
    async with database.session() as session:
        return await service.change_user(session, user_id, change, clock=clock)


@router.get("/conversations")
async def list_conversations(
    principal: AdminApiDep,
    database: DatabaseDep,
    user_id: UserFilter = None,
    limit: Limit = 100,
) -> list[schemas.ConversationOut]:
    async with database.session() as session:
        return await service.list_conversations(session, user_id=user_id, limit=limit)


@router.get(
    "/conversations/{conversation_id}/messages",
    responses={404: {"description": "No such conversation"}},
)
async def conversation_messages(
    conversation_id: ConversationId,
    principal: AdminApiDep,
    database: DatabaseDep,
    limit: Limit = 50,
) -> list[schemas.MessageOut]:
    async with database.session() as session:
        return await service.conversation_messages(session, conversation_id, limit=limit)


@router.get("/runs")
async def recent_runs(
    principal: AdminApiDep,
    database: DatabaseDep,
    user_id: UserFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[schemas.RunOut]:
    async with database.session() as session:
        return await service.recent_runs(session, user_id=user_id, limit=limit, offset=offset)


@router.get("/outbox")
async def recent_outbox(
    principal: AdminApiDep, database: DatabaseDep, limit: Limit = 50, offset: Offset = 0
) -> list[schemas.OutboxOut]:
    """The latest REST sends, decrypted, newest first."""
    return await service.recent_outbox(database, limit=limit, offset=offset)


@router.post(
    "/simulator/messages",
    responses={422: {"description": "Bad input"}, 502: {"description": "Webhook refused it"}},
)
async def simulate_text(
    text: schemas.SimulatedText, request: Request, principal: AdminApiDep, settings: SettingsDep
) -> schemas.SimulatedResult:
    """Text the assistant as `phone` through the real, signed webhook; returns its TwiML replies."""
    return await simulator.send_text(request.app.state.main_app, settings, text)


@router.get("/simulator/thread", responses={422: {"description": "Bad phone number"}})
async def simulator_thread(
    principal: AdminApiDep,
    settings: SettingsDep,
    database: DatabaseDep,
    phone: Annotated[str, Query(min_length=1, max_length=40)],
) -> schemas.Thread:
    """Everything texted to and from `phone`, oldest first, including later outbound messages."""
    return await simulator.thread(database, settings, phone)
