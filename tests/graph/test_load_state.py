from datetime import timedelta

import pytest

from graph.context import STUDIO_PHONE, Context
from graph.errors import UserNotFound
from graph.nodes.load_state import STUDIO_USER_NAME, load_state
from graph.state import State
from stores import users
from tests.helpers import add_user, runtime


async def test_loads_the_registered_user_and_their_conversation(database, clock):
    ann = await add_user(database, clock, "+14155550123", name="Ann", timezone="Europe/Paris")
    update = await load_state(
        State(), runtime(Context(user_id=ann.id, database=database, clock=clock))
    )
    assert update["user"] == {
        "id": ann.id,
        "phone": "+14155550123",
        "name": "Ann",
        "timezone": "Europe/Paris",
    }
    async with database.session() as session:
        conversation = await users.get_or_create_conversation(
            session, user_id=ann.id, channel="sms", clock=clock
        )
    assert update["conversation_id"] == conversation.id


async def test_resets_the_per_turn_fields_left_by_the_previous_turn(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    previous = State(
        path=["load_state", "plan"], reply="old answer", outcome="fallback", memories=["stale"]
    )
    clock.advance(timedelta(minutes=5))
    update = await load_state(
        previous, runtime(Context(user_id=ann.id, database=database, clock=clock))
    )
    assert update["reply"] == ""
    assert update["outcome"] == ""
    assert update["memories"] == []
    assert update["turn_started_at"] == clock.now().isoformat()


async def test_unknown_user_id_fails_the_turn(database, clock):
    with pytest.raises(UserNotFound):
        await load_state(State(), runtime(Context(user_id=999, database=database, clock=clock)))


async def test_without_a_user_id_acts_as_the_studio_number(database, clock):
    update = await load_state(State(), runtime(Context(database=database, clock=clock)))
    assert update["user"]["phone"] == STUDIO_PHONE
    assert update["user"]["name"] == STUDIO_USER_NAME
    again = await load_state(State(), runtime(Context(database=database, clock=clock)))
    assert again["user"]["id"] == update["user"]["id"]  # created once, then reused
