"""Reminders, todos, notes, settings through the real graph: the offline planner and a scripted
tool-calling model make the same tool calls and get the same results, for the injected user only."""

from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from stores import notes, reminders, todos, users
from stores.clock import ManualClock
from stores.models import Reminder
from tests.helpers import ScriptedModel, add_user, tool_call, turn

ANN, BOB = "+14155550123", "+447700900123"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
async def ann(database, clock):
    return await add_user(database, clock, ANN, name="Ann", timezone="America/New_York")


async def say(text, user, database, clock, saver=None, **kwargs):
    final = await turn(
        text, user_id=user.id, database=database, clock=clock, saver=saver or InMemorySaver(),
        **kwargs,
    )  # fmt: skip
    return final["reply"]


async def test_a_reminder_echoes_the_absolute_local_time_and_zone(database, clock, ann):
    reply = await say("Remind me to call mom tomorrow at 5pm", ann, database, clock)
    assert reply == "OK — Thu Nov 26, 5:00 PM (America/New_York): call mom."
    async with database.session() as session:
        [row] = await reminders.active_reminders(session, user_id=ann.id)
    assert (row.text, row.occurs_at) == ("call mom", datetime(2026, 11, 26, 22, tzinfo=UTC))


async def test_a_repeating_reminder_lists_and_cancels_by_its_words(database, clock, ann):
    reply = await say("Every Monday at 9 remind me to water the plants", ann, database, clock)
    assert reply.startswith("OK — Every Monday at 9:00 AM (America/New_York), first on Mon Nov 30")
    await say("remind me to call mom tomorrow at 5pm", ann, database, clock)
    listed = await say("What are my reminders?", ann, database, clock)
    assert listed.splitlines() == [
        "Your reminders (2):",
        "#2 call mom — Thu Nov 26, 5:00 PM (America/New_York)",
        "#1 water the plants — every Monday at 9:00 AM, next Mon Nov 30, 9:00 AM "
        "(America/New_York)",
    ]
    assert await say("cancel the plants one", ann, database, clock) == (
        "Cancelled: water the plants."
    )
    assert "water" not in await say("reminders", ann, database, clock)


async def test_an_ambiguous_time_gets_a_question_and_no_reminder(database, clock, ann):
    reply = await say("remind me to call mom at 5", ann, database, clock)
    assert "5 AM or 5 PM" in reply
    async with database.session() as session:
        assert await reminders.active_reminders(session, user_id=ann.id) == []


async def test_a_reminder_inside_quiet_hours_says_it_will_still_come(database, clock, ann):
    reply = await say("remind me to stretch tomorrow at 11pm", ann, database, clock)
    assert reply == (
        "OK — Thu Nov 26, 11:00 PM (America/New_York): stretch. "
        "That's in your quiet hours (22:00-07:00); it will still come then."
    )
    assert "quiet hours" not in await say("remind me to call mom at 5pm", ann, database, clock)


async def test_todos_add_list_done_clear(database, clock, ann):
    assert await say("add milk to my list", ann, database, clock) == (
        "Added milk to your list (1 to do)."
    )
    await say("pls add eggs to the shopping list 🥚", ann, database, clock)
    assert await say("done milk", ann, database, clock) == "Done: milk."
    assert await say("What's on my list?", ann, database, clock) == (
        "Your list:\n[ ] eggs\n[x] milk"
    )
    assert await say("clear done", ann, database, clock) == "Cleared 1 done item."
    async with database.session() as session:
        assert [t.text for t in await todos.list_todos(session, user_id=ann.id)] == ["eggs"]


async def test_settings_timezone_name_quiet_hours_whoami(database, clock, ann):
    assert await say("I'm in Paris now", ann, database, clock) == (
        "Timezone set to Europe/Paris. It's now Wed Nov 25, 4:00 PM (Europe/Paris)."
    )
    assert (await say("timezone Asia/Tokyo", ann, database, clock)).startswith(
        "Timezone set to Asia/Tokyo."
    )
    assert await say("call me Sam", ann, database, clock) == "OK, I'll call you Sam."
    assert await say("quiet hours 23-6", ann, database, clock) == (
        "Quiet hours set: 23:00-06:00 (Asia/Tokyo)."
    )
    assert await say("whoami", ann, database, clock) == (
        f"You're Sam ({ANN}). Timezone: Asia/Tokyo, local time Thu Nov 26, 12:00 AM "
        "(Asia/Tokyo). Quiet hours: 23:00-06:00."
    )
    assert "I don't know the timezone" in await say("timezone Narnia", ann, database, clock)


async def test_time_in_another_city(database, clock, ann):
    assert await say("What time is it in Tokyo?", ann, database, clock) == (
        "It's Thu Nov 26, 12:00 AM (Asia/Tokyo) in Tokyo."
    )


async def test_notes_found_by_question_and_deleted_by_reference(database, clock, ann):
    saver = InMemorySaver()
    await say("note: gate code 4412", ann, database, clock, saver)
    await say("note: wifi password hunter2", ann, database, clock, saver)
    answer = await say("what was the gate code?", ann, database, clock, saver)
    assert "#1 gate code 4412" in answer and "wifi" not in answer
    assert await say("delete that note", ann, database, clock, saver) == (
        "Deleted note #1: gate code 4412"
    )
    async with database.session() as session:
        assert [n.text for n in await notes.list_notes(session, user_id=ann.id)] == [
            "wifi password hunter2"
        ]


async def test_a_scripted_llm_uses_the_same_tools_with_the_same_results(database, clock, ann):
    model = ScriptedModel(
        script=[
            tool_call("set_reminder", what="call mom", when="tomorrow at 5pm"),
            tool_call("add_todo", item="milk"),
            tool_call("set_timezone", place="Europe/Paris"),
            tool_call("time_in", place="Tokyo"),
            AIMessage("Done."),
        ]
    )
    final = await turn("x", user_id=ann.id, database=database, clock=clock, chat_model=model)
    results = [m.content for m in final["messages"] if m.type == "tool"]
    assert results[:2] == [
        "OK — Thu Nov 26, 5:00 PM (America/New_York): call mom.",
        "Added milk to your list (1 to do).",
    ]
    assert results[2].startswith("Timezone set to Europe/Paris.")
    assert results[3] == "It's Thu Nov 26, 12:00 AM (Asia/Tokyo) in Tokyo."


async def test_one_user_can_never_touch_anothers_reminders_or_list(database, clock, ann):
    bob = await add_user(database, clock, BOB, name="Bob", timezone="Europe/London")
    await say("remind me to feed the cat tomorrow at 8am", bob, database, clock)
    await say("add cat food to my list", bob, database, clock)
    # Ann (and a model acting for her, smuggling Bob's id) sees and changes nothing of Bob's.
    model = ScriptedModel(
        script=[
            tool_call("cancel_reminder", which="1", user_id=bob.id),
            tool_call("complete_todo", item="cat food", user_id=bob.id),
            tool_call("list_reminders"),
            AIMessage("Done."),
        ]
    )
    final = await turn("x", user_id=ann.id, database=database, clock=clock, chat_model=model)
    results = [m.content for m in final["messages"] if m.type == "tool"]
    assert results[0].startswith("I found no reminder matching '1'")
    assert results[1].startswith("'cat food' isn't on your list")
    assert results[2].startswith("You have no reminders")
    async with database.session() as session:
        rows = (await session.execute(select(Reminder))).scalars().all()
        assert [(r.user_id, r.state) for r in rows] == [(bob.id, reminders.SCHEDULED)]
        assert [t.done for t in await todos.list_todos(session, user_id=bob.id)] == [False]
        bob_row = await users.get_user(session, user_id=bob.id)
        assert bob_row is not None and bob_row.timezone == "Europe/London"


async def test_what_can_you_do_lists_reminders_lists_and_settings_too(database, clock, ann):
    reply = await say("what can you do?", ann, database, clock)
    for capability in ("note <x>", "remember <x>", "remind me", "add <x>", "quiet hours", "whoami"):
        assert capability in reply
