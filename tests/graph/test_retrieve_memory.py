from langchain_core.messages import HumanMessage

from graph.context import Context
from graph.nodes.retrieve_memory import retrieve_memory
from graph.state import State, UserProfile
from stores import memories
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import ScriptedModel, add_user, runtime

LLM = ScriptedModel(script=[])
"""An LLM planner reads the recalled context (the offline one does not: see below)."""


def profile(user) -> UserProfile:
    return UserProfile(id=user.id, phone=user.phone, name=user.name, timezone="America/New_York")


async def test_relevant_memories_above_the_bar_replace_last_turns(database, clock):
    emb = HashEmbeddings()
    ann = await add_user(database, clock, "+14155550123")
    for fact in ("Anna's birthday is June 3", "gate code is 4412", "boat is called Wren"):
        await memories.remember(database, emb, user_id=ann.id, text=fact, clock=clock)
    update = await retrieve_memory(
        State(
            user=profile(ann),
            messages=[HumanMessage("when is anna's birthday?")],
            memories=["left over from an earlier turn"],
        ),
        runtime(
            Context(
                database=database, clock=clock, chat_model=LLM, embeddings=emb, memory_min_score=0.3
            )
        ),
    )
    assert update == {"memories": ["Anna's birthday is June 3 (saved 2026-01-15)"]}


async def test_nothing_relevant_means_no_memories(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    update = await retrieve_memory(
        State(user=profile(ann), messages=[HumanMessage("hi")], memories=["stale"]),
        runtime(
            Context(database=database, clock=clock, chat_model=LLM, embeddings=HashEmbeddings())
        ),
    )
    assert update == {"memories": []}


async def test_a_broken_embedding_model_costs_the_memories_not_the_turn(database, clock):
    class Broken(HashEmbeddings):
        def embed_array(self, texts):
            raise RuntimeError("model file missing")

    ann = await add_user(database, clock, "+14155550123")
    update = await retrieve_memory(
        State(user=profile(ann), messages=[HumanMessage("anything")]),
        runtime(Context(database=database, clock=clock, chat_model=LLM, embeddings=Broken())),
    )
    assert update == {"memories": []}


async def test_offline_nothing_is_recalled_ahead_of_the_planner(database, clock):
    """The offline planner never reads the prompt's memories; its lookup tools search when a
    question needs it, so recalling here would embed and search for nothing."""
    emb = HashEmbeddings()
    ann = await add_user(database, clock, "+14155550123")
    await memories.remember(database, emb, user_id=ann.id, text="gate code 4412", clock=clock)
    calls = emb.calls
    update = await retrieve_memory(
        State(user=profile(ann), messages=[HumanMessage("what is the gate code?")]),
        runtime(Context(database=database, clock=clock, embeddings=emb)),
    )
    assert update == {"memories": []} and emb.calls == calls
