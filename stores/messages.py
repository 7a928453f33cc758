"""Every inbound and outbound message, per conversation."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import Message


async def record_message(
    session: AsyncSession,
    *,
    conversation_id: int,
    direction: str,
    body: str,
    status: str,
    clock: Clock,
    twilio_sid: str | None = None,
    segments: int | None = None,
) -> Message:
    if direction not in ("inbound", "outbound"):
        raise ValueError(f"direction must be inbound or outbound, not {direction!r}")
    now = clock.now()
    message = Message(
        conversation_id=conversation_id,
        direction=direction,
        body=body,
        status=status,
        twilio_sid=twilio_sid,
        segments=segments,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    return message


async def has_sid(session: AsyncSession, *, twilio_sid: str) -> bool:
    query = select(Message.id).where(Message.twilio_sid == twilio_sid)
    return (await session.execute(query)).first() is not None


async def update_delivery(
    session: AsyncSession,
    *,
    message_id: int,
    status: str,
    clock: Clock,
    twilio_sid: str | None = None,
) -> None:
    """Fill in what Twilio said about an outbound message (its SID, then status callbacks)."""
    values: dict[str, object] = {"status": status, "updated_at": clock.now()}
    if twilio_sid is not None:
        values["twilio_sid"] = twilio_sid
    await session.execute(update(Message).where(Message.id == message_id).values(**values))


async def recent_messages(
    session: AsyncSession, *, conversation_id: int, limit: int = 20
) -> list[Message]:
    """The newest `limit` messages, oldest first."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list((await session.execute(query)).scalars())))
