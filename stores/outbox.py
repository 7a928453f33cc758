"""The outbox: every message sent through Twilio's REST API, one row per idempotency key.

A row is written in the same transaction as the decision to send it, so a crash can neither lose
it nor, thanks to the unique key, send it twice. The sender claims due rows, sends, records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import InboxItem, OutboxItem

PENDING, SENDING, SENT, DELIVERED, FAILED, REFUSED = (
    "pending",
    "sending",
    "sent",
    "delivered",
    "failed",
    "refused",
)
NOT_SENT = "not_sent"
"""Nothing left the machine: no Twilio credentials are configured (local development)."""
STATE_TEXT = {NOT_SENT: "not sent: no Twilio credentials"}
"""How a state reads to a person, where its name alone would mislead."""
FINAL_STATES = (DELIVERED, FAILED, REFUSED, NOT_SENT)


@dataclass(frozen=True)
class Outgoing:
    idempotency_key: str
    kind: str
    to_number: str
    channel: str
    body: str
    user_id: int | None = None
    conversation_id: int | None = None
    inbox_id: int | None = None
    message_id: int | None = None
    from_address: str | None = None


async def enqueue(session: AsyncSession, *, outgoing: Outgoing, clock: Clock) -> bool:
    """Add the message unless its idempotency key is already there. True when added."""
    now = clock.now()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutboxItem)
        .values(
            idempotency_key=outgoing.idempotency_key,
            kind=outgoing.kind,
            user_id=outgoing.user_id,
            conversation_id=outgoing.conversation_id,
            inbox_id=outgoing.inbox_id,
            message_id=outgoing.message_id,
            to_number=outgoing.to_number,
            channel=outgoing.channel,
            from_address=outgoing.from_address,
            body=outgoing.body,
            state=PENDING,
            attempts=0,
            delivery_retries=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxItem.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def claim_due(
    session: AsyncSession, *, clock: Clock, limit: int = 10, stale_after: timedelta
) -> list[OutboxItem]:
    """Rows due for sending (a reply once its webhook released it), marked `sending`. Rows
    stuck in `sending` (a sender died after claiming) come back once `stale_after` has
    passed."""
    now = clock.now()
    due = or_(
        (OutboxItem.state == PENDING) & (OutboxItem.next_attempt_at <= now),
        (OutboxItem.state == SENDING) & (OutboxItem.claimed_at < now - stale_after),
    )
    # A reply is held while its webhook may still take it inline (messaging.delivery).
    released = or_(
        OutboxItem.inbox_id.is_(None),
        select(InboxItem.id)
        .where(InboxItem.id == OutboxItem.inbox_id, InboxItem.delivery == "outbox")
        .exists(),
    )
    query = select(OutboxItem).where(due, released).order_by(OutboxItem.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).scalars())
    for row in rows:
        if row.state == SENDING and row.uncertain_since is None:
            row.uncertain_since = row.claimed_at  # its sender died mid-attempt, maybe after it
        row.state = SENDING
        row.claimed_at = now
        row.attempts += 1
        row.updated_at = now
    await session.flush()
    return rows


async def renew_lease(session: AsyncSession, *, row: OutboxItem, clock: Clock) -> bool:
    """Restart the lease of a row this sender claimed, as its attempt begins; False when
    another sender reclaimed it meanwhile."""
    now = clock.now()
    result = await session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.id == row.id,
            OutboxItem.state == SENDING,
            OutboxItem.claimed_at == row.claimed_at,
        )
        .values(claimed_at=now)
    )
    if (result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return False
    row.claimed_at = now
    return True


async def mark_sent(
    session: AsyncSession, *, outbox_id: int, twilio_sid: str, status: str | None, clock: Clock
) -> None:
    now = clock.now()
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(
            state=SENT,
            twilio_sid=twilio_sid,
            twilio_status=status,
            sent_at=now,
            updated_at=now,
            error_code=None,
            error_class=None,
            uncertain_since=None,
        )
    )


async def mark_retry(
    session: AsyncSession,
    *,
    outbox_id: int,
    at: datetime,
    error_class: str,
    error_code: int | None,
    clock: Clock,
    uncertain_since: datetime | None = None,
) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(
            state=PENDING,
            next_attempt_at=at,
            uncertain_since=uncertain_since,
            error_class=error_class,
            error_code=error_code,
            updated_at=clock.now(),
        )
    )


async def mark_final(
    session: AsyncSession,
    *,
    outbox_id: int,
    state: str,
    clock: Clock,
    error_class: str | None = None,
    error_code: int | None = None,
) -> None:
    if state not in FINAL_STATES:
        raise ValueError(f"{state!r} is not a final state")
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(state=state, error_class=error_class, error_code=error_code, updated_at=clock.now())
    )


async def get_by_twilio_sid(session: AsyncSession, *, twilio_sid: str) -> OutboxItem | None:
    query = select(OutboxItem).where(OutboxItem.twilio_sid == twilio_sid)
    return (await session.execute(query)).scalar_one_or_none()


async def sent_since(session: AsyncSession, *, to_number: str, kind: str, since: datetime) -> bool:
    """Whether a message of `kind` was queued for `to_number` since `since`."""
    query = (
        select(OutboxItem.id)
        .where(
            OutboxItem.to_number == to_number,
            OutboxItem.kind == kind,
            OutboxItem.created_at >= since,
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def queued_for_user(
    session: AsyncSession, *, user_id: int, after_id: int = 0, limit: int = 50
) -> list[OutboxItem]:
    """The user's outbox rows with an id above `after_id`, oldest first (what `chat` shows as
    texts sent later: reminders, late replies)."""
    query = (
        select(OutboxItem)
        .where(OutboxItem.user_id == user_id, OutboxItem.id > after_id)
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def highest_id(session: AsyncSession) -> int:
    return int(
        (await session.execute(select(func.coalesce(func.max(OutboxItem.id), 0)))).scalar_one()
    )
