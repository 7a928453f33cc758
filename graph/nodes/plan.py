"""plan: ask the model what to do next: call tools, or answer. Bounded by max_plan_steps and by
the turn's time budget (no model call starts after it, and a call in flight is cut at it)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.runtime import Runtime

from graph import prompts
from graph.answer import reply_for, settle
from graph.context import Context
from graph.history import repair_history
from graph.prompt_layout import build_prompt, offered_tools
from graph.state import State
from stores.outcomes import Outcome
from tools import TOOLS_BY_NAME

STEPS_TO_FINISH = 4
"""Supersteps a model call may still need after this one: tools, plan (the answer or the
fallback), persist, after_reply. With no more than these left, plan answers without the model."""

FIXED_STEPS = 3
"""load_state, retrieve_memory, rag: the supersteps before the first plan."""


def recursion_limit(max_plan_steps: int) -> int:
    """The run's recursion limit that allows `max_plan_steps` model calls: each call may be
    followed by a tools step, and the turn still gets its closing plan, persist and after_reply."""
    return FIXED_STEPS + 2 * max_plan_steps + STEPS_TO_FINISH


def final_tool_result(state: State) -> tuple[str, str] | None:
    """A tool result marked final (artifact {"final": True}, e.g. a confirmed or cancelled
    approval) is the reply as it stands: no model call, so a "YES <code>" costs no tokens.
    Returns (reply, outcome); the artifact may name the outcome (e.g. "account_deleted")."""
    last = state.messages[-1] if state.messages else None
    artifact = last.artifact if isinstance(last, ToolMessage) else None
    if last is None or not isinstance(artifact, dict) or not artifact.get("final"):
        return None
    return str(last.content), str(artifact.get("outcome") or Outcome.OK.value)


def _stop(reply: str, outcome: str) -> dict[str, Any]:
    return {"messages": [AIMessage(content=reply)], "reply": reply, "outcome": outcome}


async def plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    final = final_tool_result(state)
    if final is not None:
        return _stop(*final)
    if state.remaining_steps <= STEPS_TO_FINISH:
        return _stop(prompts.FALLBACK_REPLY, Outcome.FALLBACK.value)
    left = None if ctx.turn_deadline is None else ctx.turn_deadline - time.monotonic()
    if left is not None and left <= 0:
        return _stop(prompts.OUT_OF_TIME, Outcome.OUT_OF_TIME.value)
    planner = ctx.planner()
    tools = offered_tools(state.messages, only_relevant=ctx.llm_relevant_tools_only)
    model = planner.model.bind_tools(tools, tool_choice="auto")
    # Repaired on every call, so a conversation stored with an unanswered call heals too.
    prompt = build_prompt(state, ctx.clock.now(), repair_history(state.messages))
    try:
        response = await asyncio.wait_for(model.ainvoke(prompt), left)
    except TimeoutError:
        return _stop(prompts.OUT_OF_TIME, Outcome.OUT_OF_TIME.value)
    response = settle(response, state.messages, TOOLS_BY_NAME)
    update: dict[str, Any] = {"messages": [response]}
    if not response.tool_calls and not response.invalid_tool_calls:
        # The offline planner's own "- " lists are meant for the phone; a model's are not.
        reply = reply_for(response, state.messages, trusted=not planner.generative)
        update["messages"] = [response.model_copy(update={"content": reply})]
        update["reply"] = reply
        update["outcome"] = Outcome.OK.value
    return update


def route_after_plan(state: State) -> str:
    """To the tools while the model asks for them (valid or not: each call gets its tool
    message); otherwise on to persist."""
    last = state.messages[-1] if state.messages else None
    if isinstance(last, AIMessage) and (last.tool_calls or last.invalid_tool_calls):
        return "tools"
    return "persist"
