"""The reminder scheduler with a controllable clock: firing, recurrence, quiet hours, the daily
cap, missed-while-down, and exactly-once firing with two schedulers (SQLite and Postgres)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from messaging.scheduler import ReminderScheduler
from stores import preferences, reminders
from stores.clock import ManualClock
from stores.db import Database
from stores.models import Message, OutboxItem, Reminder
from tests.conftest import make_settings
from tests.helpers import add_user
from tools.reminders import describe

ANN = "+14155550123"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


def scheduler_for(db, clock, **overrides):
    return ReminderScheduler(database=db, settings=make_settings(db.url, **overrides), clock=clock)


async def remind(db, clock, user, text, first, **kwargs):
    async with db.session() as session:
        return await reminders.add_reminder(
            session, user_id=user.id, channel="sms", text=text, timezone=user.timezone,
            first=first, clock=clock, **kwargs,
        )  # fmt: skip


async def sent(db):
    async with db.session() as session:
        return (await session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()


async def reminder(db, reminder_id):
    async with db.session() as session:
        return await session.get(Reminder, reminder_id)


@pytest.fixture
async def ann(db, clock):
    return await add_user(db, clock, ANN, timezone="America/New_York")


async def test_a_due_reminder_is_queued_once_and_logged_in_the_conversation(db, clock, ann):
    row = await remind(db, clock, ann, "call mom", NOW + timedelta(minutes=5))
    scheduler = scheduler_for(db, clock)
    assert await scheduler.fire_due() == 0  # not yet
    clock.advance(timedelta(minutes=5))
    assert await scheduler.fire_due() == 1
    assert await scheduler.fire_due() == 0
    [item] = await sent(db)
    assert item.body == "Reminder: call mom. Reply 'snooze 10' or 'done'."
    assert (item.kind, item.to_number, item.user_id) == ("reminder", ANN, ann.id)
    assert item.idempotency_key == f"reminder:{row.id}:{row.occurs_at.isoformat()}"
    async with db.session() as session:
        message = await session.get(Message, item.message_id)
    assert (message.direction, message.status, message.body) == ("outbound", "queued", item.body)
    fired = await reminder(db, row.id)
    assert (fired.state, fired.last_fired_at) == (reminders.SENT, clock.now())


async def test_a_weekly_reminder_moves_to_next_week_at_the_same_local_time_across_dst(db, ann):
    clock = ManualClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # Mon 9:00 EST
    row = await remind(
        db, clock, ann, "water the plants", clock.now(),
        rrule="FREQ=WEEKLY;BYDAY=MO", start_local=datetime(2026, 3, 2, 9, 0),
    )  # fmt: skip
    assert await scheduler_for(db, clock).fire_due() == 1
    moved = await reminder(db, row.id)
    assert moved.state == reminders.SCHEDULED
    assert moved.occurs_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # Mon 9:00 EDT
    clock.set(moved.occurs_at)
    assert await scheduler_for(db, clock).fire_due() == 1
    assert len({item.idempotency_key for item in await sent(db)}) == 2


async def test_a_reminder_comes_at_the_time_named_even_inside_quiet_hours(db, clock, ann):
    late = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 23:00 in New York
    one_off = await remind(db, clock, ann, "stretch", late)
    weekly = await remind(
        db, clock, ann, "bins out", late,
        rrule="FREQ=WEEKLY;BYDAY=WE", start_local=datetime(2026, 11, 25, 23, 0),
    )  # fmt: skip
    clock.set(late)
    assert await scheduler_for(db, clock).fire_due() == 2
    assert sorted(item.body.split(".")[0] for item in await sent(db)) == [
        "Reminder: bins out",
        "Reminder: stretch",
    ]
    assert (await reminder(db, one_off.id)).state == reminders.SENT
    assert (await reminder(db, weekly.id)).occurs_at == late + timedelta(days=7)


async def test_a_late_reminder_waits_out_quiet_hours_unless_urgent(db, clock, ann):
    """Late after downtime, a text is the assistant's own doing: it waits for the morning."""
    due = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 21:30 in New York
    held = await remind(db, clock, ann, "stretch", due)
    urgent = await remind(db, clock, ann, "take the pill", due, urgent=True)
    clock.set(due + timedelta(hours=2))  # 23:30: back up, inside quiet hours
    scheduler = scheduler_for(db, clock)
    await scheduler.fire_due()
    assert [item.body.split(" (")[0] for item in await sent(db)] == ["Reminder: take the pill"]
    waiting = await reminder(db, held.id)
    assert waiting.due_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 07:00 local
    assert describe(waiting).endswith("held until Thu Nov 26, 7:00 AM (America/New_York)")
    clock.set(waiting.due_at)
    await scheduler.fire_due()
    assert (await sent(db))[-1].body.startswith("Reminder: stretch (held for your quiet hours).")
    assert urgent.id != held.id


async def test_changing_quiet_hours_releases_what_they_held(db, clock, ann):
    due = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 21:30 in New York
    held = await remind(db, clock, ann, "stretch", due)
    clock.set(due + timedelta(hours=2))
    scheduler = scheduler_for(db, clock)
    await scheduler.fire_due()
    assert await sent(db) == []
    async with db.session() as session:  # quiet hours off
        midnight = datetime(2000, 1, 1, 0).time()
        await preferences.set_quiet_hours(
            session, user_id=ann.id, start=midnight, end=midnight, clock=clock
        )
    assert (await reminder(db, held.id)).due_at == clock.now()  # due again, not at 07:00
    assert await scheduler.fire_due() == 1
    assert (await sent(db))[0].body.startswith("Reminder: stretch")


async def test_quiet_hours_are_per_user(db, clock, ann):
    async with db.session() as session:
        await preferences.set_quiet_hours(
            session,
            user_id=ann.id,
            start=datetime(2000, 1, 1, 0).time(),
            end=datetime(2000, 1, 1, 0).time(),
            clock=clock,
        )  # fmt: skip  (start == end: off)
    late = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    await remind(db, clock, ann, "stretch", late)
    clock.set(late)
    assert await scheduler_for(db, clock).fire_due() == 1
    assert len(await sent(db)) == 1


async def test_the_daily_cap_holds_the_rest_until_the_next_local_day(db, clock, ann):
    for n in range(3):
        await remind(db, clock, ann, f"thing {n}", NOW)
    scheduler = scheduler_for(db, clock, proactive_daily_cap=2)
    await scheduler.fire_due()
    assert len(await sent(db)) == 2
    async with db.session() as session:
        [left] = await reminders.active_reminders(session, user_id=ann.id)
    # The next local day starts at midnight, inside quiet hours: it waits until they end.
    assert left.due_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 07:00 in New York
    clock.set(left.due_at)
    await scheduler.fire_due()
    assert len(await sent(db)) == 3


async def test_missed_while_down_late_with_a_note_under_six_hours(db, clock, ann):
    await remind(db, clock, ann, "call mom", NOW)
    clock.advance(timedelta(hours=2))
    await scheduler_for(db, clock).fire_due()
    [item] = await sent(db)
    assert item.body.startswith("Reminder: call mom (sent late: it was due at 10:00 AM;")


async def test_missed_while_down_over_six_hours_is_reported_not_sent(db, clock, ann):
    row = await remind(db, clock, ann, "call mom", NOW)
    clock.advance(timedelta(hours=7))
    await scheduler_for(db, clock).fire_due()
    assert await sent(db) == []
    missed = await reminder(db, row.id)
    assert missed.state == reminders.MISSED
    async with db.session() as session:
        assert await reminders.take_missed_notices(session, user_id=ann.id) == [
            "Missed while I was offline: call mom (due Wed Nov 25, 10:00 AM (America/New_York))."
        ]
    async with db.session() as session:
        assert await reminders.take_missed_notices(session, user_id=ann.id) == []  # told once


async def test_two_schedulers_fire_each_occurrence_exactly_once(database_url, clock):
    setup = Database(database_url)
    people = [await add_user(setup, clock, f"+1415555{n:04d}", timezone="UTC") for n in range(20)]
    for person in people:
        for n in range(10):
            await remind(setup, clock, person, f"task {n}", NOW - timedelta(seconds=n))
    await setup.dispose()
    engines = [Database(database_url), Database(database_url)]
    schedulers = [
        ReminderScheduler(
            database=engine, settings=make_settings(database_url), clock=clock, batch=17
        )
        for engine in engines
    ]

    async def drain(scheduler):
        total = 0
        while fired := await scheduler.fire_due():
            total += fired
        return total

    counts = await asyncio.gather(*(drain(s) for s in schedulers))
    check = Database(database_url)
    items = await sent(check)
    assert sum(counts) == len(items) == 200
    assert len({item.idempotency_key for item in items}) == 200
    async with check.session() as session:
        states = (await session.execute(select(Reminder.state))).scalars().all()
    assert set(states) == {reminders.SENT}
    for engine in [*engines, check]:
        await engine.dispose()


async def test_a_repeating_reminder_missed_while_down_is_reported_and_moves_on(db, clock, ann):
    row = await remind(
        db, clock, ann, "stand-up", NOW,
        rrule="FREQ=WEEKLY;BYDAY=WE", start_local=datetime(2026, 11, 25, 10, 0),
    )  # fmt: skip
    clock.advance(timedelta(hours=8))
    await scheduler_for(db, clock).fire_due()
    assert await sent(db) == []
    moved = await reminder(db, row.id)
    assert moved.state == reminders.SCHEDULED
    assert moved.occurs_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # next Wed 10:00 EST
    assert moved.missed_notice is not None and "stand-up" in moved.missed_notice
