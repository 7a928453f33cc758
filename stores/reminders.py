"""Reminders: rows the user can list and cancel, and the scheduler's exactly-once claim.

A claim is an UPDATE ... WHERE state = 'scheduled' AND due_at = <the due time we read>: of two
schedulers that read the same row only one changes it, on SQLite and Postgres alike. On Postgres
the candidate rows are also read FOR UPDATE SKIP LOCKED, so schedulers pick different rows
rather than queue behind each other. The claim, the outbox row and the next occurrence are
written in one transaction (see messaging/scheduler.py): a crash leaves the reminder due, never lost
and never sent twice (the outbox key is per occurrence).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import OutboxItem, Reminder

SCHEDULED, SENT, DONE, CANCELLED, MISSED = "scheduled", "sent", "done", "cancelled", "missed"
RECENT_FIRE = timedelta(hours=12)
"""How long after a reminder fires "snooze"/"done" still refer to it."""


async def add_reminder(
    session: AsyncSession,
    *,
    user_id: int,
    channel: str,
    text: str,
    timezone: str,
    first: datetime,
    clock: Clock,
    rrule: str | None = None,
    start_local: datetime | None = None,
    urgent: bool = False,
    source_key: str | None = None,
) -> Reminder:
    """Schedule a reminder. With `source_key` (the tool call), adding again returns the first."""
    if source_key is not None:
        query = select(Reminder).where(Reminder.source_key == source_key)
        existing = (await session.execute(query)).scalar_one_or_none()
        if existing is not None:
            return existing
    highest = select(func.coalesce(func.max(Reminder.number), 0)).where(Reminder.user_id == user_id)
    number = int((await session.execute(highest)).scalar_one()) + 1
    now = clock.now()
    reminder = Reminder(
        user_id=user_id,
        number=number,
        channel=channel,
        text=text,
        timezone=timezone,
        rrule=rrule,
        start_local=start_local.replace(tzinfo=None).isoformat() if start_local else None,
        occurs_at=first,
        due_at=first,
        urgent=urgent,
        state=SCHEDULED,
        source_key=source_key,
        created_at=now,
        updated_at=now,
    )
    session.add(reminder)
    await session.flush()
    return reminder


async def active_reminders(session: AsyncSession, *, user_id: int) -> list[Reminder]:
    query = (
        select(Reminder)
        .where(Reminder.user_id == user_id, Reminder.state == SCHEDULED)
        .order_by(Reminder.occurs_at, Reminder.id)
    )
    return list((await session.execute(query)).scalars())


async def cancel(session: AsyncSession, *, reminder: Reminder, clock: Clock) -> None:
    reminder.state, reminder.updated_at = CANCELLED, clock.now()
    await session.flush()


async def last_fired(session: AsyncSession, *, user_id: int, clock: Clock) -> Reminder | None:
    """The reminder that texted this user most recently (within RECENT_FIRE), if any."""
    query = (
        select(Reminder)
        .where(
            Reminder.user_id == user_id,
            Reminder.last_fired_at.is_not(None),
            Reminder.last_fired_at >= clock.now() - RECENT_FIRE,
        )
        .order_by(Reminder.last_fired_at.desc(), Reminder.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def take_missed_notices(session: AsyncSession, *, user_id: int) -> list[str]:
    """Notices of occurrences missed while the service was down, cleared once taken."""
    query = select(Reminder).where(Reminder.user_id == user_id, Reminder.missed_notice.is_not(None))
    rows = list((await session.execute(query)).scalars())
    notices = [row.missed_notice for row in rows if row.missed_notice]
    for row in rows:
        row.missed_notice = None
    await session.flush()
    return notices


async def due_candidates(session: AsyncSession, *, now: datetime, limit: int) -> list[Reminder]:
    """Scheduled reminders due by `now`, oldest first; on Postgres, rows another scheduler
    holds are skipped (SKIP LOCKED) and these stay locked until this transaction ends."""
    query = (
        select(Reminder)
        .where(Reminder.state == SCHEDULED, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def claim(session: AsyncSession, *, reminder: Reminder, values: dict[str, object]) -> bool:
    """Move the reminder on (to `values`) only if nobody else did since we read it."""
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder.id,
            Reminder.state == SCHEDULED,
            Reminder.due_at == reminder.due_at,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def proactive_sent_times(
    session: AsyncSession, *, user_ids: list[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each user was sent proactive (reminder) texts since `since`, in one query; the
    scheduler counts them from each user's own local midnight."""
    query = select(OutboxItem.user_id, OutboxItem.created_at).where(
        OutboxItem.user_id.in_(user_ids),
        OutboxItem.kind == "reminder",
        OutboxItem.created_at >= since,
    )
    found: dict[int, list[datetime]] = {user_id: [] for user_id in user_ids}
    for user_id, created_at in await session.execute(query):
        if user_id is not None:
            found[user_id].append(created_at)
    return found


async def release_held(session: AsyncSession, *, user_id: int, now: datetime) -> int:
    """Make the user's held reminders (due later than their occurrence: quiet hours, the daily
    cap) due again now, so the scheduler decides afresh under changed quiet hours."""
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.user_id == user_id,
            Reminder.state == SCHEDULED,
            Reminder.due_at > Reminder.occurs_at,
            Reminder.due_at > now,
        )
        .values(due_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
