"""Bad bytes in, valid TwiML out: control characters, NUL bytes, absurd numbers, huge bodies."""

import xml.etree.ElementTree as ET

import pytest

from api.forms import MAX_FORM_BYTES
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, make_settings
from tests.helpers import add_user, post_signed, twilio_form


@pytest.fixture
async def app(database_url, clock):
    async for harness in start_app(make_settings(database_url), clock):
        await add_user(harness.database, clock, ANN_PHONE)
        yield harness


async def test_control_characters_in_a_text_still_give_twiml_that_parses(app):
    response = await post_signed(
        app.client,
        twilio_form("note: a\x01b\x0bc\ufffed", ANN_PHONE),
        token=AUTH_TOKEN,
        signed_url=SMS_URL,
    )
    assert response.status_code == 200
    [message] = [m.text for m in ET.fromstring(response.text).iter("Message")]
    assert message == "Saved note #1: ab cd"  # (a vertical tab reads as a space)


@pytest.mark.parametrize("field", ["Body", "To", "AccountSid", "MessageSid", "MediaUrl0"])
async def test_a_signed_nul_byte_in_any_field_is_a_clear_400(app, field):
    params = twilio_form("hello", ANN_PHONE, **{field: "x\x00y", "NumMedia": "1"})
    response = await post_signed(app.client, params, token=AUTH_TOKEN, signed_url=SMS_URL)
    assert response.status_code == 400
    assert response.json() == {"error": "form fields must not contain NUL bytes"}


@pytest.mark.parametrize("num_media", ["99999999999999999999", "11", "-1", "two", "²"])
async def test_an_absurd_signed_num_media_is_a_clear_400(app, num_media):
    params = twilio_form("hello", ANN_PHONE, NumMedia=num_media)
    response = await post_signed(app.client, params, token=AUTH_TOKEN, signed_url=SMS_URL)
    assert response.status_code == 400
    assert "NumMedia" in response.json()["error"]


async def test_an_oversize_body_is_refused_before_the_signature_is_checked(app):
    big = b"Body=" + b"x" * (MAX_FORM_BYTES + 1)

    async def chunks():  # no Content-Length: refused while streaming
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    streamed = await app.client.post("/twilio/sms", content=chunks(), headers=headers)
    declared = await app.client.post("/twilio/sms", content=big, headers=headers)
    assert streamed.status_code == declared.status_code == 413
