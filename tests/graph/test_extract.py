"""After-turn fact extraction: with an LLM, facts mentioned in passing become memories."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from graph.extract import parse_facts
from stores import memories
from tests.helpers import ScriptedModel, add_user, tool_call, turn

PRIYA = '{"facts": [{"fact": "Priya is my sister and lives in Leeds", "subject": "Priya home"}]}'


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        (PRIYA, [("Priya is my sister and lives in Leeds", "Priya home")]),
        ('Sure! ```json\n{"facts": [{"fact": "I am vegan"}]}\n```', [("I am vegan", None)]),
        ('{"facts": []}', []),
        ("no json here", []),
        ('{"facts": [{"fact": 3}, {"nope": "x"}, "text"]}', []),
        ('{"facts": "not a list"}', []),
        ("{broken json", []),
    ],
)
def test_model_output_is_parsed_leniently(text, facts):
    assert parse_facts(text) == facts


async def test_a_fact_mentioned_in_passing_is_remembered_once(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    saver = InMemorySaver()
    model = ScriptedModel(script=[AIMessage("How about a Yorkshire tea set?"), AIMessage(PRIYA)])
    await turn(
        "My sister Priya lives in Leeds, any gift idea?",
        user_id=ann.id,
        database=database,
        clock=clock,
        saver=saver,
        chat_model=model,
        message_sid="SMpriya",
    )
    extraction = model.seen[-1]
    assert "User: My sister Priya lives in Leeds, any gift idea?" in extraction[-1].content
    assert "Assistant: How about a Yorkshire tea set?" in extraction[-1].content
    async with database.session() as session:
        [fact] = await memories.list_memories(session, user_id=ann.id)
    assert (fact.text, fact.origin, fact.source_message_sid) == (
        "Priya is my sister and lives in Leeds",
        "extracted",
        "SMpriya",
    )

    again = ScriptedModel(script=[AIMessage("Tea it is."), AIMessage(PRIYA)])
    await turn(
        "Priya in Leeds loves tea, I think",
        user_id=ann.id,
        database=database,
        clock=clock,
        saver=saver,
        chat_model=again,
    )
    known = again.seen[-1][-1].content
    assert "Already known:\n- Priya is my sister and lives in Leeds" in known
    async with database.session() as session:
        assert await memories.count_memories(session, user_id=ann.id) == 1  # deduplicated


@pytest.mark.parametrize(
    "script",
    [
        [AIMessage("Sure.")],  # a question: never asked
        [tool_call("remember", fact="I am vegan"), AIMessage("Noted.")],  # explicit: not again
    ],
    ids=["question", "explicit-remember"],
)
async def test_no_extraction_when_there_is_nothing_to_extract(database, clock, script):
    ann = await add_user(database, clock, "+14155550123")
    text = "what should I cook tonight?" if len(script) == 1 else "remember I am vegan please"
    model = ScriptedModel(script=list(script))
    await turn(text, user_id=ann.id, database=database, clock=clock, chat_model=model)
    assert len(model.seen) == len(script)  # no extra call


async def test_offline_turns_never_extract(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    final = await turn(
        "note: my sister Priya lives in Leeds", user_id=ann.id, database=database, clock=clock
    )
    assert final["reply"].startswith("Saved note #1")
    async with database.session() as session:
        assert await memories.count_memories(session, user_id=ann.id) == 0


async def test_a_failing_extraction_costs_nothing_but_the_facts(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    model = ScriptedModel(script=[AIMessage("Lovely.")])  # runs out: the extraction call fails
    final = await turn(
        "My cat is called Miso and she is nine",
        user_id=ann.id,
        database=database,
        clock=clock,
        chat_model=model,
    )
    assert final["reply"] == "Lovely."
    async with database.session() as session:
        assert await memories.count_memories(session, user_id=ann.id) == 0
