"""Keyword routing before the LLM: STOP means stop, START resumes, HELP is a fixed text."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from messaging.keywords import OPT_OUT_NOTICE, OPT_OUT_WORDS
from messaging.segments import segments
from stores import consent, users
from stores.models import ConsentEvent, Interaction
from tests.api.conftest import SMS_URL
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE
from tests.helpers import BrokenModel, add_user, post_signed, twilio_form
from tests.queries import consent_history


def replies_in(response) -> list[str]:
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


async def send(harness, body, from_=ANN_PHONE, **extra):
    return await post_signed(
        harness.client, twilio_form(body, from_, **extra), token=AUTH_TOKEN, signed_url=SMS_URL
    )


async def status(harness, phone=ANN_PHONE):
    async with harness.database.session() as session:
        return (await users.get_user_by_phone(session, phone=phone)).status


async def runs(harness):
    async with harness.database.session() as session:
        return len((await session.execute(select(Interaction))).scalars().all())


@pytest.fixture
async def ann(harness):
    await add_user(harness.database, harness.app.state.clock, ANN_PHONE)
    return harness


VARIANTS = [w for word in sorted(OPT_OUT_WORDS) for w in (word, word.lower(), word.title() + ".")]


@pytest.mark.parametrize("text", VARIANTS)
async def test_every_opt_out_keyword_in_any_case_opts_out_without_the_llm(ann, text):
    response = await send(ann, f"  {text} ")
    assert replies_in(response) == []  # Twilio's opt-out handling confirms it
    assert await status(ann) == "opted_out"
    assert await runs(ann) == 0
    async with ann.database.session() as session:
        [event] = await consent_history(session, phone=ANN_PHONE)
    assert (event.kind, event.source) == ("opt_out", "keyword")
    assert event.keyword == text.strip().rstrip(".").upper()


async def test_a_sentence_containing_stop_is_not_an_opt_out(ann):
    response = await send(ann, "note: stop at the bakery")
    assert replies_in(response) == ["Saved note #1: stop at the bakery"]
    assert await status(ann) == "active"


async def test_after_stop_nothing_is_answered_until_start(ann):
    await send(ann, "STOP")
    assert replies_in(await send(ann, "notes")) == []
    assert replies_in(await send(ann, "START")) == []
    assert await status(ann) == "active"
    assert replies_in(await send(ann, "notes"))[0].startswith("You have no notes")
    async with ann.database.session() as session:
        kinds = [e.kind for e in await consent_history(session, phone=ANN_PHONE)]
    assert kinds == ["opt_out", "opt_in"]


async def test_advanced_opt_out_type_is_honoured_whatever_the_words(ann):
    response = await send(ann, "please take me off this list", OptOutType="STOP")
    assert replies_in(response) == []
    assert await status(ann) == "opted_out"
    async with ann.database.session() as session:
        [event] = await consent_history(session, phone=ANN_PHONE)
    assert event.source == "optout_type"


async def test_help_is_a_fixed_text_with_the_opt_out_notice_and_no_llm(sqlite_url, clock):
    from tests.api.conftest import start_app
    from tests.conftest import make_settings

    async for harness in start_app(make_settings(sqlite_url), clock, chat_model=BrokenModel()):
        await add_user(harness.database, clock, ANN_PHONE)
        for text in ("HELP", "info", "Help?"):
            [reply] = replies_in(await send(harness, text))
            assert reply.endswith(OPT_OUT_NOTICE)
            assert "note <x>" in reply and "remind me" in reply
            assert segments(reply) <= 2  # every capability, with the carriers' notice
        assert await runs(harness) == 0  # the broken LLM was never asked


async def test_an_unknown_number_that_says_stop_gets_no_registration_notice(harness):
    assert replies_in(await send(harness, "STOP", from_=BOB_PHONE)) == []
    assert replies_in(await send(harness, "who is this?", from_=BOB_PHONE)) == []
    async with harness.database.session() as session:
        events = (await session.execute(select(ConsentEvent))).scalars().all()
        assert [(e.phone, e.kind) for e in events] == [(BOB_PHONE, "opt_out")]
        assert await consent.is_opted_out(session, phone=BOB_PHONE)


async def test_a_blocked_user_stays_blocked_after_start(ann):
    async with ann.database.session() as session:
        await users.set_status(
            session, phone=ANN_PHONE, status="blocked", clock=ann.app.state.clock
        )
    await send(ann, "START")
    assert await status(ann) == "blocked"
