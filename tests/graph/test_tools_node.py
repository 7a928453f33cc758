"""The tools node runs the registry's tools for the injected user only."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import START, StateGraph

from graph.context import Context
from graph.nodes.tools import tools as tools_node
from stores import notes
from tests.helpers import ScriptedModel, add_user, tool_call, turn


async def test_runs_the_requested_tool_and_returns_its_result_to_the_planner(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    model = ScriptedModel(
        script=[tool_call("save_note", text="gate code 4412"), AIMessage("Saved.")]
    )
    final = await turn("x", user_id=ann.id, database=database, clock=clock, chat_model=model)
    results = [m for m in final["messages"] if isinstance(m, ToolMessage)]
    assert [r.name for r in results] == ["save_note"]
    assert results[0].content == "Saved note #1: gate code 4412"
    async with database.session() as session:
        assert [n.text for n in await notes.list_notes(session, user_id=ann.id)] == [
            "gate code 4412"
        ]


async def test_a_model_cannot_reach_another_users_notes(database, clock):
    ann = await add_user(database, clock, "+14155550123", name="Ann")
    bob = await add_user(database, clock, "+447700900123", name="Bob")
    async with database.session() as session:
        await notes.add_note(session, user_id=bob.id, text="bob's secret", clock=clock)
    # The model tries to smuggle a user id into the arguments; tools take the user from state.
    model = ScriptedModel(
        script=[tool_call("find_notes", query="secret", user_id=bob.id), AIMessage("done")]
    )
    final = await turn(
        "find secret", user_id=ann.id, database=database, clock=clock, chat_model=model
    )
    result = next(m for m in final["messages"] if isinstance(m, ToolMessage))
    assert "bob's secret" not in result.content
    assert result.content == "No notes match 'secret'."


async def test_bad_arguments_come_back_as_an_error_the_model_can_fix(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    model = ScriptedModel(
        script=[tool_call("delete_note", number="not-a-number"), AIMessage("Which note?")]
    )
    final = await turn("x", user_id=ann.id, database=database, clock=clock, chat_model=model)
    error = next(m for m in final["messages"] if isinstance(m, ToolMessage))
    assert error.status == "error"
    assert final["reply"] == "Which note?"


async def test_the_same_tool_call_run_twice_saves_one_note(database, clock):
    """A turn resumed after a crash may run a tool call again; it must not duplicate the note."""
    from graph.state import State

    ann = await add_user(database, clock, "+14155550123")
    call = tool_call("save_note", text="gate code 4412")
    state = State(
        user={"id": ann.id, "phone": ann.phone, "name": "Ann", "timezone": "UTC"},
        messages=[HumanMessage("note: gate code 4412"), call],
    )
    only_tools = StateGraph(State, context_schema=Context)
    only_tools.add_node("tools", tools_node)
    only_tools.add_edge(START, "tools")
    graph = only_tools.compile()
    for _ in range(2):
        result = await graph.ainvoke(state, context=Context(database=database, clock=clock))
        assert result["messages"][-1].content == "Saved note #1: gate code 4412"
    async with database.session() as session:
        assert await notes.count_notes(session, user_id=ann.id) == 1


async def test_call_ids_a_server_repeats_across_turns_never_merge_two_notes(database, clock):
    """llama.cpp-style servers may name every first call "call_0": the turn keys the write."""
    from langchain_core.messages import AIMessage as AI

    ann = await add_user(database, clock, "+14155550123")
    bob = await add_user(database, clock, "+447700900123", name="Bob")
    for user, sid, text in ((ann, "SMa", "gate 4412"), (bob, "SMb", "bins tuesday")):
        call = AI(
            content="", tool_calls=[{"name": "save_note", "args": {"text": text}, "id": "call_0"}]
        )
        model = ScriptedModel(script=[call, AI("Saved.")])
        await turn(
            "note",
            user_id=user.id,
            database=database,
            clock=clock,
            chat_model=model,
            message_sid=sid,
        )
    second = AI(
        content="", tool_calls=[{"name": "save_note", "args": {"text": "wifi x"}, "id": "call_0"}]
    )
    await turn(
        "note",
        user_id=ann.id,
        database=database,
        clock=clock,
        chat_model=ScriptedModel(script=[second, AI("ok")]),
        message_sid="SMc",
        thread="t2",
    )
    async with database.session() as session:
        assert [n.text for n in await notes.list_notes(session, user_id=ann.id)] == [
            "gate 4412",
            "wifi x",
        ]
        assert [n.text for n in await notes.list_notes(session, user_id=bob.id)] == ["bins tuesday"]


async def test_an_item_already_open_is_not_added_twice(database, clock):
    """A turn replayed after a crash runs add_todo again: the list keeps one item."""
    from langchain_core.messages import AIMessage as AI

    from stores import todos

    ann = await add_user(database, clock, "+14155550123")
    for sid in ("SM1", "SM2"):
        model = ScriptedModel(script=[tool_call("add_todo", item="Milk"), AI("ok")])
        final = await turn(
            "x", user_id=ann.id, database=database, clock=clock, chat_model=model, message_sid=sid
        )
    assert final["messages"][-2].content == "Milk is already on your list (1 to do)."
    async with database.session() as session:
        assert [t.text for t in await todos.list_todos(session, user_id=ann.id)] == ["Milk"]
