"""persist: write this turn to the interaction log (who, steps, tools, latency, outcome)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.model import load_chat_model, planner_name
from graph.state import State
from stores.interactions import record_interaction

FIXED_NODES = ("load_state", "retrieve_memory", "rag")


def tools_this_turn(messages: list[AnyMessage]) -> list[str]:
    """Tool names run since the turn's HumanMessage, in order."""
    names: list[str] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage) and message.name:
            names.append(message.name)
    return list(reversed(names))


def nodes_this_turn(steps: int, tool_steps: int, fallback: bool) -> list[str]:
    nodes = list(FIXED_NODES)
    for step in range(steps):
        nodes.append("plan")
        if step < tool_steps:
            nodes.append("tools")
    if fallback:
        nodes.append("plan")
    return [*nodes, "summarize", "persist"]


async def persist(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    tools = tools_this_turn(state.messages)
    fallback = state.outcome == "fallback"
    tool_steps = state.steps if fallback else max(state.steps - 1, 0)
    started = datetime.fromisoformat(state.turn_started_at) if state.turn_started_at else None
    latency_ms = int((ctx.clock.now() - started).total_seconds() * 1000) if started else 0
    async with ctx.database.session() as session:
        await record_interaction(
            session,
            user_id=state.user["id"] if state.user else None,
            conversation_id=state.conversation_id,
            message_sid=ctx.message_sid,
            planner=planner_name(ctx.chat_model or load_chat_model()),
            nodes=nodes_this_turn(state.steps, tool_steps, fallback),
            tools=tools,
            steps=state.steps,
            latency_ms=max(latency_ms, 0),
            outcome=state.outcome or "ok",
            clock=ctx.clock,
        )
    return {}
