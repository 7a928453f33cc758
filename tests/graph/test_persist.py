from datetime import timedelta

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.context import Context
from graph.nodes.persist import persist
from graph.state import State
from stores.interactions import recent_interactions
from tests.helpers import add_user, runtime


async def test_writes_one_interaction_with_tools_steps_and_latency(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    started = clock.now()
    clock.advance(timedelta(milliseconds=250))
    state = State(
        user={"id": ann.id, "phone": ann.phone, "name": "Ann", "timezone": "UTC"},
        messages=[
            HumanMessage("earlier"),
            ToolMessage("x", tool_call_id="old", name="show_help"),
            HumanMessage("note: milk"),
            AIMessage("", tool_calls=[{"name": "save_note", "args": {"text": "milk"}, "id": "1"}]),
            ToolMessage("Saved note #1: milk", tool_call_id="1", name="save_note"),
            AIMessage("Saved note #1: milk"),
        ],
        path=["load_state", "retrieve_memory", "rag", "plan", "tools", "plan"],
        outcome="ok",
        turn_started_at=started.isoformat(),
    )
    update = await persist(
        state, runtime(Context(user_id=ann.id, message_sid="SM1", database=database, clock=clock))
    )
    assert update == {"after_reply_due": False}  # offline, short history: nothing to do
    async with database.session() as session:
        [row] = await recent_interactions(session)
    assert row.user_id == ann.id
    assert row.message_sid == "SM1"
    assert row.tools == ["save_note"]  # only this turn's tools
    assert row.steps == 2
    assert row.nodes == [
        "load_state",
        "retrieve_memory",
        "rag",
        "plan",
        "tools",
        "plan",
        "persist",
    ]
    assert row.latency_ms == 250
    assert row.outcome == "ok"
    assert row.planner == "offline"
