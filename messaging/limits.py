"""Limits on what a texter can make us do: rate limits per sender and overall, and a daily cap
on the segments we send each user (the phone bill). The first excess in a window gets one polite
notice; after that, silence until the window resets. Consent keywords are never limited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from messaging import metrics
from stores import ratelimits
from stores.clock import Clock
from stores.models import InboxItem
from stores.outcomes import Outcome
from stores.settings import Settings

MINUTE, DAY = 60.0, 24 * 3600.0
RATE_NOTICE = "You're sending messages faster than I can answer. Please wait a bit and try again."
COST_NOTICE = "You've reached today's message limit. I'll answer again tomorrow."


@dataclass(frozen=True)
class Limited:
    reply: str | None
    outcome: Outcome


async def check(
    session: AsyncSession, *, row: InboxItem, user_id: int, settings: Settings, clock: Clock
) -> Limited | None:
    """None when the text may be answered; otherwise what to do instead."""
    if (
        await ratelimits.inbound_since(session, seconds=MINUTE, clock=clock)
        > settings.rate_limit_global_per_minute
    ):
        metrics.record_rate_limit_hit("global_per_minute")
        return Limited(reply=None, outcome=Outcome.RATE_LIMITED_GLOBAL)
    phone = row.from_number
    for name, window, limit in (
        ("per_minute", MINUTE, settings.rate_limit_per_minute),
        ("per_day", DAY, settings.rate_limit_per_day),
    ):
        if (
            await ratelimits.inbound_since(session, seconds=window, clock=clock, from_number=phone)
            > limit
        ):
            metrics.record_rate_limit_hit(name)
            return await _once(session, row, window, Outcome.RATE_LIMITED, RATE_NOTICE, clock)
    spent = await ratelimits.outbound_segments_since(
        session, user_id=user_id, seconds=DAY, clock=clock
    )
    if spent >= settings.daily_segment_cap:
        metrics.record_rate_limit_hit("daily_segment_cap")
        return await _once(session, row, DAY, Outcome.COST_CAPPED, COST_NOTICE, clock)
    return None


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
