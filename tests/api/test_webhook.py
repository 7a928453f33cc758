"""POST /twilio/sms end to end: signature, parsing, inbox, agent run, TwiML."""

import asyncio
import logging
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from messaging import replies
from stores.models import Conversation, InboxItem, Interaction, Message, Note
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE, make_settings
from tests.helpers import BrokenModel, add_user, new_sid, post_signed, twilio_form


def messages_of(response) -> list[str]:
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


async def count(database, model, *where) -> int:
    async with database.session() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(model).where(*where))
            ).scalar_one()
        )


async def send(harness, body, from_=ANN_PHONE, sid=None, **kwargs):
    return await post_signed(
        harness.client,
        twilio_form(body, from_, sid),
        token=AUTH_TOKEN,
        signed_url=SMS_URL,
        **kwargs,
    )


@pytest.fixture
async def app_on(database_url, clock):
    """The app on SQLite and on Postgres, with Ann registered."""
    async for harness in start_app(make_settings(database_url), clock):
        await add_user(harness.database, clock, ANN_PHONE, name="Ann")
        yield harness


async def test_a_registered_user_gets_a_real_answer_as_twiml(app_on):
    response = await send(app_on, "note: gate code 4412")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert messages_of(response) == ["Saved note #1: gate code 4412"]
    response = await send(app_on, "find gate")
    assert messages_of(response) == ["Notes matching 'gate':\n#1 gate code 4412"]
    db = app_on.database
    assert await count(db, Message, Message.direction == "inbound") == 2
    assert await count(db, Message, Message.direction == "outbound") == 2
    assert await count(db, Interaction, Interaction.outcome == "ok") == 2
    assert await count(db, InboxItem, InboxItem.state == "done") == 2


async def test_a_redelivered_message_sid_runs_the_agent_once_and_gets_the_same_answer(app_on):
    sid = new_sid()
    first = await send(app_on, "note: buy milk", sid=sid)
    second = await send(app_on, "note: buy milk", sid=sid)
    assert messages_of(first) == messages_of(second) == ["Saved note #1: buy milk"]
    assert await count(app_on.database, Note) == 1
    assert await count(app_on.database, Interaction) == 1


async def test_concurrent_deliveries_of_one_sid_run_the_agent_once(app_on):
    sid = new_sid()
    responses = await asyncio.gather(*(send(app_on, "note: once", sid=sid) for _ in range(10)))
    assert all(r.status_code == 200 for r in responses)
    answered = [messages_of(r) for r in responses if messages_of(r)]
    assert ["Saved note #1: once"] in answered
    assert all(a == ["Saved note #1: once"] for a in answered)
    assert await count(app_on.database, Note) == 1
    assert await count(app_on.database, Interaction) == 1


async def test_unsigned_requests_are_refused_before_anything_is_stored(harness):
    await add_user(harness.database, harness.app.state.clock, ANN_PHONE)
    content = "MessageSid=SM1&From=%2B14155550123&Body=note%3A+x"
    response = await harness.client.post(
        "/twilio/sms",
        content=content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.json()["error"]
    assert await count(harness.database, InboxItem) == 0
    assert await count(harness.database, Interaction) == 0


async def test_a_signature_made_with_another_token_is_refused(harness):
    response = await post_signed(
        harness.client, twilio_form("hi", ANN_PHONE), token="not-the-token", signed_url=SMS_URL
    )
    assert response.status_code == 403
    assert await count(harness.database, InboxItem) == 0


async def test_a_signature_for_another_host_is_refused(harness):
    response = await post_signed(
        harness.client,
        twilio_form("hi", ANN_PHONE),
        token=AUTH_TOKEN,
        signed_url="https://evil.example.net/twilio/sms",
    )
    assert response.status_code == 403


async def test_a_body_changed_after_signing_is_refused(harness):
    params = twilio_form("note: pay rent", ANN_PHONE)
    from api.signature import sign

    signature = sign(SMS_URL, params, AUTH_TOKEN)
    tampered = [(k, "note: pay attacker" if k == "Body" else v) for k, v in params]
    response = await post_signed(
        harness.client, tampered, token=AUTH_TOKEN, signed_url=SMS_URL, signature=signature
    )
    assert response.status_code == 403


async def test_the_query_string_is_part_of_what_is_signed(harness):
    await add_user(harness.database, harness.app.state.clock, ANN_PHONE)
    params = twilio_form("hi", ANN_PHONE)
    ok = await post_signed(
        harness.client,
        params,
        token=AUTH_TOKEN,
        path="/twilio/sms?tenant=7",
        signed_url=SMS_URL + "?tenant=7",
    )
    assert ok.status_code == 200
    bad = await post_signed(
        harness.client,
        twilio_form("hi", ANN_PHONE),
        token=AUTH_TOKEN,
        path="/twilio/sms?tenant=7",
        signed_url=SMS_URL,
    )
    assert bad.status_code == 403


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
async def test_a_form_without_from_or_message_sid_is_a_clear_400(harness, missing):
    params = [(k, v) for k, v in twilio_form("hi", ANN_PHONE) if k not in (missing, "SmsSid")]
    response = await post_signed(harness.client, params, token=AUTH_TOKEN, signed_url=SMS_URL)
    assert response.status_code == 400
    assert missing in response.json()["error"]
    assert await count(harness.database, InboxItem) == 0


async def test_a_from_that_is_not_a_phone_number_is_a_clear_400(harness):
    response = await post_signed(
        harness.client, twilio_form("hi", "not-a-number"), token=AUTH_TOKEN, signed_url=SMS_URL
    )
    assert response.status_code == 400
    assert "From" in response.json()["error"]


async def test_a_non_form_body_is_refused_with_415(harness):
    response = await harness.client.post("/twilio/sms", json={"From": ANN_PHONE})
    assert response.status_code == 415


async def test_whatsapp_senders_are_the_same_user_on_their_own_conversation(app_on):
    response = await send(app_on, "note: via whatsapp", from_="whatsapp:" + ANN_PHONE)
    assert messages_of(response) == ["Saved note #1: via whatsapp"]
    assert await count(app_on.database, Conversation, Conversation.channel == "whatsapp") == 1


async def test_an_unknown_sender_gets_one_registration_notice_per_day(harness):
    clock = harness.app.state.clock
    first = await send(harness, "hello?", from_=BOB_PHONE)
    assert messages_of(first) == [harness.app.state.settings.unknown_sender_message]
    clock.advance(timedelta(hours=3))
    second = await send(harness, "hello??", from_=BOB_PHONE)
    assert messages_of(second) == []
    clock.advance(timedelta(hours=22))
    third = await send(harness, "anyone?", from_=BOB_PHONE)
    assert messages_of(third) == [harness.app.state.settings.unknown_sender_message]
    assert await count(harness.database, Interaction) == 0  # the agent never ran


async def test_the_silent_policy_never_answers_unknown_senders(sqlite_url, clock):
    async for harness in start_app(
        make_settings(sqlite_url, unknown_sender_policy="silent"), clock
    ):
        response = await send(harness, "hello?", from_=BOB_PHONE)
        assert response.status_code == 200
        assert messages_of(response) == []


@pytest.mark.parametrize("status", ["opted_out", "blocked"])
async def test_opted_out_and_blocked_users_get_no_answer_and_no_agent_run(harness, status):
    user = await add_user(harness.database, harness.app.state.clock, ANN_PHONE)
    async with harness.database.session() as session:
        (await session.get(type(user), user.id)).status = status
    response = await send(harness, "note: x")
    assert messages_of(response) == []
    assert await count(harness.database, Interaction) == 0


async def test_markup_characters_and_emoji_survive_the_round_trip(app_on):
    response = await send(app_on, 'note: <b>rent</b> & utilities 🎉 "quoted"')
    assert "&lt;b&gt;" in response.text and "&amp;" in response.text
    assert messages_of(response) == ['Saved note #1: <b>rent</b> & utilities 🎉 "quoted"']


async def test_an_agent_failure_gets_a_friendly_answer_and_leaks_nothing(sqlite_url, clock, caplog):
    caplog.set_level(logging.DEBUG)
    async for harness in start_app(make_settings(sqlite_url), clock, chat_model=BrokenModel()):
        await add_user(harness.database, clock, ANN_PHONE)
        response = await send(harness, "my bank pin is 9876")
        assert response.status_code == 200
        assert messages_of(response) == [replies.AGENT_ERROR]
        async with harness.database.session() as session:
            row = (await session.execute(select(InboxItem))).scalar_one()
            interaction = (await session.execute(select(Interaction))).scalar_one()
        assert (row.state, row.outcome, row.error_class) == ("failed", "error", "ConnectionError")
        assert (interaction.outcome, interaction.error_class) == ("error", "ConnectionError")
    assert "9876" not in caplog.text
    assert "sk-secret" not in caplog.text
    assert "ConnectionError" in caplog.text
    assert row.message_sid in caplog.text


async def test_turning_signature_checks_off_accepts_unsigned_posts(sqlite_url, clock, caplog):
    caplog.set_level(logging.WARNING)
    settings = make_settings(sqlite_url, twilio_validate_signature=False, twilio_auth_token=None)
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE)
        response = await post_signed(
            harness.client,
            twilio_form("help", ANN_PHONE),
            token="x",
            signed_url="https://anything.example/",
        )
        assert response.status_code == 200
        assert "note <x>" in messages_of(response)[0]
    assert "TWILIO_VALIDATE_SIGNATURE=false" in caplog.text
