"""Repositories on SQLite and Postgres alike."""

from datetime import timedelta

import pytest

from stores import inbox, messages, notes, users
from stores.db import Database
from stores.inbox import InboundSms


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


def inbound(sid="SM1", phone="+14155550123", body="hi") -> InboundSms:
    return InboundSms(message_sid=sid, from_number=phone, channel="sms", body=body)


async def test_users_are_unique_by_phone_and_removal_cascades(db, clock):
    async with db.session() as s:
        ann = await users.add_user(s, phone="+14155550123", name="Ann", timezone="UTC", clock=clock)
        await notes.add_note(s, user_id=ann.id, text="x", clock=clock)
        conversation = await users.get_or_create_conversation(
            s, user_id=ann.id, channel="sms", clock=clock
        )
        await messages.record_message(
            s,
            conversation_id=conversation.id,
            direction="inbound",
            body="hi",
            status="received",
            clock=clock,
        )
    with pytest.raises(users.UserExists):
        async with db.session() as s:
            await users.add_user(s, phone="+14155550123", name="Other", timezone="UTC", clock=clock)
    async with db.session() as s:
        assert await users.remove_user(s, phone="+14155550123")
    async with db.session() as s:
        assert await users.list_users(s) == []
        assert await notes.list_notes(s, user_id=ann.id) == []
        assert await messages.recent_messages(s, conversation_id=conversation.id) == []
        assert not await users.remove_user(s, phone="+14155550123")


async def test_one_conversation_per_user_and_channel(db, clock):
    async with db.session() as s:
        ann = await users.add_user(s, phone="+14155550123", name="Ann", timezone="UTC", clock=clock)
        sms = await users.get_or_create_conversation(s, user_id=ann.id, channel="sms", clock=clock)
        again = await users.get_or_create_conversation(
            s, user_id=ann.id, channel="sms", clock=clock
        )
        wa = await users.get_or_create_conversation(
            s, user_id=ann.id, channel="whatsapp", clock=clock
        )
    assert sms.id == again.id != wa.id


async def test_a_message_sid_is_received_once_and_claimed_once(db, clock):
    async with db.session() as s:
        row, is_new = await inbox.receive(s, inbound=inbound(), clock=clock)
    async with db.session() as s:
        again, is_new_again = await inbox.receive(s, inbound=inbound(body="changed"), clock=clock)
    assert is_new and not is_new_again
    assert again.id == row.id and again.body == "hi"
    async with db.session() as s:
        assert await inbox.claim(s, inbox_id=row.id, clock=clock)
    async with db.session() as s:
        assert not await inbox.claim(s, inbox_id=row.id, clock=clock)
        await inbox.finish(s, inbox_id=row.id, outcome="replied", reply="hello", clock=clock)
    async with db.session() as s:
        done = await inbox.get(s, inbox_id=row.id)
    assert (done.state, done.reply, done.attempts) == ("done", "hello", 1)


async def test_outcomes_are_counted_within_the_window(db, clock):
    async with db.session() as s:
        row, _ = await inbox.receive(s, inbound=inbound("SM1"), clock=clock)
        await inbox.finish(s, inbox_id=row.id, outcome="registration_sent", clock=clock)

    async def registrations() -> int:
        async with db.session() as s:
            return await inbox.count_outcomes_since(
                s,
                from_number="+14155550123",
                outcome="registration_sent",
                since_hours=24,
                clock=clock,
            )

    clock.advance(timedelta(hours=23))
    assert await registrations() == 1
    clock.advance(timedelta(hours=2))
    assert await registrations() == 0


async def test_notes_are_numbered_per_user_and_searched_literally(db, clock):
    async with db.session() as s:
        ann = await users.add_user(s, phone="+14155550123", name="Ann", timezone="UTC", clock=clock)
        bob = await users.add_user(s, phone="+14155550124", name="Bob", timezone="UTC", clock=clock)
        await notes.add_note(s, user_id=ann.id, text="Gate code 4412", clock=clock)
        await notes.add_note(s, user_id=bob.id, text="gate code 9999", clock=clock)
        await notes.add_note(s, user_id=ann.id, text="100% sure the_wifi is hunter2", clock=clock)
    async with db.session() as s:
        assert [n.number for n in await notes.list_notes(s, user_id=ann.id)] == [1, 2]
        assert [n.number for n in await notes.list_notes(s, user_id=bob.id)] == [1]
        found = await notes.find_notes(s, user_id=ann.id, words=["GATE"])
        assert [n.text for n in found] == ["Gate code 4412"]
        # % and _ are literal characters, not wildcards.
        assert [n.number for n in await notes.find_notes(s, user_id=ann.id, words=["100%"])] == [2]
        assert await notes.find_notes(s, user_id=ann.id, words=["1_0"]) == []
        assert await notes.delete_note(s, user_id=bob.id, number=2) is None  # not Bob's
        deleted = await notes.delete_note(s, user_id=ann.id, number=1)
    assert deleted.text == "Gate code 4412"
    async with db.session() as s:
        assert await notes.count_notes(s, user_id=ann.id) == 1


async def test_removing_a_user_also_forgets_their_conversation_history(db, clock):
    from langchain_core.messages import HumanMessage
    from langgraph.graph import START, MessagesState, StateGraph

    from stores.checkpointer import open_checkpointer

    async with db.session() as s:
        ann = await users.add_user(s, phone="+14155550123", name="Ann", timezone="UTC", clock=clock)
        conversation = await users.get_or_create_conversation(
            s, user_id=ann.id, channel="sms", clock=clock
        )
    config = {"configurable": {"thread_id": str(conversation.id)}}
    echo = StateGraph(MessagesState)
    echo.add_node("noop", lambda state: {})
    echo.add_edge(START, "noop")
    async with open_checkpointer(db.url) as saver:
        graph = echo.compile(checkpointer=saver)
        await graph.ainvoke({"messages": [HumanMessage("my secret")]}, config)
        assert (await graph.aget_state(config)).values["messages"]
    assert await users.remove_user_and_history(db, phone="+14155550123")
    async with open_checkpointer(db.url) as saver:
        assert await saver.aget_tuple(config) is None
    assert not await users.remove_user_and_history(db, phone="+14155550123")
