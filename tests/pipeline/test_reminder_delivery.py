"""A reminder set by text arrives by itself: the scheduler runs inside `serve` (the embedded
pipeline) and its text goes out through the outbox and the (fake) Twilio REST API."""

import asyncio
from datetime import UTC, datetime, timedelta

from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN
from tests.helpers import add_user, post_signed, twilio_form
from tests.pipeline.conftest import pipeline_settings
from tests.pipeline.test_webhook_pipeline import eventually


async def test_a_reminder_set_by_text_arrives_as_a_text_when_due(sqlite_url, clock, fake_twilio):
    fake, url = fake_twilio
    settings = pipeline_settings(sqlite_url, url, scheduler_poll_seconds=0.05)
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE, timezone="America/New_York")
        await post_signed(
            harness.client,
            twilio_form("remind me in 10 minutes to call mom", ANN_PHONE),
            token=AUTH_TOKEN,
            signed_url=SMS_URL,
        )
        await asyncio.sleep(0.3)
        assert fake.bodies_to(ANN_PHONE) == []  # not yet
        clock.advance(timedelta(minutes=10))

        async def arrived():
            return bool(fake.bodies_to(ANN_PHONE))

        await eventually(arrived)
        await asyncio.sleep(0.3)  # and only once
        assert fake.bodies_to(ANN_PHONE) == ["Reminder: call mom. Reply 'snooze 10' or 'done'."]


async def test_a_reminder_at_night_comes_at_the_minute_named_despite_quiet_hours(
    sqlite_url, clock, fake_twilio
):
    """2:30 AM in New York, inside the default quiet hours (22:00-07:00): the user named the
    time, so it comes then, not at 7:00; the reply says it falls in their quiet hours."""
    fake, url = fake_twilio
    clock.set(datetime(2026, 11, 25, 7, 30, tzinfo=UTC))  # 02:30 in New York
    settings = pipeline_settings(sqlite_url, url, scheduler_poll_seconds=0.05)
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE, timezone="America/New_York")
        response = await post_signed(
            harness.client,
            twilio_form("remind me to stretch in 1 minute", ANN_PHONE),
            token=AUTH_TOKEN,
            signed_url=SMS_URL,
        )
        assert "2:31 AM" in response.text and "quiet hours (22:00-07:00)" in response.text
        clock.advance(timedelta(seconds=59))
        await asyncio.sleep(0.3)
        assert fake.bodies_to(ANN_PHONE) == []  # not before the minute
        clock.advance(timedelta(seconds=1))  # the minute itself; time stands still from here

        async def arrived():
            return bool(fake.bodies_to(ANN_PHONE))

        await eventually(arrived)
        assert fake.bodies_to(ANN_PHONE) == ["Reminder: stretch. Reply 'snooze 10' or 'done'."]
