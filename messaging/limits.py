"""Limits on what a texter can make us do: rate limits per sender and overall, and a daily cap
on the segments we send each user (the phone bill).

A burst over a per-minute limit (the sender's or everyone's) is deferred, never dropped: the
text goes back in the queue, in its place in the conversation, until the window allows, and is
answered then; the sender gets at most one notice an hour saying so. Only the daily caps refuse:
one polite notice that says when they can text again, then silence until then. Consent keywords
are never limited.

The operator's own texts in development (`sms-assistant chat`, `simulate`, the admin simulator:
MessageSids starting with OPERATOR_SID_PREFIXES, which Twilio's hex SIDs never do) are not
limited: exploring the assistant must not lock its developer out for a day. With ENV=production
they count like anyone's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from messaging import metrics
from stores import outbox, ratelimits
from stores.clock import Clock
from stores.models import InboxItem, User
from stores.outcomes import Outcome
from stores.recurrence import clock_text
from stores.settings import Settings

MINUTE, DAY = 60.0, 24 * 3600.0
RATE_NOTICE = "You've sent today's maximum of messages. I'll answer again after {at}."
"""The daily cap's refusal."""
DEFER_NOTICE = "You're texting faster than I answer. I'll get to each message in turn, shortly."
DEFER_NOTICE_EVERY = timedelta(hours=1)
COST_NOTICE = "You've reached today's message limit. I'll answer again after {at}."
OPERATOR_SID_PREFIXES = ("SMcli", "SMsim")
"""`chat` and the simulators mark their MessageSids so (not hex: never a Twilio SID)."""


def operator_sid(prefix: str) -> str:
    """A MessageSid for the operator's own text (34 characters, like Twilio's)."""
    assert prefix in OPERATOR_SID_PREFIXES
    return prefix + secrets.token_hex(15)[:29]


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
    if settings.env == "development" and row.message_sid.startswith(OPERATOR_SID_PREFIXES):
        return None
    phone = row.from_number
    if (
        await ratelimits.inbound_since(session, seconds=DAY, clock=clock, from_number=phone)
        > settings.rate_limit_per_day
    ):
        metrics.record_rate_limit_hit("per_day")
        oldest = await ratelimits.oldest_inbound_since(
            session, seconds=DAY, clock=clock, from_number=phone
        )
        notice = RATE_NOTICE.format(at=await _when(session, user_id, oldest, DAY, clock))
        return await _once(session, row, DAY, Outcome.RATE_LIMITED, notice, clock)
    spent = await ratelimits.outbound_segments_since(
        session, user_id=user_id, seconds=DAY, clock=clock
    )
    if spent >= settings.daily_segment_cap:
        metrics.record_rate_limit_hit("daily_segment_cap")
        oldest = await ratelimits.oldest_outbound_since(
            session, user_id=user_id, seconds=DAY, clock=clock
        )
        notice = COST_NOTICE.format(at=await _when(session, user_id, oldest, DAY, clock))
        return await _once(session, row, DAY, Outcome.COST_CAPPED, notice, clock)
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


async def _when(
    session: AsyncSession, user_id: int, oldest: datetime | None, window: float, clock: Clock
) -> str:
    """When the window frees up (the oldest counted text ages out), in the user's local time;
    with the day when that is not today."""
    user = await session.get(User, user_id)
    zone = ZoneInfo(user.timezone if user is not None else "UTC")
    moment = (oldest or clock.now()) + timedelta(seconds=window, minutes=1)
    local, today = moment.astimezone(zone), clock.now().astimezone(zone).date()
    return clock_text(local) + ("" if local.date() == today else " tomorrow")


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
