from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage

from graph.context import Context
from graph.nodes.summarize import summarize, turns_to_fold
from graph.state import State
from tests.helpers import runtime


def history(turns: int) -> list:
    messages = []
    for i in range(turns):
        messages.append(HumanMessage(f"q{i}", id=f"h{i}"))
        messages.append(
            AIMessage(
                "", id=f"c{i}", tool_calls=[{"name": "list_notes", "args": {}, "id": f"t{i}"}]
            )
        )
        messages.append(ToolMessage("r", tool_call_id=f"t{i}", id=f"r{i}"))
        messages.append(AIMessage(f"a{i}", id=f"a{i}"))
    return messages


async def test_short_histories_are_left_alone(database, clock):
    update = await summarize(
        State(messages=history(2)),
        runtime(Context(database=database, clock=clock, history_max_messages=8)),
    )
    assert update == {}


async def test_long_histories_lose_whole_old_turns_only(database, clock):
    update = await summarize(
        State(messages=history(5)),
        runtime(Context(database=database, clock=clock, history_max_messages=10)),
    )
    removed = [m.id for m in update["messages"]]
    assert all(isinstance(m, RemoveMessage) for m in update["messages"])
    # 20 messages, limit 10: the first 3 turns (12 messages) go, 2 whole turns stay.
    assert removed == [m.id for m in history(5)[:12]]


def test_a_single_turn_longer_than_the_limit_is_kept_whole():
    messages = history(2)
    assert turns_to_fold(messages, limit=3) == messages[:4]
