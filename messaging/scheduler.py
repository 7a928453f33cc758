"""The reminder scheduler: turns due reminders into outbox rows, exactly once per occurrence.

Runs in every process that runs the pipeline (`serve` with the embedded worker, and each
`sms-assistant worker`). Any number of schedulers may run: each claims a reminder with a
conditional UPDATE (and, on Postgres, reads candidates FOR UPDATE SKIP LOCKED), and the outbox
key `reminder:<id>:<occurrence>` is unique, so an occurrence is queued once whatever happens.

Before sending, in the user's local time:
- a reminder at the time the user named goes at that time, quiet hours or not: they asked;
- quiet hours (default 22:00-07:00, per user) hold only what the assistant would send on its own
  initiative: an occurrence that is already late (missed while the service was down, or held by
  the cap) waits for them to end, unless it is urgent. Changing quiet hours releases what they
  held (stores.reminders.release_held), so the new hours decide;
- past the daily cap of proactive texts, it waits for the next local day;
- missed while the service was down: up to `reminder_late_limit_hours` late it still goes, with
  a note; later than that it is not sent but told in the user's next message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stores import messages, outbox, preferences, reminders, users
from stores.clock import Clock
from stores.db import Database
from stores.models import Conversation, Reminder, User
from stores.preferences import QuietHours
from stores.recurrence import clock_text, moment_text, next_occurrence
from stores.redact import described
from stores.settings import Settings

log = logging.getLogger(__name__)

LATE_NOTE_AFTER = timedelta(minutes=2)
"""Later than this, a reminder says it is late (and why) rather than pretend to be on time."""
REPLY_HINT = "Reply 'snooze 10' or 'done'."


@dataclass
class _Batch:
    """Per-batch lookups: each user's row, quiet hours, recent proactive sends, conversations."""

    users: dict[int, User]
    quiet: dict[int, QuietHours]
    sent: dict[int, list[datetime]]
    conversations: dict[tuple[int, str], int]


class ReminderScheduler:
    def __init__(
        self, *, database: Database, settings: Settings, clock: Clock, batch: int = 200
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.batch = batch

    async def run_forever(self) -> None:
        while True:
            try:
                fired = await self.fire_due()
            except Exception as error:
                log.error(
                    "reminder scheduler: %s; retrying",
                    described(error),
                )
                fired = 0
            if fired < self.batch:  # a full batch means more are due: go again at once
                await asyncio.sleep(self.settings.scheduler_poll_seconds)

    async def fire_due(self) -> int:
        """Handle the reminders due now (one batch); returns how many this scheduler handled."""
        now = self.clock.now()
        handled = 0
        async with self.database.session() as session:
            due = await reminders.due_candidates(session, now=now, limit=self.batch)
            if not due:
                return 0
            batch = await self._load(session, due, now)
            for reminder in due:
                if await self._handle(session, reminder, now, batch):
                    handled += 1
        return handled

    async def _load(self, session: AsyncSession, due: list[Reminder], now: datetime) -> _Batch:
        """What the batch's reminders need about their users, in a few queries for all."""
        user_ids = sorted({r.user_id for r in due})
        found = await session.execute(select(User).where(User.id.in_(user_ids)))
        conversations = await session.execute(
            select(Conversation).where(Conversation.user_id.in_(user_ids))
        )
        return _Batch(
            users={user.id: user for user in found.scalars()},
            quiet=await preferences.quiet_hours_for(
                session, user_ids=user_ids, settings=self.settings
            ),
            sent=await reminders.proactive_sent_times(
                session, user_ids=user_ids, since=now - timedelta(days=1, hours=1)
            ),
            conversations={(c.user_id, c.channel): c.id for c in conversations.scalars()},
        )

    async def _handle(
        self, session: AsyncSession, reminder: Reminder, now: datetime, batch: _Batch
    ) -> bool:
        user = batch.users.get(reminder.user_id)
        if user is None:
            return False
        limit = timedelta(hours=self.settings.reminder_late_limit_hours)
        if now - reminder.due_at > limit:
            return await self._missed(session, reminder, now)
        local_now = now.astimezone(ZoneInfo(user.timezone))
        quiet = batch.quiet[user.id]
        on_their_time = now - reminder.occurs_at <= LATE_NOTE_AFTER
        if not on_their_time and not reminder.urgent and quiet.contains(local_now):
            until = quiet.end_after(local_now).astimezone(UTC)
            return await reminders.claim(session, reminder=reminder, values={"due_at": until})
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        sent_today = sum(1 for moment in batch.sent[user.id] if moment >= midnight)
        if sent_today >= self.settings.proactive_daily_cap:
            tomorrow = midnight + timedelta(days=1)
            if not reminder.urgent and quiet.contains(tomorrow):
                tomorrow = quiet.end_after(tomorrow)
            log.info("reminder %s held: daily cap reached for user %s", reminder.id, user.id)
            held_until: dict[str, object] = {"due_at": tomorrow.astimezone(UTC)}
            return await reminders.claim(session, reminder=reminder, values=held_until)
        if not await self._fire(session, reminder, user, now, batch):
            return False
        batch.sent[user.id].append(now)
        return True

    def _advance(self, reminder: Reminder, now: datetime) -> dict[str, object]:
        """The row's next state once this occurrence is dealt with."""
        if reminder.rrule and reminder.start_local:
            following = next_occurrence(
                reminder.rrule,
                start_local=datetime.fromisoformat(reminder.start_local),
                timezone=reminder.timezone,
                after=max(reminder.occurs_at, now),
            )
            if following is not None:
                return {"occurs_at": following, "due_at": following, "updated_at": now}
        return {"state": reminders.SENT, "updated_at": now}

    async def _missed(self, session: AsyncSession, reminder: Reminder, now: datetime) -> bool:
        notice = (
            f"Missed while I was offline: {reminder.text} "
            f"(due {moment_text(reminder.occurs_at, reminder.timezone)})."
        )
        values = self._advance(reminder, now)
        if values.get("state") == reminders.SENT:
            values["state"] = reminders.MISSED
        earlier = reminder.missed_notice
        values["missed_notice"] = f"{earlier}\n{notice}" if earlier else notice
        claimed = await reminders.claim(session, reminder=reminder, values=values)
        if claimed:
            log.warning("reminder %s missed by more than the late limit", reminder.id)
        return claimed

    async def _fire(
        self, session: AsyncSession, reminder: Reminder, user: User, now: datetime, batch: _Batch
    ) -> bool:
        occurrence, due_at = reminder.occurs_at, reminder.due_at
        notices = [reminder.missed_notice] if reminder.missed_notice else []
        values = {**self._advance(reminder, now), "last_fired_at": now, "missed_notice": None}
        if not await reminders.claim(session, reminder=reminder, values=values):
            return False  # another scheduler got there first
        body = f"Reminder: {reminder.text}"
        if now - due_at > LATE_NOTE_AFTER:
            local_due = occurrence.astimezone(ZoneInfo(user.timezone))
            body += f" (sent late: it was due at {clock_text(local_due)}; I was offline)"
        elif due_at > occurrence:
            body += " (held for your quiet hours)"
        body = "\n".join([*notices, f"{body}. {REPLY_HINT}"])
        key = (user.id, reminder.channel)
        if key not in batch.conversations:
            batch.conversations[key] = (await self._conversation(session, *key)).id
        conversation_id = batch.conversations[key]
        message = await messages.record_message(
            session,
            conversation_id=conversation_id,
            direction="outbound",
            body=body,
            status="queued",
            clock=self.clock,
        )
        await outbox.enqueue(
            session,
            outgoing=outbox.Outgoing(
                idempotency_key=f"reminder:{reminder.id}:{occurrence.isoformat()}",
                kind="reminder",
                to_number=user.phone,
                channel=reminder.channel,
                body=body,
                user_id=user.id,
                conversation_id=conversation_id,
                message_id=message.id,
            ),
            clock=self.clock,
        )
        return True

    async def _conversation(
        self, session: AsyncSession, user_id: int, channel: str
    ) -> Conversation:
        """The user's conversation on the channel; another scheduler may be creating it at this
        very moment (two of the user's reminders at once), so a lost race re-reads it."""
        try:
            async with session.begin_nested():
                return await users.get_or_create_conversation(
                    session, user_id=user_id, channel=channel, clock=self.clock
                )
        except IntegrityError:
            return await users.get_or_create_conversation(
                session, user_id=user_id, channel=channel, clock=self.clock
            )
