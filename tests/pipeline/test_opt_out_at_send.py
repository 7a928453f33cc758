"""Opt-out is checked at send time, whatever queued the message: here a due reminder."""

from datetime import timedelta

from messaging.sender import OutboxSender
from messaging.transport import TwilioTransport
from stores import users
from tests.pipeline import test_scheduler
from tests.pipeline.conftest import pipeline_settings
from tests.pipeline.test_scheduler import ANN, NOW, remind, scheduler_for, sent

# The scheduler tests' fixtures, reused: a database, a clock at NOW, Ann in New York.
db, clock, ann = test_scheduler.db, test_scheduler.clock, test_scheduler.ann


async def test_a_reminder_due_after_stop_is_queued_but_never_sent(db, clock, ann, fake_twilio):
    fake, twilio_url = fake_twilio
    await remind(db, clock, ann, "call mom", NOW + timedelta(minutes=5))
    async with db.session() as session:  # STOP arrives before the reminder is due
        await users.set_status(session, phone=ANN, status="opted_out", clock=clock)
    clock.advance(timedelta(minutes=5))
    await scheduler_for(db, clock).fire_due()
    transport = TwilioTransport(pipeline_settings(db.url, twilio_url))
    sender = OutboxSender(
        database=db,
        transport=transport,
        settings=pipeline_settings(db.url, twilio_url),
        clock=clock,
    )
    try:
        await sender.send_due()
    finally:
        await transport.close()
    assert fake.attempts == 0
    assert [item.state for item in await sent(db)] in ([], ["refused"])
