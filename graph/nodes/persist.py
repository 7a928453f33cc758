"""persist: write this turn to the interaction log (who, steps, tools, latency, outcome).
Fact extraction and summary folding wait until the reply has left (graph/nodes/after_reply.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.extract import worth_extracting
from graph.nodes.summarize import count_tokens
from graph.state import State
from stores.interactions import record_interaction
from stores.outcomes import Outcome

log = logging.getLogger(__name__)


def tools_this_turn(messages: list[AnyMessage]) -> list[str]:
    """Tool names run since the turn's HumanMessage, in order."""
    names: list[str] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage) and message.name:
            names.append(message.name)
    return list(reversed(names))


def is_due(state: State, ctx: Context) -> bool:
    """Whether this turn leaves work for after the reply: facts an LLM may extract, or a history
    past its limits to fold. Offline turns with a short history skip the step altogether."""
    said = next((m.text for m in reversed(state.messages) if isinstance(m, HumanMessage)), "")
    extract = (
        ctx.planner().generative
        and state.outcome == Outcome.OK
        and worth_extracting(said, tools_this_turn(state.messages))
    )
    fold = (
        len(state.messages) > ctx.history_max_messages
        or count_tokens(state.messages) > ctx.history_token_budget
    )
    return bool(extract or fold)


async def persist(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    tools = tools_this_turn(state.messages)
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
    return {"after_reply_due": is_due(state, ctx)}
