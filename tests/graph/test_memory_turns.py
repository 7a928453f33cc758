"""Memory through the real graph and the offline planner, as a texter would use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from graph import prompts
from stores.embeddings import LocalMiniLMEmbeddings
from stores.models import ConversationSummary
from stores.summaries import scrub_text
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import ScriptedModel, add_user, system_text, turn


@pytest.fixture
async def ann(database, clock):
    return await add_user(database, clock, "+14155550123", timezone="America/New_York")


async def test_remember_then_ask_then_list_then_forget(database, clock, ann):
    saver = InMemorySaver()

    async def say(text: str) -> str:
        final = await turn(text, user_id=ann.id, database=database, clock=clock, saver=saver)
        return str(final["reply"])

    assert await say("Remember that Anna's birthday is June 3") == (
        "Got it, I'll remember: Anna's birthday is June 3"
    )
    assert await say("remember my address is 12 Elm Street") == (
        "Got it, I'll remember: my address is 12 Elm Street"
    )
    clock.advance(timedelta(days=20))
    assert await say("remember my address is 40 Oak Avenue") == (
        "Got it, I'll remember: my address is 40 Oak Avenue "
        "(instead of: my address is 12 Elm Street)"
    )
    assert await say("when is Anna's birthday?") == (
        "You told me Anna's birthday is June 3 (on Jan 15, 2026)"
    )
    assert await say("What do you know about me?") == (
        "What I know about you (2):\n"
        "- my address is 40 Oak Avenue (Feb 4, 2026)\n"
        "- Anna's birthday is June 3 (Jan 15, 2026)"
    )
    assert await say("forget my address") == "Forgotten: my address is 40 Oak Avenue"
    assert "address" not in await say("what do you know about me")
    assert await say("where do I live?") == prompts.OFFLINE_NOT_FOUND


async def test_the_plan_prompt_shows_recalled_memories(database, clock, ann):
    saver = InMemorySaver()
    await turn(
        "remember the gate code is 4412",
        user_id=ann.id,
        database=database,
        clock=clock,
        saver=saver,
    )
    model = ScriptedModel(script=[AIMessage("4412")])
    await turn(
        "what's the gate code",
        user_id=ann.id,
        database=database,
        clock=clock,
        saver=saver,
        chat_model=model,
    )
    system = system_text(model.seen[0])
    assert "What you know about Ann:\n- the gate code is 4412 (saved 2026-01-15)" in system


async def test_recall_by_meaning_through_the_graph_with_the_real_model(database, clock, ann):
    minilm = LocalMiniLMEmbeddings()
    saver = InMemorySaver()

    async def say(text: str) -> str:
        final = await turn(
            text, user_id=ann.id, database=database, clock=clock, saver=saver, embeddings=minilm
        )
        return str(final["reply"])

    await say("remember that my daughter is allergic to peanuts")
    await say("remember the wifi password is hunter2")
    assert await say("what food can't my kid eat?") == (
        "You told me your daughter is allergic to peanuts (on Jan 15, 2026)"
    )


async def test_forget_also_scrubs_the_running_summary(database, clock, ann):
    saver = InMemorySaver()

    async def say(text: str) -> dict:
        return await turn(
            text,
            user_id=ann.id,
            database=database,
            clock=clock,
            saver=saver,
            history_token_budget=200,
        )

    await say("remember my address is 12 Elm Street")
    summary = ""
    for i in range(15):  # until the first turn is folded into the summary
        summary = (await say(f"note: errand {i}")).get("summary", "")
        if summary:
            break
    assert "12 Elm Street" in summary
    final = await say("forget my address")
    assert final["reply"] == "Forgotten: my address is 12 Elm Street"
    assert "Elm" not in final["summary"] and "errand" in final["summary"]
    async with database.session() as session:
        texts = (await session.execute(select(ConversationSummary.text))).scalars().all()
    assert texts and not any("Elm" in text for text in texts)


def test_scrubbing_removes_only_the_sentences_that_mention_the_fact():
    summary = (
        "- User: my address is 12 Elm St / Assistant: Saved.\n"
        "Ann likes tea. She lives at 12 Elm St. Bye."
    )
    assert scrub_text(summary, ["my address is 12 Elm St"]) == "Ann likes tea. Bye."


async def test_an_offline_turn_embeds_the_text_at_most_once(database, clock, ann):
    """Offline, nothing is recalled ahead of the planner: a command embeds nothing, and a
    question is embedded once for all three lookups (memories, notes, documents)."""
    emb = HashEmbeddings()
    await turn(
        "remember the gate code is 4412",
        user_id=ann.id,
        database=database,
        clock=clock,
        embeddings=emb,
    )
    before = emb.calls
    await turn("list my notes", user_id=ann.id, database=database, clock=clock, embeddings=emb)
    assert emb.calls == before
    final = await turn(
        "what is the gate code?", user_id=ann.id, database=database, clock=clock, embeddings=emb
    )
    assert "4412" in final["reply"]
    assert emb.calls == before + 1
