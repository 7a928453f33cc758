"""GET /healthz (the process is up) and GET /readyz (database reachable, schema current)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, database: DatabaseDep) -> JSONResponse:
    from alembic.runtime.migration import MigrationContext

    from stores.migrate import head_revision

    starting = getattr(request.app.state, "pipeline_ready", None)
    if starting is not None and (not starting.done() or starting.exception() is not None):
        why = (
            "starting" if not starting.done() else f"failed ({type(starting.exception()).__name__})"
        )
        return JSONResponse(status_code=503, content={"status": "unavailable", "pipeline": why})
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except Exception as error:
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "database": f"unreachable ({type(error).__name__})"},
        )
    head = head_revision()
    if current != head:
        return JSONResponse(
            status_code=503,
            content={
                "status": "unavailable",
                "database": f"schema at {current or 'empty'}, expected {head}: "
                "run `sms-assistant migrate`",
            },
        )
    return JSONResponse({"status": "ready", "database": "ok", "schema": head})
