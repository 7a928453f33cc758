from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from graph import prompts
from graph.context import Context
from graph.nodes.plan import STEPS_TO_FINISH, plan, route_after_plan
from graph.prompt_layout import turn_context
from graph.state import State
from tests.helpers import ScriptedModel, runtime, tool_call

ANN = {"id": 1, "phone": "+14155550123", "name": "Ann", "timezone": "America/New_York"}


async def test_a_tool_request_goes_to_the_tools(database, clock):
    model = ScriptedModel(script=[tool_call("list_notes")])
    state = State(user=ANN, messages=[HumanMessage("notes")])
    update = await plan(state, runtime(Context(database=database, clock=clock, chat_model=model)))
    assert "reply" not in update
    assert route_after_plan(State(messages=[*state.messages, *update["messages"]])) == "tools"


async def test_a_plain_answer_becomes_the_reply_and_ends_planning(database, clock):
    model = ScriptedModel(script=[AIMessage("  Hello Ann!  ")])
    state = State(user=ANN, messages=[HumanMessage("hi")])
    update = await plan(state, runtime(Context(database=database, clock=clock, chat_model=model)))
    assert update["reply"] == "Hello Ann!"
    assert update["outcome"] == "ok"
    assert route_after_plan(State(messages=[*state.messages, *update["messages"]])) == "persist"


async def test_an_empty_answer_is_replaced_by_an_honest_one(database, clock):
    model = ScriptedModel(script=[AIMessage("")])
    update = await plan(
        State(user=ANN, messages=[HumanMessage("?!")]),
        runtime(Context(database=database, clock=clock, chat_model=model)),
    )
    assert update["reply"] == prompts.NO_ANSWER


async def test_the_step_limit_ends_with_the_polite_fallback_without_calling_the_model(
    database, clock
):
    model = ScriptedModel(script=[])
    update = await plan(
        State(user=ANN, messages=[HumanMessage("x")], remaining_steps=STEPS_TO_FINISH),
        runtime(Context(database=database, clock=clock, chat_model=model)),
    )
    assert update["reply"] == prompts.FALLBACK_REPLY
    assert update["outcome"] == "fallback"
    assert model.seen == []


async def test_the_model_sees_the_users_name_and_local_time(database, clock):
    model = ScriptedModel(script=[AIMessage("ok")], seen=[])
    await plan(
        State(user=ANN, messages=[HumanMessage("hi")]),
        runtime(Context(database=database, clock=clock, chat_model=model)),
    )
    first, context = model.seen[0][0], model.seen[0][1]
    assert isinstance(first, SystemMessage) and isinstance(context, SystemMessage)
    assert "Ann" in first.text
    # ManualClock starts at 2026-01-15 12:00 UTC = 07:00 in New York.
    assert "Thu Jan 15 2026, 07:00" in context.text
    assert "America/New_York" in context.text


def test_memories_and_documents_appear_in_the_prompt_only_when_present(clock):
    bare = turn_context(State(user=ANN), clock.now())
    assert "What you know" not in bare and "knowledge base" not in bare
    full = turn_context(
        State(
            user=ANN,
            memories=["Anna's birthday is June 3"],
            documents=[{"source": "lease.pdf", "text": "Rent is due on the 1st", "score": 0.8}],
        ),
        clock.now(),
    )
    assert "- Anna's birthday is June 3" in full
    assert "[lease.pdf] Rent is due on the 1st" in full


async def test_no_model_call_starts_once_the_turn_budget_is_spent(database, clock):
    import time

    model = ScriptedModel(script=[AIMessage("too late")])
    context = Context(
        database=database, clock=clock, chat_model=model, turn_deadline=time.monotonic() - 1
    )
    update = await plan(State(user=ANN, messages=[HumanMessage("hi")]), runtime(context))
    assert update["reply"] == prompts.OUT_OF_TIME
    assert model.seen == []
