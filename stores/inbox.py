"""The inbox: one row per inbound MessageSid, written before anything else happens to it.

The unique MessageSid is what makes a redelivered webhook harmless: the second insert finds the
first row and never starts a second agent run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from stores.clock import Clock
from stores.models import InboxItem

RECEIVED, PROCESSING, DONE, FAILED = "received", "processing", "done", "failed"


@dataclass(frozen=True)
class InboundSms:
    """What the webhook learnt from Twilio's form, already validated and normalised."""

    message_sid: str
    from_number: str
    channel: str
    body: str
    to_number: str | None = None
    account_sid: str | None = None
    num_media: int = 0
    opt_out_type: str | None = None


async def receive(
    session: AsyncSession, *, inbound: InboundSms, clock: Clock
) -> tuple[InboxItem, bool]:
    """Insert the inbound if its MessageSid is new. Returns (row, is_new)."""
    now = clock.now()
    values = {
        "message_sid": inbound.message_sid,
        "account_sid": inbound.account_sid,
        "from_number": inbound.from_number,
        "to_number": inbound.to_number,
        "channel": inbound.channel,
        "body": inbound.body,
        "num_media": inbound.num_media,
        "opt_out_type": inbound.opt_out_type,
        "state": RECEIVED,
        "attempts": 0,
        "received_at": now,
        "updated_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboxItem)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(InboxItem.id)
    )
    inserted_id = (await session.execute(statement)).scalar_one_or_none()
    row = await get_by_sid(session, message_sid=inbound.message_sid)
    assert row is not None  # inserted now or by the earlier delivery
    return row, inserted_id is not None


async def get_by_sid(session: AsyncSession, *, message_sid: str) -> InboxItem | None:
    query = select(InboxItem).where(InboxItem.message_sid == message_sid)
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, *, inbox_id: int) -> InboxItem | None:
    return await session.get(InboxItem, inbox_id, populate_existing=True)


async def claim(session: AsyncSession, *, inbox_id: int, clock: Clock) -> bool:
    """Move a received row to processing; False when someone else already has it."""
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.state == RECEIVED)
        .values(
            state=PROCESSING,
            attempts=InboxItem.attempts + 1,
            claimed_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    *,
    inbox_id: int,
    outcome: str,
    clock: Clock,
    reply: str | None = None,
    error_class: str | None = None,
) -> None:
    """Record how the turn ended; a row without a reply needs no delivery."""
    state = FAILED if error_class else DONE
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id)
        .values(
            state=state,
            outcome=outcome,
            reply=reply,
            error_class=error_class,
            updated_at=clock.now(),
        )
    )
    if reply is None:
        await session.execute(
            update(InboxItem)
            .where(InboxItem.id == inbox_id, InboxItem.delivery.is_(None))
            .values(delivery=VIA_NONE)
        )


async def count_outcomes_since(
    session: AsyncSession, *, from_number: str, outcome: str, since_hours: float, clock: Clock
) -> int:
    """How many inbounds from this number ended with `outcome` in the last `since_hours`."""
    since = clock.now() - timedelta(hours=since_hours)
    query = select(func.count(InboxItem.id)).where(
        InboxItem.from_number == from_number,
        InboxItem.outcome == outcome,
        InboxItem.received_at >= since,
    )
    return int((await session.execute(query)).scalar_one())


@dataclass(frozen=True)
class Candidate:
    inbox_id: int
    from_number: str
    channel: str
    message_sid: str

    @property
    def conversation_key(self) -> str:
        """Turns are serialised per sender and channel: the conversation, before any lookup."""
        return f"{self.channel}:{self.from_number}"


async def candidates(session: AsyncSession, *, clock: Clock, limit: int = 20) -> list[Candidate]:
    """The oldest waiting text of each conversation that has nothing older still open, oldest
    first. On Postgres the rows are locked FOR UPDATE SKIP LOCKED until the session ends, so
    workers claiming at the same moment each get different rows."""
    earlier = aliased(InboxItem)
    older_open = (
        select(earlier.id)
        .where(
            earlier.from_number == InboxItem.from_number,
            earlier.channel == InboxItem.channel,
            earlier.id < InboxItem.id,
            earlier.state.in_((RECEIVED, PROCESSING)),
        )
        .exists()
    )
    query = (
        select(InboxItem.id, InboxItem.from_number, InboxItem.channel, InboxItem.message_sid)
        .where(
            InboxItem.state == RECEIVED,
            ~older_open,
            or_(InboxItem.not_before.is_(None), InboxItem.not_before <= clock.now()),
        )
        .order_by(InboxItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [Candidate(*row) for row in (await session.execute(query)).all()]


async def processing_rows(session: AsyncSession) -> list[Candidate]:
    query = select(
        InboxItem.id, InboxItem.from_number, InboxItem.channel, InboxItem.message_sid
    ).where(InboxItem.state == PROCESSING)
    return [Candidate(*row) for row in (await session.execute(query)).all()]


async def requeue(session: AsyncSession, *, inbox_id: int, clock: Clock) -> None:
    """Give an orphaned row (its worker died) back to the queue; nobody waits for it in a
    webhook any more, so its reply must go out by REST."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.state == PROCESSING)
        .values(state=RECEIVED, updated_at=clock.now())
    )
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.delivery.is_(None))
        .values(delivery=VIA_OUTBOX)
    )


async def defer(session: AsyncSession, *, inbox_id: int, until: datetime, clock: Clock) -> None:
    """Put a claimed row back in the queue until `until` (a per-minute limit): it keeps its
    place in its conversation, and the claim does not count as a failed attempt."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.state == PROCESSING)
        .values(
            state=RECEIVED,
            not_before=until,
            claimed_at=None,
            attempts=InboxItem.attempts - 1,
            updated_at=clock.now(),
        )
    )


VIA_TWIML, VIA_OUTBOX, VIA_NONE = "twiml", "outbox", "none"
UNDECIDED = "undecided"
"""Not a stored value: `delivery` is still NULL (the reply is held for a waiting webhook)."""


async def delivery_of(session: AsyncSession, *, inbox_id: int) -> str | None:
    """How the row's reply leaves: VIA_*, or None while nobody decided (messaging.delivery)."""
    query = select(InboxItem.delivery).where(InboxItem.id == inbox_id)
    return (await session.execute(query)).scalar_one_or_none()


async def abandon_stale_waits(session: AsyncSession, *, older_than: float, clock: Clock) -> int:
    """Rows whose webhook must have given up long ago (its process died): reply by REST,
    whether the turn is still to run, running or finished."""
    cutoff = clock.now() - timedelta(seconds=older_than)
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.delivery.is_(None), InboxItem.received_at < cutoff)
        .values(delivery=VIA_OUTBOX)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
