"""The consent audit trail: who opted out or in, when, how, by which message."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import ConsentEvent


async def record(
    session: AsyncSession,
    *,
    phone: str,
    kind: str,
    keyword: str,
    source: str,
    message_sid: str | None,
    clock: Clock,
) -> ConsentEvent:
    if kind not in ("opt_out", "opt_in", "help"):
        raise ValueError(f"unknown consent event kind {kind!r}")
    event = ConsentEvent(
        phone=phone,
        kind=kind,
        keyword=keyword,
        source=source,
        message_sid=message_sid,
        created_at=clock.now(),
    )
    session.add(event)
    await session.flush()
    return event


async def is_opted_out(session: AsyncSession, *, phone: str) -> bool:
    """Whether the number's latest opt-out/opt-in says out (covers numbers with no user row)."""
    query = (
        select(ConsentEvent.kind)
        .where(ConsentEvent.phone == phone, ConsentEvent.kind.in_(("opt_out", "opt_in")))
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none() == "opt_out"
