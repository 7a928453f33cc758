"""Who delivers a reply: the webhook that carried the text, or the outbox. Decided by who is
actually waiting, never guessed.

The turn always leaves its reply in the outbox, held there while the inbox row's `delivery`
is undecided (NULL). Only a live waiter turns that into TwiML: the webhook still connected and
within its deadline (or `sms-assistant chat` at its prompt) takes the reply inline and drops the
held outbox row, in one transaction. Everyone else releases it to the outbox: the webhook at its
deadline, on a hang-up, or when it fails; recovery for rows whose webhook died with its process
(after a restart nothing is waiting). `delivery` moves from NULL exactly once, so exactly one of
the two happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.notify import ReplyNotifier
from stores import inbox, messages
from stores.clock import Clock
from stores.db import Database
from stores.models import InboxItem, OutboxItem

log = logging.getLogger(__name__)

WAIT_POLL_SECONDS = 0.2
"""How often a waiting webhook looks at its row when no in-process wake-up comes (another
process runs the turn, or the wake-up raced the wait)."""

Disconnected = Callable[[], Awaitable[bool]]


async def take_inline(session: AsyncSession, *, inbox_id: int, clock: Clock) -> str | None:
    """The finished reply for TwiML, if nobody decided its delivery yet; None otherwise.

    Call only from a live waiter, in time to answer with it.
    """
    taken = await session.execute(
        update(InboxItem)
        .where(
            InboxItem.id == inbox_id,
            InboxItem.delivery.is_(None),
            InboxItem.state.in_((inbox.DONE, inbox.FAILED)),
            InboxItem.reply.is_not(None),
        )
        .values(delivery=inbox.VIA_TWIML)
    )
    if (taken.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    held = (
        await session.execute(
            select(OutboxItem.id, OutboxItem.message_id).where(OutboxItem.inbox_id == inbox_id)
        )
    ).all()
    for _outbox_id, message_id in held:
        if message_id is not None:
            await messages.update_delivery(
                session, message_id=message_id, status="replied", clock=clock
            )
    await session.execute(delete(OutboxItem).where(OutboxItem.inbox_id == inbox_id))
    row = await inbox.get(session, inbox_id=inbox_id)
    return row.reply if row else None


async def release_to_outbox(session: AsyncSession, *, inbox_id: int) -> bool:
    """Nobody will answer this text inline: its reply (now or when the turn ends) goes by
    REST. True when this call decided it."""
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.delivery.is_(None))
        .values(delivery=inbox.VIA_OUTBOX)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def wait_inline(
    database: Database,
    notifier: ReplyNotifier,
    *,
    inbox_id: int,
    deadline: float,
    clock: Clock,
    disconnected: Disconnected | None = None,
    poll_seconds: float | None = WAIT_POLL_SECONDS,
) -> str | None:
    """Wait for the turn as the webhook that carried the text: the reply if it ends while this
    caller is still connected and before `deadline` (loop time); otherwise None, and the reply
    goes out through the outbox. `poll_seconds` None: rely on in-process wake-ups only (the
    deadline and hang-ups are still checked)."""
    loop = asyncio.get_running_loop()
    decided = False
    try:
        with notifier.subscription(inbox_id) as finished:
            while True:
                remaining = deadline - loop.time()
                gone = disconnected is not None and await disconnected()
                if remaining <= 0 or gone:
                    if gone:
                        log.info("caller hung up: inbox row %s is answered by REST", inbox_id)
                    break
                async with database.session() as session:
                    row = await inbox.get(session, inbox_id=inbox_id)
                    if row is None or row.delivery is not None:
                        decided = True
                        return None
                    if row.state in (inbox.DONE, inbox.FAILED):
                        decided = True
                        return await take_inline(session, inbox_id=inbox_id, clock=clock)
                step = min(remaining, poll_seconds or remaining, HANG_UP_CHECK_SECONDS)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), step)
                finished.clear()
        return None
    finally:
        if not decided:
            # Deadline, hang-up, error or cancellation: whatever happens next, not inline.
            await asyncio.shield(_release(database, inbox_id))


HANG_UP_CHECK_SECONDS = 0.25
"""How long a waiting webhook goes without checking that its caller is still there."""


async def _release(database: Database, inbox_id: int) -> None:
    async with database.session() as session:
        await release_to_outbox(session, inbox_id=inbox_id)
