"""Logs never carry message bodies, tokens or full phone numbers, at any level."""

import logging
from datetime import timedelta

from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE, make_settings
from tests.helpers import BrokenModel, add_user, post_signed, twilio_form

SECRET_BODY = "my pin is 8675309 and my wifi is hunter2"


async def test_a_day_of_traffic_logs_no_body_token_or_full_number(sqlite_url, clock, caplog):
    caplog.set_level(logging.DEBUG)
    for model in (None, BrokenModel()):
        async for harness in start_app(make_settings(sqlite_url), clock, chat_model=model):
            if model is None:
                await add_user(harness.database, clock, ANN_PHONE)
            for body, phone in (
                (f"note: {SECRET_BODY}", ANN_PHONE),
                (SECRET_BODY, ANN_PHONE),
                (SECRET_BODY, BOB_PHONE),
                ("STOP", ANN_PHONE),
                ("START", ANN_PHONE),
            ):
                clock.advance(timedelta(seconds=5))
                await post_signed(
                    harness.client, twilio_form(body, phone), token=AUTH_TOKEN, signed_url=SMS_URL
                )
            await post_signed(
                harness.client, twilio_form("x", ANN_PHONE), token="forged", signed_url=SMS_URL
            )
    logged = caplog.text
    assert "hunter2" not in logged and "8675309" not in logged
    assert AUTH_TOKEN not in logged
    for phone in (ANN_PHONE, BOB_PHONE):
        assert phone not in logged and phone[1:] not in logged
    assert "***0123" in logged  # numbers do appear, masked
