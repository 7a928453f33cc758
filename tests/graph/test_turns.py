"""Whole turns through the compiled graph with the offline planner and a real checkpointer."""

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from graph import prompts
from stores.interactions import recent_interactions
from tests.helpers import ScriptedModel, add_user, tool_call, turn


async def test_a_note_saved_in_one_turn_is_found_in_the_next(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    saver = InMemorySaver()
    first = await turn(
        "note: gate code 4412", user_id=ann.id, database=database, clock=clock, saver=saver
    )
    assert first["reply"] == "Saved note #1: gate code 4412"
    second = await turn("find gate", user_id=ann.id, database=database, clock=clock, saver=saver)
    assert second["reply"] == "Notes matching 'gate':\n#1 gate code 4412"
    # The checkpointer kept both turns.
    humans = [m.content for m in second["messages"] if isinstance(m, HumanMessage)]
    assert humans == ["note: gate code 4412", "find gate"]


async def test_a_model_that_never_stops_calling_tools_is_cut_off_politely(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    model = ScriptedModel(script=[tool_call("list_notes") for _ in range(10)])
    final = await turn(
        "loop", user_id=ann.id, database=database, clock=clock, chat_model=model, max_plan_steps=3
    )
    assert final["reply"] == prompts.FALLBACK_REPLY
    async with database.session() as session:
        [row] = await recent_interactions(session)
    assert row.outcome == "fallback"
    assert row.tools == ["list_notes"] * 3
    assert row.nodes.count("plan") == 4


async def test_history_stays_bounded_over_many_turns(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    saver = InMemorySaver()
    for i in range(30):
        final = await turn(
            f"note: item {i}",
            user_id=ann.id,
            database=database,
            clock=clock,
            saver=saver,
            history_max_messages=12,
        )
    assert len(final["messages"]) <= 12
    assert isinstance(final["messages"][0], HumanMessage)
    assert final["reply"] == "Saved note #30: item 29"
