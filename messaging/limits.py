"""Limits on what a texter can make us do: rate limits per sender and overall, and a daily cap
on the segments we send each user (the phone bill).

A burst over a per-minute limit (the sender's or everyone's) is deferred, never dropped: the
text goes back in the queue, in its place in the conversation, until the window allows, and is
answered then; the sender gets at most one notice an hour saying so. Only the daily caps refuse:
one polite notice, then silence until the window resets. Consent keywords are never limited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from messaging import metrics
from stores import outbox, ratelimits
from stores.clock import Clock
from stores.models import InboxItem
from stores.outcomes import Outcome
from stores.settings import Settings

MINUTE, DAY = 60.0, 24 * 3600.0
RATE_NOTICE = "You're sending messages faster than I can answer. Please wait a bit and try again."
"""The daily cap's refusal."""
DEFER_NOTICE = "You're texting faster than I answer. I'll get to each message in turn, shortly."
DEFER_NOTICE_EVERY = timedelta(hours=1)
COST_NOTICE = "You've reached today's message limit. I'll answer again tomorrow."


@dataclass(frozen=True)
class Limited:
    reply: str | None
    outcome: Outcome
    defer_until: datetime | None = None
    """Set: not refused, answer it at this time instead."""


async def check(
    session: AsyncSession, *, row: InboxItem, user_id: int, settings: Settings, clock: Clock
) -> Limited | None:
    """None when the text may be answered now; otherwise what to do instead. Call it for a
    claimed row (its own claim counts as a turn started now)."""
    phone = row.from_number
    if (
        await ratelimits.inbound_since(session, seconds=DAY, clock=clock, from_number=phone)
        > settings.rate_limit_per_day
    ):
        metrics.record_rate_limit_hit("per_day")
        return await _once(session, row, DAY, Outcome.RATE_LIMITED, RATE_NOTICE, clock)
    spent = await ratelimits.outbound_segments_since(
        session, user_id=user_id, seconds=DAY, clock=clock
    )
    if spent >= settings.daily_segment_cap:
        metrics.record_rate_limit_hit("daily_segment_cap")
        return await _once(session, row, DAY, Outcome.COST_CAPPED, COST_NOTICE, clock)
    for name, sender, limit in (
        ("per_minute", phone, settings.rate_limit_per_minute),
        ("global_per_minute", None, settings.rate_limit_global_per_minute),
    ):
        started, oldest = await ratelimits.turns_started_since(
            session, seconds=MINUTE, clock=clock, from_number=sender
        )
        if started > limit and oldest is not None:
            metrics.record_rate_limit_hit(name)
            if sender is not None:
                await _tell_once_deferred(session, row, clock)
            # The window allows one more once its oldest turn leaves it.
            until = max(oldest + timedelta(seconds=MINUTE), clock.now() + timedelta(seconds=1))
            return Limited(reply=None, outcome=Outcome.DEFERRED, defer_until=until)
    return None


async def _tell_once_deferred(session: AsyncSession, row: InboxItem, clock: Clock) -> None:
    """Say once (an hour) that the answers are coming, later: by REST, now."""
    since = clock.now() - DEFER_NOTICE_EVERY
    if await outbox.sent_since(session, to_number=row.from_number, kind="notice", since=since):
        return
    await outbox.enqueue(
        session,
        outgoing=outbox.Outgoing(
            idempotency_key=f"deferred:{row.message_sid}",
            kind="notice",
            to_number=row.from_number,
            channel=row.channel,
            from_address=row.to_number,
            body=DEFER_NOTICE,
        ),
        clock=clock,
    )


async def _once(
    session: AsyncSession,
    row: InboxItem,
    window: float,
    outcome: Outcome,
    notice: str,
    clock: Clock,
) -> Limited:
    noticed = await ratelimits.outcomes_since(
        session,
        from_number=row.from_number,
        outcome=Outcome(f"{outcome}_notice"),
        seconds=window,
        clock=clock,
    )
    if noticed:
        return Limited(reply=None, outcome=outcome)
    return Limited(reply=notice, outcome=Outcome(f"{outcome}_notice"))
