"""The runner's way of running a turn (a checkpoint after the tools and at the end) keeps the
graph's promises: the step limit holds for the whole turn, and a turn paused for approval waits."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from graph import prompts
from graph.context import Context
from graph.graph import builder
from graph.nodes.plan import recursion_limit
from messaging.turns import PhasedGraph
from stores.interactions import recent_interactions
from tests.helpers import ScriptedModel, add_user, tool_call


async def test_a_model_that_never_stops_calling_tools_is_cut_off_across_phases(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    model = ScriptedModel(script=[tool_call("list_notes") for _ in range(10)])
    graph = PhasedGraph(builder.compile(checkpointer=InMemorySaver()))
    final = await graph.ainvoke(
        {"messages": [HumanMessage("loop")]},
        {"configurable": {"thread_id": "t"}, "recursion_limit": recursion_limit(3)},
        context=Context(user_id=ann.id, database=database, clock=clock, chat_model=model),
    )
    assert final["reply"] == prompts.FALLBACK_REPLY
    async with database.session() as session:
        [row] = await recent_interactions(session)
    assert row.outcome == "fallback"
    assert row.tools == ["list_notes"] * 3


async def test_a_turn_saved_after_its_tools_with_nothing_scheduled_is_still_answered(
    database, clock
):
    """A process that died just after the tools' checkpoint may leave it with no next step
    recorded; resuming must plan on from the tools' results, not end the turn without a reply."""
    ann = await add_user(database, clock, "+14155550123")
    call = tool_call("list_notes")
    graph = PhasedGraph(builder.compile(checkpointer=InMemorySaver()))
    config = {"configurable": {"thread_id": "t"}, "recursion_limit": recursion_limit(3)}
    await graph.compiled.aupdate_state(
        config,
        {
            "messages": [
                HumanMessage("notes", id="SMresume"),
                call,
                ToolMessage("You have no notes yet.", tool_call_id=call.tool_calls[0]["id"]),
            ]
        },
        as_node="persist",  # the checkpoint schedules nothing
    )
    assert not (await graph.aget_state(config)).next
    model = ScriptedModel(script=[AIMessage("You have no notes yet.")])
    final = await graph.resume(
        config, context=Context(user_id=ann.id, database=database, clock=clock, chat_model=model)
    )
    assert final["reply"] == "You have no notes yet."
