"""Daily limits: the per-sender daily cap and the segment cap refuse with one notice, then
silence (per-minute bursts are deferred: tests/pipeline/test_bursts.py)."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from messaging.limits import COST_NOTICE, RATE_NOTICE
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE, make_settings
from tests.helpers import add_user, post_signed, twilio_form


def replies_in(response) -> list[str]:
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


async def send(harness, body, from_=ANN_PHONE):
    response = await post_signed(
        harness.client, twilio_form(body, from_), token=AUTH_TOKEN, signed_url=SMS_URL
    )
    return replies_in(response)


async def test_one_senders_flood_does_not_limit_another(harness):
    clock = harness.app.state.clock
    await add_user(harness.database, clock, ANN_PHONE)
    await add_user(harness.database, clock, BOB_PHONE, name="Bob")
    for _ in range(12):
        await send(harness, "hi")
    assert await send(harness, "hi", from_=BOB_PHONE) != []


@pytest.mark.parametrize(
    "variant", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_the_daily_limit_holds_across_two_app_processes(request, clock, variant):
    """Two app instances (own engines, own workers) on one database share the limit."""
    url = request.getfixturevalue("sqlite_url" if variant == "sqlite" else "postgres_url")
    settings = make_settings(url, rate_limit_per_day=4, rate_limit_per_minute=100)
    async for first in start_app(settings, clock):
        async for second in start_app(settings, clock):
            await add_user(first.database, clock, ANN_PHONE)
            answers = []
            for i in range(6):
                harness = (first, second)[i % 2]
                answers.append(await send(harness, "hi"))
                clock.advance(timedelta(minutes=5))
    assert all(a for a in answers[:4])
    assert answers[4] == [RATE_NOTICE.format(at="12:01 PM tomorrow")]  # oldest + 24 h, UTC
    assert answers[5] == []


async def test_the_daily_segment_cap_stops_replies_with_one_notice(sqlite_url, clock):
    async for harness in start_app(make_settings(sqlite_url, daily_segment_cap=3), clock):
        await add_user(harness.database, clock, ANN_PHONE)
        assert await send(harness, "hi") != []
        assert await send(harness, "thanks") != []
        assert await send(harness, "hello") != []
        assert await send(harness, "help me") == [COST_NOTICE.format(at="12:01 PM tomorrow")]
        assert await send(harness, "hi") == []
        clock.advance(timedelta(hours=25))
        assert await send(harness, "hi") != []
