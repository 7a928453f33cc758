"""rag and search_documents: passages with scores and sources; answers cite the file."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.nodes.rag import rag
from graph.state import State, UserProfile
from stores import kb
from stores.documents import content_type_for
from stores.embeddings import LocalMiniLMEmbeddings
from tests.documents import LEASE_LINES, WIFI_HTML, make_pdf
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import ScriptedModel, add_user, runtime, system_text, turn

LLM = ScriptedModel(script=[])
"""An LLM planner reads the retrieved passages (the offline one does not need them)."""


async def add(database, emb, clock, name, data, user_id=None):
    return await kb.ingest(
        database,
        emb,
        user_id=user_id,
        source=name,
        location=f"/docs/{name}",
        data=data,
        content_type=content_type_for(name),
        clock=clock,
    )


def profile(user) -> UserProfile:
    return UserProfile(id=user.id, phone=user.phone, name=user.name, timezone="UTC")


async def test_retrieves_scored_passages_from_own_and_shared_documents(database, clock):
    emb = HashEmbeddings()
    ann = await add_user(database, clock, "+14155550123")
    bob = await add_user(database, clock, "+14155550124", name="Bob")
    await add(database, emb, clock, "mine.txt", b"tulip bulbs go in the shed", ann.id)
    await add(database, emb, clock, "rules.txt", b"tulip beds are shared by all")
    await add(database, emb, clock, "bob.txt", b"tulip notes of bob", bob.id)
    update = await rag(
        State(
            user=profile(ann),
            messages=[HumanMessage("tulip")],
            documents=[{"source": "old.md", "text": "x", "score": 0.9}],
        ),
        runtime(
            Context(
                database=database, clock=clock, chat_model=LLM, embeddings=emb, rag_min_score=0.1
            )
        ),
    )
    assert sorted(d["source"] for d in update["documents"]) == ["mine.txt", "rules.txt"]
    assert all(0.1 <= d["score"] <= 1 for d in update["documents"])


async def test_no_knowledge_base_means_no_documents(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    update = await rag(
        State(user=profile(ann), messages=[HumanMessage("anything")]),
        runtime(Context(database=database, clock=clock, chat_model=LLM)),
    )
    assert update == {"documents": []}


async def test_the_plan_prompt_lists_passages_with_their_source(database, clock):
    emb = HashEmbeddings()
    ann = await add_user(database, clock, "+14155550123")
    await add(database, emb, clock, "building.html", WIFI_HTML.encode())
    model = ScriptedModel(script=[AIMessage("ok")])
    await turn(
        "guest wifi password",
        user_id=ann.id,
        database=database,
        clock=clock,
        chat_model=model,
        embeddings=emb,
        rag_min_score=0.1,
    )
    system = system_text(model.seen[0])
    assert "cite the source file" in system
    assert "[building.html] Welcome to Elm Court" in system


async def test_offline_answers_quote_the_best_passage_and_cite_the_file(database, clock):
    """The real model: the question shares no keyword with the passage it is answered from."""
    minilm = LocalMiniLMEmbeddings()
    ann = await add_user(database, clock, "+14155550123")
    await add(database, minilm, clock, "lease.pdf", make_pdf(LEASE_LINES))
    await add(database, minilm, clock, "building.html", WIFI_HTML.encode())
    saver = InMemorySaver()

    async def ask(text: str) -> str:
        final = await turn(
            text, user_id=ann.id, database=database, clock=clock, saver=saver, embeddings=minilm
        )
        return str(final["reply"])

    assert await ask("Can I bring my dog to the apartment?") == (
        'From lease.pdf: "Pets are allowed with a deposit of 300 dollars."'
    )
    reply = await ask("what's the internet password?")
    assert reply.startswith('From building.html: "') and "tulip-8812" in reply
