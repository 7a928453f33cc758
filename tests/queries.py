"""Read-backs the tests use to check what the service stored (the service never needs them)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.memories import normalise_subject
from stores.models import ConsentEvent, ConversationSummary, MediaItem, Memory, OutboxItem


async def outbox_by_key(session: AsyncSession, *, idempotency_key: str) -> OutboxItem | None:
    query = select(OutboxItem).where(OutboxItem.idempotency_key == idempotency_key)
    return (await session.execute(query)).scalar_one_or_none()


async def count_media_items(session: AsyncSession, *, user_id: int) -> int:
    query = select(func.count(MediaItem.id)).where(MediaItem.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


async def current_summary(session: AsyncSession, *, conversation_id: int) -> str:
    query = (
        select(ConversationSummary.text)
        .where(ConversationSummary.conversation_id == conversation_id)
        .order_by(ConversationSummary.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none() or ""


async def memory_history(session: AsyncSession, *, user_id: int, subject: str) -> list[Memory]:
    """Every fact ever stored on a subject, oldest first (superseded ones included)."""
    query = (
        select(Memory)
        .where(Memory.user_id == user_id, Memory.subject == normalise_subject(subject))
        .order_by(Memory.id)
    )
    return list((await session.execute(query)).scalars())


async def consent_history(session: AsyncSession, *, phone: str) -> list[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.phone == phone).order_by(ConsentEvent.id)
    return list((await session.execute(query)).scalars())
