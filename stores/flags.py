"""Service-wide switches every process reads from the database (e.g. sending paused)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import ServiceFlag

SENDING_PAUSED = "sending_paused"


async def set_flag(session: AsyncSession, *, name: str, value: str, clock: Clock) -> None:
    flag = await session.get(ServiceFlag, name)
    if flag is None:
        session.add(ServiceFlag(name=name, value=value[:256], updated_at=clock.now()))
    else:
        flag.value, flag.updated_at = value[:256], clock.now()
    await session.flush()


async def get_flag(session: AsyncSession, *, name: str) -> str | None:
    query = select(ServiceFlag.value).where(ServiceFlag.name == name)
    return (await session.execute(query)).scalar_one_or_none()


async def clear_flag(session: AsyncSession, *, name: str) -> bool:
    result = await session.execute(delete(ServiceFlag).where(ServiceFlag.name == name))
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]
