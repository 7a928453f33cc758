"""persist: write this turn to the interaction log (who, steps, tools, latency, outcome), and,
with an LLM configured, the durable facts the user mentioned in passing to long-term memory."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.extract import extract_facts, worth_extracting
from graph.state import State
from stores import memories
from stores.interactions import record_interaction
from stores.outcomes import Outcome
from stores.redact import described

log = logging.getLogger(__name__)
EXTRACTION_TIMEOUT_SECONDS = 8.0


def tools_this_turn(messages: list[AnyMessage]) -> list[str]:
    """Tool names run since the turn's HumanMessage, in order."""
    names: list[str] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage) and message.name:
            names.append(message.name)
    return list(reversed(names))


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
    except Exception as error:  # the reply is ready: a missed fact must not cost it
        log.warning(
            "fact extraction failed: %s",
            described(error),
        )
        return 0


async def persist(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    tools = tools_this_turn(state.messages)
    await remember_mentioned_facts(state, ctx, tools)
    path = [*state.path, "persist"]
    started = datetime.fromisoformat(state.turn_started_at) if state.turn_started_at else None
    latency_ms = int((ctx.clock.now() - started).total_seconds() * 1000) if started else 0
    async with ctx.database.session() as session:
        await record_interaction(
            session,
            user_id=state.user["id"] if state.user else None,
            conversation_id=state.conversation_id,
            message_sid=ctx.message_sid,
            planner=ctx.planner().name,
            nodes=path,
            tools=tools,
            steps=path.count("plan"),
            latency_ms=max(latency_ms, 0),
            outcome=state.outcome or Outcome.OK,
            clock=ctx.clock,
        )
    return {}
