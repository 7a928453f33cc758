"""Over the real webhook: approvals by SMS (right code, wrong code, expired, cancelled by a new
text), "snooze"/"done" answering the last reminder, and missed reminders told in the next reply."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from stores import notes, reminders, users
from stores.clock import ManualClock
from stores.models import Reminder
from tests.api.conftest import SMS_URL, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN, BOB_PHONE, make_settings
from tests.helpers import ScriptedModel, add_user, post_signed, tool_call, twilio_form

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York


def reply_of(response) -> str:
    return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
async def app(sqlite_url, clock):
    # A long scheduler poll: these tests fire reminders themselves, when the clock says so.
    settings = make_settings(sqlite_url, scheduler_poll_seconds=30)
    async for harness in start_app(settings, clock):
        user = await add_user(harness.database, clock, ANN_PHONE, timezone="America/New_York")
        async with harness.database.session() as session:
            for text in ("gate code 4412", "wifi hunter2", "bike lock 0815"):
                await notes.add_note(session, user_id=user.id, text=text, clock=clock)
        harness.user = user
        yield harness


async def say(harness, body, from_=ANN_PHONE) -> str:
    response = await post_signed(
        harness.client, twilio_form(body, from_), token=AUTH_TOKEN, signed_url=SMS_URL
    )
    assert response.status_code == 200
    return reply_of(response)


async def note_count(harness) -> int:
    async with harness.database.session() as session:
        return await notes.count_notes(session, user_id=harness.user.id)


def code_in(question: str) -> str:
    match = re.search(r"This deletes 3 notes\. Reply YES (\d{4}) to confirm\.", question)
    assert match, question
    return match.group(1)


async def test_the_right_code_within_ten_minutes_does_it(app, clock):
    code = code_in(await say(app, "delete all my notes"))
    assert await note_count(app) == 3  # asking changes nothing
    clock.advance(timedelta(minutes=9))
    assert await say(app, f"yes {code}") == "Deleted all your notes (3)."
    assert await note_count(app) == 0
    assert (await say(app, "notes")).startswith("You have no notes")  # the thread goes on


async def test_a_wrong_code_cancels(app):
    code = code_in(await say(app, "delete all my notes"))
    wrong = "1000" if code != "1000" else "1001"
    assert "doesn't match" in await say(app, f"YES {wrong}")
    assert await note_count(app) == 3
    assert "There's nothing" not in await say(app, "notes")  # nothing pending any more
    assert await note_count(app) == 3


async def test_a_code_with_nothing_pending_is_answered_without_the_planner(app):
    assert await say(app, "YES 4821") == (
        "There's nothing waiting for a YES (codes expire after 10 minutes), so nothing was changed."
    )
    code = code_in(await say(app, "delete all my notes"))
    await say(app, f"YES {code}")
    assert "nothing waiting" in await say(app, f"YES {code}")  # a code works once


async def test_an_expired_code_does_nothing(app, clock):
    code = code_in(await say(app, "delete all my notes"))
    clock.advance(timedelta(minutes=11))
    assert "expired" in await say(app, f"YES {code}")
    assert await note_count(app) == 3


async def test_any_other_text_cancels_and_is_then_answered(app):
    code_in(await say(app, "delete all my notes"))
    reply = await say(app, "add milk to my list")
    assert reply.splitlines() == [
        "Cancelled deleting your notes: nothing was changed.",
        "Added milk to your list (1 to do).",
    ]
    assert await note_count(app) == 3


async def test_a_scripted_llm_asks_the_same_way_and_yes_costs_no_model_call(sqlite_url, clock):
    model = ScriptedModel(script=[tool_call("delete_all_notes")])  # one planning step only
    async for harness in start_app(make_settings(sqlite_url), clock, chat_model=model):
        user = await add_user(harness.database, clock, ANN_PHONE)
        async with harness.database.session() as session:
            for text in ("a", "b", "c"):
                await notes.add_note(session, user_id=user.id, text=text, clock=clock)
        harness.user = user
        code = code_in(await say(harness, "wipe my notes please"))
        assert await say(harness, f"YES {code}") == "Deleted all your notes (3)."
        plans = [seen for seen in model.seen if "personal assistant" in str(seen[0].content)]
        assert len(plans) == 1  # the YES resumed the tool; no planning step after it


async def test_forget_everything_asks_first(app):
    question = await say(app, "forget everything")
    assert re.search(r"This forgets the 0 things I know about you.*Reply YES \d{4}", question)


async def test_delete_my_account_asks_then_removes_everything_after_the_goodbye(app):
    question = await say(app, "delete my account")
    match = re.search(r"\(3 notes, 0 reminders, 0 list items, 0 facts\).*YES (\d{4})", question)
    assert match, question
    assert await say(app, f"YES {match.group(1)}") == (
        "Your account and everything in it are deleted. Goodbye!"
    )
    async with app.database.session() as session:
        assert await users.get_user_by_phone(session, phone=ANN_PHONE) is None
        assert await notes.count_notes(session, user_id=app.user.id) == 0
        # Their earlier texts are gone from the inbox too; only the answered "YES" remains.
        from sqlalchemy import func, select

        from stores.models import InboxItem

        left = select(func.count(InboxItem.id)).where(InboxItem.from_number == ANN_PHONE)
        assert (await session.execute(left)).scalar_one() == 1
    # Now a stranger: the registration notice, not the old conversation.
    assert "isn't registered" in await say(app, "notes")


async def test_delete_my_account_then_something_else_keeps_the_account(app):
    await say(app, "delete my account")
    assert (await say(app, "notes")).startswith("Cancelled deleting your account")
    async with app.database.session() as session:
        assert await users.get_user_by_phone(session, phone=ANN_PHONE) is not None


async def fire(app, clock, at):
    clock.set(at)
    await app.app.state.pipeline.scheduler.fire_due()


async def test_snooze_and_done_answer_the_last_reminder(app, clock):
    assert (await say(app, "remind me in 5 minutes to call mom")).startswith("OK")
    assert await say(app, "done") == "There's no recent reminder to mark done."
    await fire(app, clock, NOW + timedelta(minutes=5))
    assert await say(app, "snooze 10") == (
        "Snoozed until Wed Nov 25, 10:15 AM (America/New_York): call mom."
    )
    await fire(app, clock, NOW + timedelta(minutes=15))
    assert await say(app, "Done!") == "Done: call mom."
    async with app.database.session() as session:
        [row] = (await session.execute(select(Reminder))).scalars().all()
    assert row.state == reminders.DONE
    assert await say(app, "snooze") == "There's no recent reminder to snooze."


async def test_snooze_is_for_the_texters_own_reminder_only(app, clock):
    await add_user(app.database, clock, BOB_PHONE, name="Bob")
    await say(app, "remind me in 5 minutes to call mom")
    await fire(app, clock, NOW + timedelta(minutes=5))
    assert await say(app, "snooze 10", from_=BOB_PHONE) == "There's no recent reminder to snooze."


async def test_a_reminder_missed_long_ago_is_told_in_the_next_reply(app, clock):
    await say(app, "remind me in 5 minutes to call mom")
    await fire(app, clock, NOW + timedelta(hours=8))
    reply = await say(app, "what's on my list")
    assert reply.splitlines()[0] == (
        "Missed while I was offline: call mom (due Wed Nov 25, 10:05 AM (America/New_York))."
    )
    assert "Missed" not in await say(app, "what's on my list")


@pytest.mark.parametrize("answer", ["no", "nope, cancel that", "No thanks!"])
async def test_no_to_a_confirmation_cancels_and_that_is_the_whole_reply(app, answer):
    code_in(await say(app, "delete all my notes"))
    assert await say(app, answer) == "Cancelled deleting your notes: nothing was changed."
    assert await note_count(app) == 3
