"""Rate and cost limits, counted from rows every process already writes (inbox, messages), so
they hold across any number of API and worker processes without a separate counter store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import Conversation, InboxItem, Message


async def inbound_since(
    session: AsyncSession, *, seconds: float, clock: Clock, from_number: str | None = None
) -> int:
    """Texts received in the last `seconds` (from one number, or from everyone)."""
    query = select(func.count(InboxItem.id)).where(
        InboxItem.received_at > clock.now() - timedelta(seconds=seconds)
    )
    if from_number is not None:
        query = query.where(InboxItem.from_number == from_number)
    return int((await session.execute(query)).scalar_one())


async def turns_started_since(
    session: AsyncSession, *, seconds: float, clock: Clock, from_number: str | None = None
) -> tuple[int, datetime | None]:
    """Turns started (claimed, not deferred) in the last `seconds`, from one number or from
    everyone, and when the oldest of them started."""
    query = select(func.count(InboxItem.id), func.min(InboxItem.claimed_at)).where(
        InboxItem.claimed_at > clock.now() - timedelta(seconds=seconds)
    )
    if from_number is not None:
        query = query.where(InboxItem.from_number == from_number)
    count, oldest = (await session.execute(query)).one()
    if isinstance(oldest, datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite's MIN() bypasses the UTC column type
    return int(count or 0), oldest


async def outcomes_since(
    session: AsyncSession, *, from_number: str, outcome: str, seconds: float, clock: Clock
) -> int:
    query = select(func.count(InboxItem.id)).where(
        InboxItem.from_number == from_number,
        InboxItem.outcome == outcome,
        InboxItem.received_at > clock.now() - timedelta(seconds=seconds),
    )
    return int((await session.execute(query)).scalar_one() or 0)


async def outbound_segments_since(
    session: AsyncSession, *, user_id: int, seconds: float, clock: Clock
) -> int:
    """SMS segments sent to the user (all channels) in the last `seconds`: what they cost."""
    query = (
        select(func.coalesce(func.sum(Message.segments), 0))
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(
            Conversation.user_id == user_id,
            Message.direction == "outbound",
            Message.created_at > clock.now() - timedelta(seconds=seconds),
        )
    )
    return int((await session.execute(query)).scalar_one() or 0)


async def oldest_inbound_since(
    session: AsyncSession, *, seconds: float, clock: Clock, from_number: str
) -> datetime | None:
    """The earliest text from this number still inside the window (when it frees up)."""
    query = select(func.min(InboxItem.received_at)).where(
        InboxItem.from_number == from_number,
        InboxItem.received_at > clock.now() - timedelta(seconds=seconds),
    )
    return _aware((await session.execute(query)).scalar_one_or_none())


async def oldest_outbound_since(
    session: AsyncSession, *, user_id: int, seconds: float, clock: Clock
) -> datetime | None:
    """The earliest text sent to the user still inside the window."""
    query = (
        select(func.min(Message.created_at))
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(
            Conversation.user_id == user_id,
            Message.direction == "outbound",
            Message.created_at > clock.now() - timedelta(seconds=seconds),
        )
    )
    return _aware((await session.execute(query)).scalar_one_or_none())


def _aware(moment: datetime | str | None) -> datetime | None:
    """SQLite returns aggregates of timestamp columns as naive values or text: make them UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
