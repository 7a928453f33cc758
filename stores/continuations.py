"""What is left of a long reply, per number and channel, until the texter asks for MORE."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import ReplyContinuation


async def save(
    session: AsyncSession, *, phone: str, channel: str, remaining: str, clock: Clock
) -> None:
    """Keep `remaining` for MORE (replacing an older one); an empty text clears it."""
    await session.execute(
        delete(ReplyContinuation).where(
            ReplyContinuation.phone == phone, ReplyContinuation.channel == channel
        )
    )
    if remaining:
        session.add(
            ReplyContinuation(
                phone=phone, channel=channel, remaining=remaining, created_at=clock.now()
            )
        )
        await session.flush()


async def pop(session: AsyncSession, *, phone: str, channel: str) -> str | None:
    query = select(ReplyContinuation).where(
        ReplyContinuation.phone == phone, ReplyContinuation.channel == channel
    )
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return None
    remaining = row.remaining
    await session.delete(row)
    await session.flush()
    return remaining
