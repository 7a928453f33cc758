"""after_reply: the slow work of a turn, done once its reply has been handed over.

With an LLM, both may call the model: fact extraction (durable facts the user mentioned in
passing become memories) and summary folding (old turns merged into the running summary). The
runner compiles the graph with an interrupt before this node, delivers the reply, then resumes
the graph; a crash in between leaves the node pending in the checkpoint, and the runner runs it
before the conversation's next turn. Studio and tests without the interrupt run it inline.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.graph import END
from langgraph.runtime import Runtime

from graph.context import Context
from graph.extract import extract_facts, worth_extracting
from graph.nodes.persist import tools_this_turn
from graph.nodes.summarize import summarize
from graph.state import State
from stores import memories
from stores.outcomes import Outcome
from stores.redact import described

log = logging.getLogger(__name__)
EXTRACTION_TIMEOUT_SECONDS = 8.0
NODE = "after_reply"


async def remember_mentioned_facts(state: State, ctx: Context, tools: list[str]) -> int:
    """Ask the LLM for durable facts in this exchange and remember them; returns how many were
    new. Offline, after explicit memory tools, for questions: nothing to do. Never raises."""
    planner = ctx.planner()
    said = next((m.text for m in reversed(state.messages) if isinstance(m, HumanMessage)), "")
    if (
        not planner.generative
        or state.user is None
        or state.outcome != Outcome.OK
        or not worth_extracting(said, tools)
    ):
        return 0
    try:
        facts = await asyncio.wait_for(
            extract_facts(planner.model, said=said, answered=state.reply, known=state.memories),
            EXTRACTION_TIMEOUT_SECONDS,
        )
        stored = 0
        for fact, subject in facts:
            saved = await memories.remember(
                ctx.database,
                ctx.embeddings,
                user_id=state.user["id"],
                text=fact,
                subject=subject,
                origin="extracted",
                source_message_sid=ctx.message_sid,
                clock=ctx.clock,
            )
            stored += not saved.duplicate
        return stored
    except Exception as error:  # the reply has left: a missed fact must not fail anything
        log.warning("fact extraction failed: %s", described(error))
        return 0


def route_after_persist(state: State) -> str:
    return NODE if state.after_reply_due else END


async def after_reply(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    await remember_mentioned_facts(state, runtime.context, tools_this_turn(state.messages))
    return await summarize(state, runtime)
