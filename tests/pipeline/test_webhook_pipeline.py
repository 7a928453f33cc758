"""The webhook, worker and sender together: deadlines, ordering, duplicates, status callbacks."""

import asyncio
import functools
import itertools
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from sqlalchemy import select

from api.signature import sign
from stores.checkpointer import open_checkpointer
from stores.models import InboxItem, Interaction, Message, Note, OutboxItem
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, PUBLIC_BASE_URL
from tests.helpers import ScriptedModel, add_user, new_sid, post_signed, twilio_form
from tests.pipeline.conftest import pipeline_settings

STATUS_URL = PUBLIC_BASE_URL + "/twilio/status"


def replies_in(response) -> list[str]:
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


async def rows(database, model, *where):
    async with database.session() as session:
        return (await session.execute(select(model).where(*where))).scalars().all()


async def eventually(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


class SlowModel(ScriptedModel):
    """Answers after `delay` seconds, like an LLM having a bad day."""

    delay: float = 0.0
    gate: Any = None
    """An asyncio.Event: when given, the answer waits for it instead of `delay`."""

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        if self.gate is not None:
            await self.gate.wait()
        else:
            await asyncio.sleep(self.delay)
        return self._generate(messages, stop)


@pytest.fixture
async def slow_app(sqlite_url, clock, fake_twilio):
    settings = pipeline_settings(sqlite_url, fake_twilio[1], reply_deadline_seconds=0.5)
    model = SlowModel(script=[AIMessage("Here is your slow answer.")], delay=2.0)
    async for harness in start_app(settings, clock, chat_model=model):
        await add_user(harness.database, clock, ANN_PHONE)
        yield harness


async def test_a_slow_turn_gets_empty_twiml_at_the_deadline_then_one_rest_send(
    sqlite_url, clock, fake_twilio
):
    fake, _ = fake_twilio
    settings = pipeline_settings(sqlite_url, fake_twilio[1], reply_deadline_seconds=0.5)
    gate = asyncio.Event()  # the LLM answers only when the test says so
    model = SlowModel(script=[AIMessage("Here is your slow answer.")], gate=gate)
    async for slow_app in start_app(settings, clock, chat_model=model):
        await add_user(slow_app.database, clock, ANN_PHONE)
        sid = new_sid()
        response = await post_signed(
            slow_app.client,
            twilio_form("think hard", ANN_PHONE, sid),
            token=AUTH_TOKEN,
            signed_url=SMS_URL,
        )
        assert response.status_code == 200
        assert replies_in(response) == []
        # Empty because the deadline passed with the turn still running: the webhook released
        # the reply to REST, and nothing was sent yet.
        [row] = await rows(slow_app.database, InboxItem)
        assert row.state != "done" and row.delivery == "outbox"
        assert fake.sent == []
        gate.set()
        await eventually(functools.partial(_settled, slow_app.database))
        await _assert_one_rest_reply(slow_app, fake, sid)


async def _settled(database) -> bool:
    """The text answered and nothing left to send: nothing more can go out from here on."""
    inbox = await rows(database, InboxItem)
    pending = await rows(database, OutboxItem, OutboxItem.state.in_(("pending", "sending")))
    return bool(inbox) and all(r.state == "done" for r in inbox) and not pending


async def _assert_one_rest_reply(slow_app, fake, sid):
    assert fake.bodies_to(ANN_PHONE) == ["Here is your slow answer."]
    [row] = await rows(slow_app.database, InboxItem)
    assert (row.delivery, row.state) == ("outbox", "done")
    [queued] = await rows(slow_app.database, OutboxItem)
    assert queued.idempotency_key == f"reply:{sid}:1"
    [outbound] = await rows(slow_app.database, Message, Message.direction == "outbound")
    assert outbound.twilio_sid == queued.twilio_sid


async def _sent(fake, n):
    return len(fake.sent) >= n


async def test_a_redelivery_while_the_turn_runs_starts_nothing_new(slow_app, fake_twilio):
    fake, _ = fake_twilio
    params = twilio_form("think", ANN_PHONE, new_sid())
    first, second = await asyncio.gather(
        post_signed(slow_app.client, params, token=AUTH_TOKEN, signed_url=SMS_URL),
        post_signed(slow_app.client, params, token=AUTH_TOKEN, signed_url=SMS_URL),
    )
    assert replies_in(first) == replies_in(second) == []
    await eventually(lambda: _settled(slow_app.database))
    assert len(fake.sent) == 1
    assert len(await rows(slow_app.database, Interaction)) == 1


async def test_a_hundred_concurrent_deliveries_of_one_sid_make_one_run_and_one_reply(
    sqlite_url, clock, fake_twilio
):
    settings = pipeline_settings(sqlite_url, fake_twilio[1])
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE)
        params = twilio_form("note: just once", ANN_PHONE, new_sid())
        responses = await asyncio.gather(
            *(
                post_signed(harness.client, params, token=AUTH_TOKEN, signed_url=SMS_URL)
                for _ in range(100)
            )
        )
        answers = [replies_in(r) for r in responses]
        assert all(r.status_code == 200 for r in responses)
        assert all(a in ([], ["Saved note #1: just once"]) for a in answers)
        assert ["Saved note #1: just once"] in answers
        assert len(await rows(harness.database, Note)) == 1
        assert len(await rows(harness.database, Interaction)) == 1
        assert await rows(harness.database, OutboxItem) == []  # answered by TwiML, not REST


async def test_two_texts_at_the_same_instant_are_answered_in_order_on_one_chain(
    sqlite_url, clock, fake_twilio
):
    settings = pipeline_settings(sqlite_url, fake_twilio[1])
    async for harness in start_app(settings, clock):
        await add_user(harness.database, clock, ANN_PHONE)
        first, second = (
            twilio_form("note: first", ANN_PHONE),
            twilio_form("note: second", ANN_PHONE),
        )
        responses = await asyncio.gather(
            post_signed(harness.client, first, token=AUTH_TOKEN, signed_url=SMS_URL),
            post_signed(harness.client, second, token=AUTH_TOKEN, signed_url=SMS_URL),
        )
        # Whichever the webhook committed first is answered first.
        arrival = [
            r.body for r in sorted(await rows(harness.database, InboxItem), key=lambda r: r.id)
        ]
        texts = [a.removeprefix("note: ") for a in arrival]
        notes = await rows(harness.database, Note)
        assert sorted((n.number, n.text) for n in notes) == [(1, texts[0]), (2, texts[1])]
        replies = {
            body: replies_in(r)
            for body, r in zip(["note: first", "note: second"], responses, strict=True)
        }
        assert replies[arrival[0]] == [f"Saved note #1: {texts[0]}"]
        assert replies[arrival[1]] == [f"Saved note #2: {texts[1]}"]
        # One linear checkpoint chain: every checkpoint's parent is the one before it.
        [conversation_id] = {m.conversation_id for m in await rows(harness.database, Message)}
        async with open_checkpointer(sqlite_url) as saver:
            config = {"configurable": {"thread_id": str(conversation_id)}}
            chain = [c async for c in saver.alist(config)]
        for newer, older in itertools.pairwise(chain):
            assert (
                newer.parent_config["configurable"]["checkpoint_id"]
                == older.config["configurable"]["checkpoint_id"]
            )
        humans = [
            m.content
            for m in chain[0].checkpoint["channel_values"]["messages"]
            if isinstance(m, HumanMessage)
        ]
        assert humans == arrival


def status_form(sid, status, code=None):
    params = [("MessageSid", sid), ("MessageStatus", status), ("AccountSid", "AC" + "1" * 32)]
    return params + ([("ErrorCode", str(code))] if code else [])


async def post_status(client, params, token=AUTH_TOKEN):
    return await client.post(
        "/twilio/status",
        content="&".join(f"{k}={v}" for k, v in params),
        headers={
            "X-Twilio-Signature": sign(STATUS_URL, params, token),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


async def test_status_callbacks_record_delivery_and_retry_once(slow_app, fake_twilio):
    fake, _ = fake_twilio
    await post_signed(
        slow_app.client, twilio_form("x", ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
    )
    await eventually(lambda: _sent(fake, 1))
    first_sid = fake.sent[0]["Sid"]
    response = await post_status(slow_app.client, status_form(first_sid, "undelivered", 30003))
    assert response.status_code == 204
    await eventually(lambda: _sent(fake, 2))  # one retry
    second_sid = fake.sent[1]["Sid"]
    await post_status(slow_app.client, status_form(second_sid, "undelivered", 30003))
    assert await _settled(slow_app.database)  # failed for good when the callback returned
    assert len(fake.sent) == 2  # no second retry
    [row] = await rows(slow_app.database, OutboxItem)
    assert (row.state, row.error_code, row.delivery_retries) == ("failed", 30003, 1)
    [outbound] = await rows(slow_app.database, Message, Message.direction == "outbound")
    assert outbound.status == "undelivered"


async def test_a_delivered_callback_marks_the_message_delivered(slow_app, fake_twilio):
    fake, _ = fake_twilio
    await post_signed(
        slow_app.client, twilio_form("x", ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
    )
    await eventually(lambda: _sent(fake, 1))
    await post_status(slow_app.client, status_form(fake.sent[0]["Sid"], "delivered"))
    [row] = await rows(slow_app.database, OutboxItem)
    assert (row.state, row.twilio_status) == ("delivered", "delivered")


async def test_a_forged_status_callback_is_refused(slow_app):
    response = await post_status(
        slow_app.client, status_form("SM" + "0" * 32, "delivered"), token="forged"
    )
    assert response.status_code == 403


async def test_a_status_callback_without_a_status_is_a_clear_400(slow_app):
    response = await post_status(slow_app.client, [("MessageSid", "SM1")])
    assert response.status_code == 400
    assert "MessageStatus" in response.json()["error"]
