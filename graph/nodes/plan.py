"""plan: ask the model what to do next: call tools, or answer. Bounded by max_plan_steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, SystemMessage, ToolMessage
from langgraph.runtime import Runtime

from graph import prompts
from graph.context import Context
from graph.state import State
from stores.outcomes import Outcome
from tools import TOOLS

STEPS_TO_FINISH = 4
"""Supersteps a model call may still need after this one: tools, plan (the answer or the
fallback), summarize, persist. With no more than these left, plan answers without the model."""

FIXED_STEPS = 3
"""load_state, retrieve_memory, rag: the supersteps before the first plan."""


def recursion_limit(max_plan_steps: int) -> int:
    """The run's recursion limit that allows `max_plan_steps` model calls: each call may be
    followed by a tools step, and the turn still gets its closing plan, summarize and persist."""
    return FIXED_STEPS + 2 * max_plan_steps + STEPS_TO_FINISH


def system_prompt(state: State, now: datetime) -> str:
    user = state.user or {"name": "the user", "timezone": "UTC"}
    local = now.astimezone(ZoneInfo(user["timezone"]))
    summary = prompts.SUMMARY_BLOCK.format(summary=state.summary) if state.summary else ""
    memories = (
        prompts.MEMORIES_BLOCK.format(
            name=user["name"], memories="\n".join(f"- {m}" for m in state.memories)
        )
        if state.memories
        else ""
    )
    documents = (
        prompts.DOCUMENTS_BLOCK.format(
            documents="\n".join(f"[{d['source']}] {d['text']}" for d in state.documents)
        )
        if state.documents
        else ""
    )
    return prompts.SYSTEM_PROMPT.format(
        name=user["name"],
        local_time=local.strftime("%a %b %d %Y, %H:%M"),
        timezone=user["timezone"],
        summary_block=summary,
        memories_block=memories,
        documents_block=documents,
    )


def final_tool_result(state: State) -> tuple[str, str] | None:
    """A tool result marked final (artifact {"final": True}, e.g. a confirmed or cancelled
    approval) is the reply as it stands: no model call, so a "YES <code>" costs no tokens.
    Returns (reply, outcome); the artifact may name the outcome (e.g. "account_deleted")."""
    last = state.messages[-1] if state.messages else None
    artifact = last.artifact if isinstance(last, ToolMessage) else None
    if last is None or not isinstance(artifact, dict) or not artifact.get("final"):
        return None
    return str(last.content), str(artifact.get("outcome") or Outcome.OK.value)


async def plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    final = final_tool_result(state)
    if final is not None:
        reply, outcome = final
        return {"messages": [AIMessage(content=reply)], "reply": reply, "outcome": outcome}
    if state.remaining_steps <= STEPS_TO_FINISH:
        return {
            "messages": [AIMessage(content=prompts.FALLBACK_REPLY)],
            "reply": prompts.FALLBACK_REPLY,
            "outcome": Outcome.FALLBACK.value,
        }
    model = ctx.planner().model.bind_tools(TOOLS)
    prompt = [SystemMessage(content=system_prompt(state, ctx.clock.now())), *state.messages]
    response = await model.ainvoke(prompt)
    update: dict[str, Any] = {"messages": [response]}
    if not getattr(response, "tool_calls", None):
        update["reply"] = response.text.strip() or prompts.EMPTY_REPLY
        update["outcome"] = Outcome.OK.value
    return update


def route_after_plan(state: State) -> str:
    """To the tools while the model asks for them; otherwise on to summarize."""
    last = state.messages[-1] if state.messages else None
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools"
    return "summarize"
